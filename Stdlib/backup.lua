-- Scheduled backups: backups = { LAYER = { every = "1h", keep = 24 } } in a cluster declaration.
--
-- On each tick, every volume attached to an instance of the layer is snapshotted, then the
-- oldest snapshots of that volume beyond `keep` are deleted. Each snapshot and each deletion is
-- an event; `Recipes/restore.lua` puts a chosen snapshot back on an instance.

local backup = {}

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

function backup.run(cluster_name, layer, keep)
  local taken = 0
  for _, v in ipairs(layer_volumes(cluster_name, layer)) do
    v:snapshot()
    prune(cluster_name, v.id, keep)
    taken = taken + 1
  end
  emit("backup.done", { cluster = cluster_name, subject = layer, detail = taken .. " volumes, keeping " .. keep })
end

function backup.watch(cluster_name, layer, options)
  assert(type(options) == "table", "backups." .. layer .. " = { every = \"1h\", keep = 24 }")
  local keep = options.keep or 24
  assert(math.type(keep) == "integer" and keep >= 1, "backups." .. layer .. ".keep must be a whole number from 1")
  every(options.every or "1h", function() backup.run(cluster_name, layer, keep) end, { budget = "600s" })
end

return backup
