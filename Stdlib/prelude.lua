-- The recipe surface: cluster{}, instance, volume, snapshot, ip, run and log, as objects over
-- the primitives the runtime registers. Loaded as an internal chunk, so an error raised by a
-- primitive names the recipe line that called it, not a line of this file.
local prim = ...

local current_cluster -- the cluster the recipe declared last: the default for imperative calls

-- Declarations are applied when the recipe first needs the state (any other primitive) or
-- when it ends, so hooks registered with on() after a declaration still take part.
local pending = {}

local function flush()
  while #pending > 0 do
    prim.cluster_apply(table.remove(pending, 1))
  end
end

local function cluster_of(spec)
  local name = spec and spec.cluster or current_cluster
  if name == nil then
    error("no cluster given: pass cluster = NAME or declare one first with cluster \"NAME\" { ... }", 3)
  end
  return name
end

local function id_of(value)
  if type(value) == "table" then return value.id end
  return value
end

-- Each table of a primitive's list, given its methods.
local function all_as(list, wrap)
  for i, t in ipairs(list) do list[i] = wrap(t) end
  return list
end

local function class(name)
  local c = {}
  c.__index = c
  c.__name = name
  return c
end

-- Instances ------------------------------------------------------------------------------

local Instance = class("instance")

function Instance:__tostring()
  return string.format("%s (%s, %s)", self.name, self.id, self.private_ip)
end

local function as_instance(t) return setmetatable(t, Instance) end

function Instance:refresh()
  flush()
  for k, v in pairs(prim.instance_get(self.id)) do self[k] = v end
  return self
end

function Instance:stop() prim.instance_stop(self.id); return self:refresh() end
function Instance:start() prim.instance_start(self.id); return self:refresh() end

function Instance:terminate()
  prim.instance_terminate(self.id)
  self.state = "terminated"
  return self
end

function Instance:run(command, options) return run(self, command, options) end

-- An image of the instance's disks (an AMI on EC2); returns its id.
function Instance:image(name)
  flush()
  return prim.instance_image(self.id, self.cluster, name or (self.name .. "-" .. os.date("!%Y%m%d%H%M%S")))
end

instance = {}

function instance.launch(spec)
  flush()
  spec = spec or {}
  spec.cluster = cluster_of(spec)
  return as_instance(prim.instance_launch(spec))
end

function instance.list(filter)
  flush()
  return all_as(prim.instance_list(filter or {}), as_instance)
end

function instance.get(id)
  flush()
  return as_instance(prim.instance_get(id_of(id)))
end

-- Volumes and snapshots -----------------------------------------------------------------

local Volume = class("volume")
local Snapshot = class("snapshot")

local function as_volume(t) return setmetatable(t, Volume) end
local function as_snapshot(t) return setmetatable(t, Snapshot) end

function Volume:__tostring() return string.format("%s (%d GB)", self.id, self.size_gb) end

function Volume:attach(target, mount)
  prim.volume_attach(self.id, id_of(target), mount)
  self.instance_id, self.mount = id_of(target), mount
  return self
end

function Volume:detach()
  prim.volume_detach(self.id)
  self.instance_id, self.mount = nil, nil
  return self
end

function Volume:snapshot() return as_snapshot(prim.volume_snapshot(self.id, self.cluster)) end

function Snapshot:__tostring() return string.format("%s (of %s)", self.id, self.volume_id) end

-- A new volume holding the snapshot's files.
function Snapshot:restore(options) return as_volume(prim.snapshot_restore(self.id, options or {})) end

function Snapshot:delete() prim.snapshot_delete(self.id) end

-- Removes the volume for good (detached first); its snapshots stay.
function Volume:delete() prim.volume_delete(self.id) end

-- snapshot.list{ cluster = NAME }: oldest first.
snapshot = {}
function snapshot.list(filter)
  flush()
  return all_as(prim.snapshot_list(filter or {}), as_snapshot)
end

volume = {}

function volume.create(spec)
  flush()
  spec = spec or {}
  spec.cluster = cluster_of(spec)
  return as_volume(prim.volume_create(spec))
end

function volume.list(filter)
  flush()
  return all_as(prim.volume_list(filter or {}), as_volume)
end

-- Elastic addresses -----------------------------------------------------------------------

local Address = class("address")

function Address:__tostring() return self.ip end

function Address:associate(target)
  prim.ip_associate(self.ip, id_of(target))
  self.instance_id = id_of(target)
  return self
end

function Address:release()
  prim.ip_release(self.ip)
  self.instance_id = nil
end

ip = {}

function ip.allocate(spec)
  flush()
  spec = spec or {}
  return setmetatable(prim.ip_allocate(cluster_of(spec)), Address)
end

-- Commands and logs -------------------------------------------------------------------------

-- Runs a shell command in the instance's root folder; returns { code, stdout, stderr }.
function run(target, command, options)
  flush()
  return prim.run(id_of(target), command, options or {})
end

-- Rolls out an app: deploy{ cluster = "shop", app = "shop", ref = "v2", batch = "25%" }.
-- Returns { release, sha, instances }; a failed health check raises, naming the instance.
function deploy(spec)
  flush()
  spec = spec or {}
  spec.cluster = cluster_of(spec)
  return prim.deploy(spec)
end

-- Writes a file inside the instance: write(i, "/etc/app.conf", text) lands at $ROOT/etc/app.conf.
function write(target, path, contents)
  flush()
  prim.write(id_of(target), path, contents)
end

local function logger(level)
  return function(message, ...)
    if select("#", ...) > 0 then message = string.format(message, ...) end
    prim.log(level, tostring(message))
  end
end

log = { info = logger("info"), warn = logger("warn"), error = logger("error") }

-- Templates ---------------------------------------------------------------------------------

-- The value at a dotted path, looked up from the innermost section outwards; "." is the
-- current item of a list section.
local function lookup(stack, path)
  if path == "." then return stack[#stack] end
  for i = #stack, 1, -1 do
    local value = stack[i]
    for part in path:gmatch("[^.]+") do
      if type(value) ~= "table" then value = nil break end
      value = value[part]
    end
    if value ~= nil then return value end
  end
  return nil
end

local function render(text, stack)
  local out, pos = {}, 1
  while true do
    local s, e, sigil, name = text:find("{{%s*([#^/]?)%s*([%w_.]+)%s*}}", pos)
    if not s then
      out[#out + 1] = text:sub(pos)
      return table.concat(out)
    end
    out[#out + 1] = text:sub(pos, s - 1)
    if sigil == "" then
      local value = lookup(stack, name)
      out[#out + 1] = value == nil and "" or tostring(value)
      pos = e + 1
    elseif sigil == "/" then
      prim.raise(string.format("template: {{/%s}} closes no section", name))
    else
      -- the matching {{/name}}, counting nested sections of the same name
      local pattern = "{{%s*([#^/])%s*" .. name:gsub("%p", "%%%0") .. "%s*}}"
      local depth, search, close_start, close_end, close_sigil = 1, e + 1
      while depth > 0 do
        close_start, close_end, close_sigil = text:find(pattern, search)
        if not close_start then prim.raise(string.format("template: {{%s%s}} is never closed", sigil, name)) end
        depth = depth + (close_sigil == "/" and -1 or 1)
        search = close_end + 1
      end
      local inner = text:sub(e + 1, close_start - 1)
      local value = lookup(stack, name)
      local empty = value == nil or value == false or (type(value) == "table" and next(value) == nil)
      if sigil == "^" then
        if empty then out[#out + 1] = render(inner, stack) end
      elseif not empty then
        local items = (type(value) == "table" and value[1] ~= nil) and value or { value }
        for _, item in ipairs(items) do
          stack[#stack + 1] = item
          out[#out + 1] = render(inner, stack)
          stack[#stack] = nil
        end
      end
      pos = close_end + 1
    end
  end
end

-- Renders a configuration file: {{name}} and {{a.b}} are replaced by values, {{#list}}...{{/list}}
-- repeats for each item (with {{.}} the item itself), {{^x}}...{{/x}} shows when x is empty.
function template(text, vars)
  if type(text) ~= "string" then prim.raise("template: expected the template text as a string") end
  return render(text, { vars or {} })
end

-- Hooks ---------------------------------------------------------------------------------------

-- A view of a table that refuses writes: hooks read attributes, they do not change them.
local function readonly(t)
  if type(t) ~= "table" then return t end
  return setmetatable({}, {
    __index = function(_, key) return readonly(t[key]) end,
    __newindex = function(_, key) prim.raise("attributes are read-only (tried to set " .. tostring(key) .. ")") end,
    __pairs = function() return function(_, k) local nk, nv = next(t, k) return nk, readonly(nv) end, nil, nil end,
    __len = function() return #t end,
  })
end

-- What a hook function receives: the instance as an object, the attributes read-only.
local function hook(fn)
  if type(fn) ~= "function" then return fn end -- the primitive names the mistake
  return function(event)
    if type(event) == "table" then
      if event.instance then event.instance = as_instance(event.instance) end
      if event.target then event.target = as_instance(event.target) end
      event.attributes = readonly(event.attributes)
    end
    return fn(event)
  end
end

-- A copy of the declaration with its layers' hook functions wrapped (the recipe's own table is left as it is).
local function with_hooks(spec)
  if type(spec) ~= "table" or type(spec.layers) ~= "table" then return spec end
  local copy = {}
  for k, v in pairs(spec) do copy[k] = v end
  copy.layers = {}
  for name, layer in pairs(spec.layers) do
    if type(layer) == "table" and type(layer.on) == "table" then
      local l = {}
      for k, v in pairs(layer) do l[k] = v end
      l.on = {}
      for kind, fn in pairs(layer.on) do l.on[kind] = type(fn) == "function" and hook(fn) or fn end
      layer = l
    end
    copy.layers[name] = layer
  end
  return copy
end

-- on("setup", fn): a lifecycle hook for every layer of the clusters this recipe declares;
-- on("instance.failed", fn [, options]): an event hook, run by `recipe serve` for each event of
-- that kind ("deploy.*" for a family). Options: { budget = "10s", retry = { times = 3,
-- backoff = "2s" }, exclusive = true }.
function on(kind, fn, options)
  prim.on(kind, hook(fn), options)
end

-- Timers and thresholds, run by `recipe serve`: every("30s", fn), at("0 3 * * *", fn, { tz = "Europe/Paris" }),
-- when{ cluster = "shop", layer = "web", metric = "cpu", stat = "avg", above = 70, sustain = "1m", cooldown = "2m" }(fn).
function every(interval, fn, options) prim.every(interval, hook(fn), options) end
function at(cron, fn, options) prim.at(cron, hook(fn), options) end
function when(spec)
  return function(fn, options) prim.when(spec, hook(fn), options) end
end

-- An event of the recipe's own, for hooks and alerts: emit("backup.done", { cluster = "shop", detail = "..." }).
function emit(kind, fields)
  flush()
  return prim.emit(kind, fields)
end

-- alert{ on = { "instance.failed", "deploy.failed" }, webhook = URL [, retry = { times = 5, backoff = "2s" }] }:
-- each event of those kinds is POSTed as JSON to the webhook by `recipe serve`, retried on failure;
-- alert.sent and alert.failed appear in `recipe events` (with the webhook's host only).
function alert(spec)
  if type(spec) ~= "table" or type(spec.webhook) ~= "string" or type(spec.on) ~= "table" then
    prim.raise("alert{ on = { KIND, ... }, webhook = URL [, retry = { times = N, backoff = \"2s\" }] }")
  end
  local options = { retry = spec.retry or { times = 5, backoff = "2s" }, budget = "30s" }
  for _, kind in ipairs(spec.on) do
    prim.on(kind, function(e)
      prim.webhook_post(spec.webhook, {
        kind = e.kind, cluster = e.cluster, subject = e.subject, detail = e.detail, result = e.result,
        time = e.time, id = e.id, layer = e.layer, instance = e.instance and e.instance.name or nil,
      }, e.cluster)
    end, options)
  end
end

-- A metric sample for an instance: metric.put(i, "requests", 120).
metric = {}
function metric.put(target, name, value)
  flush()
  prim.metric_put(id_of(target), name, value)
end

-- Clusters ----------------------------------------------------------------------------------

local Cluster = class("cluster")

function Cluster:__tostring() return "cluster " .. self.name end

-- The live topology as a table in the shape cluster{} takes: layers (with live counts),
-- firewall, users, apps, attributes. Hook functions are not part of it.
function Cluster:spec()
  flush()
  return prim.cluster_spec(self.name)
end

function Cluster:instances(layer) return instance.list{ cluster = self.name, layer = layer } end

-- Converges the cluster to its recorded declaration: lost instances are replaced in their slots.
function Cluster:converge()
  flush()
  return prim.cluster_converge(self.name)
end

-- Sets a layer's count: 5, "+2" or "-1"; leavers go through their shutdown hooks, highest slot first.
function Cluster:scale(layer, count)
  flush()
  return prim.cluster_scale(self.name, layer, count)
end

-- The recipe that last declared the cluster: { file = PATH, arguments = { KEY = VALUE } }, or nil.
function Cluster:recipe() return prim.cluster_recipe(self.name) end

-- Layers that declare heal or autoscale, and clusters that declare backups, get the Stdlib
-- cookbook of that name (Stdlib/heal.lua, autoscale.lua, backup.lua): plain Lua hooks on events,
-- timers and thresholds, run by `recipe serve`. Their settings are fields of the declaration,
-- checked and recorded with it; the cookbooks are called once it is in (their thresholds name
-- its layers).
local function watch_with_cookbooks(name, spec)
  for layer_name, layer in pairs(spec.layers or {}) do
    if layer.heal then require("heal").watch(name, layer_name) end
    if layer.autoscale then require("autoscale").watch(name, layer_name, layer.autoscale) end
  end
  for layer_name, options in pairs(spec.backups or {}) do
    require("backup").watch(name, layer_name, options)
  end
end

-- cluster "name" { layers = { ... } } declares a cluster; it is converged to exactly that
-- when the recipe next touches the state, or when it ends.
cluster = setmetatable({}, {
  __call = function(_, name)
    return function(spec)
      prim.cluster_declare(name, with_hooks(spec))
      watch_with_cookbooks(name, spec)
      local queued = false
      for _, n in ipairs(pending) do queued = queued or n == name end
      if not queued then pending[#pending + 1] = name end
      current_cluster = name
      return setmetatable({ name = name }, Cluster)
    end
  end,
})

function cluster.exists(name)
  flush()
  return prim.cluster_exists(name)
end

function cluster.get(name)
  if not cluster.exists(name) then prim.raise("no cluster named " .. tostring(name)) end
  return setmetatable({ name = name }, Cluster)
end

-- Declares a cluster from a table such as cluster.get(name):spec() returns.
function cluster.declare(spec)
  if type(spec) ~= "table" or type(spec.name) ~= "string" then prim.raise("cluster.declare: the spec needs a name") end
  return cluster(spec.name)(spec)
end

-- The runtime calls this with the recipe's main chunk: run it, then apply what it declared.
return function(chunk, ...)
  chunk(...)
  flush()
end
