-- Stars and ranks (POLICY.md §1 "Stars", "Rank"): hand-computed totals.
--
-- build(opts) makes community C1 with every indicator at full points except
-- those opts turn down; the points of each piece (max in brackets):
--   facts (34): A07 2, B06 2, B07 2, C01 3, C02 3, C05 3, C07 3, D01 3, D02 3,
--               D03 2, D04 2, D05 2, F03 4
--   B01 4 (no tasks → value 0 → LIN(10→0) = 1)
--   organizations (8): A06 3, B02 2, B03 3 (10 registered, evaluated, rated)
--   activities (15): B04 3, C04 2, E01 3, E02 2, E03 2, E04 3
--   workers (23): A01 3, A02 3, A03 4, A04 2, A05 3, F02 4, B05 4 (17 workers)
--   C03 3 (one request resolved the same day), C06 3 (a posting every week)
--   F01 10 (n responses, s satisfied)
-- total of everything = 34 + 4 + 8 + 15 + 23 + 3 + 3 + 10 = 100.

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local function day2025(offset)
  local m = 1
  while offset >= MONTH_DAYS[m] do offset, m = offset - MONTH_DAYS[m], m + 1 end
  return string.format("2025-%02d-%02d", m, offset + 1)
end

local FULL_FACTS = {
  registered_volunteers = 1500,          -- A07 0.15 → 2
  plates = 2,                            -- B06 → 2
  banned_certificates_issued = 0,        -- B07 → 2
  service_area_m2 = 1050,                -- C01 1050/3500×100 = 30 → 3
  public_service_items = 28,             -- C02 → 3
  amenity_types = 8,                     -- C05 → 3
  service_windows = 2,                   -- C07 → 3
  compounds = 4, compounds_managed = 4,  -- D01 → 3
  env_issues = 0, env_issues_closed_7d = 0, -- D02 value 1 → 3
  waste_sort_accuracy = 0.9,             -- D03 → 2
  facilities_ok_ratio = 0.98,            -- D04 → 2
  blight_spots = 0,                      -- D05 → 2
  valid_complaints = 0,                  -- F03 → 4
}

-- opts: facts = { overrides }, responses = n, satisfied = s (default 30/30),
-- no_c03 = true, no_c06 = true, tasks = k rejected tasks (−0.4 each), id = "C1"
local function build(opts, ...)
  local body = { facts = {} }
  for k, v in pairs(FULL_FACTS) do body.facts[k] = v end
  for k, v in pairs(opts.facts or {}) do body.facts[k] = v end
  body.organizations = { { count = 10, registered = 1, evaluated = 1, rating = "A" } }
  body.activities = {
    { count = 12, kind = "consultation" }, { count = 24, kind = "volunteer" },
    { count = 30, kind = "resident", participants = 200 },   -- 6000/10000 = 0.6 → E04 3
    { count = 2, kind = "co_building" }, { count = 12, kind = "civility" },
  }
  body.workers = { { count = 17, cert_level = "assistant", education = "bachelor",
                     training_hours = 60, score_civil = 80, score_community = 80,
                     score_residents = 80 } }
  body.visits = {}
  for i = 1, 17 do body.visits[i] = { worker_id = string.format("W%03d", i) } end  -- 10/10
  if not opts.no_c03 then
    body.requests = { { received_on = "2025-12-01", resolved_on = "2025-12-01" } }
  end
  if not opts.no_c06 then
    body.postings = {}
    for k = 0, 52 do body.postings[#body.postings + 1] = { posted_on = day2025(7 * k) } end
  end
  local n, s = opts.responses or 30, opts.satisfied or opts.responses or 30
  body.survey_responses = { { count = s, satisfied = 1 }, { count = n - s, satisfied = 0 } }
  if opts.tasks then body.tasks = { { count = opts.tasks, title = "要求居民安装政务APP" } } end
  for _, e in ipairs({ ... }) do body[#body + 1] = e end
  return body
end

case "满分社区 100 分五星" (build({},
  expect "community" { total = 100, stars = 5, rank = 1 },
  expect "F01" { value = 1, points = 10 },
  expect "E04" { value = 0.6, points = 3 },
  expect "C06" { value = 1, points = 3 },
  expect "B05" { value = 1, points = 4 }))

case "全部缺失的社区：只有 B01 的 4 分" {
  -- every indicator missing or 0, but B01 (0 tasks → value 0) gives full 4 points
  expect "community" { total = 4, stars = 0, rank = 1 },
}

case "总分恰好 90 且 F01 = 0.90 → 五星" (build(
  { satisfied = 27, no_c03 = true, no_c06 = true, facts = { service_windows = 1 } },
  -- F01 27/30 = 0.9 → 7.5; −3 (C03) −3 (C06) −1.5 (C07 1/2 of 3): 100 − 2.5 − 7.5 = 90
  expect "F01" { value = 0.9, points = 7.5 },
  expect "C07" { points = 1.5 },
  expect "community" { total = 90, stars = 5 }))

case "总分恰好 90 但 F01 = 0.85 → 四星" (build(
  { responses = 40, satisfied = 34, no_c06 = true, facts = { plates = 6 } },
  -- F01 34/40 = 0.85 → 0.5 → 5; −5 (F01) −3 (C06) −2 (B06 plates 6 → 0) = 90
  expect "F01" { value = 0.85, points = 5 },
  expect "community" { total = 90, stars = 4 }))

case "总分恰好 90 但 F01 缺失（29 份）→ 四星" (build(
  { responses = 29 },
  -- F01 missing → 0; 100 − 10 = 90; five stars need F01 ≥ 0.90, missing is not
  expect "F01" { status = "missing" },
  expect "community" { total = 90, stars = 4 }))

case "总分 97 但 F01 = 0.89 → 四星" (build(
  { responses = 100, satisfied = 89 },
  -- F01 0.89 → (0.89−0.75)/0.2 = 0.7 → 7; 100 − 3 = 97
  expect "F01" { value = 0.89, points = 7 },
  expect "community" { total = 97, stars = 4 }))

case "总分 89.5 且 F01 = 1 → 四星" (build(
  { no_c03 = true, no_c06 = true, facts = { service_windows = 1, plates = 6, blight_spots = 2.5 } },
  -- −3 (C03) −3 (C06) −1.5 (C07) −2 (B06) −1 (D05 2.5 → 0.5 → 1) = 89.5
  expect "D05" { points = 1 },
  expect "community" { total = 89.5, stars = 4 }))

case "总分恰好 80 → 四星" (build(
  { responses = 29, no_c03 = true, no_c06 = true, facts = { plates = 6, banned_certificates_issued = 5 } },
  -- −10 (F01 missing) −3 (C03) −3 (C06) −2 (B06) −2 (B07) = 80
  expect "community" { total = 80, stars = 4 }))

case "总分 79.5 → 三星" (build(
  { responses = 29, no_c03 = true, no_c06 = true,
    facts = { plates = 6, banned_certificates_issued = 5, blight_spots = 1.25 } },
  -- as above (80) and D05 1.25 → (1.25−5)/(−5) = 0.75 → 1.5: −0.5 → 79.5
  expect "community" { total = 79.5, stars = 3 }))

case "总分恰好 70 → 三星" (build(
  { responses = 29, no_c03 = true, no_c06 = true,
    facts = { plates = 6, banned_certificates_issued = 5, public_service_items = 0,
              amenity_types = 0, registered_volunteers = 500, waste_sort_accuracy = 0.6 } },
  -- 80 − 3 (C02) − 3 (C05) − 2 (A07 0.05) − 2 (D03 0.6) = 70
  expect "community" { total = 70, stars = 3 }))

case "总分 62 → 二星" (build(
  { responses = 29, no_c03 = true, no_c06 = true,
    facts = { plates = 6, banned_certificates_issued = 5, public_service_items = 0,
              amenity_types = 0, registered_volunteers = 500, waste_sort_accuracy = 0.6,
              facilities_ok_ratio = 0.85, blight_spots = 5, valid_complaints = 35 } },
  -- 70 − 2 (D04) − 2 (D05) − 4 (F03 35/3500×1000 = 10 → 0) = 62 ... minus E02 below
  expect "F03" { value = 10, points = 0 },
  expect "community" { total = 62, stars = 2 }))

case "总分恰好 60 → 二星（再减 E02 的 2 分）" ((function()
  local b = build(
    { responses = 29, no_c03 = true, no_c06 = true,
      facts = { plates = 6, banned_certificates_issued = 5, public_service_items = 0,
                amenity_types = 0, registered_volunteers = 500, waste_sort_accuracy = 0.6,
                facilities_ok_ratio = 0.85, blight_spots = 5, valid_complaints = 35 } },
    -- 62 − 2 (E02: no co_building → 0) = 60
    expect "E02" { value = 0, points = 0 },
    expect "community" { total = 60, stars = 2 })
  table.remove(b.activities, 4)   -- the co_building row
  return b
end)())

case "总分 59.6 → 不评星" ((function()
  local b = build(
    { responses = 29, no_c03 = true, no_c06 = true, tasks = 1,
      facts = { plates = 6, banned_certificates_issued = 5, public_service_items = 0,
                amenity_types = 0, registered_volunteers = 500, waste_sort_accuracy = 0.6,
                facilities_ok_ratio = 0.85, blight_spots = 5, valid_complaints = 35 } },
    -- 60 − 0.4 (B01: 1 rejected task → (1−10)/(−10) = 0.9 → 3.6) = 59.6
    expect "B01" { value = 1, points = 3.6 },
    expect "community" { total = 59.6, stars = 0 })
  table.remove(b.activities, 4)
  return b
end)())

case "参数 stars.four = 85：总分 80 只有三星" ((function()
  local b = build(
    { responses = 29, no_c03 = true, no_c06 = true, facts = { plates = 6, banned_certificates_issued = 5 } },
    expect "community" { total = 80, stars = 3 })
  b.params = { ["stars.four"] = 85 }
  return b
end)())

---------------------------------------------------------------------------
-- Ranks: by total descending; equal totals share the better rank (1, 2, 2, 4).
-- Facts-only communities; each also gets B01's 4 points (no tasks).
---------------------------------------------------------------------------
case "排名：并列共享较好名次 1, 2, 2, 4" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" }, { id = "C4" } },
  facts = {
    C1 = { public_service_items = 28, amenity_types = 8 },   -- 4 + 3 + 3 = 10
    C2 = { plates = 2, blight_spots = 0 },                    -- 4 + 2 + 2 = 8
    C3 = { service_windows = 2, waste_sort_accuracy = 0.75 }, -- 4 + 3 + 1 = 8
    C4 = { blight_spots = 2.5 },                              -- 4 + 1 = 5
  },
  expect "community C1" { total = 10, rank = 1, stars = 0 },
  expect "community C2" { total = 8, rank = 2 },
  expect "community C3" { total = 8, rank = 2 },
  expect "community C4" { total = 5, rank = 4 },
}

case "排名：并列第一 1, 1, 3；id 顺序不影响" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  facts = {
    C1 = { plates = 4 },                         -- 4 + 1 = 5
    C2 = { service_windows = 1, plates = 5 },    -- 4 + 1.5 + 0.5 = 6
    C3 = { public_service_items = 14, blight_spots = 3.75 }, -- 4 + 1.5 + 0.5 = 6
  },
  expect "community C1" { total = 5, rank = 3 },
  expect "community C2" { total = 6, rank = 1 },
  expect "community C3" { total = 6, rank = 1 },
}

case "排名：0.1 + 0.2 式的浮点误差视为并列" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  facts = {
    -- C1: D03 0.63 → (0.63−0.6)/0.3 × 2 = 0.2 ; D04 0.902 → (0.902−0.85)/0.13 × 2 = 0.8
    --     → 4 + 0.2 + 0.8 = 5 on paper (5.000000000000001 in doubles)
    C1 = { waste_sort_accuracy = 0.63, facilities_ok_ratio = 0.902 },
    C2 = { plates = 4 },                         -- 4 + 1 = 5
    C3 = { plates = 5 },                         -- 4 + 0.5 = 4.5
  },
  expect "community C1" { total = 5, rank = 1 },
  expect "community C2" { total = 5, rank = 1 },
  expect "community C3" { total = 4.5, rank = 3 },
}
