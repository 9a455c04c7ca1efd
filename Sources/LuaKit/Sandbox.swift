/// The allow-list, finished in Lua: only base, table, string, math, utf8 and
/// os.time/clock/date/difftime are reachable; the rest refuses with a clear error.
///
/// Refusals go through `prim.raise`, which names the nearest recipe line, and the functions a
/// recipe calls are wrapped with `prim.located`, so that `return require(...)` and other tail calls
/// still name the recipe line in errors.
enum Sandbox {
    static let prelude = #"""
    local prim = ...
    local raise, located, stopped = prim.raise, prim.located, prim.stopped
    local format, setmetatable, rawget, select, type, tostring, pcall =
      string.format, setmetatable, rawget, select, type, tostring, pcall
    local concat, remove, error = table.concat, table.remove, error

    local function refused(lib, hint)
      return setmetatable({}, {
        __index = function(_, key)
          raise(format("%s.%s is not available in a recipe (sandbox)%s", lib, tostring(key), hint))
        end,
        __newindex = function() raise(lib .. " is not available in a recipe (sandbox)") end,
        __metatable = false,
      })
    end

    local allowed_os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
    os = setmetatable(allowed_os, {
      __index = function(_, key)
        raise(format("os.%s is not available in a recipe (sandbox): run commands on an instance with run(i, cmd)",
          tostring(key)))
      end,
      __metatable = false,
    })
    io = refused("io", ": use run(instance, command) to work on an instance's files")
    debug = refused("debug", "")
    package = refused("package", ": load cookbooks with require")
    coroutine = refused("coroutine", ": use parallel{...} to run functions concurrently")
    string.dump = nil
    dofile = located(function() raise("dofile is not available in a recipe (sandbox): use require") end)
    loadfile = located(function() raise("loadfile is not available in a recipe (sandbox): use require") end)

    -- Finalizers run with debug hooks off, out of reach of the time budget (and again when the
    -- VM closes), so tables cannot have them.
    local raw_setmetatable = setmetatable
    _ENV.setmetatable = located(function(t, mt)
      if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
        raise("__gc metamethods are not available in a recipe (sandbox)")
      end
      -- Called through pcall so that its own errors name the recipe line, not this prelude's.
      local ok, result = pcall(raw_setmetatable, t, mt)
      if not ok then raise((result:gsub("to '%?'", "to 'setmetatable'"))) end
      return result
    end)

    -- A message handler runs with debug hooks off when the budget stops the code it guards, so
    -- once the budget is spent the recipe's handler is skipped.
    local raw_xpcall = xpcall
    xpcall = function(f, handler, ...)
      if type(handler) ~= "function" then
        raise("bad argument #2 to 'xpcall' (function expected, got " .. type(handler) .. ")")
      end
      return raw_xpcall(f, function(e)
        if stopped() then return e end
        return handler(e)
      end, ...)
    end

    local raw_load = load
    load = located(function(chunk, name, mode, ...)
      if (mode ~= nil and mode ~= "t") or (type(chunk) == "string" and chunk:byte(1) == 27) then
        raise("loading bytecode is not allowed in a recipe (sandbox): load takes text only")
      end
      -- "=" marks internal chunks, which errors skip when they name a line: recipes cannot claim it.
      if type(name) == "string" and name:sub(1, 1) == "=" then name = name:sub(2) end
      if name == nil and type(chunk) ~= "string" then name = "(load)" end
      -- An env given, even nil, becomes the chunk's _ENV; none given means the globals.
      if select("#", ...) == 0 then return raw_load(chunk, name, "t") end
      return raw_load(chunk, name, "t", (...))
    end)

    -- require: each module once. A module that requires itself, directly or through others, is
    -- refused with the chain of modules being loaded. (Coroutines switch only when a module's own
    -- body waits on a primitive: two parallel branches loading one such module at once read as a
    -- cycle.) prim.require_library is the same over the library folder alone (Stdlib), for the
    -- prelude's own modules: a recipe's files never stand in for a cookbook the prelude loads.
    local function requirer(load)
      local loaded, loading = {}, {}
      return located(function(name)
        if type(name) ~= "string" then raise("require: expected a module name") end
        local module = loaded[name]
        if module ~= nil then return module end
        for i = 1, #loading do
          if loading[i] == name then
            local cycle = {}
            for j = i, #loading do cycle[#cycle + 1] = loading[j] end
            cycle[#cycle + 1] = name
            raise("require cycle: " .. concat(cycle, " -> "))
          end
        end
        local chunk = load(name)
        loading[#loading + 1] = name
        -- a failed load leaves the chain too (a to-be-closed variable would stay pending in a
        -- coroutine that died); the error goes on as it was, a stop included
        local ok, result = pcall(chunk, name)
        for i = #loading, 1, -1 do if loading[i] == name then remove(loading, i) break end end
        if not ok then error(result, 0) end
        module = result
        if module == nil then module = true end
        loaded[name] = module
        return module
      end)
    end
    require = requirer(prim.load_module)
    prim.require_library = requirer(prim.load_library)
    -- a require of its own over another loader, for a prelude that runs another recipe's body
    prim.requirer = requirer

    parallel = prim.parallel
    -- error(msg, 2) blames the recipe line past any Stdlib function between (CLuaShim's error_fn)
    error = prim.error
    """#
}
