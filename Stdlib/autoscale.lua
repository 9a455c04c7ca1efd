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
-- exclusive per cluster and followed by `cooldown`, so two steps never race.

local autoscale = {}

local DAYS = { sun = 0, mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6 }

local function count_of(cluster_name, layer)
  return #cluster.get(cluster_name):instances(layer)
end

local function step(cluster_name, layer, options, delta)
  local current = count_of(cluster_name, layer)
  local target = math.max(options.min or 0, math.min(options.max or math.huge, current + delta))
  if target == current then return end
  log.info("%s/%s: scaling %d -> %d (%s)", cluster_name, layer, current, target, options.metric)
  cluster.get(cluster_name):scale(layer, target)
  emit("autoscale.scaled", { cluster = cluster_name, subject = layer, detail = current .. " -> " .. target })
end

-- "mon-fri" or "sat,sun" -> set of weekday numbers (0 = Sunday)
local function parse_days(text)
  local days = {}
  for part in (text or "sun-sat"):gmatch("[^,]+") do
    local a, b = part:match("^(%a+)-(%a+)$")
    if a then
      local i, j = DAYS[a], DAYS[b]
      assert(i and j, "autoscale.schedule: bad days '" .. text .. "'")
      while true do days[i] = true; if i == j then break end; i = (i + 1) % 7 end
    else
      assert(DAYS[part], "autoscale.schedule: bad day '" .. part .. "'")
      days[DAYS[part]] = true
    end
  end
  return days
end

local function minutes(hhmm)
  local h, m = hhmm:match("^(%d%d?):(%d%d)$")
  assert(h, "autoscale.schedule: time '" .. tostring(hhmm) .. "' is not HH:MM")
  return tonumber(h) * 60 + tonumber(m)
end

function autoscale.watch(cluster_name, layer, options)
  assert(type(options) == "table" and type(options.metric) == "string", "autoscale needs metric = NAME")
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
  for _, window in ipairs(options.schedule or {}) do
    local days, from, to = parse_days(window.days), minutes(window.from), minutes(window.to)
    every("1m", function()
      local now = os.date("!*t")
      local minute = now.hour * 60 + now.min
      if days[now.wday - 1] and minute >= from and minute < to and count_of(cluster_name, layer) ~= window.count then
        cluster.get(cluster_name):scale(layer, window.count)
      end
    end, exclusive)
  end
end

return autoscale
