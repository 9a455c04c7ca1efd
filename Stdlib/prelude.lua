-- The recipe surface: the globals a recipe sees besides Lua's own, each from a small module of
-- Stdlib/recipe/ (docs/lua.md is their reference, made from their --- blocks by tools/luadoc.py).
--
-- The runtime runs this file as an internal chunk with the primitives it registered as `...`,
-- and calls the function it returns with the recipe's main chunk. The modules are loaded here,
-- never through `require` (which also searches the recipe's folder, where a file named like one
-- must not stand in for it), as internal chunks too: an error raised inside them names the
-- recipe line that called into them, not a line of Stdlib.

---
-- What every recipe has besides the modules below: Lua 5.4's base, table, string, math and
-- utf8 libraries and `os.time/clock/date/difftime` (no io, debug, `os.execute` or bytecode), and
-- these globals. Hooks run under a time budget, the VM under a memory cap.
-- @field arg the run's `KEY=VALUE` arguments, each the text typed (`ref=1.10` is "1.10"): numeric fields of a declaration take them as they are (`count = arg.web or 3`), `tonumber(arg.scale)` makes a number, and `arg.flag == "true"` a flag
-- @field recipe `{ file = PATH, dir = FOLDER }` of the recipe being run
-- @field parallel `parallel{ f1, f2, ... }` runs the functions concurrently (each may wait on primitives) and returns their results in order
-- @field require `require "a.b"` loads `a/b.lua` (or `a/b/init.lua`) from the recipe's folder, its `cookbooks/` and `Stdlib/`, text only, once
-- @module recipes
local prim = ...

local modules, loading = {}, {}

-- Stdlib/recipe/NAME.lua, loaded once and called with (prim, use): `use` is how the modules
-- reach one another.
local function use(name)
  if modules[name] == nil then
    if loading[name] then error("Stdlib/recipe: " .. name .. " uses itself through another module", 2) end
    loading[name] = true
    modules[name] = prim.load_internal(name)(prim, use)
    loading[name] = nil
  end
  return modules[name]
end

local hooks, commands, volumes = use "hooks", use "command", use "volume"

cluster = use("cluster").cluster
instance = use("instance").instance
volume, snapshot = volumes.volume, volumes.snapshot
ip = use("address").ip
run, write, deploy, shell = commands.run, commands.write, commands.deploy, commands.shell
log = use "log"
template = use("template").template
secret = use("secret").secret
on, every, at, when = hooks.on, hooks.every, hooks.at, hooks.when
emit, alert, metric = hooks.emit, hooks.alert, hooks.metric

local core, arguments = use "core", use "arguments"

-- Runs the recipe, reports the arguments it never read, then applies what it declared and did
-- not apply yet.
return function(chunk, ...)
  local read
  arg, read = arguments.track(arg)
  chunk(...)
  arguments.check(read)
  core.flush()
end
