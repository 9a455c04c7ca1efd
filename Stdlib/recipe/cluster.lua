---
-- Clusters: declare one with `cluster "name" { ... }`, reach one on record with `cluster.get`.
--
-- A declaration is checked at once (a bad field names the recipe line) and converged to exactly
-- what it says when the recipe next touches the state, or when it ends. Layers that declare
-- `heal` or `autoscale`, and clusters that declare `backups`, get the Stdlib cookbook of that
-- name (Stdlib/heal, autoscale, backup): plain Lua hooks run by `recipe serve`.
-- @module cluster
local prim, use = ...
local core = use "core"
local event = use "event"
local instance = use("instance").instance
local layer = use "layer"
-- the cookbooks from Stdlib itself: a recipe named backup.lua never stands in for backup
local require = prim.require_library

local Cluster = core.class("cluster")

function Cluster:__tostring() return "cluster " .. self.name end

-- A copy of the declaration with its layers' hook functions given the event as hooks see it
-- (the recipe's own table is left as it is).
local function with_hooks(spec)
  if type(spec) ~= "table" or type(spec.layers) ~= "table" then return spec end
  local copy = {}
  for k, v in pairs(spec) do copy[k] = v end
  copy.layers = {}
  for name, l in pairs(spec.layers) do
    if type(l) == "table" and type(l.on) == "table" then
      local hooked = {}
      for k, v in pairs(l) do hooked[k] = v end
      hooked.on = {}
      for kind, fn in pairs(l.on) do hooked.on[kind] = event.hook(fn) end
      l = hooked
    end
    copy.layers[name] = l
  end
  return copy
end

-- The cookbooks a declaration names, called with its own settings once the declaration is in
-- (it checked them, and their thresholds name its layers).
local function watch_with_cookbooks(name, spec)
  for layer_name, l in pairs(spec.layers or {}) do
    if l.heal then require("heal").watch(name, layer_name) end
    if l.autoscale then require("autoscale").watch(name, layer_name, l.autoscale) end
  end
  for layer_name, options in pairs(spec.backups or {}) do
    require("backup").watch(name, layer_name, options)
  end
end

---
-- Declares a cluster. The fields of the declaration, all optional:
--
-- - `provider`: `"local"` (the default), `"ec2"`, or `{ kind = "ec2", region, endpoint, api_version, profile, subnet }`,
--   or `{ kind = "hosts", hosts = { "ssh://user@host[:port][/root]", ... }, identity = "KEY FILE" }` (machines you have)
-- - `layers = { NAME = { ... } }`: `count` (1), `instance_type`, `image`, `volumes = { NAME = { size_gb,
--   mount } }`, `elastic_ip`, `services = { NAME = { command, port, health } }`, `apps = { APP, ... }`,
--   `attributes`, `on = { HOOK = fn }`, `heal = true` or `{ after = "3s" }`, `heartbeat = "2s"` (a remote
--   agent's interval on EC2 and hosts, 1 to 60 s, 5 s by default), and `autoscale = { metric,
--   stat, up = { above, sustain, add }, down = { below, sustain, remove }, min, max, cooldown, schedule
--   = { { days, from, to, count } } }` (see "autoscale")
-- - `firewall = { LAYER = { { port, protocol, from = CIDR or LAYER } } }`
-- - `users = { NAME = { role = "deny" | "show" | "deploy" | "manage", ssh_key, sudo } }`
-- - `apps = { NAME = { source, ref, start, port, health } }` (also `sha256`, `build`, `env`, `keep`,
--   `health_timeout`, `build_timeout`, and `max_size`, what a release may unpack to: `"500MB"`, 1 GB by default)
-- - `attributes`: a table hooks read, under each layer's own
-- - `backups = { LAYER = { every = "1h", keep = 24 } }` (see "backup")
-- @name cluster "NAME" { SPEC }
-- @param name the cluster's name: lower-case letters, digits and `-`
-- @param spec the declaration
-- @return the cluster
-- @usage
-- local c = cluster "shop" {
--   layers = { web = { count = 3, heal = true, apps = { "shop" } } },
--   apps = { shop = { source = "git+file:app", start = "python3 server.py", port = 8000, health = "/health" } },
--   backups = { web = { every = "1h", keep = 24 } },
-- }
local function declare(name)
  return function(spec)
    if core.capture then
      core.capture.specs[name] = spec
      return setmetatable({ name = name }, Cluster)
    end
    prim.cluster_declare(name, with_hooks(spec))
    watch_with_cookbooks(name, spec)
    core.declared(name)
    return setmetatable({ name = name }, Cluster)
  end
end

local cluster = setmetatable({}, { __call = function(_, name) return declare(name) end })

---
-- Whether a cluster is on record (or has instances).
-- @param name the cluster's name
-- @return true or false
-- @usage
-- if cluster.exists("shop-staging") then error("already cloned", 0) end
function cluster.exists(name)
  core.flush()
  return prim.cluster_exists(name)
end

---
-- A cluster on record, to read and change.
-- @param name the cluster's name
-- @return the cluster; an error when there is none
-- @usage
-- local c = cluster.get("shop")
function cluster.get(name)
  if not cluster.exists(name) then prim.raise("no cluster named " .. tostring(name)) end
  return setmetatable({ name = name }, Cluster)
end

---
-- Declares a cluster from a table such as `c:spec()` returns (its `name` names it).
-- @param spec the declaration, with `name`
-- @return the cluster
-- @usage
-- local spec = cluster.get("shop"):spec()
-- spec.name = "shop-copy"
-- cluster.declare(spec)
function cluster.declare(spec)
  if type(spec) ~= "table" or type(spec.name) ~= "string" then prim.raise("cluster.declare: the spec needs a name") end
  return declare(spec.name)(spec)
end

---
-- The live topology as a table in the shape `cluster "name" { ... }` takes: `provider`,
-- `layers` (each with its live `count`, `volumes`, `services`, `apps`, `attributes`, `heal`,
-- `autoscale`), `firewall`, `users`, `apps`, `attributes` and `backups`. Durations come back as
-- seconds. Hook functions are code in the declaring recipe and are not part of it.
-- @return the spec, with `name`
-- @usage
-- local spec = cluster.get("shop"):spec()
-- spec.name = "shop-staging"
-- cluster.declare(spec)
function Cluster:spec()
  core.flush()
  return prim.cluster_spec(self.name)
end

---
-- The cluster's instances, as their provider sees them.
-- @param layer_name optional: only this layer's
-- @return a list of instances
-- @usage
-- for _, i in ipairs(cluster.get("shop"):instances("web")) do print(i) end
function Cluster:instances(layer_name)
  return instance.list{ cluster = self.name, layer = layer_name }
end

---
-- One of the cluster's layers, with `:scale` and `:instances` (see "layer").
-- @param name the layer's name
-- @return the layer; an error when the cluster has no such layer
-- @usage
-- cluster.get("shop"):layer("web"):scale("+2")
function Cluster:layer(name)
  core.flush()
  return layer.of(self.name, name)
end

---
-- Converges the cluster to its recorded declaration: lost instances are replaced in their
-- slots, with their volumes and elastic IP.
-- @return a one-line summary of the plan applied
-- @usage
-- cluster.get(e.cluster):converge()
function Cluster:converge()
  core.flush()
  return prim.cluster_converge(self.name)
end

---
-- Sets a layer's count (as `c:layer(name):scale(count)` does).
-- @param layer_name the layer's name
-- @param count a number, or `"+N"` / `"-N"` from the recorded count
-- @return a one-line summary of the plan applied
-- @usage
-- cluster.get("shop"):scale("web", 5)
function Cluster:scale(layer_name, count)
  core.flush()
  return prim.cluster_scale(self.name, layer_name, count)
end

---
-- The recipe that last declared the cluster, as `recipe serve` hosts it for the cluster's hooks.
-- @return `{ file = PATH, arguments = { KEY = VALUE } }`, or nil when none is on record
-- @usage
-- local made = cluster.get("shop-staging"):recipe()
-- if made and made.file == recipe.file then log.info("declared by this recipe") end
function Cluster:recipe()
  return prim.cluster_recipe(self.name)
end

---
-- The lifecycle hooks of the recipe that last declared the cluster, for a copy of it to run
-- under its own name (Recipes/clone.lua gives them to the clone). That recipe's body runs again
-- here with its recorded arguments, its `recipe` and its own folder for `require`: what it
-- declares is only read, and every primitive that changes state is refused. Its timers,
-- thresholds and event hooks are left out: they name the clusters they act on.
-- @return `{ layers = { LAYER = { HOOK = fn } }, all = { HOOK = { fn, ... } } }`: each layer's
-- `on` table and the hooks registered with `on("setup", fn)`; empty when no recipe is on record
-- @usage
-- local hooks = cluster.get("shop"):hooks()
-- spec.layers.web.on = hooks.layers.web
function Cluster:hooks()
  local found = { layers = {}, all = {} }
  local made = self:recipe()
  if not made then return found end
  core.flush() -- what this recipe declared is applied before the other recipe's body runs
  local source = prim.recipe_source(made.file)
  local env = setmetatable({
    arg = made.arguments,
    recipe = { file = made.file, dir = source.dir },
    require = prim.requirer(function(name) return prim.require_in(source.dir, name) end),
  }, { __index = _ENV })
  local chunk, problem = load(source.text, source.chunkname, "t", env)
  if not chunk then prim.raise(("%s: its recipe does not load: %s"):format(self.name, problem)) end
  local outer, capture = core.capture, { specs = {}, all = {} }
  core.capture = capture
  local was_loading = prim.loading_for_hooks(true)
  local ok, err = pcall(chunk)
  core.capture = outer
  prim.loading_for_hooks(was_loading)
  if not ok then
    if prim.stopped() then error(err, 0) end
    prim.raise(("%s: its recipe %s failed while loaded for its hooks: %s"):format(self.name, source.display, tostring(err)))
  end
  local spec = capture.specs[self.name]
  for name, l in pairs(type(spec) == "table" and type(spec.layers) == "table" and spec.layers or {}) do
    if type(l) == "table" and type(l.on) == "table" then found.layers[name] = l.on end
  end
  found.all = capture.all
  return found
end

return { cluster = cluster, Cluster = Cluster }
