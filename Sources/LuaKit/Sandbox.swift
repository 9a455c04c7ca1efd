/// The allow-list, finished in Lua: only base, table, string, math, utf8 and
/// os.time/clock/date/difftime are reachable; the rest refuses with a clear error.
enum Sandbox {
    static let prelude = #"""
    local prim = ...
    local format, error, setmetatable, type = string.format, error, setmetatable, type

    local function refused(lib, hint)
      return setmetatable({}, {
        __index = function(_, key)
          error(format("%s.%s is not available in a recipe (sandbox)%s", lib, tostring(key), hint), 2)
        end,
        __newindex = function() error(lib .. " is not available in a recipe (sandbox)", 2) end,
        __metatable = false,
      })
    end

    local allowed_os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
    os = setmetatable(allowed_os, {
      __index = function(_, key)
        error(format("os.%s is not available in a recipe (sandbox): run commands on an instance with run(i, cmd)",
          tostring(key)), 2)
      end,
      __metatable = false,
    })
    io = refused("io", ": use run(instance, command) to work on an instance's files")
    debug = refused("debug", "")
    package = refused("package", ": load cookbooks with require")
    coroutine = refused("coroutine", ": use parallel{...} to run functions concurrently")
    string.dump = nil
    dofile = function() error("dofile is not available in a recipe (sandbox): use require", 2) end
    loadfile = function() error("loadfile is not available in a recipe (sandbox): use require", 2) end

    local raw_load = load
    load = function(chunk, name, mode, env)
      if (mode ~= nil and mode ~= "t") or (type(chunk) == "string" and chunk:byte(1) == 27) then
        error("loading bytecode is not allowed in a recipe (sandbox): load takes text only", 2)
      end
      if type(name) == "string" and name:sub(1, 1) == "=" then name = name:sub(2) end
      return raw_load(chunk, name, "t", env)
    end

    local loaded = {}
    require = function(name)
      if type(name) ~= "string" then error("require: expected a module name", 2) end
      local module = loaded[name]
      if module == nil then
        module = prim.load_module(name)(name)
        if module == nil then module = true end
        loaded[name] = module
      end
      return module
    end

    parallel = prim.parallel
    """#
}
