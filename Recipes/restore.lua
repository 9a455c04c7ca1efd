-- Puts a snapshot back on an instance's volume:
--
--   recipe run Recipes/restore.lua cluster=shop instance=web-2 snapshot=snap-1a2b3c [mount=/srv/data]
--
-- The volume mounted there is snapshotted first (so nothing is lost), then replaced by a new
-- volume made from the chosen snapshot, with the same name and mount point, so heal and later
-- runs keep attaching it to the same slot.

local name, target_name, snap_id = arg.cluster, arg.instance, arg.snapshot
if not (name and target_name and snap_id) then
  error("usage: recipe run Recipes/restore.lua cluster=NAME instance=NAME snapshot=ID [mount=PATH]")
end

local target
for _, i in ipairs(cluster.get(name):instances()) do
  if i.name == target_name then target = i end
end
if not target then error("cluster " .. name .. " has no instance " .. target_name) end

local chosen
for _, s in ipairs(snapshot.list{ cluster = name }) do
  if s.id == snap_id then chosen = s end
end
if not chosen then error("cluster " .. name .. " has no snapshot " .. snap_id) end

local current
for _, v in ipairs(volume.list{ cluster = name }) do
  if v.instance_id == target.id and (arg.mount == nil or v.mount == arg.mount) then current = v end
end
if not current then error(target_name .. " has no volume" .. (arg.mount and (" at " .. arg.mount) or "")) end

local safety = current:snapshot()
local mount, volume_name = current.mount, current.name
current:delete()
local restored = chosen:restore{ name = volume_name }
restored:attach(target, mount)
log.info("%s: %s on %s now holds %s (the previous contents are in %s)", name, mount, target_name, snap_id, safety.id)
