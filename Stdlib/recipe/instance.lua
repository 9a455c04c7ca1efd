---
-- Instances: launch, list and look them up, and work on them.
--
-- An instance is a table with `id`, `name` (its slot, such as `web-2`), `cluster`, `layer`,
-- `state` (pending, running, online, setup_failed, stopping, stopped, terminated), `private_ip`, `public_ip` and `agent_pid`,
-- and the methods below. Hooks get instances too, as `e.instance` and `e.target`. A method that
-- changes an instance returns it, refreshed from its provider.
-- @module instance
local prim, use = ...
local core = use "core"
local command = use "command"

local Instance = core.class("instance")

function Instance:__tostring()
  return string.format("%s (%s, %s)", self.name, self.id, self.private_ip)
end

local instance = {}

---
-- Reads the instance again from its provider.
-- @return the instance, its fields up to date
-- @usage
-- if i:refresh().state ~= "online" then log.warn("%s is %s", i.name, i.state) end
function Instance:refresh()
  core.flush()
  return core.refill(self, prim.instance_get(self.id))
end

---
-- Stops the instance: its layer's shutdown hook runs (and drain on its balancers), then its
-- services get SIGTERM and, after a grace period, SIGKILL. Its volumes stay attached.
-- @return the instance, refreshed
-- @usage
-- i:stop()
function Instance:stop()
  prim.instance_stop(self.id)
  return self:refresh()
end

---
-- Starts a stopped instance again.
-- @return the instance, refreshed
-- @usage
-- i:start()
function Instance:start()
  prim.instance_start(self.id)
  return self:refresh()
end

---
-- Terminates the instance for good, after its shutdown hook. Its volumes are detached and stay.
-- @return the instance, its state "terminated" (there is nothing left to refresh it from)
-- @usage
-- i:terminate()
function Instance:terminate()
  prim.instance_terminate(self.id)
  self.state = "terminated"
  return self
end

---
-- Runs a shell command in the instance, through its agent (see `run`).
-- @param cmd the command, run by `sh -c` in the instance's root folder
-- @param options optional `{ timeout = SECONDS [, internal = true] }`, as for `run`
-- @return `{ code, stdout, stderr }`
-- @usage
-- local r = i:run("test -f srv/data/ready")
function Instance:run(cmd, options)
  return command.run(self, cmd, options)
end

---
-- Makes an image of the instance's disks (an AMI on EC2) to launch others from.
-- @param name optional name of the image; the instance's name and the time by default
-- @return the image's id
-- @usage
-- local ami = i:image("web-golden")
function Instance:image(name)
  core.flush()
  return prim.instance_image(self.id, self.cluster, name or (self.name .. "-" .. os.date("!%Y%m%d%H%M%S")))
end

---
-- Launches an instance outside the layers' counts: it takes the layer's next free slot unless
-- named. Its agent starts and its services run once it is online.
-- @param spec `{ layer = NAME [, cluster = NAME, name = SLOT, services = { NAME = { command, port } },
-- image = ID, instance_type = TYPE] }`; the cluster defaults to the one declared last
-- @return the instance
-- @usage
-- local worker = instance.launch{ layer = "worker", services = { job = { command = "./job.sh" } } }
function instance.launch(spec)
  core.flush()
  spec = spec or {}
  spec.cluster = core.cluster_of(spec)
  return setmetatable(prim.instance_launch(spec), Instance)
end

---
-- Lists instances as their provider sees them.
-- @param filter optional `{ cluster = NAME, layer = NAME }`
-- @return a list of instances
-- @usage
-- for _, i in ipairs(instance.list{ cluster = "shop", layer = "web" }) do print(i) end
function instance.list(filter)
  core.flush()
  return core.all_as(prim.instance_list(filter or {}), Instance)
end

---
-- Looks an instance up by id or name.
-- @param id the instance's id, its name (`web-1`, in the cluster declared last), or an instance
-- @return the instance
-- @usage
-- local i = instance.get("i-1a2b3c4d")
function instance.get(id)
  core.flush()
  return setmetatable(prim.instance_get(core.target(id)), Instance)
end

return { instance = instance, Instance = Instance }
