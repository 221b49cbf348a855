-- F 群众满意 (POLICY.md §1, F01..F03): hand-computed rule tests.

---------------------------------------------------------------------------
-- F01 居民满意率 = satisfied ÷ responses; < 30 responses → missing; LIN(0.75→0.95), max 10
---------------------------------------------------------------------------
case "F01 典型值 27/30" {
  survey_responses = { { count = 27, satisfied = 1 }, { count = 3, satisfied = 0 } },
  -- 0.9 → (0.9−0.75)/0.2 = 0.75 → 7.5
  expect "F01" { value = 0.9, points = 7.5, status = "ok", max = 10 },
}

case "F01 恰好 30 份有效" {
  survey_responses = { { count = 30, satisfied = 1 } },
  -- 30/30 = 1 → clamp → 10
  expect "F01" { value = 1, points = 10, status = "ok" },
}

case "F01 29 份 → missing" {
  survey_responses = { { count = 29, satisfied = 1 } },
  expect "F01" { value = null, points = 0, status = "missing" },
}

case "F01 没有问卷 → missing" {
  expect "F01" { value = null, points = 0, status = "missing" },
}

case "F01 恰好 0.95 满分；0.75 零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  survey_responses = { { count = 38, satisfied = 1 }, { count = 2, satisfied = 0 },
                       { count = 30, satisfied = 1, community_id = "C2" },
                       { count = 10, satisfied = 0, community_id = "C2" } },
  expect "F01" { value = 0.95, points = 10 },
  expect "F01@C2" { value = 0.75, points = 0, status = "ok" },
}

case "F01 低于下限封底" {
  survey_responses = { { count = 15, satisfied = 1 }, { count = 15, satisfied = 0 } },
  expect "F01" { value = 0.5, points = 0, status = "ok" },
}

case "F01 参数 satisfaction.min_responses = 10" {
  params = { ["satisfaction.min_responses"] = 10 },
  communities = { { id = "C1" }, { id = "C2" } },
  survey_responses = { { count = 9, satisfied = 1 }, { count = 1, satisfied = 0 },
                       { count = 9, satisfied = 1, community_id = "C2" } },
  -- C1: 10 responses, 0.9 → 7.5 ; C2: 9 < 10 → missing
  expect "F01" { value = 0.9, points = 7.5 },
  expect "F01@C2" { status = "missing", value = null },
}

case "F01 参数 F01.max = 12" {
  params = { ["F01.max"] = 12 },
  survey_responses = { { count = 27, satisfied = 1 }, { count = 3, satisfied = 0 } },
  -- 0.75 × 12 = 9
  expect "F01" { value = 0.9, points = 9, max = 12 },
  expect "community" { total = 13 },            -- 9 + B01 (no tasks → 4)
}

---------------------------------------------------------------------------
-- F02 居民评议达标率 = active with score_residents ≥ 60 ÷ active rated, LIN(0.80→1.0), max 4
---------------------------------------------------------------------------
case "F02 正好 60 分，容差为 0 也算达标" {
  params = { ["compare.epsilon"] = 0 },
  workers = { { count = 8, score_residents = 60 }, { count = 2, score_residents = 40 } },
  -- ≥ 60 includes 60 itself (conventions.lua at_least): 8 ÷ 10 = 0.8
  expect "F02" { value = 0.8 },
}

case "F02 典型值 0.9" {
  workers = { { count = 9, score_residents = 75 }, { count = 1, score_residents = 40 } },
  -- 0.9 → 0.1/0.2 → 2
  expect "F02" { value = 0.9, points = 2, status = "ok", max = 4 },
}

case "F02 恰好 60 分算达标" {
  workers = { { count = 5, score_residents = 60 } },
  -- 5/5 → 4
  expect "F02" { value = 1, points = 4 },
}

case "F02 59.99 不达标" {
  workers = { { count = 9, score_residents = 60 }, { count = 1, score_residents = 59.99 } },
  -- 9/10 → 2
  expect "F02" { value = 0.9, points = 2 },
}

case "F02 恰好 0.80 零分；更低封底" {
  communities = { { id = "C1" }, { id = "C2" } },
  workers = { { count = 8, score_residents = 90 }, { count = 2, score_residents = 50 },
              { count = 1, score_residents = 90, community_id = "C2" },
              { count = 1, score_residents = 10, community_id = "C2" } },
  expect "F02" { value = 0.8, points = 0, status = "ok" },
  expect "F02@C2" { value = 0.5, points = 0, status = "ok" },
}

case "F02 未评议者不进分母" {
  workers = { { count = 7, score_residents = 80 }, { count = 1, score_residents = 30 }, { count = 2 } },
  -- 7/8 = 0.875 → 0.375 → 1.5
  expect "F02" { value = 0.875, points = 1.5 },
}

case "F02 离职与评估日后入职者不计" {
  workers = { { count = 4, score_residents = 80 },
              { count = 4, score_residents = 20, status = "left", left_date = "2025-03-01", left_reason = "eliminated" },
              { count = 4, score_residents = 20, hire_date = "2026-01-01" } },
  -- 4/4 → 4
  expect "F02" { value = 1, points = 4 },
}

case "F02 elimination.floor 改为 70 不影响 F02 的 60 分线" {
  params = { ["elimination.floor"] = 70 },
  workers = { { count = 10, score_residents = 65 } },
  expect "F02" { value = 1, points = 4 },
}

case "F02 参数 F02.floor = 70" {
  params = { ["F02.floor"] = 70 },
  workers = { { count = 5, score_residents = 65 }, { count = 5, score_residents = 75 } },
  -- 5/10 → 0
  expect "F02" { value = 0.5, points = 0 },
}

case "F02 全部未评议 → missing" {
  workers = { { count = 3 } },
  expect "F02" { value = null, points = 0, status = "missing" },
}

case "F02 无在岗工作者 → missing" {
  workers = { { score_residents = 80, status = "left", left_date = "2025-01-31", left_reason = "retired" } },
  expect "F02" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- F03 每千户有效投诉数 = valid_complaints ÷ households × 1000, LIN(10→2), max 4
---------------------------------------------------------------------------
case "F03 典型值 6 件/千户" {
  community = { households = 2000 },
  facts = { valid_complaints = 12 },
  -- 12/2000×1000 = 6 → (6−10)/(2−10) = 0.5 → 2
  expect "F03" { value = 6, points = 2, status = "ok", max = 4 },
}

case "F03 默认 3500 户 14 件" {
  facts = { valid_complaints = 14 },
  -- 14/3500×1000 = 4 → (4−10)/(−8) = 0.75 → 3
  expect "F03" { value = 4, points = 3 },
}

case "F03 恰好 2 满分；恰好 10 零分；0 与 20 封顶/封底" {
  communities = { { id = "C1", households = 1000 }, { id = "C2", households = 1000 },
                  { id = "C3", households = 1000 }, { id = "C4", households = 1000 } },
  facts = { C1 = { valid_complaints = 2 }, C2 = { valid_complaints = 10 },
            C3 = { valid_complaints = 0 }, C4 = { valid_complaints = 20 } },
  expect "F03" { value = 2, points = 4 },
  expect "F03@C2" { value = 10, points = 0, status = "ok" },
  expect "F03@C3" { value = 0, points = 4 },
  expect "F03@C4" { value = 20, points = 0 },
}

case "F03 无事实 / 值为空 / 户数为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3", households = null } },
  facts = { C2 = { valid_complaints = null }, C3 = { valid_complaints = 5 } },
  expect "F03" { value = null, points = 0, status = "missing" },
  expect "F03@C2" { value = null, points = 0, status = "missing" },
  expect "F03@C3" { value = null, points = 0, status = "missing" },
}

case "F03 负数 → invalid" {
  facts = { valid_complaints = -1 },
  expect "F03" { value = null, points = 0, status = "invalid" },
}

case "F03 户数为 0 → invalid" {
  community = { households = 0 },
  facts = { valid_complaints = 3 },
  expect "F03" { value = null, points = 0, status = "invalid" },
}

case "F03 状态顺序：投诉数为空（缺失）先于户数为 0（越界）" {
  community = { households = 0 },
  facts = { valid_complaints = null },
  expect "F03" { value = null, points = 0, status = "missing" },
}
