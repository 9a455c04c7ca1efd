---
-- Scheduled backups: `backups = { LAYER = { every = "1h", keep = 24 } }` in a cluster declaration.
--
-- On each tick, every volume attached to an instance of the layer is snapshotted, then the
-- oldest snapshots of that volume beyond `keep` are deleted. Each snapshot and each deletion is
-- an event; `Recipes/restore.lua` puts a chosen snapshot back on an instance. The cluster's
-- declaration checks the settings; the prelude then calls `backup.watch` for each layer.
-- @module backup

local backup = {}

local KNOWN = { every = true, keep = true }

local function layer_volumes(cluster_name, layer)
  local members = {}
  for _, i in ipairs(instance.list{ cluster = cluster_name, layer = layer }) do members[i.id] = i end
  local volumes = {}
  for _, v in ipairs(volume.list{ cluster = cluster_name }) do
    if v.instance_id and members[v.instance_id] then volumes[#volumes + 1] = v end
  end
  return volumes
end

-- The volume's snapshots beyond the newest `keep`, deleted.
local function prune(cluster_name, volume_id, keep)
  local mine = {}
  for _, s in ipairs(snapshot.list{ cluster = cluster_name }) do
    if s.volume_id == volume_id then mine[#mine + 1] = s end
  end
  table.sort(mine, function(a, b) return a.created > b.created end)
  for n = keep + 1, #mine do mine[n]:delete() end
end

-- What is wrong with the options, or nil.
local function problem(layer, options)
  local where = "backups." .. tostring(layer)
  if type(options) ~= "table" then return where .. " = { every = \"1h\", keep = 24 }" end
  for key in pairs(options) do
    if not KNOWN[key] then return where .. ": unknown field '" .. tostring(key) .. "' (known: every, keep)" end
  end
  local keep = options.keep
  if keep ~= nil and (math.type(keep) ~= "integer" or keep < 1) then
    return where .. ": keep must be a whole number from 1, got " .. tostring(keep)
  end
end

---
-- Snapshots every volume attached to the layer's instances now, and prunes each beyond `keep`.
-- Records `backup.done`.
-- @param cluster_name the cluster's name
-- @param layer the layer's name
-- @param keep how many snapshots of each volume to keep
-- @usage
-- require("backup").run("shop", "db", 24)
function backup.run(cluster_name, layer, keep)
  local taken = 0
  for _, v in ipairs(layer_volumes(cluster_name, layer)) do
    v:snapshot()
    prune(cluster_name, v.id, keep)
    taken = taken + 1
  end
  emit("backup.done", { cluster = cluster_name, subject = layer, detail = taken .. " volumes, keeping " .. keep })
end

---
-- Backs the layer up on a timer from now on (under `recipe serve`). A backup runs alone in its
-- cluster (exclusive): a slow one is never overtaken by the next, which would snapshot before
-- the first has pruned, and none runs while a heal or a scaling step changes the volumes.
-- @param cluster_name the cluster's name
-- @param layer the layer's name
-- @param options `{ every = "1h", keep = 24 }` (those are the defaults)
-- @usage
-- require("backup").watch("shop", "db", { every = "6h", keep = 8 })
function backup.watch(cluster_name, layer, options)
  local wrong = problem(layer, options)
  if wrong then error(wrong, 2) end
  local keep = options.keep or 24
  every(options.every or "1h", function() backup.run(cluster_name, layer, keep) end, { budget = "600s", exclusive = true })
end

return backup
