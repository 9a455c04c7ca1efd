---
-- Layers of a cluster on record, from `c:layer(name)`: the layer's fields as `c:spec()` gives
-- them (`count` is its live number of instances), plus `name` and `cluster`. A method that
-- changes a layer returns it, refreshed.
-- @module layer
local prim, use = ...
local core = use "core"
local instance = use("instance").instance

local Layer = core.class("layer")

function Layer:__tostring() return string.format("layer %s of %s (%d instances)", self.name, self.cluster, self.count) end

---
-- Reads the layer again: its recorded declaration and live count.
-- @return the layer, its fields up to date
-- @usage
-- print(web:refresh().count)
function Layer:refresh()
  core.flush()
  local spec = prim.cluster_spec(self.cluster)
  local fresh = spec.layers[self.name]
  if fresh == nil then
    local names = {}
    for name in pairs(spec.layers) do names[#names + 1] = name end
    table.sort(names)
    prim.raise(string.format("cluster %s has no layer '%s' (layers: %s)", self.cluster, self.name, table.concat(names, ", ")))
  end
  fresh.name, fresh.cluster = self.name, self.cluster
  return core.refill(self, fresh)
end

---
-- The layer's instances, as their provider sees them.
-- @return a list of instances
-- @usage
-- for _, i in ipairs(c:layer("web"):instances()) do run(i, "uptime") end
function Layer:instances()
  return instance.list{ cluster = self.cluster, layer = self.name }
end

---
-- Sets the layer's count and converges the cluster: newcomers go through setup and deploy,
-- leavers (highest slots first) through their shutdown hooks, then configure runs everywhere.
-- @param count a number, or `"+N"` / `"-N"` from the recorded count (never below zero)
-- @return the layer, refreshed
-- @usage
-- cluster.get("shop"):layer("web"):scale("+2")
function Layer:scale(count)
  core.flush()
  prim.cluster_scale(self.cluster, self.name, count)
  return self:refresh()
end

-- The layer `name` of cluster `cluster_name`, read from the record (an error when it has none).
local function of(cluster_name, name)
  return setmetatable({ cluster = cluster_name, name = name }, Layer):refresh()
end

return { Layer = Layer, of = of }
