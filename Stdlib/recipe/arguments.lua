-- The run's KEY=VALUE arguments as the recipe's `arg` table, noting which keys the recipe reads,
-- so that one it never read (a typo such as `wbe=5`) is reported once the recipe's body has run.
-- Internal: recipes see only `arg`.
local prim = ...

local arguments = {}

-- A view of `given` that notes every key read through it (`pairs` reads them all).
function arguments.track(given)
  local read = {}
  local view = setmetatable({}, {
    __index = function(_, key) read[key] = true; return given[key] end,
    __newindex = function(_, key, value) read[key] = true; given[key] = value end,
    __pairs = function()
      for key in next, given do read[key] = true end
      return next, given, nil
    end,
  })
  return view, read
end

-- Hands the keys read to the runtime, which warns about the others (or, strict, refuses the run).
function arguments.check(read)
  local names = {}
  for key in pairs(read) do
    if type(key) == "string" then names[#names + 1] = key end
  end
  local refusal = prim.arguments_unread(names)
  if refusal then error(refusal, 0) end
end

return arguments
