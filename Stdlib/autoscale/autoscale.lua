---
-- Auto scaling for the layers declared with
--
--   autoscale = { metric = "cpu", stat = "avg",
--                 up   = { above = 70, sustain = "1m", add = 2 },
--                 down = { below = 20, sustain = "5m", remove = 1 },
--                 min = 2, max = 10, cooldown = "2m",
--                 schedule = { { days = "mon-fri", from = "08:00", to = "20:00", count = 6 } } }
--
-- Thresholds are `when` alarms on the layer's metric (samples from every instance of the layer);
-- a step changes the layer's count within [min, max] and converges the cluster: newcomers go
-- through setup and deploy, leavers (highest slots first) through their shutdown hooks. A
-- schedule sets the count during its window (UTC), checked every minute. Every change is
-- exclusive per cluster and followed by `cooldown`, so two steps never race. The cluster's
-- declaration checks the settings; the prelude then calls `autoscale.watch` for the layer.
-- @module autoscale

local autoscale = {}

local DAYS = { sun = 0, mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6 }
local KNOWN = { metric = true, stat = true, up = true, down = true, min = true, max = true, cooldown = true,
                schedule = true }

local function count_of(cluster_name, layer)
  return #cluster.get(cluster_name):instances(layer)
end

local function step(cluster_name, layer, options, delta)
  local current = count_of(cluster_name, layer)
  local target = math.max(options.min or 0, math.min(options.max or math.huge, current + delta))
  if target == current then return end
  log.info("%s/%s: scaling %d -> %d (%s)", cluster_name, layer, current, target, options.metric)
  cluster.get(cluster_name):layer(layer):scale(target)
  emit("autoscale.scaled", { cluster = cluster_name, subject = layer, detail = current .. " -> " .. target })
end

-- "mon-fri" or "sat,sun" -> set of weekday numbers (0 = Sunday); nil and a message when bad.
local function parse_days(text)
  local days = {}
  for part in (text or "sun-sat"):gmatch("[^,]+") do
    local a, b = part:match("^(%a+)-(%a+)$")
    if a then
      local i, j = DAYS[a], DAYS[b]
      if not (i and j) then return nil, "autoscale.schedule: bad days '" .. text .. "'" end
      while true do days[i] = true; if i == j then break end; i = (i + 1) % 7 end
    elseif DAYS[part] then
      days[DAYS[part]] = true
    else
      return nil, "autoscale.schedule: bad day '" .. part .. "'"
    end
  end
  return days
end

-- "HH:MM" -> minutes since midnight; nil and a message when bad.
local function minutes(hhmm)
  local h, m = tostring(hhmm):match("^(%d%d?):(%d%d)$")
  if not h then return nil, "autoscale.schedule: time '" .. tostring(hhmm) .. "' is not HH:MM" end
  return tonumber(h) * 60 + tonumber(m)
end

-- The schedule's windows as { days, from, to, count }; nil and a message when one is bad.
local function windows(schedule)
  local list = {}
  for _, window in ipairs(schedule or {}) do
    local days, why = parse_days(window.days)
    local from, why_from = minutes(window.from)
    local to, why_to = minutes(window.to)
    if not (days and from and to) then return nil, why or why_from or why_to end
    list[#list + 1] = { days = days, from = from, to = to, count = window.count }
  end
  return list
end

-- What is wrong with the options (besides the schedule), or nil.
local function problem(options)
  if type(options) ~= "table" or type(options.metric) ~= "string" then
    return "autoscale needs a table with metric = NAME"
  end
  for key in pairs(options) do
    if not KNOWN[key] then
      return "autoscale: unknown field '" .. tostring(key) .. "' (known: cooldown, down, max, metric, min, schedule, stat, up)"
    end
  end
  if options.up and type(options.up.above) ~= "number" then return "autoscale: up.above must be a number" end
  if options.down and type(options.down.below) ~= "number" then return "autoscale: down.below must be a number" end
  for _, bound in ipairs { "min", "max" } do
    local n = options[bound]
    if n ~= nil and (math.type(n) ~= "integer" or n < 0) then return "autoscale: " .. bound .. " must be a whole number, 0 or more" end
  end
  if options.min and options.max and options.min > options.max then
    return "autoscale: min (" .. options.min .. ") is above max (" .. options.max .. ")"
  end
end

---
-- Scales the layer on its metric and schedule from now on (under `recipe serve`).
-- @param cluster_name the cluster's name
-- @param layer the layer's name
-- @param options the layer's `autoscale` settings (see above)
-- @usage
-- require("autoscale").watch("shop", "web", { metric = "cpu", up = { above = 70 }, max = 6 })
function autoscale.watch(cluster_name, layer, options)
  local wrong = problem(options)
  local schedule, bad_window = windows(type(options) == "table" and options.schedule or nil)
  if wrong or bad_window then error(wrong or bad_window, 2) end
  local exclusive = { exclusive = true, budget = "300s" }
  local common = { cluster = cluster_name, layer = layer, metric = options.metric, stat = options.stat or "avg",
                   cooldown = options.cooldown or "2m" }
  if options.up then
    local up = {}
    for k, v in pairs(common) do up[k] = v end
    up.above, up.sustain = options.up.above, options.up.sustain or "1m"
    when(up)(function() step(cluster_name, layer, options, options.up.add or 1) end, exclusive)
  end
  if options.down then
    local down = {}
    for k, v in pairs(common) do down[k] = v end
    down.below, down.sustain = options.down.below, options.down.sustain or "5m"
    when(down)(function() step(cluster_name, layer, options, -(options.down.remove or 1)) end, exclusive)
  end
  for _, window in ipairs(schedule) do
    every("1m", function()
      local now = os.date("!*t")
      local minute = now.hour * 60 + now.min
      if window.days[now.wday - 1] and minute >= window.from and minute < window.to
          and count_of(cluster_name, layer) ~= window.count then
        cluster.get(cluster_name):layer(layer):scale(window.count)
      end
    end, exclusive)
  end
end

return autoscale
