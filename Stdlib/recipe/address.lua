---
-- Elastic addresses: an address that moves between instances. On the local provider the holding
-- instance's agent forwards its traffic; on EC2 it is an Elastic IP.
--
-- An address is a table with `ip`, `cluster` and `instance_id` (while associated). A method that
-- changes an address returns it, refreshed from its provider.
-- @module ip
local prim, use = ...
local core = use "core"

local Address = core.class("address")

function Address:__tostring() return self.ip end

local ip = {}

---
-- Reads the address again from its provider.
-- @return the address, its fields up to date
-- @usage
-- print(a:refresh().instance_id)
function Address:refresh()
  core.flush()
  for _, fresh in ipairs(prim.ip_list{ cluster = self.cluster }) do
    if fresh.ip == self.ip then return core.refill(self, fresh) end
  end
  prim.raise("address " .. tostring(self.ip) .. " is not allocated")
end

---
-- Moves the address to an instance; configure then runs on every online instance of the
-- cluster, so balancers follow it.
-- @param target an instance, its id, or its name (`web-1`, in the cluster declared last)
-- @return the address, refreshed
-- @usage
-- ip.allocate():associate(i)
function Address:associate(target)
  prim.ip_associate(self.ip, core.target(target))
  return self:refresh()
end

---
-- Releases the address.
-- @usage
-- a:release()
function Address:release()
  prim.ip_release(self.ip)
  self.instance_id = nil
end

---
-- Allocates an address, associated with nothing.
-- @param spec optional `{ cluster = NAME }`; the cluster declared last by default
-- @return the address
-- @usage
-- local a = ip.allocate{ cluster = "shop" }
function ip.allocate(spec)
  core.flush()
  return setmetatable(prim.ip_allocate(core.cluster_of(spec or {})), Address)
end

---
-- Lists a cluster's addresses as its provider sees them.
-- @param filter `{ cluster = NAME }`; the cluster declared last by default
-- @return a list of addresses
-- @usage
-- for _, a in ipairs(ip.list{ cluster = "shop" }) do print(a, a.instance_id) end
function ip.list(filter)
  core.flush()
  return core.all_as(prim.ip_list{ cluster = core.cluster_of(filter or {}) }, Address)
end

return { ip = ip, Address = Address }
