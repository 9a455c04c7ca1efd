---
-- Self-healing for the layers declared with `heal = true` (or `heal = { after = "3s" }`).
--
-- `recipe serve` reports an instance as failed (event `instance.failed`) when its agent is gone
-- or has missed its heartbeats for `after` (3 s: three heartbeats, by default). This hook
-- terminates it if it is still there (a hung agent), then converges the cluster to its recorded
-- declaration: the failed instance is replaced in its slot, with the same name and layer, its
-- volumes reattached and its elastic IP moved, and configure runs on every instance. It runs
-- alone per cluster (exclusive), so two heals never race.
--
-- The prelude calls `heal.watch` for every layer that declares heal; read it, copy it, or
-- register your own `on("instance.failed", fn)` beside it.
-- @module heal

local heal = {}

local watched = {} -- cluster name -> { layer name -> true }

local function replace(e)
  local layers = watched[e.cluster]
  if not (layers and e.layer and layers[e.layer]) then return end
  log.warn("%s: %s failed (%s); replacing it", e.cluster, e.subject, e.detail or "")
  -- an agent that hangs is still there: it goes first (its volumes stay, detached, for the slot)
  if e.instance and e.instance.id == (e.detail or ""):match("^(i%-%w+)") then e.instance:terminate() end
  local summary = cluster.get(e.cluster):converge()
  emit("heal.replaced", { cluster = e.cluster, subject = e.subject, detail = summary })
end

---
-- Replaces the layer's failed instances from now on (under `recipe serve`).
-- @param cluster_name the cluster's name
-- @param layer the layer's name
-- @usage
-- require("heal").watch("shop", "web")
function heal.watch(cluster_name, layer)
  if type(cluster_name) ~= "string" or type(layer) ~= "string" then
    error("heal.watch(CLUSTER, LAYER): expected two names, got " .. type(cluster_name) .. " and " .. type(layer), 2)
  end
  if next(watched) == nil then
    on("instance.failed", replace, { exclusive = true, budget = "120s", retry = { times = 3, backoff = "2s" } })
  end
  watched[cluster_name] = watched[cluster_name] or {}
  watched[cluster_name][layer] = true
end

return heal
