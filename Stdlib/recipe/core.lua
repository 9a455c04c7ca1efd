-- What the prelude's modules share: the declarations waiting to be applied, the cluster
-- imperative calls default to, and the helpers that give primitives' tables their methods.
-- Internal: recipes reach it only through the other modules.
local prim = ...

local core = {}

local pending = {} -- clusters declared and not applied yet, in declaration order
local current      -- the cluster the recipe declared last

-- While another recipe's body runs for its hooks (cluster:hooks()), what it declares and the
-- lifecycle hooks it registers land here instead: `{ specs = { NAME = spec }, all = { KIND = { fn } } }`.
core.capture = nil

-- Applies what was declared. Declarations wait until the recipe first needs the state (any
-- other primitive) or ends, so hooks registered with on() after a declaration still take part.
function core.flush()
  while #pending > 0 do
    prim.cluster_apply(table.remove(pending, 1))
  end
end

-- Queues a declared cluster for the next flush (once) and makes it the default cluster.
function core.declared(name)
  local queued = false
  for _, n in ipairs(pending) do queued = queued or n == name end
  if not queued then pending[#pending + 1] = name end
  current = name
end

-- spec.cluster, else the cluster declared last; an error at the recipe line when neither is.
function core.cluster_of(spec)
  local name = spec and spec.cluster or current
  if name == nil then
    prim.raise("no cluster given: pass cluster = NAME or declare one first with cluster \"NAME\" { ... }")
  end
  return name
end

-- A field of `t` not in `known` is a typo: an error at the recipe line naming it and the known ones.
function core.refuse_unknown(t, known, context)
  if type(t) ~= "table" then return end
  local allowed = {}
  for _, name in ipairs(known) do allowed[name] = true end
  for key in pairs(t) do
    if not allowed[key] then
      table.sort(known)
      prim.raise(string.format("%s: unknown field '%s' (known: %s)", context, tostring(key), table.concat(known, ", ")))
    end
  end
end

-- An object's id, or the value itself when it is an id already.
function core.id_of(value)
  if type(value) == "table" then return value.id end
  return value
end

-- An instance given as an object, an id or a name (`web-1`): its id or name, and the cluster
-- to look a name up in (the object's, else the cluster declared last).
function core.target(value)
  if type(value) == "table" then return value.id, value.cluster end
  return value, current
end

-- A metatable for objects of one kind: methods live in it, __name shows in error messages.
-- Each method checks it was called as one: `i.stop()` is refused at the recipe line with
-- "use instance:stop() (a method, with a colon), not instance.stop()".
function core.class(name)
  local c = {}
  c.__index = c
  c.__name = name
  return setmetatable(c, {
    __newindex = function(class, key, fn)
      if type(fn) ~= "function" or type(key) ~= "string" or key:sub(1, 2) == "__" then
        rawset(class, key, fn)
        return
      end
      rawset(class, key, function(self, ...)
        if getmetatable(self) ~= class then
          prim.raise(string.format("use %s:%s() (a method, with a colon), not %s.%s()", name, key, name, key))
        end
        return fn(self, ...)
      end)
    end,
  })
end

-- Each table of a primitive's list, given its class.
function core.all_as(list, class)
  for i, t in ipairs(list) do list[i] = setmetatable(t, class) end
  return list
end

-- Replaces an object's fields by fresh ones (a field that is gone is cleared), keeping its class.
function core.refill(object, fresh)
  for k in pairs(object) do object[k] = nil end
  for k, v in pairs(fresh) do object[k] = v end
  return object
end

return core
