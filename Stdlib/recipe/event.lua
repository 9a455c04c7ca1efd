---
-- The event every hook receives, whatever runs it: a layer's lifecycle hooks (`on = { setup =
-- fn }`) and `on("setup", fn)`, event hooks (`on("instance.failed", fn)`), timers (`every`,
-- `at`) and thresholds (`when`). It is one table of the fields below; a field that does not
-- apply to the hook is nil.
-- @field kind the lifecycle hook (`setup`, `configure`, `deploy`, `undeploy`, `shutdown`, `drain`, `ready`), the event's kind (`instance.failed`, `alarm.fired`, ...) or `timer`
-- @field cluster the cluster's name
-- @field layer the layer's name: the hook's instance's, the failed instance's, the alarm's
-- @field instance the instance the hook runs on (lifecycle) or the event names, with its methods
-- @field target the instance a `drain` or `ready` hook is about (the hook runs on its balancer)
-- @field reason why a lifecycle hook runs: `launched`, `membership`, `terminating`, ...
-- @field app the app a `deploy` or `undeploy` hook is about
-- @field attributes the cluster's, then the layer's, then the run's `KEY=VALUE` attributes, each over the last; read-only
-- @field subject what the event is about, by name (an instance; the layer for `alarm.fired`)
-- @field detail the event's detail (for `alarm.fired`: the value and the threshold)
-- @field attempt under `recipe serve`: 1, then 2, 3, ... for retries
-- @field due under `recipe serve`: when the run was due (seconds since the epoch)
-- @field id the event's id in the event log, for hooks run on a recorded event (as `time`, `actor`, `result`)
-- @field time when the event was recorded (seconds since the epoch)
-- @field actor who recorded it: `owner` (the local CLI), `scheduler`, `recipe`, `agent:ID`, `user:NAME`, `token:NAME…LAST4`
-- @field result `ok`, or `failed: ...`
-- @module hook events
local prim, use = ...
local Instance = use("instance").Instance

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

-- The table a producer built (Sources/RecipeRuntime/LuaHookEvent.swift), as hooks see it.
local function of(raw)
  if type(raw) ~= "table" then return raw end
  if raw.instance then setmetatable(raw.instance, Instance) end
  if raw.target then setmetatable(raw.target, Instance) end
  raw.attributes = readonly(raw.attributes)
  return raw
end

-- A hook function, given the event as hooks see it. Anything else is left for the primitive
-- to refuse, naming the recipe line.
local function hook(fn)
  if type(fn) ~= "function" then return fn end
  return function(raw) return fn(of(raw)) end
end

return { of = of, hook = hook }
