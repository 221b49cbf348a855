-- E 文化精彩 (POLICY.md §1, E01..E04): hand-computed rule tests.
-- Activities default to kind 'resident', held on as_of (2025-12-31).

---------------------------------------------------------------------------
-- E01 居民文体活动场次 = resident + culture activities in the year (0 → 0), RATIO(30), max 3
---------------------------------------------------------------------------
case "E01 典型值 15 场（居民 10 + 文体 5）" {
  activities = { { count = 10, kind = "resident" }, { count = 5, kind = "culture" } },
  -- 15/30 = 0.5 → 1.5
  expect "E01" { value = 15, points = 1.5, status = "ok", max = 3 },
}

case "E01 恰好 30 满分；40 封顶" {
  communities = { { id = "C1" }, { id = "C2" } },
  activities = { { count = 30 }, { count = 40, kind = "culture", community_id = "C2" } },
  expect "E01" { value = 30, points = 3 },
  expect "E01@C2" { value = 40, points = 3 },
}

case "E01 没有活动 → 值 0" {
  expect "E01" { value = 0, points = 0, status = "ok" },
}

case "E01 其他类型与上一年的活动不计" {
  activities = { { count = 6, kind = "culture", held_on = "2025-01-01" },
                 { count = 4, kind = "volunteer" }, { count = 4, kind = "co_building" },
                 { count = 20, kind = "resident", held_on = "2024-12-31" } },
  -- 6/30 = 0.2 → 0.6
  expect "E01" { value = 6, points = 0.6 },
}

case "E01 评估日后的活动不计" {
  as_of = "2025-06-30",
  activities = { { count = 9, held_on = "2025-06-30" }, { count = 9, held_on = "2025-07-01" } },
  -- 9/30 = 0.3 → 0.9
  expect "E01" { value = 9, points = 0.9 },
}

---------------------------------------------------------------------------
-- E02 共驻共建活动次数 = co_building in the year (0 → 0), RATIO(2), max 2
---------------------------------------------------------------------------
case "E02 典型值 1 次" {
  activities = { { kind = "co_building", partner = "区供电公司" } },
  -- 1/2 → 1
  expect "E02" { value = 1, points = 1, status = "ok", max = 2 },
}

case "E02 恰好 2 满分；3 封顶" {
  communities = { { id = "C1" }, { id = "C2" } },
  activities = { { count = 2, kind = "co_building" }, { count = 3, kind = "co_building", community_id = "C2" } },
  expect "E02" { value = 2, points = 2 },
  expect "E02@C2" { value = 3, points = 2 },
}

case "E02 没有活动 → 值 0；上一年不计" {
  activities = { { count = 2, kind = "co_building", held_on = "2024-06-01" } },
  expect "E02" { value = 0, points = 0, status = "ok" },
}

---------------------------------------------------------------------------
-- E03 文明实践活动次数 = civility in the year (0 → 0), RATIO(12), max 2
---------------------------------------------------------------------------
case "E03 典型值 6 次" {
  activities = { { count = 6, kind = "civility" } },
  -- 6/12 → 1
  expect "E03" { value = 6, points = 1, status = "ok", max = 2 },
}

case "E03 3 次；上一年的不计" {
  activities = { { count = 3, kind = "civility" }, { count = 9, kind = "civility", held_on = "2024-12-31" } },
  -- 3/12 → 0.5
  expect "E03" { value = 3, points = 0.5 },
}

case "E03 恰好 12 满分；15 封顶" {
  communities = { { id = "C1" }, { id = "C2" } },
  activities = { { count = 12, kind = "civility" }, { count = 15, kind = "civility", community_id = "C2" } },
  expect "E03" { value = 12, points = 2 },
  expect "E03@C2" { value = 15, points = 2 },
}

case "E03 没有活动 → 值 0" {
  activities = { { count = 5, kind = "resident" } },
  expect "E03" { value = 0, points = 0, status = "ok" },
}

---------------------------------------------------------------------------
-- E04 人均参与人次 = Σparticipants (NULL as 0) ÷ population, LIN(0.1→0.5), max 3
---------------------------------------------------------------------------
case "E04 典型值 0.3" {
  activities = { { count = 2, participants = 1500 } },
  -- 3000/10000 = 0.3 → 0.5 → 1.5
  expect "E04" { value = 0.3, points = 1.5, status = "ok", max = 3 },
}

case "E04 所有类型的活动都计入" {
  activities = { { kind = "consultation", participants = 500 }, { kind = "volunteer", participants = 500 },
                 { kind = "co_building", participants = 500 }, { kind = "civility", participants = 500 },
                 { kind = "culture", participants = 500 }, { kind = "resident", participants = 500 } },
  -- 3000/10000 = 0.3 → 1.5
  expect "E04" { value = 0.3, points = 1.5 },
}

case "E04 参与人数为空按 0" {
  activities = { { count = 2, participants = 1500 }, { participants = null }, { kind = "culture" } },
  -- (1500 + 1500 + 0 + 0)/10000 = 0.3 → 1.5
  expect "E04" { value = 0.3, points = 1.5 },
}

case "E04 全部为空 → 值 0（不缺失）" {
  activities = { { count = 3 } },
  expect "E04" { value = 0, points = 0, status = "ok" },
}

case "E04 恰好 0.5 满分；0.1 零分；0.8 封顶" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  activities = { { participants = 5000 }, { participants = 1000, community_id = "C2" },
                 { participants = 8000, community_id = "C3" } },
  expect "E04" { value = 0.5, points = 3 },
  expect "E04@C2" { value = 0.1, points = 0, status = "ok" },
  expect "E04@C3" { value = 0.8, points = 3 },
}

case "E04 上一年的活动不计" {
  activities = { { participants = 3000, held_on = "2025-05-01" },
                 { participants = 5000, held_on = "2024-12-31" } },
  -- 3000/10000 = 0.3 → 1.5
  expect "E04" { value = 0.3, points = 1.5 },
}

case "E04 年度内没有活动 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  activities = { { participants = 3000, held_on = "2024-12-31", community_id = "C2" } },
  expect "E04" { value = null, points = 0, status = "missing" },
  expect "E04@C2" { value = null, points = 0, status = "missing" },
}

case "E04 人口为空 → missing" {
  community = { population = null },
  activities = { { participants = 3000 } },
  expect "E04" { value = null, points = 0, status = "missing" },
}

case "E04 人口为 0 → invalid" {
  community = { population = 0 },
  activities = { { participants = 3000 } },
  expect "E04" { value = null, points = 0, status = "invalid" },
}

case "E04 参与人数为负 → invalid" {
  activities = { { participants = 3000 }, { participants = -5 } },
  expect "E04" { value = null, points = 0, status = "invalid" },
}

case "E04 状态顺序：人口为空（缺失）先于负参与人数（越界）" {
  community = { population = null },
  activities = { { participants = -5 } },
  expect "E04" { value = null, points = 0, status = "missing" },
}
