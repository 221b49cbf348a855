-- A 队伍精良 (POLICY.md §1, A01..A07): hand-computed rule tests.
-- Defaults (engine/check/ruletest_dsl.lua): community C1 population 10000, households 3500;
-- workers active, hired 2015-01-01; as_of 2025-12-31.

local LEFT = { status = "left", left_date = "2025-06-30", left_reason = "resigned" }
local function left(n, extra)
  local row = { count = n }
  for k, v in pairs(LEFT) do row[k] = v end
  for k, v in pairs(extra or {}) do row[k] = v end
  return row
end

---------------------------------------------------------------------------
-- A01 每万人社区工作者数 = active ÷ population × 10000, LIN(10→17), max 3
---------------------------------------------------------------------------
case "A01 典型值：12 人/万人" {
  workers = { { count = 12 } },
  -- 12 / 10000 × 10000 = 12 → (12−10)/(17−10)×3 = 0.857142857
  expect "A01" { value = 12, points = 0.857142857, status = "ok", max = 3 },
}

case "A01 非整数：14 人 / 8000 人口" {
  community = { population = 8000 },
  workers = { { count = 14 } },
  -- 14 / 8000 × 10000 = 17.5 → above b → 3
  expect "A01" { value = 17.5, points = 3, status = "ok" },
}

case "A01 恰好 17（b）满分" {
  workers = { { count = 17 } },
  -- 17 → (17−10)/7 = 1 → 3
  expect "A01" { value = 17, points = 3, status = "ok" },
}

case "A01 恰好 10（a）零分" {
  workers = { { count = 10 } },
  -- 10 → 0 → 0 points, still ok
  expect "A01" { value = 10, points = 0, status = "ok" },
}

case "A01 超出范围封顶与低于下限" {
  communities = { { id = "C1" }, { id = "C2" } },
  workers = { { count = 25 }, { count = 5, community_id = "C2" } },
  -- C1: 25 → clamp 1 → 3 ; C2: 5 → clamp 0 → 0
  expect "A01" { value = 25, points = 3, status = "ok" },
  expect "A01@C2" { value = 5, points = 0, status = "ok" },
}

case "A01 离职与评估日后入职者不计" {
  workers = {
    { count = 12 },
    left(5),
    { count = 3, hire_date = "2026-01-05" },
    { count = 2, hire_date = "2025-12-31" },    -- hired on as_of: active
  },
  -- active = 12 + 2 = 14 → 14 → (14−10)/7×3 = 1.714285714
  expect "A01" { value = 14, points = 1.714285714, status = "ok" },
}

case "A01 无在岗工作者 → missing" {
  workers = { left(3) },
  expect "A01" { value = null, points = 0, status = "missing" },
}

case "A01 人口为空 → missing" {
  community = { population = null },
  workers = { { count = 12 } },
  expect "A01" { value = null, points = 0, status = "missing" },
}

case "A01 人口为 0 → invalid" {
  community = { population = 0 },
  workers = { { count = 12 } },
  expect "A01" { value = null, points = 0, status = "invalid" },
}

---------------------------------------------------------------------------
-- A02 每名工作者服务户数 = households ÷ active, LIN(450→300), max 3
---------------------------------------------------------------------------
case "A02 典型值：350 户/人" {
  workers = { { count = 10 } },
  -- 3500 / 10 = 350 → (350−450)/(300−450) = 2/3 → 2
  expect "A02" { value = 350, points = 2, status = "ok", max = 3 },
}

case "A02 恰好 300（b）满分" {
  community = { households = 3000 },
  workers = { { count = 10 } },
  -- 3000 / 10 = 300 → 1 → 3
  expect "A02" { value = 300, points = 3, status = "ok" },
}

case "A02 恰好 450（a）零分" {
  community = { households = 4500 },
  workers = { { count = 10 } },
  -- 4500 / 10 = 450 → 0
  expect "A02" { value = 450, points = 0, status = "ok" },
}

case "A02 超出范围封顶" {
  communities = { { id = "C1", households = 2000 }, { id = "C2", households = 6000 } },
  workers = { { count = 10 }, { count = 10, community_id = "C2" } },
  -- C1: 200 → clamp 1 → 3 ; C2: 600 → clamp 0 → 0
  expect "A02" { value = 200, points = 3 },
  expect "A02@C2" { value = 600, points = 0, status = "ok" },
}

case "A02 只计在岗者" {
  workers = { { count = 7 }, left(3), { count = 2, hire_date = "2026-03-01" } },
  -- 3500 / 7 = 500 → below a → 0
  expect "A02" { value = 500, points = 0, status = "ok" },
}

case "A02 户数为空 → missing" {
  community = { households = null },
  workers = { { count = 10 } },
  expect "A02" { value = null, points = 0, status = "missing" },
}

case "A02 无在岗工作者 → missing" {
  expect "A02" { value = null, points = 0, status = "missing" },
}

case "A02 户数为 0 → invalid" {
  community = { households = 0 },
  workers = { { count = 10 } },
  expect "A02" { value = null, points = 0, status = "invalid" },
}

---------------------------------------------------------------------------
-- A03 持证率 = certified active ÷ active, RATIO(required ratio for Y), max 4
-- required: 2020 0.35, 2023 0.60, 2026 1.00, linear in between.
---------------------------------------------------------------------------
case "A03 典型值（2025 年要求 0.8666…）" {
  workers = { { count = 5, cert_level = "assistant", cert_date = "2020-05-01" }, { count = 5 } },
  -- 5/10 = 0.5; required 2025 = 0.60 + 0.40×2/3 = 13/15
  -- 0.5 ÷ (13/15) = 7.5/13 → ×4 = 30/13 = 2.307692308
  expect "A03" { value = 0.5, points = 2.307692308, status = "ok", max = 4 },
}

case "A03 恰好达到 2025 年要求 13/15 满分" {
  workers = { { count = 13, cert_level = "intermediate" }, { count = 2 } },
  -- 13/15 = 0.866666667 = required → 4
  expect "A03" { value = 0.866666667, points = 4, status = "ok" },
}

case "A03 全部持证封顶" {
  workers = { { count = 10, cert_level = "senior", cert_date = "2019-01-01" } },
  -- 1.0 ÷ 0.8667 > 1 → clamp → 4
  expect "A03" { value = 1, points = 4 },
}

case "A03 无人持证 0 分" {
  workers = { { count = 10 } },
  expect "A03" { value = 0, points = 0, status = "ok" },
}

case "A03 证书日期在评估日后不算；为空算；等于评估日算" {
  workers = {
    { count = 3, cert_level = "assistant", cert_date = "2026-02-01" },   -- after as_of: not certified
    { count = 2, cert_level = "assistant", cert_date = null },           -- no date: certified
    { count = 2, cert_level = "assistant", cert_date = "2025-12-31" },   -- on as_of: certified
    { count = 3 },
  },
  -- certified = 4 of 10 → 0.4 ÷ (13/15) = 6/13 → ×4 = 24/13 = 1.846153846
  expect "A03" { value = 0.4, points = 1.846153846, status = "ok" },
}

case "A03 离职持证者不计" {
  workers = { { count = 5, cert_level = "assistant" }, left(5) },
  -- 5/5 = 1 → 4 ; with the left 5 in the denominator it would be 0.5
  expect "A03" { value = 1, points = 4 },
}

case "A03 2021 年要求 0.4333…" {
  as_of = "2021-06-30",
  workers = { { count = 3, cert_level = "assistant" }, { count = 7 } },
  -- required = 0.35 + 0.25×1/3 = 13/30; 0.3 ÷ 13/30 = 9/13 → ×4 = 36/13 = 2.769230769
  expect "A03" { value = 0.3, points = 2.769230769 },
}

case "A03 2022 年要求 0.5166…" {
  as_of = "2022-12-31",
  workers = { { count = 5, cert_level = "assistant" }, { count = 5 } },
  -- required = 0.35 + 0.25×2/3 = 31/60; 0.5 ÷ 31/60 = 30/31 → ×4 = 120/31 = 3.870967742
  expect "A03" { value = 0.5, points = 3.870967742 },
}

case "A03 2023 年要求 0.60（里程碑）" {
  as_of = "2023-03-15",
  workers = { { count = 3, cert_level = "assistant" }, { count = 7 } },
  -- 0.3 ÷ 0.6 = 0.5 → 2
  expect "A03" { value = 0.3, points = 2 },
}

case "A03 2024 年要求 0.7333…" {
  as_of = "2024-12-31",
  workers = { { count = 5, cert_level = "assistant" }, { count = 5 } },
  -- required = 0.6 + 0.4/3 = 11/15; 0.5 ÷ 11/15 = 7.5/11 → ×4 = 30/11 = 2.727272727
  expect "A03" { value = 0.5, points = 2.727272727 },
}

case "A03 2019 年取首个里程碑 0.35" {
  as_of = "2019-12-31",
  workers = { { count = 3, cert_level = "assistant" }, { count = 7 } },
  -- 0.3 ÷ 0.35 = 6/7 → ×4 = 24/7 = 3.428571429
  expect "A03" { value = 0.3, points = 3.428571429 },
}

case "A03 2027 年取末个里程碑 1.0" {
  as_of = "2027-06-30",
  workers = { { count = 9, cert_level = "assistant" }, { count = 1 } },
  -- 0.9 ÷ 1.0 → ×4 = 3.6
  expect "A03" { value = 0.9, points = 3.6 },
}

case "A03 自定义里程碑（what-if）" {
  params = { ["cert.milestones"] = { [2020] = 0.5, [2030] = 1.0 } },
  workers = { { count = 6, cert_level = "assistant" }, { count = 4 } },
  -- required 2025 = 0.5 + 0.5×5/10 = 0.75; 0.6 ÷ 0.75 = 0.8 → ×4 = 3.2
  expect "A03" { value = 0.6, points = 3.2 },
}

case "A03 无在岗工作者 → missing" {
  workers = { left(2, { cert_level = "assistant" }) },
  expect "A03" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- A04 大专以上学历占比 = college+ ÷ education not NULL, LIN(0.60→0.85), max 2
---------------------------------------------------------------------------
case "A04 典型值 0.7" {
  workers = {
    { count = 1, education = "postgraduate" }, { count = 3, education = "bachelor" },
    { count = 3, education = "college" }, { count = 2, education = "highschool" },
    { count = 1, education = "other" },
  },
  -- 7/10 = 0.7 → (0.7−0.6)/0.25 = 0.4 → 0.8
  expect "A04" { value = 0.7, points = 0.8, status = "ok", max = 2 },
}

case "A04 恰好 0.85（b）满分" {
  workers = { { count = 17, education = "bachelor" }, { count = 3, education = "highschool" } },
  -- 17/20 = 0.85 → 2
  expect "A04" { value = 0.85, points = 2 },
}

case "A04 恰好 0.60（a）零分" {
  workers = { { count = 6, education = "college" }, { count = 4, education = "other" } },
  expect "A04" { value = 0.6, points = 0, status = "ok" },
}

case "A04 超出范围封顶 / 低于下限" {
  communities = { { id = "C1" }, { id = "C2" } },
  workers = { { count = 4, education = "bachelor" },
              { count = 1, education = "bachelor", community_id = "C2" },
              { count = 1, education = "highschool", community_id = "C2" } },
  -- C1: 1.0 → 2 ; C2: 0.5 → 0
  expect "A04" { value = 1, points = 2 },
  expect "A04@C2" { value = 0.5, points = 0, status = "ok" },
}

case "A04 学历为空者不进分母" {
  workers = { { count = 6, education = "bachelor" }, { count = 2, education = "highschool" },
              { count = 2 } },
  -- 6/8 = 0.75 → 0.15/0.25 × 2 = 1.2
  expect "A04" { value = 0.75, points = 1.2 },
}

case "A04 离职者不计" {
  workers = { { count = 6, education = "bachelor" }, left(4, { education = "highschool" }) },
  -- 6/6 = 1 → 2
  expect "A04" { value = 1, points = 2 },
}

case "A04 全部未填学历 → missing" {
  workers = { { count = 5 } },
  expect "A04" { value = null, points = 0, status = "missing" },
}

case "A04 无在岗工作者 → missing" {
  workers = { left(2, { education = "bachelor" }) },
  expect "A04" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- A05 培训达标率 = training_hours ≥ 60 ÷ training_hours not NULL, LIN(0→1), max 3
---------------------------------------------------------------------------
case "A05 典型值 0.6" {
  workers = { { count = 6, training_hours = 72 }, { count = 4, training_hours = 30 } },
  -- 6/10 = 0.6 → 1.8
  expect "A05" { value = 0.6, points = 1.8, status = "ok", max = 3 },
}

case "A05 恰好 60 小时算达标" {
  workers = { { count = 2, training_hours = 60 }, { count = 2, training_hours = 59.99 } },
  -- 2/4 = 0.5 → 1.5
  expect "A05" { value = 0.5, points = 1.5 },
}

case "A05 全部达标满分" {
  workers = { { count = 4, training_hours = 60 } },
  expect "A05" { value = 1, points = 3 },
}

case "A05 无人达标零分" {
  workers = { { count = 4, training_hours = 10 } },
  expect "A05" { value = 0, points = 0, status = "ok" },
}

case "A05 培训时数为空者不进分母" {
  workers = { { count = 3, training_hours = 80 }, { count = 1, training_hours = 10 },
              { count = 2 } },
  -- 3/4 = 0.75 → 2.25
  expect "A05" { value = 0.75, points = 2.25 },
}

case "A05 离职与未入职者不计" {
  workers = { { count = 2, training_hours = 60 }, { count = 2, training_hours = 0 },
              left(4, { training_hours = 0 }),
              { count = 4, training_hours = 0, hire_date = "2026-01-01" } },
  -- 2/4 = 0.5 → 1.5
  expect "A05" { value = 0.5, points = 1.5 },
}

case "A05 参数 A05.hours = 40" {
  params = { ["A05.hours"] = 40 },
  workers = { { count = 2, training_hours = 50 }, { count = 2, training_hours = 30 } },
  -- 50 ≥ 40: 2/4 = 0.5 → 1.5
  expect "A05" { value = 0.5, points = 1.5 },
}

case "A05 全部未填 → missing" {
  workers = { { count = 3 } },
  expect "A05" { value = null, points = 0, status = "missing" },
}

case "A05 无在岗工作者 → missing" {
  expect "A05" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- A06 备案社会组织数 = registered orgs (0 rows → 0), LIN(5→10), max 3
---------------------------------------------------------------------------
case "A06 典型值 7 家" {
  organizations = { { count = 7, registered = 1 }, { count = 5, registered = 0 } },
  -- 7 → (7−5)/5 = 0.4 → 1.2 (unregistered not counted)
  expect "A06" { value = 7, points = 1.2, status = "ok", max = 3 },
}

case "A06 恰好 5 家（a）零分" {
  organizations = { { count = 5 } },
  expect "A06" { value = 5, points = 0, status = "ok" },
}

case "A06 超过 10 家封顶" {
  organizations = { { count = 12 } },
  expect "A06" { value = 12, points = 3 },
}

case "A06 没有组织 → 值 0（不缺失）" {
  expect "A06" { value = 0, points = 0, status = "ok" },
}

case "A06 只有未备案组织 → 值 0" {
  organizations = { { count = 3, registered = 0 } },
  expect "A06" { value = 0, points = 0, status = "ok" },
}

case "A06 其他社区的组织不计" {
  communities = { { id = "C1" }, { id = "C2" } },
  organizations = { { count = 10, community_id = "C2" }, { count = 6 } },
  -- C1: 6 → 0.2 → 0.6 ; C2: 10 → 3
  expect "A06" { value = 6, points = 0.6 },
  expect "A06@C2" { value = 10, points = 3 },
}

---------------------------------------------------------------------------
-- A07 注册志愿者占比 = registered_volunteers ÷ population, LIN(0.05→0.15), max 2
---------------------------------------------------------------------------
case "A07 典型值 0.1" {
  facts = { registered_volunteers = 1000 },
  -- 1000/10000 = 0.1 → 0.5 → 1
  expect "A07" { value = 0.1, points = 1, status = "ok", max = 2 },
}

case "A07 恰好 0.15（b）满分 / 0.05（a）零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { registered_volunteers = 1500 }, C2 = { registered_volunteers = 500 } },
  expect "A07" { value = 0.15, points = 2 },
  expect "A07@C2" { value = 0.05, points = 0, status = "ok" },
}

case "A07 超出范围封顶；0 人为 0 分" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { registered_volunteers = 3000 }, C2 = { registered_volunteers = 0 } },
  expect "A07" { value = 0.3, points = 2 },
  expect "A07@C2" { value = 0, points = 0, status = "ok" },
}

case "A07 无事实行 → missing" {
  expect "A07" { value = null, points = 0, status = "missing" },
}

case "A07 事实值为空 → missing" {
  facts = { registered_volunteers = null },
  expect "A07" { value = null, points = 0, status = "missing" },
}

case "A07 人口为空 → missing" {
  community = { population = null },
  facts = { registered_volunteers = 1000 },
  expect "A07" { status = "missing", value = null },
}

case "A07 负数 → invalid" {
  facts = { registered_volunteers = -1 },
  expect "A07" { value = null, points = 0, status = "invalid" },
}

case "A07 人口为 0 → invalid" {
  community = { population = 0 },
  facts = { registered_volunteers = 100 },
  expect "A07" { value = null, points = 0, status = "invalid" },
}

case "A03 只有证书日期没有等级不算持证" {
  workers = { { count = 2, cert_date = "2020-01-01" }, { count = 2, cert_level = "assistant" } },
  -- 2/4 = 0.5 → 30/13 = 2.307692308
  expect "A03" { value = 0.5, points = 2.307692308 },
}

case "A07 状态顺序：人口为空（缺失）先于负数（越界）" {
  community = { population = null },
  facts = { registered_volunteers = -1 },
  -- §0: step 1 (an input is NULL → missing) comes before step 2 (invalid)
  expect "A07" { value = null, points = 0, status = "missing" },
}
