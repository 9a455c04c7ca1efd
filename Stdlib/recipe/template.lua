---
-- Templates for configuration files: a small Mustache.
-- @module template
local prim, use = ...
local secrets = use "secret"

-- The value at a dotted path, looked up from the innermost section outwards; "." is the
-- current item of a list section.
local function lookup(stack, path)
  if path == "." then return stack[#stack] end
  for i = #stack, 1, -1 do
    local value = stack[i]
    for part in path:gmatch("[^.]+") do
      if type(value) ~= "table" then value = nil break end
      value = value[part]
    end
    if value ~= nil then return value end
  end
  return nil
end

-- `holds.secret` is set when a secret was put in: the result is then a secret too.
local function render(text, stack, holds)
  local out, pos = {}, 1
  while true do
    local s, e, sigil, name = text:find("{{%s*([#^/]?)%s*([%w_.]+)%s*}}", pos)
    if not s then
      out[#out + 1] = text:sub(pos)
      return table.concat(out)
    end
    out[#out + 1] = text:sub(pos, s - 1)
    if sigil == "" then
      local value = lookup(stack, name)
      local sealed = secrets.sealed_text(value)
      if sealed then holds.secret = true end
      out[#out + 1] = sealed or (value == nil and "" or tostring(value))
      pos = e + 1
    elseif sigil == "/" then
      prim.raise(string.format("template: {{/%s}} closes no section", name))
    else
      -- the matching {{/name}}, counting nested sections of the same name
      local pattern = "{{%s*([#^/])%s*" .. name:gsub("%p", "%%%0") .. "%s*}}"
      local depth, search, close_start, close_end, close_sigil = 1, e + 1
      while depth > 0 do
        close_start, close_end, close_sigil = text:find(pattern, search)
        if not close_start then prim.raise(string.format("template: {{%s%s}} is never closed", sigil, name)) end
        depth = depth + (close_sigil == "/" and -1 or 1)
        search = close_end + 1
      end
      local inner = text:sub(e + 1, close_start - 1)
      local value = lookup(stack, name)
      local empty = value == nil or value == false or (type(value) == "table" and next(value) == nil)
      if sigil == "^" then
        if empty then out[#out + 1] = render(inner, stack, holds) end
      elseif not empty then
        local items = (type(value) == "table" and value[1] ~= nil) and value or { value }
        for _, item in ipairs(items) do
          stack[#stack + 1] = item
          out[#out + 1] = render(inner, stack, holds)
          stack[#stack] = nil
        end
      end
      pos = close_end + 1
    end
  end
end

---
-- Renders a template: `{{name}}` and `{{a.b}}` are replaced by values (nothing when nil),
-- `{{#list}}...{{/list}}` repeats for each item (`{{.}}` is the item itself; a table that is not a
-- list, or any other true value, shows the section once), `{{^x}}...{{/x}}` shows when `x` is
-- nil, false or empty. Names are looked up from the innermost section outwards. A secret among
-- the values is put in as the secret, not its text: the result is then a secret itself (`***`
-- when shown), which `run`, `write` and `env` take.
-- @param text the template
-- @param vars optional table of values
-- @return the rendered text, or a secret when a secret was put in
-- @usage
-- template("{{#servers}}server {{name}} {{address}}:8000\n{{/servers}}", { servers = list })
local function template(text, vars)
  if type(text) ~= "string" then prim.raise("template: expected the template text as a string") end
  local holds = {}
  local out = render(text, { vars or {} }, holds)
  return holds.secret and secrets.seal(out) or out
end

return { template = template }
