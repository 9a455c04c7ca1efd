-- Clones a cluster: the same layers (counts × scale, at least one instance each), firewall,
-- users, apps, attributes, heal, autoscale and backups, and the lifecycle hooks of the source's
-- recipe (setup, configure, deploy, drain, ready, ...), run for the clone under its own name:
-- its load balancer balances its own web layer. With data=snapshot every volume of the source is
-- snapshotted and the clone's volumes are built from those snapshots, slot by slot; then the
-- clone is launched. (OpsWorks' clone copied settings and launched nothing; this gives a
-- working copy with its data.)
--
--   recipe run Recipes/clone.lua from=shop to=shop-staging [scale=0.5] [data=snapshot|empty]
--
-- Run again with the same from and to (as `recipe serve` and `recipe deploy` do, for the clone's
-- hooks, heal, autoscale and backups), it declares the clone as recorded and copies nothing.

local usage = "usage: recipe run Recipes/clone.lua from=SOURCE to=TARGET [scale=F] [data=snapshot|empty]"
local from, to = arg.from, arg.to
local scale = tonumber(arg.scale or 1)
local data = arg.data or "empty"

if type(from) ~= "string" or type(to) ~= "string" then error(usage, 0) end
if not scale or scale <= 0 then error("scale must be a positive number, got " .. tostring(arg.scale), 0) end
if data ~= "snapshot" and data ~= "empty" then error("data must be snapshot or empty, got " .. tostring(data), 0) end

-- The source's lifecycle hooks, layer by layer, given to the clone's declaration.
local function with_hooks_of_source(spec)
  local hooks = cluster.get(from):hooks()
  for name, layer in pairs(spec.layers) do layer.on = hooks.layers[name] end
  for kind, functions in pairs(hooks.all) do
    for _, fn in ipairs(functions) do on(kind, fn) end
  end
  return spec
end

if cluster.exists(to) then
  local made = cluster.get(to):recipe()
  if not (made and made.file == recipe.file and made.arguments.from == from) then
    error(("cluster %s already exists: clone does not touch it"):format(to), 0)
  end
  local spec = cluster.get(to):spec()
  if cluster.exists(from) then
    with_hooks_of_source(spec)
  else
    log.warn("%s: its source %s is gone, so it runs without the source's hooks", to, from)
  end
  cluster.declare(spec)
  return
end

local spec = with_hooks_of_source(cluster.get(from):spec())
spec.name = to
for _, layer in pairs(spec.layers) do
  layer.count = math.max(1, math.floor(layer.count * scale + 0.5))
end

-- Volumes are named SLOT:VOLUME (web-1:data); the clone's slot web-1 gets the source's web-1 data.
local function slot_of(volume)
  local slot, name = volume.name:match("^(.+):(.+)$")
  local layer, index = (slot or ""):match("^(.-)%-(%d+)$")
  return slot, name, spec.layers[layer or ""], tonumber(index)
end

if data == "snapshot" then
  local jobs, targets = {}, {}
  for _, v in ipairs(volume.list{ cluster = from }) do
    local slot, name, layer, index = slot_of(v)
    if layer and layer.volumes[name] and index <= layer.count then
      jobs[#jobs + 1] = function() return v:snapshot() end
      targets[#targets + 1] = { volume = layer.volumes[name], slot = slot }
    end
  end
  local snapshots = { parallel(jobs) }
  for i, snap in ipairs(snapshots) do
    local target = targets[i].volume
    target.snapshots = target.snapshots or {}
    target.snapshots[targets[i].slot] = snap.id
  end
  log.info("%s: %d volumes snapshotted for %s", from, #snapshots, to)
end

cluster.declare(spec)
