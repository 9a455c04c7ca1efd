---
-- Volumes and snapshots.
--
-- A volume is a table with `id`, `name`, `cluster`, `size_gb`, `instance_id` and `mount` (while
-- attached) and `snapshot_id` (when made from one). Layers' volumes are named `SLOT:NAME`
-- (`web-1:data`), which ties them to their slot across replacements. A snapshot is a table with
-- `id`, `cluster`, `volume_id`, `size_gb`, `sha256`, `bytes` and `created` (seconds since the
-- epoch). A method that changes a volume returns it, refreshed from its provider.
-- @module volume
local prim, use = ...
local core = use "core"

local Volume = core.class("volume")
local Snapshot = core.class("snapshot")

function Volume:__tostring() return string.format("%s (%d GB)", self.id, self.size_gb) end
function Snapshot:__tostring() return string.format("%s (of %s)", self.id, self.volume_id) end

local volume, snapshot = {}, {}

---
-- Reads the volume again from its provider.
-- @return the volume, its fields up to date
-- @usage
-- if not v:refresh().instance_id then log.warn("%s is detached", v.name) end
function Volume:refresh()
  core.flush()
  for _, fresh in ipairs(prim.volume_list{ cluster = self.cluster }) do
    if fresh.id == self.id then return core.refill(self, fresh) end
  end
  prim.raise("volume " .. tostring(self.id) .. " is gone")
end

---
-- Attaches the volume to an instance, mounted inside its root.
-- @param target an instance, its id, or its name (`web-1`, in the cluster declared last)
-- @param mount an absolute path inside the instance, such as `/srv/data`
-- @return the volume, refreshed
-- @usage
-- volume.create{ size_gb = 10 }:attach(i, "/srv/data")
function Volume:attach(target, mount)
  local id, cluster = core.target(target)
  prim.volume_attach(self.id, id, mount, cluster)
  return self:refresh()
end

---
-- Detaches the volume from its instance; its data stays.
-- @return the volume, refreshed
-- @usage
-- v:detach()
function Volume:detach()
  prim.volume_detach(self.id)
  return self:refresh()
end

---
-- Takes a snapshot of the volume (a compressed archive with its SHA-256 on the local provider).
-- @return the snapshot
-- @usage
-- local s = v:snapshot()
function Volume:snapshot()
  return setmetatable(prim.volume_snapshot(self.id, self.cluster), Snapshot)
end

---
-- Removes the volume for good (detached first); its snapshots stay.
-- @usage
-- v:delete()
function Volume:delete()
  prim.volume_delete(self.id)
end

---
-- Makes a new volume holding the snapshot's files.
-- @param options optional `{ name = NAME, cluster = NAME }`: the new volume's name, and its
-- cluster (the snapshot's by default)
-- @return the new volume, detached
-- @usage
-- s:restore{ name = "web-1:data" }:attach(i, "/srv/data")
function Snapshot:restore(options)
  return setmetatable(prim.snapshot_restore(self.id, options or {}), Volume)
end

---
-- Deletes the snapshot.
-- @usage
-- s:delete()
function Snapshot:delete()
  prim.snapshot_delete(self.id)
end

---
-- Creates a volume, detached.
-- @param spec optional `{ size_gb = N (1), name = NAME, snapshot = ID, cluster = NAME }`; the
-- cluster defaults to the one declared last
-- @return the volume
-- @usage
-- local v = volume.create{ size_gb = 10, name = "scratch" }
function volume.create(spec)
  core.flush()
  spec = spec or {}
  spec.cluster = core.cluster_of(spec)
  return setmetatable(prim.volume_create(spec), Volume)
end

---
-- Lists volumes as their provider sees them.
-- @param filter optional `{ cluster = NAME }`
-- @return a list of volumes
-- @usage
-- for _, v in ipairs(volume.list{ cluster = "shop" }) do print(v, v.mount) end
function volume.list(filter)
  core.flush()
  return core.all_as(prim.volume_list(filter or {}), Volume)
end

---
-- Lists snapshots, oldest first.
-- @param filter optional `{ cluster = NAME }`
-- @return a list of snapshots
-- @usage
-- local newest = snapshot.list{ cluster = "shop" }[1]
function snapshot.list(filter)
  core.flush()
  return core.all_as(prim.snapshot_list(filter or {}), Snapshot)
end

return { volume = volume, snapshot = snapshot, Volume = Volume, Snapshot = Snapshot }
