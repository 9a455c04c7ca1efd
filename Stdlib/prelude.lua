-- The recipe surface: cluster{}, instance, volume, snapshot, ip, run and log, as objects over
-- the primitives the runtime registers. Loaded as an internal chunk, so an error raised by a
-- primitive names the recipe line that called it, not a line of this file.
local prim = ...

local current_cluster -- the cluster the recipe declared last: the default for imperative calls

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

instance = {}

function instance.launch(spec)
  spec = spec or {}
  spec.cluster = cluster_of(spec)
  return as_instance(prim.instance_launch(spec))
end

function instance.list(filter)
  local list = {}
  for i, t in ipairs(prim.instance_list(filter or {})) do list[i] = as_instance(t) end
  return list
end

function instance.get(id) return as_instance(prim.instance_get(id_of(id))) end

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

function Volume:snapshot() return as_snapshot(prim.volume_snapshot(self.id)) end

function Snapshot:__tostring() return string.format("%s (of %s)", self.id, self.volume_id) end

-- A new volume holding the snapshot's files.
function Snapshot:restore(options) return as_volume(prim.snapshot_restore(self.id, options or {})) end

volume = {}

function volume.create(spec)
  spec = spec or {}
  spec.cluster = cluster_of(spec)
  return as_volume(prim.volume_create(spec))
end

function volume.list(filter)
  local list = {}
  for i, t in ipairs(prim.volume_list(filter or {})) do list[i] = as_volume(t) end
  return list
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
  spec = spec or {}
  return setmetatable(prim.ip_allocate(cluster_of(spec)), Address)
end

-- Commands and logs -------------------------------------------------------------------------

-- Runs a shell command in the instance's root folder; returns { code, stdout, stderr }.
function run(target, command, options)
  return prim.run(id_of(target), command, options or {})
end

local function logger(level)
  return function(message, ...)
    if select("#", ...) > 0 then message = string.format(message, ...) end
    prim.log(level, tostring(message))
  end
end

log = { info = logger("info"), warn = logger("warn"), error = logger("error") }

-- Clusters ----------------------------------------------------------------------------------

-- cluster "name" { layers = { ... } } declares a cluster and converges it to the declaration.
cluster = setmetatable({}, {
  __call = function(_, name)
    return function(spec)
      local result = prim.cluster_apply(name, spec)
      current_cluster = name
      for i, t in ipairs(result.instances) do result.instances[i] = as_instance(t) end
      return result
    end
  end,
})
