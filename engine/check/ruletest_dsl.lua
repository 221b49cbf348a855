--[[
engine/check/ruletest_dsl.lua — the prelude for rule test files (kaohe test),
compiled into the binary.

A test file declares cases. Each case describes a small snapshot inline
(rows get sensible defaults, so a case states only what matters) and lists
expectations made with expect(...), each remembering its own file:line:

  case "A06 十家备案组织得满分" {
    organizations = { { count = 10, registered = 1 } },
    expect "A06" { value = 10, points = 3, status = "ok" },
  }

The C host (engine/check/ruletest.c) builds the snapshot in a temporary SQLite
file, evaluates it with the real engine and compares.
]]

local globals, host = ...
local type, pairs, ipairs, tostring, tonumber, error, setmetatable, next, rawequal =
      type, pairs, ipairs, tostring, tonumber, error, setmetatable, next, rawequal
local format, match, insert, sort = string.format, string.match, table.insert, table.sort

local api = { cases = {} }

local function here()
  local file, line = host.caller()
  return file or "?", line or 0
end

local function fail(message, ...)
  local file, line = here()
  error(format("%s:%d: ", file, line) .. format(message, ...), 0)
end

-- null: the expected value of something that must be NULL / absent. Its
-- metatable is locked: it is shared by every test file.
local NULL = setmetatable({}, { __tostring = function() return "null" end, __name = "null",
                                __newindex = function() error("null cannot be changed", 2) end,
                                __metatable = "locked" })

-- Test files are untrusted like rule files: what they hand over is copied
-- at once with raw reads (next, never pairs or __index), so a metatable can
-- neither fake a field nor run code while the host reads the case, and
-- every value is checked to be text, a number, a boolean or null; the C
-- host then reads only plain data. Expectations are handles (locked
-- metatables) whose contents stay here.
local made = setmetatable({}, { __mode = "k" }) -- expect handle -> expectation
local keep = setmetatable({ [NULL] = NULL }, { __mode = "k" }) -- copied as themselves
local HANDLE = { __newindex = function() error("an expectation cannot be changed", 2) end,
                 __metatable = "locked" }

-- A raw copy of test data (host.plain, rules.c, strict: text, numbers,
-- booleans, tables, null and expectations only).
local function plain(value, file, line)
  return host.plain(value, file, line, keep, true)
end

-- Fields of an expectation or a row: name = text, number, boolean or null.
local function check_scalars(t, what, file, line)
  for k, v in pairs(t) do
    if type(k) ~= "string" then
      error(format("%s:%d: %s: fields are written name = value", file, line, what), 0)
    end
    if type(v) == "table" and not rawequal(v, NULL) then
      error(format("%s:%d: %s: '%s' must be text, a number, true/false or null", file, line, what, k), 0)
    end
  end
end

-- Default column values per table; ids are made up when not given.
local DEFAULTS = {
  communities = { name = "测试社区", district = "测试区", street = "测试街道",
                  population = 10000, households = 3500 },
  workers = { community_id = "C1", name = "测试", hire_date = "2015-01-01", role = "fulltime",
              status = "active" },
  organizations = { community_id = "C1", name = "测试组织", registered = 1, evaluated = 0 },
  activities = { community_id = "C1", kind = "resident" },
  visits = { month = "$month", assigned = 10, visited = 10 },
  postings = { community_id = "C1", channel = "website" },
  survey_responses = { community_id = "C1", satisfied = 1 },
  requests = { community_id = "C1" },
  tasks = { community_id = "C1", department = "民政局" },
}
-- Date columns defaulted to the assessment date (always inside the window).
local DATE_DEFAULTS = { activities = "held_on", postings = "posted_on", requests = "received_on",
                        tasks = "received_on" }
local ID_PREFIX = { communities = "C", workers = "W", organizations = "O", activities = "A",
                    postings = "P", survey_responses = "S", requests = "R", tasks = "T" }
local TABLES = { "communities", "workers", "organizations", "activities", "visits", "postings",
                 "survey_responses", "requests", "tasks" }
local CASE_FIELDS = { as_of = true, region = true, params = true, community = true,
                      communities = true, facts = true, meta = true, subject = true }
for _, t in ipairs(TABLES) do CASE_FIELDS[t] = true end


-- expect "A01" { value = 17, points = 3 } ; expect "community" { stars = 5 } ;
-- expect "worker W001" { flag = "bottom_ratio" } ; expect "task T1" { decision = "reject" } ;
-- expect "target" { id = "cert_ratio", scope = "street", actual = 0.5, met = false }
local function expect(subject)
  local file, line = here()
  if type(subject) ~= "string" then fail("expect needs a subject: expect \"A01\" { ... }") end
  return function(fields)
    if type(fields) ~= "table" then
      error(format("%s:%d: expect \"%s\" needs a table of expected fields", file, line, subject), 0)
    end
    fields = plain(fields, file, line)
    if next(fields) == nil then
      error(format("%s:%d: expect \"%s\" lists no expected fields", file, line, subject), 0)
    end
    check_scalars(fields, "expect \"" .. subject .. "\"", file, line)
    local h = setmetatable({}, HANDLE)
    made[h] = { subject = subject, fields = fields, file = file, line = line }
    keep[h] = h
    return h
  end
end

-- Expands { count = n, ... } rows and fills defaults and ids.
local function expand_rows(table_name, list, as_of, file, line)
  local rows = {}
  if type(list) ~= "table" then
    error(format("%s:%d: %s must be a list of rows { {...}, {...} }", file, line, table_name), 0)
  end
  local serial = 0
  for _, spec in ipairs(list) do
    if type(spec) ~= "table" then
      error(format("%s:%d: %s: each row is a table", file, line, table_name), 0)
    end
    local n = spec.count or 1
    if math.type(n) ~= "integer" or n < 0 then
      error(format("%s:%d: %s: count must be a whole number", file, line, table_name), 0)
    end
    for _ = 1, n do
      serial = serial + 1
      local row = {}
      for k, v in pairs(DEFAULTS[table_name] or {}) do row[k] = v end
      if DATE_DEFAULTS[table_name] then row[DATE_DEFAULTS[table_name]] = as_of end
      if row.month == "$month" then row.month = as_of:sub(1, 7) end
      for k, v in pairs(spec) do
        if k ~= "count" then row[k] = v end
      end
      for k, v in pairs(row) do
        if rawequal(v, NULL) then row[k] = nil end
      end
      check_scalars(row, table_name, file, line)
      if ID_PREFIX[table_name] and row.id == nil then
        row.id = format("%s%03d", ID_PREFIX[table_name], serial)
      elseif ID_PREFIX[table_name] and n > 1 then
        row.id = format("%s-%03d", tostring(spec.id), serial)
      end
      insert(rows, row)
    end
  end
  return rows
end

local function case(name)
  local file, line = here()
  if type(name) ~= "string" then fail("case needs a name: case \"...\" { ... }") end
  return function(body)
    if type(body) ~= "table" then
      error(format("%s:%d: case \"%s\" needs a table", file, line, name), 0)
    end
    body = plain(body, file, line)
    local c = { name = name, file = file, line = line, tables = {}, expects = {},
                as_of = body.as_of or "2025-12-31", region = body.region or "测试市",
                params = body.params or {}, subject = body.subject or "C1", meta = body.meta }
    for _, k in ipairs({ "as_of", "region", "subject" }) do
      if type(c[k]) ~= "string" then
        error(format("%s:%d: case \"%s\": %s must be text", file, line, name, k), 0)
      end
    end
    if type(c.params) ~= "table" then
      error(format("%s:%d: case \"%s\": params = { name = value, ... }", file, line, name), 0)
    end
    for k, v in pairs(c.params) do
      local ok = type(k) == "string" and (type(v) == "number" or type(v) == "string")
      if type(k) == "string" and type(v) == "table" then
        ok = true
        for year, x in pairs(v) do
          if math.type(year) ~= "integer" or type(x) ~= "number" then ok = false end
        end
      end
      if not ok then
        error(format("%s:%d: case \"%s\": params entries are name = number, text or { [year] = number }",
                     file, line, name), 0)
      end
    end
    if c.meta ~= nil then
      if type(c.meta) ~= "table" then error(format("%s:%d: case \"%s\": meta = { key = value }", file, line, name), 0) end
      check_scalars(c.meta, "meta", file, line)
    end
    for k, v in pairs(body) do
      if type(k) == "number" then
        if made[v] == nil then
          error(format("%s:%d: case \"%s\": a list entry must be expect \"...\" { ... }", file, line, name), 0)
        end
        insert(c.expects, made[v])
      elseif not CASE_FIELDS[k] then
        error(format("%s:%d: case \"%s\": unknown field '%s'", file, line, name, tostring(k)), 0)
      end
    end
    sort(c.expects, function(a, b) return a.line < b.line end)
    -- communities: one default community C1 unless a list is given
    local communities = body.communities
    if communities == nil then
      local one = { id = "C1" }
      for k, v in pairs(body.community or {}) do one[k] = v end
      communities = { one }
    end
    c.tables.communities = expand_rows("communities", communities, c.as_of, file, line)
    for _, t in ipairs(TABLES) do
      if t ~= "communities" and body[t] ~= nil then
        c.tables[t] = expand_rows(t, body[t], c.as_of, file, line)
      end
    end
    -- facts = { plates = 2 } for C1, or { C2 = { plates = 3 } } per community
    local facts = {}
    for k, v in pairs(body.facts or {}) do
      if type(v) == "table" and not rawequal(v, NULL) then
        check_scalars(v, "facts." .. k, file, line)
        for key, value in pairs(v) do
          insert(facts, { community_id = k, key = key, value = not rawequal(value, NULL) and value or nil })
        end
      else
        insert(facts, { community_id = "C1", key = k, value = not rawequal(v, NULL) and v or nil })
      end
    end
    sort(facts, function(a, b)
      if a.community_id ~= b.community_id then return a.community_id < b.community_id end
      return a.key < b.key
    end)
    c.tables.facts = facts
    insert(api.cases, c)
  end
end

globals.case = case
globals.expect = expect
globals.null = NULL
api.NULL = NULL
return api
