-- C 服务精准 (POLICY.md §1, C01..C07): hand-computed rule tests.
-- Defaults: as_of 2025-12-31, households 3500, population 10000.

-- The date `offset` days after 1 January of `year` (offset 0 = 1 January).
local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local function day(year, offset)
  local leap = (year % 4 == 0 and year % 100 ~= 0) or year % 400 == 0
  local m = 1
  while true do
    local n = MONTH_DAYS[m] + ((m == 2 and leap) and 1 or 0)
    if offset < n then break end
    offset, m = offset - n, m + 1
  end
  return string.format("%04d-%02d-%02d", year, m, offset + 1)
end

-- One posting on the first day of each week k in `weeks` (week k starts on day 7k).
local function weekly(year, weeks)
  local rows = {}
  for _, k in ipairs(weeks) do rows[#rows + 1] = { posted_on = day(year, 7 * k) } end
  return rows
end
local function range(a, b)
  local t = {}
  for k = a, b do t[#t + 1] = k end
  return t
end

---------------------------------------------------------------------------
-- C01 每百户服务用房面积 = service_area_m2 ÷ households × 100, LIN(15→30), max 3
---------------------------------------------------------------------------
case "C01 典型值 22.5" {
  community = { households = 1000 },
  facts = { service_area_m2 = 225 },
  -- 225/1000×100 = 22.5 → (22.5−15)/15 = 0.5 → 1.5
  expect "C01" { value = 22.5, points = 1.5, status = "ok", max = 3 },
}

case "C01 默认户数 3500：700 m²" {
  facts = { service_area_m2 = 700 },
  -- 700/3500×100 = 20 → 5/15 = 1/3 → 1
  expect "C01" { value = 20, points = 1 },
}

case "C01 恰好 30 满分；恰好 15 零分" {
  communities = { { id = "C1", households = 1000 }, { id = "C2", households = 1000 } },
  facts = { C1 = { service_area_m2 = 300 }, C2 = { service_area_m2 = 150 } },
  expect "C01" { value = 30, points = 3 },
  expect "C01@C2" { value = 15, points = 0, status = "ok" },
}

case "C01 超出范围封顶；面积 0 → 0 分" {
  communities = { { id = "C1", households = 1000 }, { id = "C2", households = 1000 } },
  facts = { C1 = { service_area_m2 = 500 }, C2 = { service_area_m2 = 0 } },
  expect "C01" { value = 50, points = 3 },
  expect "C01@C2" { value = 0, points = 0, status = "ok" },
}

case "C01 无事实 / 值为空 / 户数为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3", households = null } },
  facts = { C2 = { service_area_m2 = null }, C3 = { service_area_m2 = 500 } },
  expect "C01" { value = null, points = 0, status = "missing" },
  expect "C01@C2" { value = null, points = 0, status = "missing" },
  expect "C01@C3" { value = null, points = 0, status = "missing" },
}

case "C01 面积为负 → invalid" {
  facts = { service_area_m2 = -5 },
  expect "C01" { value = null, points = 0, status = "invalid" },
}

case "C01 户数为 0 → invalid" {
  community = { households = 0 },
  facts = { service_area_m2 = 100 },
  expect "C01" { value = null, points = 0, status = "invalid" },
}

---------------------------------------------------------------------------
-- C02 下沉公共服务事项数 = fact public_service_items, RATIO(28), max 3
---------------------------------------------------------------------------
case "C02 典型值 21 项" {
  facts = { public_service_items = 21 },
  -- 21/28 = 0.75 → 2.25
  expect "C02" { value = 21, points = 2.25, status = "ok", max = 3 },
}

case "C02 恰好 28 满分；35 封顶；0 零分" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  facts = { C1 = { public_service_items = 28 }, C2 = { public_service_items = 35 },
            C3 = { public_service_items = 0 } },
  expect "C02" { value = 28, points = 3 },
  expect "C02@C2" { value = 35, points = 3 },
  expect "C02@C3" { value = 0, points = 0, status = "ok" },
}

case "C02 无事实 / 值为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C2 = { public_service_items = null } },
  expect "C02" { status = "missing", value = null, points = 0 },
  expect "C02@C2" { status = "missing", value = null, points = 0 },
}

case "C02 负数 → invalid" {
  facts = { public_service_items = -1 },
  expect "C02" { value = null, points = 0, status = "invalid" },
}

---------------------------------------------------------------------------
-- C03 诉求5日办结率 = resolved_on ≤ received_on + 5 ÷ requests in the year,
-- LIN(0.80→0.95), max 3
---------------------------------------------------------------------------
case "C03 典型值 0.9" {
  requests = { { count = 9, received_on = "2025-06-01", resolved_on = "2025-06-03" },
               { count = 1, received_on = "2025-06-01" } },
  -- 9/10 = 0.9 → 0.1/0.15 = 2/3 → 2
  expect "C03" { value = 0.9, points = 2, status = "ok", max = 3 },
}

case "C03 恰好 5 天算及时，6 天不算" {
  requests = { { count = 17, received_on = "2025-06-01", resolved_on = "2025-06-06" },
               { count = 3, received_on = "2025-06-01", resolved_on = "2025-06-07" } },
  -- 17/20 = 0.85 → 0.05/0.15 → 1
  expect "C03" { value = 0.85, points = 1 },
}

case "C03 跨月：1月30日收 2月4日结（5天）算及时" {
  requests = { { received_on = "2025-01-30", resolved_on = "2025-02-04" },
               { received_on = "2025-02-26", resolved_on = "2025-03-03" },   -- 2025 not leap: 5 days
               { received_on = "2025-02-26", resolved_on = "2025-03-04" },   -- 6 days
               { received_on = "2025-12-31", resolved_on = "2025-12-31" } },
  -- 3/4 = 0.75 → 0
  expect "C03" { value = 0.75, points = 0, status = "ok" },
}

case "C03 未办结（resolved_on 为空）不算及时" {
  requests = { { count = 18, received_on = "2025-09-01", resolved_on = "2025-09-01" },
               { count = 2, received_on = "2025-09-01" } },
  -- 18/20 = 0.9 → 2
  expect "C03" { value = 0.9, points = 2 },
}

case "C03 恰好 0.95 满分；0.80 零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  requests = {
    { count = 19, received_on = "2025-04-01", resolved_on = "2025-04-02" },
    { count = 1, received_on = "2025-04-01", resolved_on = "2025-05-01" },
    { count = 16, community_id = "C2", received_on = "2025-04-01", resolved_on = "2025-04-02" },
    { count = 4, community_id = "C2", received_on = "2025-04-01" },
  },
  expect "C03" { value = 0.95, points = 3 },
  expect "C03@C2" { value = 0.8, points = 0, status = "ok" },
}

case "C03 全部及时封顶" {
  requests = { { count = 5, received_on = "2025-03-01", resolved_on = "2025-03-01" } },
  expect "C03" { value = 1, points = 3 },
}

case "C03 只计年度内收到的诉求" {
  requests = {
    { count = 4, received_on = "2025-01-01", resolved_on = "2025-01-02" },
    { count = 6, received_on = "2024-12-30", resolved_on = "2025-03-01" },   -- previous year
    { count = 6, received_on = "2024-12-30" },                               -- previous year
  },
  -- 4/4 = 1 → 3
  expect "C03" { value = 1, points = 3 },
}

case "C03 评估日后收到的诉求不计" {
  as_of = "2025-06-30",
  requests = { { count = 9, received_on = "2025-06-01", resolved_on = "2025-06-02" },
               { count = 1, received_on = "2025-06-30" },
               { count = 5, received_on = "2025-07-01" } },
  -- 9/10 = 0.9 → 2
  expect "C03" { value = 0.9, points = 2 },
}

case "C03 没有诉求 → missing" {
  expect "C03" { value = null, points = 0, status = "missing" },
}

case "C03 只有上一年的诉求 → missing" {
  requests = { { received_on = "2024-05-01", resolved_on = "2024-05-02" } },
  expect "C03" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- C04 志愿服务活动次数 = volunteer activities in the year (0 → 0), RATIO(24), max 2
---------------------------------------------------------------------------
case "C04 典型值 12 次" {
  activities = { { count = 12, kind = "volunteer" } },
  -- 12/24 = 0.5 → 1
  expect "C04" { value = 12, points = 1, status = "ok", max = 2 },
}

case "C04 恰好 24 满分；30 封顶" {
  communities = { { id = "C1" }, { id = "C2" } },
  activities = { { count = 24, kind = "volunteer" }, { count = 30, kind = "volunteer", community_id = "C2" } },
  expect "C04" { value = 24, points = 2 },
  expect "C04@C2" { value = 30, points = 2 },
}

case "C04 没有活动 → 值 0" {
  expect "C04" { value = 0, points = 0, status = "ok" },
}

case "C04 其他类型与上一年的活动不计" {
  activities = { { count = 6, kind = "volunteer", held_on = "2025-02-01" },
                 { count = 5, kind = "civility" }, { count = 5, kind = "resident" },
                 { count = 10, kind = "volunteer", held_on = "2024-12-31" } },
  -- 6/24 = 0.25 → 0.5
  expect "C04" { value = 6, points = 0.5 },
}

---------------------------------------------------------------------------
-- C05 15分钟服务圈业态数 = fact amenity_types (0..8), RATIO(8), max 3
---------------------------------------------------------------------------
case "C05 典型值 6 类" {
  facts = { amenity_types = 6 },
  -- 6/8 → 2.25
  expect "C05" { value = 6, points = 2.25, status = "ok", max = 3 },
}

case "C05 恰好 8 满分；0 零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { amenity_types = 8 }, C2 = { amenity_types = 0 } },
  expect "C05" { value = 8, points = 3 },
  expect "C05@C2" { value = 0, points = 0, status = "ok" },
}

case "C05 超过 8 → invalid" {
  facts = { amenity_types = 9 },
  expect "C05" { value = null, points = 0, status = "invalid" },
}

case "C05 负数 → invalid" {
  facts = { amenity_types = -1 },
  expect "C05" { value = null, points = 0, status = "invalid" },
}

case "C05 无事实 / 值为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C2 = { amenity_types = null } },
  expect "C05" { value = null, points = 0, status = "missing" },
  expect "C05@C2" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- C06 信息每周更新率 = weeks with a posting ÷ ceil(days/7), LIN(0.5→1.0), max 3
---------------------------------------------------------------------------
case "C06 全年 53 周每周都有发布" {
  postings = weekly(2025, range(0, 52)),
  -- 365 days → ceil(365/7) = 53 weeks; 53/53 → 3
  expect "C06" { value = 1, points = 3, status = "ok", max = 3 },
}

case "C06 全年缺最后一周（只有 12-31 一天）" {
  postings = weekly(2025, range(0, 51)),
  -- 52/53 = 0.981132075 → (52/53 − 0.5)/0.5 = 51/53 → ×3 = 153/53 = 2.886792453
  expect "C06" { value = 0.981132075, points = 2.886792453 },
}

case "C06 12 月 31 日的发布属于第 53 周（第 52 号周）" {
  postings = { { posted_on = "2025-12-31" } },
  -- day 364 → week 52; 1/53 = 0.018867925 → below 0.5 → 0
  expect "C06" { value = 0.018867925, points = 0, status = "ok" },
}

case "C06 典型值 40/53 周" {
  postings = weekly(2025, range(0, 39)),
  -- 40/53 = 0.754716981 → (40/53 − 0.5)/0.5 = 27/53 → ×3 = 81/53 = 1.528301887
  expect "C06" { value = 0.754716981, points = 1.528301887 },
}

case "C06 恰好一半（26/52）零分：as_of 12-30 共 364 天 52 周" {
  as_of = "2025-12-30",
  postings = weekly(2025, range(0, 25)),
  -- 364 days → 52 weeks; 26/52 = 0.5 → 0
  expect "C06" { value = 0.5, points = 0, status = "ok" },
}

case "C06 同一周多次发布只算一次" {
  as_of = "2025-01-21",
  postings = { { posted_on = "2025-01-01" }, { posted_on = "2025-01-05" },
               { posted_on = "2025-01-07" }, { posted_on = "2025-01-07", channel = "wechat" },
               { posted_on = "2025-01-08" } },
  -- 21 days → 3 weeks; weeks {0, 1} → 2/3 → (2/3−0.5)/0.5 = 1/3 → 1
  expect "C06" { value = 0.666666667, points = 1 },
}

case "C06 窗口外的发布不计" {
  as_of = "2025-01-21",
  postings = { { posted_on = "2024-12-31" }, { posted_on = "2024-12-25" },
               { posted_on = "2025-01-15" }, { posted_on = "2025-01-22" },
               { posted_on = "2025-02-01" } },
  -- only 01-15 (day 14 → week 2) counts: 1/3 = 0.333333333 → 0
  expect "C06" { value = 0.333333333, points = 0, status = "ok" },
}

case "C06 短窗口：as_of 2025-01-10 → 10 天 → 2 周" {
  as_of = "2025-01-10",
  postings = { { posted_on = "2025-01-03" }, { posted_on = "2025-01-09" } },
  -- 01-03 day 2 → week 0; 01-09 day 8 → week 1; 2/2 → 3
  expect "C06" { value = 1, points = 3 },
}

case "C06 短窗口：as_of 2025-01-10 只有第一周" {
  as_of = "2025-01-10",
  postings = { { posted_on = "2025-01-03" } },
  -- 1/2 = 0.5 → 0
  expect "C06" { value = 0.5, points = 0, status = "ok" },
}

case "C06 as_of 01-07 → 7 天 → 1 周；01-08 → 8 天 → 2 周" {
  communities = { { id = "C1" } },
  as_of = "2025-01-07",
  postings = { { posted_on = "2025-01-01" } },
  -- 1/1 → 3
  expect "C06" { value = 1, points = 3 },
}

case "C06 as_of 2025-01-08 → 2 周" {
  as_of = "2025-01-08",
  postings = { { posted_on = "2025-01-01" } },
  -- 1/2 → 0
  expect "C06" { value = 0.5, points = 0 },
}

case "C06 as_of 2025-01-15 → 15 天 → 3 周" {
  as_of = "2025-01-15",
  postings = { { posted_on = "2025-01-01" }, { posted_on = "2025-01-15" } },
  -- 01-15 is day 14 → week 2; 2/3 → 1/3 → 1
  expect "C06" { value = 0.666666667, points = 1 },
}

case "C06 as_of 01-01 → 1 天 → 1 周" {
  as_of = "2025-01-01",
  postings = { { posted_on = "2025-01-01" } },
  expect "C06" { value = 1, points = 3 },
}

case "C06 闰年 as_of 2024-12-31 → 366 天 → 53 周" {
  as_of = "2024-12-31",
  postings = weekly(2024, range(0, 51)),
  -- 52/53 → 153/53 = 2.886792453
  expect "C06" { value = 0.981132075, points = 2.886792453 },
}

case "C06 没有发布 → missing" {
  expect "C06" { value = null, points = 0, status = "missing" },
}

case "C06 只有窗口外的发布 → missing" {
  as_of = "2025-03-31",
  postings = { { posted_on = "2024-12-31" }, { posted_on = "2025-04-01" } },
  expect "C06" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- C07 综合服务窗口数 = fact service_windows, RATIO(2), max 3
---------------------------------------------------------------------------
case "C07 典型值 1 个" {
  facts = { service_windows = 1 },
  -- 1/2 → 1.5
  expect "C07" { value = 1, points = 1.5, status = "ok", max = 3 },
}

case "C07 恰好 2 满分；3 封顶；0 零分" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  facts = { C1 = { service_windows = 2 }, C2 = { service_windows = 3 }, C3 = { service_windows = 0 } },
  expect "C07" { value = 2, points = 3 },
  expect "C07@C2" { value = 3, points = 3 },
  expect "C07@C3" { value = 0, points = 0, status = "ok" },
}

case "C07 无事实 / 值为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C2 = { service_windows = null } },
  expect "C07" { value = null, points = 0, status = "missing" },
  expect "C07@C2" { value = null, points = 0, status = "missing" },
}

case "C07 负数 → invalid" {
  facts = { service_windows = -1 },
  expect "C07" { value = null, points = 0, status = "invalid" },
}

case "C01 状态顺序：面积为空（缺失）先于户数为 0（越界）" {
  community = { households = 0 },
  facts = { service_area_m2 = null },
  expect "C01" { value = null, points = 0, status = "missing" },
}
