-- Targets (POLICY.md §2 cert_ratio / under45_certified / new_certified, §3 elimination_rate).
-- Required cert ratio: 2020 0.35, 2023 0.60, 2026 1.00, linear in between;
-- 2025 → 0.60 + 0.40 × 2/3 = 13/15 = 0.866666667.

local R2025 = 13 / 15

-- Four communities: street name 东街 in two districts.
local TOWNS = {
  { id = "C1", district = "甲区", street = "东街" },
  { id = "C2", district = "甲区", street = "东街" },
  { id = "C3", district = "甲区", street = "西街" },
  { id = "C4", district = "乙区", street = "东街" },
}

---------------------------------------------------------------------------
-- cert_ratio: certified active ÷ active at region / district / street / community
---------------------------------------------------------------------------
case "cert_ratio 四级范围（东街在两个区重名）" {
  communities = TOWNS,
  workers = {
    { count = 3, cert_level = "assistant" }, { count = 1 },                  -- C1: 3/4
    { count = 2, community_id = "C2" },                                       -- C2: 0/2
    { community_id = "C2", cert_level = "senior", status = "left",
      left_date = "2025-05-01", left_reason = "transferred" },                -- left: not counted
    { count = 5, community_id = "C3", cert_level = "intermediate" },         -- C3: 5/5
    { community_id = "C4", cert_level = "assistant" }, { count = 2, community_id = "C4" }, -- C4: 1/3
  },
  -- community
  expect "target" { id = "cert_ratio", scope = "community", scope_id = "C1", actual = 0.75, required = R2025, met = false },
  expect "target" { id = "cert_ratio", scope = "community", scope_id = "C2", actual = 0, met = false },
  expect "target" { id = "cert_ratio", scope = "community", scope_id = "C3", actual = 1, met = true },
  expect "target" { id = "cert_ratio", scope = "community", scope_id = "C4", actual = 1 / 3, met = false },
  -- street: 甲区/东街 = (3+0)/(4+2) = 0.5 ; 甲区/西街 = 5/5 ; 乙区/东街 = 1/3
  expect "target" { id = "cert_ratio", scope = "street", scope_id = "甲区/东街", actual = 0.5, met = false },
  expect "target" { id = "cert_ratio", scope = "street", scope_id = "甲区/西街", actual = 1, met = true },
  expect "target" { id = "cert_ratio", scope = "street", scope_id = "乙区/东街", actual = 1 / 3, met = false },
  -- district: 甲区 = 8/11 ; 乙区 = 1/3
  expect "target" { id = "cert_ratio", scope = "district", scope_id = "甲区", actual = 8 / 11, met = false },
  expect "target" { id = "cert_ratio", scope = "district", scope_id = "乙区", actual = 1 / 3, met = false },
  -- region: 9/14
  expect "target" { id = "cert_ratio", scope = "region", scope_id = "测试市", actual = 9 / 14, required = R2025, met = false },
}

case "cert_ratio 默认 scope_id（本社区所在的街道 / 区）" {
  workers = { { count = 13, cert_level = "assistant" }, { count = 2 } },
  -- 13/15 = required exactly → met
  expect "target" { id = "cert_ratio", scope = "street", actual = R2025, met = true },
  expect "target" { id = "cert_ratio", scope = "street", scope_id = "测试区/测试街道", actual = R2025 },
  expect "target" { id = "cert_ratio", scope = "district", scope_id = "测试区", met = true },
  expect "target" { id = "cert_ratio", actual = R2025, met = true },
}

case "cert_ratio 2020 年要求 0.35，恰好达到" {
  as_of = "2020-12-31",
  workers = { { count = 7, cert_level = "assistant" }, { count = 13 } },
  -- 7/20 = 0.35 → met
  expect "target" { id = "cert_ratio", actual = 0.35, required = 0.35, met = true },
}

case "cert_ratio 2021 年要求 0.4333…" {
  as_of = "2021-12-31",
  workers = { { count = 4, cert_level = "assistant" }, { count = 6 } },
  -- required = 0.35 + 0.25/3 = 13/30; 0.4 < 0.4333 → not met
  expect "target" { id = "cert_ratio", actual = 0.4, required = 13 / 30, met = false },
}

case "cert_ratio 2022 年要求 0.5166…" {
  as_of = "2022-06-30",
  workers = { { count = 6, cert_level = "assistant" }, { count = 4 } },
  -- required = 0.35 + 0.25×2/3 = 31/60; 0.6 ≥ → met
  expect "target" { id = "cert_ratio", actual = 0.6, required = 31 / 60, met = true },
}

case "cert_ratio 2023 年要求 0.60，恰好达到" {
  as_of = "2023-06-30",
  workers = { { count = 3, cert_level = "assistant" }, { count = 2 } },
  expect "target" { id = "cert_ratio", actual = 0.6, required = 0.6, met = true },
}

case "cert_ratio 2024 年要求 0.7333…" {
  as_of = "2024-12-31",
  workers = { { count = 7, cert_level = "assistant" }, { count = 3 } },
  -- required = 0.6 + 0.4/3 = 11/15 = 0.7333 > 0.7 → not met
  expect "target" { id = "cert_ratio", actual = 0.7, required = 11 / 15, met = false },
}

case "cert_ratio 2019 年取首值 0.35" {
  as_of = "2019-12-31",
  workers = { { count = 1, cert_level = "assistant" }, { count = 2 } },
  expect "target" { id = "cert_ratio", actual = 1 / 3, required = 0.35, met = false },
}

case "cert_ratio 2026 年要求 1.0" {
  as_of = "2026-12-31",
  workers = { { count = 9, cert_level = "assistant" }, { count = 1 } },
  expect "target" { id = "cert_ratio", actual = 0.9, required = 1, met = false },
}

case "cert_ratio 2027 年取末值 1.0，全部持证达标" {
  as_of = "2027-03-01",
  workers = { { count = 4, cert_level = "assistant" } },
  expect "target" { id = "cert_ratio", actual = 1, required = 1, met = true },
}

case "cert_ratio 宜昌式里程碑（what-if）" {
  params = { ["cert.milestones"] = { [2021] = 0.30, [2022] = 0.45, [2023] = 0.60, [2026] = 1.00 } },
  as_of = "2022-12-31",
  workers = { { count = 9, cert_level = "assistant" }, { count = 11 } },
  -- required 2022 = 0.45 (a milestone); 9/20 = 0.45 → met
  expect "target" { id = "cert_ratio", actual = 0.45, required = 0.45, met = true },
}

case "cert_ratio 评估日后的证书不算，无日期的算" {
  workers = {
    { cert_level = "assistant", cert_date = "2026-01-01" },   -- after as_of: not certified
    { cert_level = "intermediate", cert_date = null },        -- no date: certified
    { cert_level = "senior", cert_date = "2025-12-31" },      -- on as_of: certified
    { },
  },
  -- 2/4 = 0.5
  expect "target" { id = "cert_ratio", scope = "community", actual = 0.5, met = false },
}

case "cert_ratio 没有在岗工作者 → actual 为空，未达标" {
  communities = { { id = "C1", street = "东街" }, { id = "C2", street = "西街" } },
  workers = { { community_id = "C2", cert_level = "assistant" },
              { cert_level = "assistant", status = "left", left_date = "2025-02-01", left_reason = "resigned" },
              { cert_level = "assistant", hire_date = "2026-02-01" } },
  expect "target" { id = "cert_ratio", scope = "community", actual = null, met = false },
  expect "target" { id = "cert_ratio", scope = "street", actual = null, met = false },
  expect "target" { id = "cert_ratio", scope = "community", scope_id = "C2", actual = 1, met = true },
  expect "target" { id = "cert_ratio", scope = "district", actual = 1, met = true },
}

---------------------------------------------------------------------------
-- under45_certified: active, under 45 on as_of, deadline max(hire, 2015-01-01) + 3y ≤ as_of.
-- Each case: W001 clearly counted and certified, W002 uncertified at the boundary:
-- W002 counted → actual 1/2 ; not counted → actual 1.
---------------------------------------------------------------------------
local IN = { birth_date = "1990-01-01", hire_date = "2018-01-01", cert_level = "assistant" }
local function pair(w2)
  local w1 = {}
  for k, v in pairs(IN) do w1[k] = v end
  return { w1, w2 }
end

case "under45 典型：一人持证一人未持证" {
  workers = pair({ birth_date = "1990-01-01", hire_date = "2018-01-01" }),
  expect "target" { id = "under45_certified", scope = "community", actual = 0.5, required = 1, met = false },
  expect "target" { id = "under45_certified", scope = "region", actual = 0.5, met = false },
}

case "under45 全部持证 → 达标" {
  workers = { IN, IN },
  expect "target" { id = "under45_certified", scope = "street", actual = 1, required = 1, met = true },
}

case "under45 评估日正好 45 周岁 → 不再计入" {
  workers = pair({ birth_date = "1980-12-31", hire_date = "2018-01-01" }),
  -- 1980-12-31 + 45 = 2025-12-31 = as_of → not younger than 45
  expect "target" { id = "under45_certified", scope = "community", actual = 1, met = true },
}

case "under45 评估日次日满 45 周岁 → 仍计入" {
  workers = pair({ birth_date = "1981-01-01", hire_date = "2018-01-01" }),
  -- 45th birthday 2026-01-01 > as_of → under 45
  expect "target" { id = "under45_certified", scope = "community", actual = 0.5, met = false },
}

case "under45 三年期限恰好在评估日 → 计入" {
  workers = pair({ birth_date = "1990-01-01", hire_date = "2022-12-31" }),
  -- 2022-12-31 + 3y = 2025-12-31 ≤ as_of
  expect "target" { id = "under45_certified", scope = "community", actual = 0.5 },
}

case "under45 三年期限在评估日次日 → 不计入" {
  workers = pair({ birth_date = "1990-01-01", hire_date = "2023-01-01" }),
  -- 2023-01-01 + 3y = 2026-01-01 > as_of
  expect "target" { id = "under45_certified", scope = "community", actual = 1 },
}

case "under45 2015 年前入职从 2015-01-01 起算（as_of 2017-12-31 未到期）" {
  as_of = "2017-12-31",
  workers = pair({ birth_date = "1990-01-01", hire_date = "2010-05-01" }),
  -- W001 hired 2018 → not yet hired → not active; W002: deadline 2018-01-01 > as_of → not counted
  -- → no worker is counted → no row
  expect "target" { id = "under45_certified", scope = "community", present = false },
}

case "under45 2015 年前入职：as_of 2018-01-01 到期计入" {
  as_of = "2018-01-01",
  workers = { { birth_date = "1990-01-01", hire_date = "2010-05-01", cert_level = "assistant" },
              { birth_date = "1990-01-01", hire_date = "2010-05-01" } },
  -- deadline max(2010-05-01, 2015-01-01) + 3 = 2018-01-01 ≤ as_of → both counted: 1/2
  expect "target" { id = "under45_certified", scope = "community", actual = 0.5, met = false },
}

case "under45 2 月 29 日入职 + 3 年 = 2 月 28 日（到期）" {
  as_of = "2023-02-28",
  workers = { { birth_date = "1990-01-01", hire_date = "2015-01-01", cert_level = "assistant" },
              { birth_date = "1990-01-01", hire_date = "2020-02-29" } },
  -- W002 deadline 2023-02-28 ≤ as_of → counted: 1/2
  expect "target" { id = "under45_certified", scope = "community", actual = 0.5 },
}

case "under45 2 月 29 日入职：as_of 2023-02-27 未到期" {
  as_of = "2023-02-27",
  workers = { { birth_date = "1990-01-01", hire_date = "2015-01-01", cert_level = "assistant" },
              { birth_date = "1990-01-01", hire_date = "2020-02-29" } },
  expect "target" { id = "under45_certified", scope = "community", actual = 1 },
}

case "under45 出生日期为空不计入" {
  workers = pair({ hire_date = "2018-01-01" }),
  expect "target" { id = "under45_certified", scope = "community", actual = 1 },
}

case "under45 证书在评估日后不算持证" {
  workers = pair({ birth_date = "1990-01-01", hire_date = "2018-01-01", cert_level = "assistant",
                   cert_date = "2026-01-15" }),
  expect "target" { id = "under45_certified", scope = "community", actual = 0.5, met = false },
}

case "under45 离职者不计入" {
  workers = pair({ birth_date = "1990-01-01", hire_date = "2018-01-01", status = "left",
                   left_date = "2025-03-01", left_reason = "resigned" }),
  expect "target" { id = "under45_certified", scope = "community", actual = 1 },
}

case "under45 没有符合条件的工作者 → 没有结果行" {
  workers = { { birth_date = "1970-01-01", hire_date = "2018-01-01" },       -- 55 years old
              { birth_date = "1995-01-01", hire_date = "2024-01-01" } },     -- deadline 2027
  expect "target" { id = "under45_certified", scope = "community", present = false },
  expect "target" { id = "under45_certified", scope = "street", present = false },
  expect "target" { id = "under45_certified", scope = "region", present = false },
}

case "under45 分街道：一个街道没有符合者则该街道无行" {
  communities = { { id = "C1", street = "东街" }, { id = "C2", street = "西街" } },
  workers = { IN, { community_id = "C2", birth_date = "1960-01-01", hire_date = "2018-01-01" } },
  expect "target" { id = "under45_certified", scope = "street", scope_id = "测试区/东街", actual = 1, met = true },
  expect "target" { id = "under45_certified", scope = "street", scope_id = "测试区/西街", present = false },
  expect "target" { id = "under45_certified", scope = "community", scope_id = "C2", present = false },
}

---------------------------------------------------------------------------
-- new_certified per street: workers (any status) with cert_date in the year; required 8.
---------------------------------------------------------------------------
case "new_certified 恰好 8 人达标（含离职者）" {
  workers = {
    { count = 6, cert_level = "assistant", cert_date = "2025-03-01" },
    { count = 2, cert_level = "assistant", cert_date = "2025-01-01", status = "left",
      left_date = "2025-09-01", left_reason = "resigned" },
  },
  expect "target" { id = "new_certified", scope = "street", actual = 8, required = 8, met = true },
}

case "new_certified 7 人未达标；年度外与无日期的不计" {
  workers = {
    { count = 7, cert_level = "intermediate", cert_date = "2025-12-31" },
    { count = 3, cert_level = "assistant", cert_date = "2024-12-31" },   -- previous year
    { count = 3, cert_level = "assistant", cert_date = null },           -- no date
  },
  expect "target" { id = "new_certified", scope = "street", actual = 7, met = false },
}

case "new_certified 评估日后的证书不计（as_of 2025-06-30）" {
  as_of = "2025-06-30",
  workers = { { count = 8, cert_level = "assistant", cert_date = "2025-06-30" },
              { count = 2, cert_level = "assistant", cert_date = "2025-07-01" } },
  expect "target" { id = "new_certified", scope = "street", actual = 8, met = true },
}

case "new_certified 按街道分别计（重名街道分开）" {
  communities = { { id = "C1", district = "甲区", street = "东街" },
                  { id = "C2", district = "甲区", street = "东街" },
                  { id = "C3", district = "乙区", street = "东街" } },
  workers = { { count = 5, cert_level = "assistant", cert_date = "2025-04-01" },
              { count = 4, community_id = "C2", cert_level = "assistant", cert_date = "2025-05-01" },
              { count = 3, community_id = "C3", cert_level = "assistant", cert_date = "2025-06-01" } },
  expect "target" { id = "new_certified", scope = "street", scope_id = "甲区/东街", actual = 9, met = true },
  expect "target" { id = "new_certified", scope = "street", scope_id = "乙区/东街", actual = 3, met = false },
  expect "target" { id = "new_certified", scope = "region", present = false },
}

case "new_certified 街道没有新持证 → 0，未达标" {
  expect "target" { id = "new_certified", scope = "street", actual = 0, met = false },
}

---------------------------------------------------------------------------
-- elimination_rate per street: eliminated with left_date in the year ÷ on the roll
-- on Y-01-01 (hire_date < Y-01-01 and (active or left_date ≥ Y-01-01)); required 0.02.
---------------------------------------------------------------------------
local function gone(reason, date, hire)
  return { status = "left", left_reason = reason, left_date = date, hire_date = hire or "2020-01-01" }
end

case "elimination_rate 各种边界" {
  workers = {
    { count = 8, hire_date = "2020-01-01" },          -- on the roll
    gone("eliminated", "2025-01-01"),                 -- eliminated on 1 January: numerator and roll
    gone("resigned", "2025-05-01"),                   -- roll only
    gone("eliminated", "2024-12-31"),                 -- previous year: neither
    gone("eliminated", "2025-10-01", "2025-02-01"),   -- hired in the year: numerator only
    { hire_date = "2025-01-01" },                     -- hired on 1 January: not on the roll
  },
  -- numerator 2, roll 8 + 1 + 1 = 10 → 0.2 ≥ 0.02 → met
  expect "target" { id = "elimination_rate", scope = "street", actual = 0.2, required = 0.02, met = true },
}

case "elimination_rate 50 人淘汰 1 人恰好 2%" {
  workers = { { count = 49 }, gone("eliminated", "2025-06-30") },
  -- 1/50 = 0.02 → met
  expect "target" { id = "elimination_rate", scope = "street", actual = 0.02, met = true },
}

case "elimination_rate 51 人淘汰 1 人不足 2%" {
  workers = { { count = 50 }, gone("eliminated", "2025-06-30") },
  -- 1/51 = 0.019607843 → not met
  expect "target" { id = "elimination_rate", scope = "street", actual = 1 / 51, met = false },
}

case "elimination_rate 没有淘汰 → 0，未达标" {
  workers = { { count = 10 }, gone("retired", "2025-03-01") },
  expect "target" { id = "elimination_rate", scope = "street", actual = 0, met = false },
}

case "elimination_rate 街道无在册人员 → actual 为空，未达标" {
  communities = { { id = "C1", street = "东街" }, { id = "C2", street = "西街" } },
  workers = { { count = 5, community_id = "C2" },
              { hire_date = "2025-03-01" }, gone("eliminated", "2025-08-01", "2025-02-01") },
  expect "target" { id = "elimination_rate", scope = "street", actual = null, met = false },
  expect "target" { id = "elimination_rate", scope = "street", scope_id = "测试区/西街", actual = 0, met = false },
}

case "elimination_rate 参数 elimination.rate_required = 0.1" {
  params = { ["elimination.rate_required"] = 0.1 },
  workers = { { count = 9 }, gone("eliminated", "2025-06-30") },
  -- 1/10 = 0.1 → met exactly
  expect "target" { id = "elimination_rate", scope = "street", actual = 0.1, required = 0.1, met = true },
}
