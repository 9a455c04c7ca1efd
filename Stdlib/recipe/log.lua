---
-- Output: what a recipe logs goes to the terminal of `recipe run`, and under `recipe serve` to
-- its output and the event log (`hook.log`); what a hook logs is also kept as that run's log
-- (`recipe logs`).
-- @module log
local prim = ...

local log = {}

local function logger(level)
  return function(message, ...)
    if select("#", ...) > 0 then message = string.format(message, ...) end
    prim.log(level, tostring(message))
  end
end

---
-- Logs a line at level info.
-- @param message the text, or a `string.format` pattern
-- @param ... the pattern's values
-- @usage
-- log.info("%s: %d instances online", c.name, n)
-- @name log.info
log.info = logger("info")

---
-- Logs a line at level warn.
-- @param message the text, or a `string.format` pattern
-- @param ... the pattern's values
-- @usage
-- log.warn("lost %s", e.instance.name)
-- @name log.warn
log.warn = logger("warn")

---
-- Logs a line at level error.
-- @param message the text, or a `string.format` pattern
-- @param ... the pattern's values
-- @usage
-- log.error("backup of %s failed: %s", layer, err)
-- @name log.error
log.error = logger("error")

return log
