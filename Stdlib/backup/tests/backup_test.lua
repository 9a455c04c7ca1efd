--- The backup cookbook's test: snapshots of a layer's volumes, the oldest beyond `keep` deleted.
local backup = require "backup"

cluster "backup-test" {
  provider = { kind = arg.provider },
  layers = { db = { count = 2, volumes = { data = { size_gb = 1, mount = "/srv/data" } } } },
}

for _ = 1, 3 do backup.run("backup-test", "db", 2) end
local per_volume = {}
for _, s in ipairs(snapshot.list { cluster = "backup-test" }) do
  per_volume[s.volume_id] = (per_volume[s.volume_id] or 0) + 1
end
local volumes = 0
for id, count in pairs(per_volume) do
  volumes = volumes + 1
  assert(count == 2, "keep = 2 leaves two snapshots of " .. id .. ", not " .. count)
end
assert(volumes == 2, "each of the layer's two volumes was backed up, not " .. volumes)

-- bad settings are refused at the caller's line
local ok, problem = pcall(backup.watch, "backup-test", "db", { keep = 0 })
assert(not ok and tostring(problem):find("keep", 1, true), "keep = 0 is refused: " .. tostring(problem))
ok, problem = pcall(backup.watch, "backup-test", "db", { every = "sometimes" })
assert(not ok and tostring(problem):find("every", 1, true), "a bad interval is refused: " .. tostring(problem))
