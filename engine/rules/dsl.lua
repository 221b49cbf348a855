--[[
engine/rules/dsl.lua — the rule DSL prelude, compiled into the kaohe binary.

It runs once per sandbox, before any rule file, with the host's full
(already trimmed) globals. It adds the declaration functions that rule files
call (system, category, param, define, indicator, stars, target, appraisal,
admission, deny, allow, extends, override, set) to the allowed globals and
returns an API table the C host uses:

  api.finalize(context) -> compiled rule set (plain tables) with `problems`
  api.reset()           -> forget every declaration (profile reloading)

Rule files only declare. Nothing here touches data: indicators become one
SQL query each (a value column plus the named inputs) and an ordered list of
status checks that the C engine evaluates with the current parameters, so a
what-if re-scores without reading the snapshot again.

Policy numbers are never written here: they come from the rule files as
parameters. What lives here is mechanism: how a declaration becomes SQL.
]]

local globals, host = ...

local type, pairs, ipairs, tostring, tonumber = type, pairs, ipairs, tostring, tonumber
local error, select, setmetatable, getmetatable, next = error, select, setmetatable, getmetatable, next
local rawget = rawget
local sort, concat, insert = table.sort, table.concat, table.insert
local format, gsub, match, find, sub, rep = string.format, string.gsub, string.match,
                                             string.find, string.sub, string.rep
local floor, huge = math.floor, math.huge

local api = {}
local state

-- Declarations, in the order they were made ---------------------------------

function api.reset()
  state = {
    system = nil,
    categories = {}, category_order = {},
    params = {}, param_order = {},
    defines = {},
    indicators = {}, indicator_order = {},
    stars = nil,
    targets = {}, target_order = {},
    appraisal = nil,
    admission = nil,
    entries = {}, entry_order = {},
    overrides = {},
    sets = {},
    extends = nil,
    problems = {},
    warnings = {},
    duplicates = {},
    labels = {},
  }
end
api.reset()

-- "file:line" of the rule-file line that made the current DSL call.
local function here()
  local file, line = host.caller()
  return file or "?", line or 0
end

local function location(decl)
  return format("%s:%d", decl.file, decl.line)
end

-- A message cut to MESSAGE_MAX bytes (at a character boundary): messages
-- quote rule text, which may be long.
local MESSAGE_MAX = 1000
local function shorten(text)
  if #text <= MESSAGE_MAX then return text end
  local cut = MESSAGE_MAX
  while cut > 0 and (string.byte(text, cut + 1) or 0) & 0xC0 == 0x80 do cut = cut - 1 end
  return sub(text, 1, cut) .. format("... (%d more bytes not shown)", #text - cut)
end

local function problem(file, line, message, ...)
  insert(state.problems, shorten(format("%s:%d: ", file, line) .. format(message, ...)))
end

-- Something valid but worth a look (kaohe check prints it, eval ignores it).
local function warn(file, line, message, ...)
  insert(state.warnings, shorten(format("%s:%d: ", file, line) .. format(message, ...)))
end

-- Raises an error that points at the rule file line (not at this prelude).
local function fail(message, ...)
  local file, line = here()
  error(format("%s:%d: ", file, line) .. format(message, ...), 0)
end

local function keys_of(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  sort(list)
  return list
end

-- Checks a declaration table against the fields it may have; unknown fields
-- are problems with a suggestion.
local function check_fields(decl, allowed, what)
  local names = keys_of(allowed)
  for k in pairs(decl.body) do
    if type(k) ~= "string" then
      problem(decl.file, decl.line, "%s: unexpected positional value (fields are written name = value)", what)
    elseif not allowed[k] then
      local best = host.suggest(k, names)
      if best then
        problem(decl.file, decl.line, "%s: unknown field '%s' (did you mean '%s'?)", what, k, best)
      else
        problem(decl.file, decl.line, "%s: unknown field '%s' (allowed: %s)", what, k, concat(names, ", "))
      end
    end
  end
end

-- Rule files are untrusted and may share nothing ---------------------------
--
-- What a rule file hands the DSL is copied at once with raw reads (next,
-- never pairs or an __index), so no metatable can fake a field, answer
-- differently later, or run code while the compiler reads it; the rule keeps
-- its own table and changing it afterwards changes nothing. What the DSL
-- hands back (inputs, scores, references) is a handle: an empty table with a
-- locked metatable, the real value kept here, out of the rules' reach.

local SHORT_TEXT = 1000           -- a condition or a domain: "workers = 0"

local made = setmetatable({}, { __mode = "k" }) -- handle -> the DSL's value

local HANDLE = {
  __index = function(h, k)
    local v = rawget(made[h], k)
    if type(v) == "table" then return nil end -- nothing inside can be reached
    return v
  end,
  __newindex = function() error("values made by the rule DSL cannot be changed", 2) end,
  __metatable = "locked",
}

-- Wraps a value the DSL made (marked with its private metatable) for rules.
local function handle(value, mark)
  local h = {}
  made[h] = setmetatable(value, mark)
  return setmetatable(h, HANDLE)
end

-- A raw, metatable-free copy of a rule's value (host.plain, rules.c); handles
-- become the DSL's own values. Raises at the rule's line when a text is over
-- --rule-text-kb or the value nests too deeply or is too large.
local function plain(value, file, line)
  return host.plain(value, file, line, made, false)
end

-- Declaration functions take a name, then a table: kind "X" { ... }.
local function declaration(kind, handler)
  return function(name)
    local file, line = here()
    if type(name) ~= "string" or name == "" then
      fail("%s needs a name in quotes, e.g. %s \"...\" { ... }", kind, kind)
    end
    plain(name, file, line)
    return function(body)
      if type(body) ~= "table" then
        error(format("%s:%d: %s \"%s\" needs a table of fields { ... }", file, line, kind, name), 0)
      end
      handler({ name = name, body = plain(body, file, line), file = file, line = line })
    end
  end
end

-- Scoring functions and references ------------------------------------------

local REF = {}          -- metatable marking parameter/schedule references
local SCORE = {}        -- metatable marking scoring functions
local INPUT = {}        -- metatable marking input declarations

-- param "name" used as a value: a reference to a parameter.
local function param_ref(name)
  if type(name) ~= "string" then fail("ref needs a parameter name in quotes") end
  return handle({ kind = "param", name = name }, REF)
end

-- schedule "cert.milestones": a year → value table, interpolated at the
-- assessment year.
local function schedule(name)
  if type(name) ~= "string" then fail("schedule needs a parameter name in quotes") end
  return handle({ kind = "schedule", name = name }, REF)
end

local function score_function(kind, arg_names)
  return function(...)
    local n = select("#", ...)
    local file, line = here()
    if n ~= #arg_names then
      error(format("%s:%d: %s takes %d argument(s) (%s), got %d", file, line, kind,
                   #arg_names, concat(arg_names, ", "), n), 0)
    end
    local args = plain({ ... }, file, line)
    for i, a in ipairs(args) do
      if type(a) ~= "number" and getmetatable(a) ~= REF then
        error(format("%s:%d: %s: argument %d (%s) must be a number, param \"...\" or schedule \"...\"",
                     file, line, kind, i, arg_names[i]), 0)
      end
    end
    return handle({ kind = kind, args = args, arg_names = arg_names,
                    file = file, line = line }, SCORE)
  end
end

-- LIN(x; a→b): f = clamp((x−a)/(b−a), 0, 1). With a > b it rewards small x.
local lin = score_function("lin", { "from", "to" })
-- RATIO(x; t): f = clamp(x/t, 0, 1).
local ratio = score_function("ratio", { "target" })

-- Inputs --------------------------------------------------------------------

local function input(kind, fields)
  fields.kind = kind
  fields.file, fields.line = here()
  for _, k in ipairs({ "domain", "from", "where", "expr" }) do plain(fields[k], fields.file, fields.line) end
  return handle(fields, INPUT)
end

-- Parses a value domain: "> 0", ">= 0", "0..1", "0..8".
local function parse_domain(text)
  if text == nil then return nil end
  if type(text) ~= "string" then return nil, "a domain is a string such as \">= 0\" or \"0..1\"" end
  if #text > SHORT_TEXT then return nil, format("a domain of %d bytes (write \">= 0\" or \"0..1\")", #text) end
  local lo, hi = match(text, "^%s*(-?[%d%.]+)%s*%.%.%s*(-?[%d%.]+)%s*$")
  if lo then
    lo, hi = tonumber(lo), tonumber(hi)
    if not lo or not hi or lo > hi then return nil, "bad range '" .. text .. "'" end
    return { { op = ">=", value = lo }, { op = "<=", value = hi } }
  end
  local op, v = match(text, "^%s*([<>]=?)%s*(-?[%d%.]+)%s*$")
  if op and tonumber(v) then return { { op = op, value = tonumber(v) } } end
  return nil, "bad domain '" .. text .. "' (write \"> 0\", \">= 0\" or \"0..1\")"
end

-- community "population": a column of the communities table.
local function community(column, domain)
  if type(column) ~= "string" or not match(column, "^[%a_][%w_]*$") then
    fail("community needs a column name of the communities table, e.g. community(\"population\", \"> 0\")")
  end
  return input("community", { column = column, domain = domain,
                              sql = "c." .. column,
                              describe = "communities." .. column })
end

-- fact "plates": the value of one key in the facts table.
local function fact(key, domain)
  if type(key) ~= "string" or not match(key, "^[%w_%.]+$") then
    fail("fact needs a key of the facts table, e.g. fact(\"plates\", \">= 0\")")
  end
  return input("fact", { key = key, domain = domain,
                         sql = "(SELECT value FROM facts WHERE community_id = c.id AND key = '" .. key .. "')",
                         describe = "facts[" .. key .. "]" })
end

-- Shared by count and sum: from (table or join), where, community column.
local function row_set(kind, a, b, c)
  local spec
  if type(a) == "table" then
    local file, line = here()
    a = plain(a, file, line)
    spec = { from = a.from or a[1], where = a.where, community = a.community, expr = a.expr }
  elseif kind == "sum" then
    spec = { from = a, expr = b, where = c }
  else
    spec = { from = a, where = b }
  end
  if type(spec.from) ~= "string" or spec.from == "" then
    fail("%s needs a table: %s(\"activities\", ...)", kind, kind)
  end
  if spec.where ~= nil and type(spec.where) ~= "string" then fail("%s: 'where' must be SQL text", kind) end
  if kind == "sum" and type(spec.expr) ~= "string" then fail("sum needs an expression to add up") end
  spec.community = spec.community or "community_id"
  return spec
end

-- count("activities", "kind = 'consultation'"): rows of the community.
local function count(a, b)
  local spec = row_set("count", a, b)
  local where = spec.community .. " = c.id" .. (spec.where and (" AND (" .. spec.where .. ")") or "")
  return input("count", { from = spec.from, where = spec.where, community = spec.community,
                          sql = "(SELECT COUNT(*) FROM " .. spec.from .. " WHERE " .. where .. ")",
                          describe = "COUNT(" .. spec.from .. (spec.where and (" WHERE " .. spec.where) or "") .. ")" })
end

-- sum("activities", "participants", "..."): total of an expression (NULL as 0).
local function sum(a, b, c)
  local spec = row_set("sum", a, b, c)
  local where = spec.community .. " = c.id" .. (spec.where and (" AND (" .. spec.where .. ")") or "")
  return input("sum", { from = spec.from, where = spec.where, expr = spec.expr, community = spec.community,
                        sql = "(SELECT TOTAL(" .. spec.expr .. ") FROM " .. spec.from .. " WHERE " .. where .. ")",
                        describe = "SUM(" .. spec.expr .. ") FROM " .. spec.from .. (spec.where and (" WHERE " .. spec.where) or "") })
end

-- sql [[ scalar subquery using c.id ]]: anything else.
local function sql_input(text)
  if type(text) ~= "string" then fail("sql needs SQL text in [[ ]]") end
  local file, line = here()
  plain(text, file, line)
  return input("sql", { sql = "(" .. text .. ")", describe = gsub(gsub(text, "%s+", " "), "^ ", "") })
end

-- Declarations ---------------------------------------------------------------

local SYSTEM_FIELDS = { total = true, categories = true, indicators = true, source = true, description = true }
local CATEGORY_FIELDS = { name = true, source = true, description = true }
local PARAM_FIELDS = { default = true, type = true, min = true, max = true, source = true,
                       description = true, unit = true }
local INDICATOR_FIELDS = { name = true, category = true, max = true, unit = true, source = true,
                           description = true, inputs = true, value = true, score = true,
                           missing_if = true, invalid_if = true, denominator = true, params = true,
                           hint = true }
local PARAM_TYPES = { number = true, integer = true, schedule = true, string = true, date = true }

local function duplicate(kind, existing, decl)
  insert(state.duplicates, format("%s:%d: %s \"%s\" is declared twice (first at %s)",
                                  decl.file, decl.line, kind, decl.name, location(existing)))
end

local system = declaration("system", function(decl)
  if state.system then return duplicate("system", state.system, decl) end
  state.system = decl
end)

local category = declaration("category", function(decl)
  if state.categories[decl.name] then return duplicate("category", state.categories[decl.name], decl) end
  state.categories[decl.name] = decl
  insert(state.category_order, decl.name)
end)

local function add_param(decl)
  if state.params[decl.name] then return duplicate("param", state.params[decl.name], decl) end
  state.params[decl.name] = decl
  insert(state.param_order, decl.name)
end

local param = declaration("param", add_param)

-- define "active" [[ SQL ]] — a named piece of SQL used as {active}; a
-- define may take arguments $1, $2: {in_year(held_on)}.
local function define(name)
  local file, line = here()
  if type(name) ~= "string" or not match(name, "^[%a_][%w_]*$") then
    fail("define needs a name made of letters, digits and _")
  end
  return function(body)
    local text, description = body, nil
    if type(body) == "table" then
      body = plain(body, file, line)
      text, description = body.sql or body[1], body.description
    end
    if type(text) ~= "string" then
      error(format("%s:%d: define \"%s\" needs SQL text", file, line, name), 0)
    end
    plain(text, file, line)
    local decl = { name = name, sql = text, description = description, file = file, line = line }
    if state.defines[name] then return duplicate("define", state.defines[name], decl) end
    state.defines[name] = decl
  end
end

local indicator = declaration("indicator", function(decl)
  if state.indicators[decl.name] then return duplicate("indicator", state.indicators[decl.name], decl) end
  state.indicators[decl.name] = decl
  insert(state.indicator_order, decl.name)
end)

-- stars { {stars = 5, name = "五星", total = "stars.five", also = {"F01 >= {stars.five_f01}"}}, ...,
--         unrated = "未评级" }
local function stars(body)
  local file, line = here()
  if type(body) ~= "table" then fail("stars needs a list of grades") end
  body = plain(body, file, line)
  if state.stars then
    insert(state.duplicates, format("%s:%d: stars is declared twice (first at %s:%d)", file, line,
                                    state.stars.file, state.stars.line))
    return
  end
  state.stars = { body = body, file = file, line = line }
end

-- labels "scope" { region = "全市", ... }: what outputs call the engine's
-- codes (scopes, flags, decisions, statuses, the snapshot's enumerated
-- values). Declared again (in a profile), a code's label is replaced.
local function labels(kind)
  local file, line = here()
  if type(kind) ~= "string" or kind == "" then
    fail("labels needs a kind in quotes: labels \"scope\" { region = \"全市\" }")
  end
  plain(kind, file, line)
  return function(body)
    if type(body) ~= "table" then fail("labels \"%s\" needs a table: { code = \"label\" }", kind) end
    body = plain(body, file, line)
    local into = state.labels[kind] or {}
    state.labels[kind] = into
    for code, text in pairs(body) do
      if type(code) ~= "string" or type(text) ~= "string" or text == "" then
        problem(file, line, "labels \"%s\": write code = \"label\" (not %s = %s)", kind, tostring(code),
                tostring(text))
      else
        into[code] = text
      end
    end
  end
end

-- extends "default": this directory is a profile on top of the shipped rules.
local function extends(name)
  local file, line = here()
  if type(name) ~= "string" then fail("extends needs the name of a rule set, e.g. extends \"default\"") end
  plain(name, file, line)
  state.extends = { name = name, file = file, line = line }
end

-- set "name" (value): a profile changes a parameter's default value.
local function set(name)
  local file, line = here()
  if type(name) ~= "string" then fail("set needs a parameter name in quotes") end
  plain(name, file, line)
  return function(value, source)
    insert(state.sets, { name = name, value = plain(value, file, line), source = plain(source, file, line),
                         file = file, line = line })
  end
end

-- override "A03" { field = value }: a profile replaces fields of a
-- declaration (indicator, target, category) made by the rules it extends.
local override = declaration("override", function(decl)
  insert(state.overrides, decl)
end)

-- Targets, appraisal and admission (declared here, compiled in finalize).
local target = declaration("target", function(decl)
  if state.targets[decl.name] then return duplicate("target", state.targets[decl.name], decl) end
  state.targets[decl.name] = decl
  insert(state.target_order, decl.name)
end)

local function appraisal(body)
  local file, line = here()
  if type(body) ~= "table" then fail("appraisal needs a table of fields") end
  body = plain(body, file, line)
  if state.appraisal then
    insert(state.duplicates, format("%s:%d: appraisal is declared twice (first at %s:%d)", file, line,
                                    state.appraisal.file, state.appraisal.line))
    return
  end
  state.appraisal = { body = body, file = file, line = line, name = "appraisal" }
end

local function admission(body)
  local file, line = here()
  if type(body) ~= "table" then fail("admission needs a table of fields") end
  body = plain(body, file, line)
  if state.admission then
    insert(state.duplicates, format("%s:%d: admission is declared twice (first at %s:%d)", file, line,
                                    state.admission.file, state.admission.line))
    return
  end
  state.admission = { body = body, file = file, line = line, name = "admission" }
end

local function entry(list)
  return declaration(list, function(decl)
    decl.list = list
    if state.entries[decl.name] then return duplicate("entry", state.entries[decl.name], decl) end
    state.entries[decl.name] = decl
    insert(state.entry_order, decl.name)
  end)
end

-- Finalize: validation and compilation ---------------------------------------

-- Checks `value` against parameter `p` (type, range); returns the value in
-- compiled form (schedules become sorted {year, value} lists) or nil, error.
local function normalize_value(p, value)
  local t = p.type
  if t == "number" or t == "integer" then
    if type(value) ~= "number" then return nil, "must be a number" end
    if t == "integer" and value ~= floor(value) then return nil, "must be a whole number" end
    if p.min and value < p.min or p.max and value > p.max then
      return nil, format("%s is outside its range %s..%s", tostring(value),
                         tostring(p.min or "-inf"), tostring(p.max or "inf"))
    end
    return value
  elseif t == "schedule" then
    if type(value) ~= "table" then return nil, "a schedule is a table { [year] = value }" end
    local points = {}
    for year, v in pairs(value) do
      local y = tonumber(year)
      if not y or y ~= floor(y) or type(v) ~= "number" then
        return nil, "schedule entries are [year] = number"
      end
      if p.min and v < p.min or p.max and v > p.max then
        return nil, format("schedule value %s for %d is outside %s..%s", tostring(v), floor(y),
                           tostring(p.min or "-inf"), tostring(p.max or "inf"))
      end
      points[#points + 1] = { year = floor(y), value = v }
    end
    if #points == 0 then return nil, "empty schedule" end
    sort(points, function(x, y) return x.year < y.year end)
    return points
  elseif t == "string" or t == "date" then
    if type(value) ~= "string" then return nil, "must be text" end
    if t == "date" and not match(value, "^%d%d%d%d%-%d%d%-%d%d$") then return nil, "must be a date YYYY-MM-DD" end
    return value
  end
  return nil, "unknown type '" .. tostring(t) .. "' (number, integer, schedule, string, date)"
end

-- Fills in the compiled parameter table from declarations.
local function compile_params(out, context)
  local params = {}
  for _, name in ipairs(state.param_order) do
    local decl = state.params[name]
    local b = decl.body
    check_fields(decl, PARAM_FIELDS, "param \"" .. name .. "\"")
    local p = { name = name, file = decl.file, line = decl.line, source = b.source,
                description = b.description, unit = b.unit, min = b.min, max = b.max,
                type = b.type }
    if p.type == nil then
      -- A number is a number (90 may become 87.5); "integer" must be said.
      if type(b.default) == "table" then p.type = "schedule"
      elseif type(b.default) == "string" then p.type = "string"
      else p.type = "number" end
    end
    if p.min ~= nil and type(p.min) ~= "number" or p.max ~= nil and type(p.max) ~= "number" then
      problem(decl.file, decl.line, "param \"%s\": min and max must be numbers", name)
      p.min, p.max = nil, nil
    elseif p.min and p.max and p.min > p.max then
      problem(decl.file, decl.line, "param \"%s\": min %s is above max %s", name, tostring(p.min), tostring(p.max))
    end
    if not PARAM_TYPES[p.type] then
      problem(decl.file, decl.line, "param \"%s\": unknown type '%s' (number, integer, schedule, string, date)", name, tostring(p.type))
    elseif b.default == nil then
      problem(decl.file, decl.line, "param \"%s\" needs a default value", name)
    else
      local v, err = normalize_value(p, b.default)
      if err then problem(decl.file, decl.line, "param \"%s\": default %s", name, err) end
      p.default = v
    end
    if p.source == nil or p.source == "" then
      warn(decl.file, decl.line, "param \"%s\" has no source (cite the policy text or write \"design\")", name)
    end
    params[name] = p
  end
  out.params = {}
  for _, name in ipairs(keys_of(params)) do insert(out.params, params[name]) end
  return params
end

-- A profile's set "name" (value): a new default, checked like the old one.
local function apply_sets(params)
  for _, s in ipairs(state.sets) do
    local p = params[s.name]
    if not p then
      local best = host.suggest(s.name, keys_of(params))
      problem(s.file, s.line, "set \"%s\": unknown parameter%s", s.name,
              best and format(" (did you mean '%s'?)", best) or "")
    else
      local v, err = normalize_value(p, s.value)
      if err then
        problem(s.file, s.line, "set \"%s\": %s", s.name, err)
      else
        p.default = v
        p.source = s.source or p.source
        p.origin = format("%s:%d", s.file, s.line)
      end
    end
  end
end

-- Expands {name} in SQL: built-ins and parameters become bound ?N
-- placeholders, defines are substituted (with $1.. arguments).
local BUILTINS = { as_of = "text", year_start = "text", year = "integer", region = "text" }

-- Text without leading and trailing white space, in linear time (a
-- pattern such as "%s+$" is quadratic on a long run of spaces).
local function trim(text)
  local first, last = 1, #text
  while first <= last and find(" \t\r\n\f\v", sub(text, first, first), 1, true) do first = first + 1 end
  while last >= first and find(" \t\r\n\f\v", sub(text, last, last), 1, true) do last = last - 1 end
  return sub(text, first, last)
end

local MAX_BRACE_NESTING = 64

-- One pass of {name} / {name(args)} replacement over the innermost braces:
-- what gsub(text, "{([%w_%.]+)%(?([^{}]-)%)?}", replace) does, written as a
-- scan because that pattern backtracks quadratically on a long name with no
-- closing brace. Returns the new text and the number of replacements.
local function expand_innermost(text, replace)
  local parts, pos, count = {}, 1, 0
  while true do
    local open = find(text, "{", pos, true)
    if not open then break end
    local _, name_end = find(text, "^[%w_%.]+", open + 1)
    local close = name_end and find(text, "[{}]", name_end + 1)
    if close and sub(text, close, close) == "}" then
      local name = sub(text, open + 1, name_end)
      local args = sub(text, name_end + 1, close - 1)
      if sub(args, 1, 1) == "(" then args = sub(args, 2) end
      if sub(args, -1) == ")" then args = sub(args, 1, -2) end
      parts[#parts + 1] = sub(text, pos, open - 1)
      parts[#parts + 1] = replace(name, args)
      count = count + 1
      pos = close + 1
    else
      parts[#parts + 1] = sub(text, pos, open)
      pos = open + 1
    end
  end
  parts[#parts + 1] = sub(text, pos)
  return concat(parts), count
end

local function expand_sql(text, params, binds, where, depth, used)
  depth = depth or 0
  if depth > 20 then return nil, "defines nest too deeply (a define refers to itself?)" end
  local err
  local function replace(name, args)
    if err then return "" end
    local define = state.defines[name]
    if define then
      local body = define.sql
      if args ~= "" then
        local i = 0
        for arg in string.gmatch(args, "[^,]+") do
          i = i + 1
          local a = trim(arg)
          body = gsub(body, "%$" .. i, function() return a end)
        end
      end
      local expanded, e = expand_sql(body, params, binds, where, depth + 1, used)
      if not expanded then err = e return "" end
      return "(" .. expanded .. ")"
    end
    if args ~= "" then err = format("unknown define '%s'", name) return "" end
    if BUILTINS[name] or params[name] then
      local p = params[name]
      if p and p.type == "schedule" then
        err = format("parameter '%s' is a schedule and cannot be used in SQL", name)
        return ""
      end
      for i, b in ipairs(binds) do
        if b == name then return "?" .. i end
      end
      insert(binds, name)
      if used and params[name] then used[name] = true end
      return "?" .. #binds
    end
    local names = keys_of(params)
    for k in pairs(state.defines) do names[#names + 1] = k end
    for k in pairs(BUILTINS) do names[#names + 1] = k end
    local best = host.suggest(name, names)
    err = format("unknown name {%s} in SQL%s", name, best and format(" (did you mean {%s}?)", best) or "")
    return ""
  end
  -- Innermost {...} first, so {at_least(x, {A05.hours})} works.
  local out, n, passes = text, 1, 0
  while n > 0 and not err do
    passes = passes + 1
    if passes > MAX_BRACE_NESTING then
      return nil, format("{ } nest more than %d deep in SQL", MAX_BRACE_NESTING)
    end
    out, n = expand_innermost(out, replace)
  end
  if err then return nil, err end
  if find(out, "[{}]") then return nil, "unbalanced { } in SQL" end
  return out
end

-- A value that becomes a parameter: numbers make <id>.<suffix>.
local function param_for(value, name, decl, source, extra, params, out_params_new)
  if getmetatable(value) == REF then return { kind = value.kind, name = value.name } end
  if type(value) ~= "number" then return nil end
  if not params[name] then
    local p = { name = name, type = "number", default = value, file = decl.file, line = decl.line,
                source = source, description = extra.description, min = extra.min, max = extra.max,
                unit = extra.unit }
    params[name] = p
    insert(out_params_new, p)
  end
  return { kind = "param", name = name }
end

local COMPARE = { ["<"] = "<", ["<="] = "<=", [">"] = ">", [">="] = ">=", ["="] = "=", ["=="] = "=",
                  ["~="] = "!=", ["!="] = "!=", ["<>"] = "!=" }
local NEGATE = { ["<"] = ">=", ["<="] = ">", [">"] = "<=", [">="] = "<", ["="] = "!=", ["!="] = "=" }

-- Parses "workers = 0", "responses < {satisfaction.min_responses}",
-- "managed > compounds" into a check against the input columns.
local function parse_condition(text, inputs_index, params)
  if type(text) ~= "string" then return nil, "a condition is text such as \"workers = 0\"" end
  if #text > SHORT_TEXT then
    return nil, format("a condition of %d bytes (conditions are short: \"workers = 0\")", #text)
  end
  local lhs, op, rhs = match(text, "^%s*([%a_][%w_]*)%s*([<>=~!]+)%s*(.-)%s*$")
  if not lhs or not COMPARE[op] then
    return nil, format("cannot read condition '%s' (write: input op value, e.g. \"workers = 0\")", text)
  end
  if not inputs_index[lhs] then
    return nil, format("condition '%s': '%s' is not one of this indicator's inputs", text, lhs)
  end
  local c = { lhs = inputs_index[lhs], op = COMPARE[op], text = text }
  local pname = match(rhs, "^{([%w_%.]+)}$")
  if tonumber(rhs) then
    c.rhs_kind, c.rhs = "number", tonumber(rhs)
  elseif pname then
    if not params[pname] then
      local best = host.suggest(pname, keys_of(params))
      return nil, format("condition '%s': unknown parameter {%s}%s", text, pname,
                         best and format(" (did you mean {%s}?)", best) or "")
    end
    c.rhs_kind, c.rhs = "param", pname
  elseif inputs_index[rhs] then
    c.rhs_kind, c.rhs = "input", inputs_index[rhs]
  else
    return nil, format("condition '%s': '%s' is not a number, an input or a {parameter}", text, rhs)
  end
  return c
end

-- Tables the engine fills during a run before the queries that read them
-- (eval.c decides every task into temp.task_decision first), each with the
-- need a query that reads it declares. The compiled `needs` of a query tell
-- C which queries wait for that step, on its connection: C reads them
-- (rules.c, need_names) and never looks into the SQL.
local ENGINE_TABLES = { task_decision = "task_decisions" }

-- The needs of a query (ENGINE_TABLES) from the tables its declaration
-- names, defines expanded: a whole word, so task_decisions is not one.
local function needs_of(sql)
  local needs = {}
  for _, name in ipairs(keys_of(ENGINE_TABLES)) do
    if find(sql, "%f[%w_]" .. name .. "%f[^%w_]") then needs[#needs + 1] = ENGINE_TABLES[name] end
  end
  return needs
end

local function compile_indicator(decl, params, new_params, categories, context)
  local b = decl.body
  local id = decl.name
  local what = "indicator \"" .. id .. "\""
  check_fields(decl, INDICATOR_FIELDS, what)
  local ind = { id = id, name = b.name, category = b.category, unit = b.unit, source = b.source,
                description = b.description, hint = b.hint, file = decl.file, line = decl.line,
                inputs = {}, checks = {} }
  local function bad(message, ...) problem(decl.file, decl.line, what .. ": " .. message, ...) end
  if not match(id, "^[%w_]+$") then bad("ids are letters, digits and _") end
  if type(b.name) ~= "string" or b.name == "" then bad("needs a Chinese name: name = \"...\"") end
  if type(b.category) ~= "string" then bad("needs a category: category = \"A\"")
  elseif not categories[b.category] then
    local best = host.suggest(b.category, keys_of(categories))
    bad("unknown category '%s'%s", b.category, best and format(" (did you mean '%s'?)", best) or "")
  end
  if b.source == nil or b.source == "" then
    warn(decl.file, decl.line, "%s has no source for its numbers (source = \"...\")", what)
  end

  -- Indicator-local parameters: params = { hours = 60 } → <id>.hours.
  if b.params ~= nil then
    if type(b.params) ~= "table" then bad("params must be a table { name = number }")
    else
      for _, k in ipairs(keys_of(b.params)) do
        local v = b.params[k]
        if type(k) ~= "string" or type(v) ~= "number" then
          bad("params: entries are name = number")
        else
          param_for(v, id .. "." .. k, decl, b.source, {}, params, new_params)
        end
      end
    end
  end

  -- max points → <id>.max
  if b.max == nil then bad("needs max points: max = 3")
  elseif type(b.max) ~= "number" and getmetatable(b.max) ~= REF then bad("max must be a number")
  elseif type(b.max) == "number" and b.max <= 0 then bad("max must be above 0 (got %s)", tostring(b.max))
  else
    ind.max = param_for(b.max, id .. ".max", decl, b.source,
                        { min = 0, max = 100, description = (b.name or id) .. " 满分" }, params, new_params)
  end

  -- Inputs, in name order (stable), each a column of the query.
  local index = {}
  if type(b.inputs) ~= "table" or next(b.inputs) == nil then
    bad("needs inputs = { name = fact(...) / community(...) / count(...) / sum(...) / sql [[...]] }")
  else
    for _, name in ipairs(keys_of(b.inputs)) do
      local inp = b.inputs[name]
      if type(name) ~= "string" or not match(name, "^[%a_][%w_]*$") then
        bad("input names are letters, digits and _")
      elseif getmetatable(inp) ~= INPUT then
        bad("input '%s' must be fact(...), community(...), count(...), sum(...) or sql [[...]]", name)
      else
        local domain, derr = parse_domain(inp.domain)
        if derr then bad("input '%s': %s", name, derr) end
        insert(ind.inputs, { name = name, kind = inp.kind, sql = inp.sql, describe = inp.describe,
                             domain = inp.domain, domain_checks = domain, from = inp.from,
                             where = inp.where, expr = inp.expr, community = inp.community })
        index[name] = #ind.inputs
      end
    end
  end

  -- value: an SQL expression over the inputs, computed in one query.
  if type(b.value) ~= "string" or b.value == "" then
    bad("needs value = \"SQL expression over the inputs\"")
  end

  -- Status checks, in the order of POLICY.md §0.
  local function add_check(status, c) c.status = status insert(ind.checks, c) end
  for i, inp in ipairs(ind.inputs) do
    add_check("missing", { lhs = i, op = "null", text = inp.name .. " 未填报" })
  end
  local function conditions(field, status)
    local list = b[field]
    if list == nil then return end
    if type(list) == "string" then list = { list } end
    if type(list) ~= "table" then bad("%s must be a list of conditions", field) return end
    for _, text in ipairs(list) do
      local c, err = parse_condition(text, index, params)
      if not c then bad("%s: %s", field, err) else add_check(status, c) end
    end
  end
  conditions("missing_if", "missing")
  for i, inp in ipairs(ind.inputs) do
    for _, d in ipairs(inp.domain_checks or {}) do
      add_check("invalid", { lhs = i, op = NEGATE[d.op], rhs_kind = "number", rhs = d.value,
                             text = format("%s 超出值域 %s", inp.name, inp.domain) })
    end
  end
  conditions("invalid_if", "invalid")
  if b.denominator ~= nil then
    local list = type(b.denominator) == "string" and { b.denominator } or b.denominator
    if type(list) ~= "table" then bad("denominator must be an input name or a list of them")
    else
      for _, name in ipairs(list) do
        if not index[name] then bad("denominator '%s' is not an input", tostring(name))
        else add_check("missing", { lhs = index[name], op = "=", rhs_kind = "number", rhs = 0,
                                    text = name .. " 为 0（分母为零）" }) end
      end
    end
  end

  -- score: lin(a, b) / ratio(t); numbers become <id>.from/.to/.target.
  if getmetatable(b.score) ~= SCORE then
    bad("needs score = lin(from, to) or ratio(target)")
  else
    local s = b.score
    ind.score = { kind = s.kind, args = {} }
    for i, a in ipairs(s.args) do
      ind.score.args[i] = param_for(a, id .. "." .. s.arg_names[i], decl, b.source,
                                    { description = (b.name or id) .. " " .. s.arg_names[i] }, params, new_params)
    end
    local a1, a2 = s.args[1], s.args[2]
    if s.kind == "lin" and type(a1) == "number" and type(a2) == "number" and a1 == a2 then
      bad("lin(%s, %s): from and to are equal, so the score jumps and the range means nothing", tostring(a1), tostring(a2))
    elseif s.kind == "ratio" and type(a1) == "number" and a1 <= 0 then
      bad("ratio(%s): the target must be above 0", tostring(a1))
    end
    for _, a in ipairs(s.args) do
      if getmetatable(a) == REF and not params[a.name] then
        local best = host.suggest(a.name, keys_of(params))
        bad("score refers to unknown parameter '%s'%s", a.name, best and format(" (did you mean '%s'?)", best) or "")
      end
    end
  end

  -- The query: one row per community, ordered by id. Set-oriented: the
  -- count and sum inputs over the same table are computed together in one
  -- GROUP BY pass (conditional aggregates), joined to the communities; other
  -- inputs are scalar subqueries. The inputs are materialized once, so the
  -- value formula never evaluates an input twice.
  if #ind.inputs > 0 and type(b.value) == "string" then
    local groups, group_order = {}, {}
    local columns = {}
    -- The same pieces, kept for bundling (finalize): indicators that read
    -- one table the same way share one scan of it.
    local plan = { groups = group_order, inputs = {}, value = b.value }
    for _, inp in ipairs(ind.inputs) do
      if inp.kind == "count" or inp.kind == "sum" then
        local key = inp.from .. "\0" .. inp.community
        local g = groups[key]
        if not g then
          g = { name = "g" .. (#group_order + 1), from = inp.from, community = inp.community, aggregates = {} }
          groups[key] = g
          group_order[#group_order + 1] = g
        end
        local aggregate
        if inp.kind == "count" then
          aggregate = inp.where and ("SUM(CASE WHEN (" .. inp.where .. ") THEN 1 ELSE 0 END)") or "COUNT(*)"
        else
          aggregate = "TOTAL(" .. (inp.where and ("CASE WHEN (" .. inp.where .. ") THEN (" .. inp.expr .. ") END")
                                            or ("(" .. inp.expr .. ")")) .. ")"
        end
        -- The same aggregate as a value per row, summed in C by a scan
        -- (compile_bundles): 0/1 for a count, NULL or the value for a sum.
        local row
        if inp.kind == "count" then
          row = inp.where and ("CASE WHEN (" .. inp.where .. ") THEN 1 ELSE 0 END") or "1"
        else
          row = inp.where and ("CASE WHEN (" .. inp.where .. ") THEN (" .. inp.expr .. ") END")
                          or ("(" .. inp.expr .. ")")
        end
        g.aggregates[#g.aggregates + 1] = aggregate .. " AS " .. inp.name
        columns[#columns + 1] = "CAST(COALESCE(" .. g.name .. "." .. inp.name .. ", 0) AS REAL) AS " .. inp.name
        plan.inputs[#plan.inputs + 1] = { name = inp.name, aggregate = aggregate, row = row, kind = inp.kind }
      else
        columns[#columns + 1] = "CAST(" .. inp.sql .. " AS REAL) AS " .. inp.name
        plan.inputs[#plan.inputs + 1] = { name = inp.name, sql = inp.sql }
      end
    end
    local ctes, joins = {}, {}
    for _, g in ipairs(group_order) do
      ctes[#ctes + 1] = g.name .. " AS MATERIALIZED (SELECT " .. g.community .. " AS community_id, " ..
                        concat(g.aggregates, ", ") .. " FROM " .. g.from .. " GROUP BY " .. g.community .. ")"
      joins[#joins + 1] = " LEFT JOIN " .. g.name .. " ON " .. g.name .. ".community_id = c.id"
    end
    local names = {}
    for _, inp in ipairs(ind.inputs) do names[#names + 1] = inp.name end
    ctes[#ctes + 1] = "inputs AS MATERIALIZED (SELECT c.id AS community_id, " .. concat(columns, ", ") ..
                      " FROM communities c" .. concat(joins) .. ")"
    local text = "WITH " .. concat(ctes, ", ") ..
                 " SELECT community_id, CAST((" .. b.value .. ") AS REAL) AS value, " ..
                 concat(names, ", ") .. " FROM inputs ORDER BY community_id"
    local binds, used = {}, {}
    local expanded, err = expand_sql(text, params, binds, decl, 0, used)
    if not expanded then bad("%s", err) else ind.sql, ind.binds, ind.plan = expanded, binds, plan end
    ind.needs = expanded and needs_of(expanded) or {}
    ind.uses = keys_of(used)
  end
  return ind
end

-- Bundles: the indicators whose count and sum inputs all come from one
-- table read the same way (the same FROM and community column), or that have
-- none, are computed together by one query, so the table is scanned once
-- for all of them instead of once per indicator (activities feed six
-- indicators). Each member keeps its own query, which check and a what-if
-- re-run still use (and eval, should the bundle's query not prepare); the
-- bundle returns, per community, each member's
-- value and inputs side by side, exactly as the member's own query would.
-- Queries with needs (B01 reads the task decisions) are left alone: only the main
-- connection has them.
-- The table a group reads, and its alias, when it reads one table alone
-- ("activities", "tasks t", "tasks AS t"): then a scan can compute it.
local SQL_WORDS = { WHERE = true, JOIN = true, NATURAL = true, LEFT = true, RIGHT = true,
                    FULL = true, INNER = true, CROSS = true, ON = true, USING = true,
                    GROUP = true, ORDER = true, LIMIT = true, INDEXED = true, NOT = true }
-- Or, for "workers w CROSS JOIN visits v ON v.worker_id = w.id" counted by
-- w.community_id: the table joined to (visits v), the column that points
-- to the other table's id (v.worker_id) and that table (workers). The scan
-- reads visits alone and finds each row's community through the worker; it
-- is used only when no per-row value reads the other table (rows_free_of).
local function scan_join(group)
  if not group then return nil end
  local t1, a1, rest = match(group.from, "^%s*([%a_][%w_]*)%s+([%a_][%w_]*)%s+(.*)$")
  if not t1 or SQL_WORDS[string.upper(a1)] then return nil end
  rest = gsub(rest, "^[Cc][Rr][Oo][Ss][Ss]%s+", "")
  local t2, a2, l, r = match(rest, "^[Jj][Oo][Ii][Nn]%s+([%a_][%w_]*)%s+([%a_][%w_]*)%s+[Oo][Nn]%s+" ..
                                   "([%a_][%w_%.]*)%s*=%s*([%a_][%w_%.]*)%s*$")
  if not t2 or SQL_WORDS[string.upper(a2)] then return nil end
  local key
  if l == a1 .. ".id" and match(r, "^" .. a2 .. "%.[%a_][%w_]*$") then key = r
  elseif r == a1 .. ".id" and match(l, "^" .. a2 .. "%.[%a_][%w_]*$") then key = l end
  if not key or trim(group.community) ~= a1 .. ".community_id" then return nil end
  return t2, a2, key, t1, a1
end

local function rows_free_of(rows, alias)
  for _, row in ipairs(rows) do
    if find(row, alias .. ".", 1, true) then return false end
  end
  return true
end

local function scan_source(group)
  if not group then return nil end
  local from = group.from
  local t = match(from, "^%s*([%a_][%w_]*)%s*$")
  if t then return t, nil end
  local a
  t, a = match(from, "^%s*([%a_][%w_]*)%s+[Aa][Ss]%s+([%a_][%w_]*)%s*$")
  if not t then t, a = match(from, "^%s*([%a_][%w_]*)%s+([%a_][%w_]*)%s*$") end
  if t and a and not SQL_WORDS[string.upper(a)] then return t, a end
  return nil
end

local function compile_bundles(out, params)
  out.bundles = {}
  local bundle_of, order = {}, {}
  for index, ind in ipairs(out.indicators) do
    local plan = ind.plan
    ind.plan = nil
    if plan and ind.sql and #plan.groups <= 1 and #ind.needs == 0 then
      local g = plan.groups[1]
      local key = g and (g.from .. "\0" .. g.community) or ""
      local bundle = bundle_of[key]
      if not bundle then
        bundle = { group = g, members = {} }
        bundle_of[key] = bundle
        order[#order + 1] = bundle
      end
      insert(bundle.members, { index = index, plan = plan })
    end
  end
  for _, bundle in ipairs(order) do
    local table_name, alias = scan_source(bundle.group)
    local key, via, via_alias
    if not table_name then table_name, alias, key, via, via_alias = scan_join(bundle.group) end
    if #bundle.members >= 2 or table_name then
      local aggregates, columns, selects, members = {}, {}, {}, {}
      local rows, kinds, renames = {}, {}, {}
      for j, m in ipairs(bundle.members) do
        local prefix = "k" .. j .. "_"
        local inner = { "inputs.community_id AS community_id" }
        local outer = {}
        for _, inp in ipairs(m.plan.inputs) do
          local column = prefix .. inp.name
          if inp.aggregate then
            aggregates[#aggregates + 1] = inp.aggregate .. " AS " .. column
            columns[#columns + 1] = "CAST(COALESCE(g." .. column .. ", 0) AS REAL) AS " .. column
            rows[#rows + 1] = inp.row
            kinds[#kinds + 1] = inp.kind == "count" and "count" or "total"
            renames[#renames + 1] = "a" .. #rows .. " AS " .. column
          else
            columns[#columns + 1] = "CAST(" .. inp.sql .. " AS REAL) AS " .. column
          end
          inner[#inner + 1] = "inputs." .. column .. " AS " .. inp.name
          outer[#outer + 1] = "inputs." .. column
        end
        -- The member's value over its own input names, as in its query.
        selects[#selects + 1] = "(SELECT CAST((" .. m.plan.value .. ") AS REAL) FROM (SELECT " ..
                                concat(inner, ", ") .. "))"
        for _, o in ipairs(outer) do selects[#selects + 1] = o end
        members[#members + 1] = m.index
      end
      local function query(g)
        local text, join = "WITH ", ""
        if g then
          text = text .. g .. ", "
          join = " LEFT JOIN g ON g.community_id = c.id"
        end
        return text .. "inputs AS MATERIALIZED (SELECT c.id AS community_id, " .. concat(columns, ", ") ..
               " FROM communities c" .. join .. ") SELECT inputs.community_id, " .. concat(selects, ", ") ..
               " FROM inputs ORDER BY inputs.community_id"
      end
      local text = query(bundle.group and ("g AS MATERIALIZED (SELECT " .. bundle.group.community ..
                                          " AS community_id, " .. concat(aggregates, ", ") .. " FROM " ..
                                          bundle.group.from .. " GROUP BY " .. bundle.group.community .. ")"))
      local binds = {}
      local expanded = expand_sql(text, params, binds, nil, 0, nil)
      local entry = expanded and { sql = expanded, binds = binds, members = members, needs = {} }
      -- The scan (eval.c): one pass over the table, which also checks its
      -- rows, gives per row the community and each aggregate's value, summed
      -- per community in C into temp.kaohe_scan (community_id, a1, a2...);
      -- then `after_scan` is this query reading that table instead of
      -- grouping the rows itself. The same sums in the same row order.
      if entry and table_name and (not via or rows_free_of(rows, via_alias)) then
        local scan_binds, after_binds = {}, {}
        local scan_sql = expand_sql((key or bundle.group.community) .. ", " .. concat(rows, ", "), params,
                                    scan_binds, nil, 0, nil)
        local after_sql = expand_sql(query("g AS (SELECT community_id, " .. concat(renames, ", ") ..
                                           " FROM temp.kaohe_scan)"), params, after_binds, nil, 0, nil)
        if scan_sql and after_sql then
          entry.scan = { table = table_name, alias = alias, via = via, sql = scan_sql, binds = scan_binds,
                         kinds = kinds, after = { sql = after_sql, binds = after_binds } }
        end
      end
      if entry and (#members >= 2 or entry.scan) then insert(out.bundles, entry) end
    end
  end
end

-- Default names of star grades: 1..10 stars as Chinese numerals.
local STAR_NUMERALS = { "一", "二", "三", "四", "五", "六", "七", "八", "九", "十" }

-- Star grades: ordered best first.
local function compile_stars(out, params, indicator_ids)
  local decl = state.stars
  if not decl then
    problem("(rules)", 0, "no star grades declared: stars { ... }")
    return
  end
  out.stars = {}
  -- unrated: what outputs call a community below every grade.
  local unrated = decl.body.unrated
  if unrated ~= nil and (type(unrated) ~= "string" or unrated == "") then
    problem(decl.file, decl.line, "stars: unrated must be a text such as \"未评级\"")
  end
  out.star_unrated = type(unrated) == "string" and unrated ~= "" and unrated or "未评级"
  local last
  for i, g in ipairs(decl.body) do
    if type(g) ~= "table" or math.type(g.stars) ~= "integer" then
      problem(decl.file, decl.line, "stars: grade %d needs stars = <whole number>", i)
    else
      -- name: what outputs call the grade (五星); unnamed grades get the
      -- Chinese numeral of their stars, so older rule files read as before.
      local name = g.name
      if name ~= nil and (type(name) ~= "string" or name == "") then
        problem(decl.file, decl.line, "stars: grade %d: name must be a text such as \"五星\"", i)
      end
      if type(name) ~= "string" or name == "" then
        name = (STAR_NUMERALS[g.stars] or tostring(g.stars)) .. "星"
      end
      local grade = { stars = g.stars, name = name, total = nil, also = {} }
      grade.file, grade.line = decl.file, decl.line -- for rules.c's messages
      if type(g.total) == "string" and params[g.total] then
        grade.total = { kind = "param", name = g.total }
      else
        problem(decl.file, decl.line, "stars: grade %d: total must name a parameter (e.g. total = \"stars.five\")", i)
      end
      for _, text in ipairs(g.also or {}) do
        local ind, op, pname
        if type(text) == "string" and #text <= SHORT_TEXT then
          ind, op, pname = match(text, "^%s*([%w_]+)%s*([<>=]+)%s*{([%w_%.]+)}%s*$")
        end
        if not ind or not COMPARE[op] then
          problem(decl.file, decl.line, "stars: cannot read '%s' (write \"F01 >= {stars.five_f01}\")", tostring(text))
        elseif not indicator_ids[ind] then
          problem(decl.file, decl.line, "stars: '%s' is not an indicator", ind)
        elseif not params[pname] then
          problem(decl.file, decl.line, "stars: unknown parameter {%s}", pname)
        else
          insert(grade.also, { indicator = ind, op = COMPARE[op], param = pname, text = text })
        end
      end
      if last and last >= 0 and g.stars >= last then
        problem(decl.file, decl.line, "stars: grades must go from best to worst")
      end
      last = g.stars
      insert(out.stars, grade)
    end
  end
end

-- Applies a profile's overrides and sets onto the declarations.
local function apply_profile()
  for _, o in ipairs(state.overrides) do
    local target = state.indicators[o.name] or state.targets[o.name] or state.categories[o.name]
    if o.name == "appraisal" then target = state.appraisal end
    if o.name == "admission" then target = state.admission end
    if not target then
      problem(o.file, o.line, "override \"%s\": nothing of that name to override", o.name)
    else
      for k, v in pairs(o.body) do target.body[k] = v end
      target.overridden = location(o)
    end
  end
end

local compilers = {}
api.compilers = compilers

local SCOPES = { region = 1, district = 2, street = 3, community = 4 }
local TARGET_FIELDS = { name = true, source = true, description = true, measure = true,
                        from = true, community = true, numerator = true, denominator = true,
                        required = true, scopes = true, empty = true, unit = true }

-- target "cert_ratio" { numerator = SQL, denominator = SQL, required = ..., scopes = {...} }
-- One query gives each community's numerator and denominator; the engine
-- sums them up to street, district and region.
compilers.targets = function(out, st, params, new_params, h)
  out.targets = {}
  for _, id in ipairs(st.target_order) do
    local decl = st.targets[id]
    local b = decl.body
    local what = "target \"" .. id .. "\""
    local function bad(message, ...) h.problem(decl.file, decl.line, what .. ": " .. message, ...) end
    h.check_fields(decl, TARGET_FIELDS, what)
    local t = { id = id, name = b.name, source = b.source, file = decl.file, line = decl.line,
                measure = b.measure or "ratio", empty = b.empty or "null", unit = b.unit,
                scopes = {} }
    if t.measure ~= "ratio" and t.measure ~= "count" then
      bad("unknown measure '%s' (\"ratio\" or \"count\")", tostring(t.measure))
    end
    if t.empty ~= "null" and t.empty ~= "skip" then
      bad("unknown empty '%s' (\"null\": a row with no actual, or \"skip\": no row)", tostring(t.empty))
    end
    if type(b.name) ~= "string" then bad("needs a Chinese name: name = \"...\"") end
    if b.source == nil or b.source == "" then
      h.warn(decl.file, decl.line, "%s has no source for its numbers (source = \"...\")", what)
    end
    if type(b.numerator) ~= "string" then bad("needs numerator = \"SQL condition\"") end
    if t.measure == "ratio" and type(b.denominator) ~= "string" then bad("a ratio needs denominator = \"SQL condition\"") end
    if type(b.scopes) ~= "table" or #b.scopes == 0 then bad("needs scopes = { \"region\", \"district\", \"street\", \"community\" }")
    else
      for _, sc in ipairs(b.scopes) do
        if not SCOPES[sc] then bad("unknown scope '%s' (region, district, street, community)", tostring(sc))
        else t.scopes[#t.scopes + 1] = sc end
      end
    end
    if b.required == nil then bad("needs required = <number>, ref \"param\" or schedule \"param\"")
    else
      t.required = h.param_for(b.required, id .. ".required", decl, b.source,
                               { description = (b.name or id) .. " 要求值", min = 0 }, params, new_params)
      if not t.required then bad("required must be a number, ref \"...\" or schedule \"...\"") end
    end
    local from = b.from or "workers"
    local key = b.community or (from == "communities" and "id" or "community_id")
    if type(from) ~= "string" or not match(from, "^[%w_]+$") then bad("from must be a table name") end
    if type(b.numerator) == "string" and (t.measure == "count" or type(b.denominator) == "string") then
      local den = t.measure == "ratio" and b.denominator or "0"
      local text = "SELECT c.id, (SELECT COUNT(*) FROM " .. from .. " x WHERE x." .. key ..
                   " = c.id AND (" .. b.numerator .. ")), " ..
                   (t.measure == "ratio" and ("(SELECT COUNT(*) FROM " .. from .. " x WHERE x." .. key ..
                   " = c.id AND (" .. den .. "))") or "0") ..
                   " FROM communities c ORDER BY c.id"
      local binds = {}
      local expanded, err = h.expand_sql(text, params, binds, decl, 0, {})
      if not expanded then bad("%s", err) else t.sql, t.binds, t.needs = expanded, binds, h.needs_of(expanded) end
    end
    insert(out.targets, t)
  end
end

local APPRAISAL_FIELDS = { name = true, source = true, description = true, who = true,
                           components = true, score = true, floors = true, group = true,
                           bottom_ratio = true, weights = true }

-- appraisal { who = SQL, components = {...}, score = SQL, floors = {...},
--             group = "street", bottom_ratio = "param" }
compilers.appraisal = function(out, st, params, new_params, h)
  local decl = st.appraisal
  if not decl then return end
  local b = decl.body
  local function bad(message, ...) h.problem(decl.file, decl.line, "appraisal: " .. message, ...) end
  h.check_fields(decl, APPRAISAL_FIELDS, "appraisal")
  local a = { name = b.name, source = b.source, file = decl.file, line = decl.line,
              group = b.group or "street", components = {}, floors = {} }
  if not SCOPES[a.group] then
    bad("unknown group '%s' (region, district, street or community)", tostring(a.group))
  end
  if type(b.who) ~= "string" then bad("needs who = \"SQL condition\" (the workers appraised)") end
  if type(b.score) ~= "string" then bad("needs score = \"SQL expression\"") end
  if type(b.components) ~= "table" or #b.components == 0 then bad("needs components = { \"column\", ... }")
  else
    for _, c in ipairs(b.components) do
      if type(c) ~= "string" or not match(c, "^[%a_][%w_]*$") then bad("components are column names")
      else a.components[#a.components + 1] = c end
    end
  end
  local columns = { score = 0 }
  for i, c in ipairs(a.components) do columns[c] = i end
  if type(b.floors) == "table" then
    for _, column in ipairs(h.keys_of(b.floors)) do
      local pname = b.floors[column]
      if columns[column] == nil then bad("floors: '%s' is not score or a component", tostring(column))
      elseif type(pname) ~= "string" or not params[pname] then bad("floors: %s must name a parameter", column)
      else a.floors[#a.floors + 1] = { column = columns[column], param = pname, name = column } end
    end
  end
  -- weights = { score_civil = "appraisal.weight.civil", ... }: the parameter
  -- that weighs each component, for explanations (the score is the SQL's).
  a.weights = {}
  if b.weights ~= nil and type(b.weights) ~= "table" then bad("weights = { component = \"parameter\" }")
  elseif type(b.weights) == "table" then
    for _, column in ipairs(h.keys_of(b.weights)) do
      local pname = b.weights[column]
      if type(column) ~= "string" or (columns[column] or 0) == 0 then
        bad("weights: '%s' is not a component", tostring(column))
      elseif type(pname) ~= "string" or not params[pname] then bad("weights: %s must name a parameter", column)
      else a.weights[#a.weights + 1] = { column = columns[column], param = pname } end
    end
  end
  if type(b.bottom_ratio) ~= "string" or not params[b.bottom_ratio] then
    bad("bottom_ratio must name a parameter, e.g. \"elimination.bottom_ratio\"")
  else a.bottom_ratio = b.bottom_ratio end
  if type(b.who) == "string" and type(b.score) == "string" and #a.components > 0 then
    local text = "SELECT id, community_id, CAST((" .. b.score .. ") AS REAL), " ..
                 concat(a.components, ", ") .. " FROM workers WHERE (" .. b.who .. ") ORDER BY id"
    local binds = {}
    local expanded, err = h.expand_sql(text, params, binds, decl, 0, {})
    if not expanded then bad("%s", err) else a.sql, a.binds, a.needs = expanded, binds, h.needs_of(expanded) end
  end
  out.appraisal = a
end

local ADMISSION_FIELDS = { name = true, source = true, description = true, messages = true,
                           match_limit = true, depth_limit = true, heap_limit = true,
                           run_budget = true }
local ENTRY_FIELDS = { pattern = true, department = true, kind = true, reason = true,
                       source = true, description = true }
local MESSAGE_NAMES = { "unfunded", "unstaffed", "no_approval", "not_listed", "limit", "admitted" }

-- admission { messages = {...}, match_limit = "param", ... } plus deny/allow entries.
compilers.admission = function(out, st, params, new_params, h)
  local decl = st.admission
  if not decl and #st.entry_order == 0 then return end
  local a = { entries = {}, messages = {} }
  if not decl then
    h.problem("(rules)", 0, "deny/allow entries need an admission { ... } block with the reason texts")
    return
  end
  local b = decl.body
  local function bad(message, ...) h.problem(decl.file, decl.line, "admission: " .. message, ...) end
  h.check_fields(decl, ADMISSION_FIELDS, "admission")
  a.file, a.line, a.name = decl.file, decl.line, b.name
  if type(b.messages) ~= "table" then bad("needs messages = { unfunded = ..., ... }")
  else
    for _, m in ipairs(MESSAGE_NAMES) do
      if type(b.messages[m]) ~= "string" then bad("messages.%s is missing", m)
      else a.messages[m] = b.messages[m] end
    end
  end
  for _, k in ipairs({ "match_limit", "depth_limit", "heap_limit", "run_budget" }) do
    if b[k] ~= nil then
      if type(b[k]) ~= "string" or not params[b[k]] then bad("%s must name a parameter", k)
      else a[k] = b[k] end
    end
  end
  for _, id in ipairs(st.entry_order) do
    local e = st.entries[id]
    local eb = e.body
    local what = e.list .. " \"" .. id .. "\""
    h.check_fields(e, ENTRY_FIELDS, what)
    local entry = { id = id, list = e.list, kind = eb.kind or "-", pattern = eb.pattern,
                    department = eb.department, reason = eb.reason, file = e.file, line = e.line }
    if type(eb.pattern) ~= "string" or eb.pattern == "" then h.problem(e.file, e.line, "%s needs pattern = [[...]]", what) end
    if eb.department ~= nil and type(eb.department) ~= "string" then h.problem(e.file, e.line, "%s: department must be a pattern", what) end
    if type(eb.reason) ~= "string" or eb.reason == "" then h.problem(e.file, e.line, "%s needs reason = \"...\"", what) end
    if e.list == "allow" and eb.kind ~= "duty" and eb.kind ~= "assist" then
      h.problem(e.file, e.line, "%s: %s (kind is \"duty\" 依法履职 or \"assist\" 协助政府)", what,
                eb.kind == nil and "needs a kind" or format("unknown kind '%s'", tostring(eb.kind)))
    elseif e.list == "deny" and eb.kind ~= nil then
      h.problem(e.file, e.line, "%s: deny entries have no kind", what)
    end
    a.entries[#a.entries + 1] = entry
  end
  out.admission = a
end

function api.finalize(context)
  local out = { problems = {} }
  for _, d in ipairs(state.duplicates) do insert(state.problems, d) end
  apply_profile()
  local params = compile_params(out, context)
  local new_params = {}

  -- The system and its categories.
  local sys = state.system
  if not sys then
    problem("(rules)", 0, "no system declared: system \"...\" { total = 100, categories = 6, indicators = 33 }")
  else
    check_fields(sys, SYSTEM_FIELDS, "system")
    out.system = { name = sys.name, total = sys.body.total, categories = sys.body.categories,
                   indicators = sys.body.indicators, source = sys.body.source,
                   file = sys.file, line = sys.line }
    if type(sys.body.total) ~= "number" then problem(sys.file, sys.line, "system: total = <points> is required") end
  end
  out.categories = {}
  for _, id in ipairs(keys_of(state.categories)) do
    local c = state.categories[id]
    check_fields(c, CATEGORY_FIELDS, "category \"" .. id .. "\"")
    if type(c.body.name) ~= "string" then problem(c.file, c.line, "category \"%s\" needs a name", id) end
    insert(out.categories, { id = id, name = c.body.name, source = c.body.source, file = c.file, line = c.line })
  end

  out.indicators = {}
  local ids = {}
  for _, id in ipairs(keys_of(state.indicators)) do
    local ind = compile_indicator(state.indicators[id], params, new_params, state.categories, context)
    insert(out.indicators, ind)
    ids[id] = true
  end
  compile_stars(out, params, ids)
  compile_bundles(out, params)

  -- Structure of the system: counts and points.
  if out.system then
    local s = out.system
    if s.categories and #out.categories ~= s.categories then
      problem(s.file, s.line, "system: %d categories declared, %d expected", #out.categories, s.categories)
    end
    if s.indicators and #out.indicators ~= s.indicators then
      problem(s.file, s.line, "system: %d indicators declared, %d expected", #out.indicators, s.indicators)
    end
    local used = {}
    for _, ind in ipairs(out.indicators) do used[ind.category or ""] = true end
    for _, c in ipairs(out.categories) do
      if not used[c.id] then problem(c.file, c.line, "category \"%s\" has no indicator", c.id) end
    end
  end

  for _, name in ipairs(keys_of(compilers)) do
    compilers[name](out, state, params, new_params, {
      problem = problem, warn = warn, check_fields = check_fields, expand_sql = expand_sql, keys_of = keys_of,
      param_for = param_for, parse_domain = parse_domain, REF = REF, location = location,
      normalize_value = normalize_value, parse_condition = parse_condition, COMPARE = COMPARE,
      needs_of = needs_of,
    })
  end

  -- Parameters created from indicator fields join the declared ones, then
  -- a profile's set "..." changes defaults.
  for _, p in ipairs(new_params) do params[p.name] = p end
  apply_sets(params)
  out.params = {}
  for _, name in ipairs(keys_of(params)) do insert(out.params, params[name]) end
  out.extends = state.extends
  out.labels = {}
  for _, kind in ipairs(keys_of(state.labels)) do
    for _, code in ipairs(keys_of(state.labels[kind])) do
      insert(out.labels, { kind = kind, code = code, text = state.labels[kind][code] })
    end
  end
  for _, p in ipairs(state.problems) do insert(out.problems, p) end
  out.warnings = state.warnings
  return out
end

function api.extends()
  return state.extends
end

-- Expose the DSL to rule files.
local dsl = {
  system = system, category = category, param = param, define = define,
  indicator = indicator, stars = stars, lin = lin, ratio = ratio, schedule = schedule,
  community = community, fact = fact, count = count, sum = sum, sql = sql_input,
  extends = extends, set = set, override = override, target = target,
  appraisal = appraisal, admission = admission, deny = entry("deny"), allow = entry("allow"),
  ref = param_ref, labels = labels,
}
for name, f in pairs(dsl) do globals[name] = f end

api.REF, api.INPUT, api.SCORE = REF, INPUT, SCORE
api.state = function() return state end
return api
