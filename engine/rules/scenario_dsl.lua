--[[
engine/rules/scenario_dsl.lua — the prelude for scenario files (--scenario), compiled
into the binary. A scenario file names a what-if and lists parameter
overrides, exactly as --set would give them:

  scenario "持证目标 50%" {
    description = "2023 年持证目标降到 50%，末位比例 5%",
    set = {
      ["cert.milestones"] = { [2020] = 0.35, [2023] = 0.50, [2026] = 1.00 },
      ["elimination.bottom_ratio"] = 0.05,
    },
  }
]]
local globals, host = ...
local api = {}

globals.scenario = function(name)
  local file, line = host.caller()
  if type(name) ~= "string" or name == "" then
    error(string.format("%s:%d: scenario needs a name: scenario \"...\" { ... }", file, line), 0)
  end
  return function(body)
    if type(body) ~= "table" then
      error(string.format("%s:%d: scenario \"%s\" needs a table of fields", file, line, name), 0)
    end
    if api.scenario then
      error(string.format("%s:%d: one scenario per file (the first is at line %d)", file, line,
                          api.scenario.line), 0)
    end
    for k in pairs(body) do
      if k ~= "description" and k ~= "set" then
        local best = host.suggest(tostring(k), { "description", "set" })
        error(string.format("%s:%d: scenario: unknown field '%s'%s", file, line, tostring(k),
                            best and (" (did you mean '" .. best .. "'?)") or ""), 0)
      end
    end
    if type(body.set) ~= "table" then
      error(string.format("%s:%d: scenario \"%s\" needs set = { [\"name\"] = value, ... }", file, line, name), 0)
    end
    local sets, names = {}, {}
    for k in pairs(body.set) do names[#names + 1] = tostring(k) end
    table.sort(names)
    for _, k in ipairs(names) do
      local v = body.set[k]
      local text
      if type(v) == "number" then
        text = string.format("%.17g", v)
      elseif type(v) == "string" then
        text = v
      elseif type(v) == "table" then
        local years = {}
        for year in pairs(v) do years[#years + 1] = year end
        table.sort(years, function(a, b) return tostring(a) < tostring(b) end)
        local parts = {}
        for _, year in ipairs(years) do
          if type(v[year]) ~= "number" then
            error(string.format("%s:%d: scenario: %s: schedule values are numbers", file, line, k), 0)
          end
          parts[#parts + 1] = string.format("\"%s\":%.17g", tostring(year), v[year])
        end
        text = "{" .. table.concat(parts, ",") .. "}"
      else
        error(string.format("%s:%d: scenario: %s: a value is a number, text or { [year] = value }", file, line, k), 0)
      end
      sets[#sets + 1] = { name = k, value = text }
    end
    api.scenario = { name = name, description = body.description, file = file, line = line, sets = sets }
  end
end

return api
