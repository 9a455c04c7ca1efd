---
-- Secrets: values set with `recipe secret set NAME`, which a recipe knows by name only.
-- `secret("NAME")` is an opaque value: `run`, `write`, `template` and a service's or an app's
-- `env` accept it, and its value is put in only where the text reaches the machine. Everywhere
-- else (events, hook logs, errors, plans, `tostring`) it is `***`.
-- @module secret
local prim = ...

-- object -> its text for Swift: references to secrets (their names), never their values
local sealed = setmetatable({}, { __mode = "k" })

local JOIN = "a secret cannot be joined into a plain string: pass the secret itself (run, write, "
  .. "a service's or an app's env take it), or build the text with template(\"... {{pw}} ...\", { pw = secret(\"NAME\") })"

local function refuse(message)
  return function() prim.raise(message) end
end

-- An opaque value around `text` (which holds references made by the runtime).
local function seal(text)
  local object = {}
  sealed[object] = text
  return setmetatable(object, {
    __sealed = text,              -- read by the runtime, raw, when the value crosses into Swift
    __metatable = "secret",       -- getmetatable() shows no more than that
    __name = "secret",
    __tostring = function() return "***" end,
    __concat = refuse(JOIN),
    __index = refuse("a secret has no fields or methods: pass it whole to run, write, template or env"),
    __newindex = refuse("a secret cannot be changed"),
    __len = refuse("a secret has no length here: its value is never seen by a recipe"),
    __pairs = refuse("a secret cannot be iterated"),
  })
end

---
-- A secret set with `recipe secret set NAME`, as an opaque value.
-- @param name the secret's name (a letter or `_`, then letters, digits, `_` or `-`; at most 64)
-- @return the secret: `tostring` gives `***`, joining it with `..` is an error
-- @usage
-- run(e.instance, template("mysql -p{{pw}} -e 'select 1'", { pw = secret("db_password") }))
-- layers = { web = { services = { api = { command = "./api", env = { TOKEN = secret("api_token") } } } } }
local function secret(name)
  if type(name) ~= "string" then prim.raise("secret: expected the secret's name as a string") end
  return seal(prim.secret(name))
end

-- Whether `value` is a secret (or text made with one), and its text for Swift.
local function sealed_text(value)
  if type(value) == "table" then return sealed[value] end
  return nil
end

return { secret = secret, seal = seal, sealed_text = sealed_text }
