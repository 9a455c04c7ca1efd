---
-- Hooks and what feeds them. Lifecycle hooks run during `recipe run` (and any command that
-- changes instances); event hooks, timers and thresholds run under `recipe serve`, which hosts
-- the recipe of every cluster on record. Each hook gets the event described in "hook events".
-- @module hooks
local prim, use = ...
local core = use "core"
local event = use "event"

---
-- Registers a hook. A lifecycle kind (`setup`, `configure`, `deploy`, `undeploy`, `shutdown`,
-- `drain`, `ready`) runs for every layer of the clusters this recipe declares, after the
-- layer's own `on = { ... }` hook. A dotted kind runs under `recipe serve` for each event of
-- that kind in the event log; `deploy.*` matches a family.
-- @param kind the lifecycle hook or the event kind
-- @param fn the hook, called with the event
-- @param options for event hooks, optional `{ budget = "10s", retry = { times = 3, backoff = "2s" },
-- exclusive = true }`: its time limit, its retries (the backoff doubles each time), and whether it
-- runs alone in its cluster
-- @usage
-- on("setup", function(e) run(e.instance, "mkdir -p srv/data") end)
-- on("instance.failed", function(e) log.warn("lost %s", e.subject) end, { retry = { times = 3 } })
local function on(kind, fn, options)
  local capture = core.capture
  if capture then
    -- another recipe loaded for its lifecycle hooks: its event hooks name their own clusters
    if type(kind) == "string" and not kind:find(".", 1, true) then
      capture.all[kind] = capture.all[kind] or {}
      table.insert(capture.all[kind], fn)
    end
    return
  end
  prim.on(kind, event.hook(fn), options)
end

---
-- Runs a hook every interval under `recipe serve`, from a start spread over the first interval;
-- a run missed while the scheduler was down runs once when it is back.
-- @param interval a duration such as `"30s"`, `"5m"`, `"1h"`, or seconds
-- @param fn the hook, called with the event (kind `timer`)
-- @param options optional `{ budget, retry, exclusive }` as for `on`
-- @usage
-- every("1h", function() emit("report.hourly", { cluster = "shop" }) end)
local function every(interval, fn, options)
  if core.capture then return end
  prim.every(interval, event.hook(fn), options)
end

---
-- Runs a hook at the times of a cron expression under `recipe serve`.
-- @param cron five fields: minute, hour, day of month, month, day of week
-- @param fn the hook, called with the event (kind `timer`)
-- @param options optional `{ tz = "Europe/Paris", budget, retry, exclusive }`; UTC by default
-- @usage
-- at("0 3 * * *", function() snapshot_everything() end, { tz = "Europe/Paris" })
local function at(cron, fn, options)
  if core.capture then return end
  prim.at(cron, event.hook(fn), options)
end

---
-- A threshold on a layer's metric, checked every second under `recipe serve`: when the stat of
-- the layer's samples stays past it for `sustain`, an `alarm.fired` event is recorded and the
-- hook runs; then the alarm is quiet for `cooldown`.
-- @param spec `{ cluster = NAME, layer = NAME, metric = NAME, above = N or below = N [, stat =
-- "avg" | "max" | "min" | "p95", sustain = "1m", cooldown = "1m"] }`; metrics are the agents'
-- `cpu`, `memory`, `memory_percent` and `load`, and whatever `metric.put` pushes
-- @return a function taking the hook (and optional `{ budget, retry, exclusive }`)
-- @usage
-- when{ cluster = "shop", layer = "web", metric = "cpu", above = 70, sustain = "1m" }(function(alarm)
--   cluster.get("shop"):layer("web"):scale("+2")
-- end)
local function when(spec)
  return function(fn, options)
    if core.capture then return end
    prim.when(spec, event.hook(fn), options)
  end
end

---
-- Records an event of the recipe's own, for hooks and alerts.
-- @param kind a dotted kind such as `backup.done`
-- @param fields optional `{ cluster = NAME, subject = TEXT, detail = TEXT }`
-- @return the event's id; under `recipe serve`, nil and why when the event is refused: a hook
-- run on an event a hook emitted (and so on) deeper than `--max-hook-depth` (8) is recorded as
-- `hook.loop` instead, and a cluster's hooks emitting over `--emit-rate` (200 a second) are
-- dropped and counted in one `hook.throttled` a second. The event records its cause (the hook
-- run and that run's event) as `causeRun`, `causeEvent` and `depth` (`recipe events --json`).
-- @usage
-- emit("backup.done", { cluster = "shop", subject = "db", detail = "2 volumes" })
local function emit(kind, fields)
  core.flush()
  return prim.emit(kind, fields)
end

---
-- Sends events to a webhook: under `recipe serve` each event of the given kinds is POSTed as
-- JSON (`kind, cluster, subject, detail, result, time, id, layer, instance`), retried on failure.
-- `alert.sent` and `alert.failed` appear in the event log, naming the webhook's host only.
-- @param spec `{ on = { KIND, ... }, webhook = URL [, retry = { times = 5, backoff = "2s" }] }`
-- @usage
-- alert{ on = { "instance.failed", "deploy.failed" }, webhook = "https://hooks.example.org/T0K3N" }
local function alert(spec)
  core.refuse_unknown(spec, { "on", "webhook", "retry" }, "alert")
  core.refuse_unknown(type(spec) == "table" and spec.retry or nil, { "times", "backoff" }, "alert: retry")
  if type(spec) ~= "table" or type(spec.webhook) ~= "string" or type(spec.on) ~= "table" then
    prim.raise("alert{ on = { KIND, ... }, webhook = URL [, retry = { times = N, backoff = \"2s\" }] }")
  end
  local options = { retry = spec.retry or { times = 5, backoff = "2s" }, budget = "30s" }
  for _, kind in ipairs(spec.on) do
    on(kind, function(e)
      prim.webhook_post(spec.webhook, {
        kind = e.kind, cluster = e.cluster, subject = e.subject, detail = e.detail, result = e.result,
        time = e.time, id = e.id, layer = e.layer, instance = e.instance and e.instance.name or nil,
      }, e.cluster)
    end, options)
  end
end

local metric = {}

---
-- Pushes a metric sample for an instance, for `when` thresholds and `recipe metrics`.
-- @param target an instance, its id, or its name (`web-1`, in the cluster declared last)
-- @param name the metric's name
-- @param value a number
-- @usage
-- metric.put(i, "requests", 120)
function metric.put(target, name, value)
  core.flush()
  local id, cluster = core.target(target)
  prim.metric_put(id, name, value, cluster)
end

return { on = on, every = every, at = at, when = when, emit = emit, alert = alert, metric = metric }
