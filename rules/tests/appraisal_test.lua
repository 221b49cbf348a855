-- Appraisal and elimination (POLICY.md §3): hand-computed worker scores and flags.
-- S = 0.3·civil + 0.3·community + 0.4·residents + bonus (assistant 2, intermediate 3,
-- senior 5, only when certified on as_of), capped at 100.
-- Bottom ratio: within each street, k = ceil(ratio × n − 1e-9) lowest (score, id) flagged.
-- NB with the default 0.02 every street with n ≥ 1 scored workers has k ≥ 1, so cases
-- that look at one worker's floor add a lower "anchor" worker to take the bottom slot.

local function w(civil, community, residents, extra)
  local row = { score_civil = civil, score_community = community, score_residents = residents }
  for k, v in pairs(extra or {}) do row[k] = v end
  return row
end
local ANCHOR = w(40, 40, 40, { id = "W000" })   -- S = 40: below_floor, rank 1

case "得分：0.3·民政 + 0.3·社区 + 0.4·居民" {
  workers = { ANCHOR, w(80, 70, 90, { id = "W001" }) },
  -- 24 + 21 + 36 = 81
  expect "worker W001" { score = 81, flag = null, rank = 2 },
  expect "worker W000" { score = 40, flag = "below_floor", rank = 1 },
}

case "持证加分：助理 2、中级 3、高级 5" {
  workers = { ANCHOR,
              w(80, 70, 90, { id = "W001", cert_level = "assistant" }),
              w(80, 70, 90, { id = "W002", cert_level = "intermediate", cert_date = "2020-01-01" }),
              w(80, 70, 90, { id = "W003", cert_level = "senior", cert_date = "2025-12-31" }) },
  -- 81 + 2 = 83 ; 81 + 3 = 84 ; 81 + 5 = 86 (certified on as_of counts)
  expect "worker W001" { score = 83 },
  expect "worker W002" { score = 84 },
  expect "worker W003" { score = 86 },
}

case "评估日后取得的证书不加分" {
  workers = { ANCHOR, w(80, 70, 90, { id = "W001", cert_level = "senior", cert_date = "2026-01-02" }) },
  -- not certified on as_of → 81
  expect "worker W001" { score = 81, flag = null },
}

case "加分后封顶 100" {
  workers = { ANCHOR, w(100, 100, 100, { id = "W001", cert_level = "senior" }),
              w(98, 98, 98, { id = "W002", cert_level = "intermediate" }) },
  -- 100 + 5 → 100 ; 98 + 3 = 101 → 100
  expect "worker W001" { score = 100 },
  expect "worker W002" { score = 100 },
}

case "任一分项为空 → no_score，无分数无排名" {
  workers = { ANCHOR,
              w(100, 100, null, { id = "W001" }),
              w(null, 90, 90, { id = "W002", cert_level = "senior" }),
              w(90, null, 90, { id = "W003" }) },
  expect "worker W001" { score = null, flag = "no_score", rank = null },
  expect "worker W002" { score = null, flag = "no_score", rank = null },
  expect "worker W003" { score = null, flag = "no_score", rank = null },
  expect "worker W000" { rank = 1, flag = "below_floor" },
}

case "S < 60 → below_floor" {
  workers = { ANCHOR, w(50, 50, 70, { id = "W001" }) },
  -- 15 + 15 + 28 = 58 < 60
  expect "worker W001" { score = 58, flag = "below_floor", rank = 2 },
}

case "居民评议 < 60 且 S ≥ 60 → below_floor" {
  workers = { ANCHOR, w(90, 90, 50, { id = "W001" }) },
  -- 27 + 27 + 20 = 74 ≥ 60 but residents 50 < 60
  expect "worker W001" { score = 74, flag = "below_floor" },
}

case "S 恰好 60 不低于底线" {
  workers = { ANCHOR, w(60, 60, 60, { id = "W001" }) },
  -- 18 + 18 + 24 = 60
  expect "worker W001" { score = 60, flag = null, rank = 2 },
}

case "S 纸面上恰好 60（浮点 59.99999999999999）不低于底线" {
  workers = { ANCHOR, w(44.4, 75.6, 60, { id = "W001" }) },
  -- 13.32 + 22.68 + 24 = 60 on paper
  expect "worker W001" { score = 60, flag = null },
}

case "居民评议恰好 60 不低于底线" {
  workers = { ANCHOR, w(90, 90, 60, { id = "W001" }) },
  -- 27 + 27 + 24 = 78
  expect "worker W001" { score = 78, flag = null },
}

case "参数 elimination.floor = 70" {
  params = { ["elimination.floor"] = 70 },
  workers = { ANCHOR, w(70, 70, 70, { id = "W001" }), w(80, 80, 65, { id = "W002" }),
              w(60, 60, 80, { id = "W003" }) },
  -- W001 70 (not below) ; W002 24+24+26 = 74 but residents 65 < 70 ; W003 18+18+32 = 68 < 70
  expect "worker W001" { score = 70, flag = null },
  expect "worker W002" { score = 74, flag = "below_floor" },
  expect "worker W003" { score = 68, flag = "below_floor" },
}

case "参数 appraisal 权重与加分（what-if）" {
  params = { ["appraisal.weight.civil"] = 0.2, ["appraisal.weight.community"] = 0.2,
             ["appraisal.weight.residents"] = 0.6, ["appraisal.bonus.assistant"] = 4 },
  workers = { ANCHOR, w(50, 50, 100, { id = "W001", cert_level = "assistant" }) },
  -- 10 + 10 + 60 + 4 = 84
  expect "worker W001" { score = 84 },
}

---------------------------------------------------------------------------
-- Bottom ratio
---------------------------------------------------------------------------
local function scored(n, from)
  -- n workers W001..Wnnn with S = from, from+1, ... (civil = community = residents)
  local rows = {}
  for i = 1, n do
    local s = from + i - 1
    rows[i] = w(s, s, s, { id = string.format("W%03d", i) })
  end
  return rows
end

case "10 人默认 2%：k = ceil(0.2 − 1e-9) = 1，最低者 bottom_ratio" {
  workers = scored(10, 61),
  -- S = 61..70; W001 (61) lowest
  expect "worker W001" { score = 61, rank = 1, flag = "bottom_ratio" },
  expect "worker W002" { score = 62, rank = 2, flag = null },
  expect "worker W010" { score = 70, rank = 10, flag = null },
}

case "最低者同时低于底线 → below_floor（不另选下一名）" {
  workers = { w(50, 50, 50, { id = "W001" }), w(70, 70, 70, { id = "W002" }), w(80, 80, 80, { id = "W003" }) },
  expect "worker W001" { rank = 1, flag = "below_floor" },
  expect "worker W002" { rank = 2, flag = null },
}

case "所有低于底线者都是 below_floor" {
  workers = { w(50, 50, 50, { id = "W001" }), w(55, 55, 55, { id = "W002" }),
              w(90, 90, 40, { id = "W003" }), w(80, 80, 80, { id = "W004" }) },
  -- S: 50, 55, 27+27+16 = 70, 80
  expect "worker W001" { rank = 1, flag = "below_floor" },
  expect "worker W002" { rank = 2, flag = "below_floor" },
  expect "worker W003" { score = 70, rank = 3, flag = "below_floor" },
  expect "worker W004" { rank = 4, flag = null },
}

case "50 人：k = ceil(1.0 − 1e-9) = 1" {
  workers = { { count = 50, score_civil = 80, score_community = 80, score_residents = 80 } },
  -- all S = 80, ties by id: W001 rank 1
  expect "worker W001" { score = 80, rank = 1, flag = "bottom_ratio" },
  expect "worker W002" { rank = 2, flag = null },
  expect "worker W050" { rank = 50, flag = null },
}

case "51 人：k = ceil(1.02 − 1e-9) = 2" {
  workers = { { count = 51, score_civil = 80, score_community = 80, score_residents = 80 } },
  expect "worker W001" { rank = 1, flag = "bottom_ratio" },
  expect "worker W002" { rank = 2, flag = "bottom_ratio" },
  expect "worker W003" { rank = 3, flag = null },
  expect "worker W051" { rank = 51, flag = null },
}

case "无分数者不计入 n：50 人有分 + 1 人 no_score → k = 1" {
  workers = { { count = 50, score_civil = 80, score_community = 80, score_residents = 80 },
              { score_civil = 80, score_community = 80 } },
  expect "worker W001" { flag = "bottom_ratio" },
  expect "worker W002" { flag = null },
  expect "worker W051" { flag = "no_score", rank = null, score = null },
}

case "比例 0.2、10 人：k = 2（整倍数时恰好 2）" {
  params = { ["elimination.bottom_ratio"] = 0.2 },
  workers = scored(10, 61),
  expect "worker W001" { rank = 1, flag = "bottom_ratio" },
  expect "worker W002" { rank = 2, flag = "bottom_ratio" },
  expect "worker W003" { rank = 3, flag = null },
}

case "比例 0.2、11 人：k = ceil(2.2) = 3" {
  params = { ["elimination.bottom_ratio"] = 0.2 },
  workers = scored(11, 61),
  expect "worker W003" { rank = 3, flag = "bottom_ratio" },
  expect "worker W004" { rank = 4, flag = null },
}

case "比例 0 → 不标 bottom_ratio" {
  params = { ["elimination.bottom_ratio"] = 0 },
  workers = scored(3, 70),
  expect "worker W001" { rank = 1, flag = null },
}

case "同分按工作者 id 排序" {
  workers = { w(90, 90, 90, { id = "W005" }), w(70, 70, 70, { id = "W009" }),
              w(70, 70, 70, { id = "W003" }), w(80, 80, 80, { id = "W001" }) },
  -- (70, W003) < (70, W009) < (80, W001) < (90, W005)
  expect "worker W003" { rank = 1, flag = "bottom_ratio" },
  expect "worker W009" { rank = 2, flag = null },
  expect "worker W001" { rank = 3 },
  expect "worker W005" { rank = 4 },
}

case "加分后同分：按 id 排序" {
  workers = { w(80, 80, 80, { id = "W002" }), w(75, 75, 75, { id = "W001", cert_level = "senior" }),
              w(90, 90, 90, { id = "W003" }) },
  -- W001 75 + 5 = 80 = W002 → W001 first
  expect "worker W001" { score = 80, rank = 1, flag = "bottom_ratio" },
  expect "worker W002" { score = 80, rank = 2, flag = null },
}

case "离职者与评估日后入职者没有考核行" {
  workers = { w(80, 80, 80, { id = "W001" }), w(90, 90, 90, { id = "W002" }),
              w(10, 10, 10, { id = "W003", status = "left", left_date = "2025-06-01", left_reason = "eliminated" }),
              w(10, 10, 10, { id = "W004", hire_date = "2026-01-01" }) },
  expect "worker W003" { present = false },
  expect "worker W004" { present = false },
  expect "worker W001" { rank = 1, flag = "bottom_ratio" },
  expect "worker W002" { rank = 2, flag = null },
}

case "同一街道的多个社区一起排名" {
  communities = { { id = "C1" }, { id = "C2" } },
  workers = { w(80, 80, 80, { id = "W001" }), w(70, 70, 70, { id = "W002", community_id = "C2" }),
              w(90, 90, 90, { id = "W003", community_id = "C2" }) },
  expect "worker W002" { rank = 1, flag = "bottom_ratio" },
  expect "worker W001" { rank = 2, flag = null },
  expect "worker W003" { rank = 3 },
}

case "不同街道分别排名" {
  communities = { { id = "C1", street = "东街" }, { id = "C2", street = "西街" } },
  workers = { w(80, 80, 80, { id = "W001" }), w(90, 90, 90, { id = "W002" }),
              w(70, 70, 70, { id = "W003", community_id = "C2" }), w(85, 85, 85, { id = "W004", community_id = "C2" }) },
  expect "worker W001" { rank = 1, flag = "bottom_ratio" },
  expect "worker W002" { rank = 2, flag = null },
  expect "worker W003" { rank = 1, flag = "bottom_ratio" },
  expect "worker W004" { rank = 2, flag = null },
}

case "两个区的同名街道分别排名" {
  communities = { { id = "C1", district = "甲区", street = "东街" },
                  { id = "C2", district = "乙区", street = "东街" } },
  workers = { w(80, 80, 80, { id = "W001" }), w(90, 90, 90, { id = "W002" }),
              w(85, 85, 85, { id = "W003", community_id = "C2" }), w(95, 95, 95, { id = "W004", community_id = "C2" }) },
  -- 甲区/东街: W001 1, W002 2 ; 乙区/东街: W003 1, W004 2 (not one street of 4)
  expect "worker W001" { rank = 1, flag = "bottom_ratio" },
  expect "worker W002" { rank = 2, flag = null },
  expect "worker W003" { rank = 1, flag = "bottom_ratio" },
  expect "worker W004" { rank = 2, flag = null },
}

case "街道比例各自计算：0.2 时两街道各 10 人各标 2 人" {
  params = { ["elimination.bottom_ratio"] = 0.2 },
  communities = { { id = "C1", street = "东街" }, { id = "C2", street = "西街" } },
  workers = {
    { count = 10, score_civil = 80, score_community = 80, score_residents = 80 },                    -- W001..W010
    { count = 10, community_id = "C2", score_civil = 70, score_community = 70, score_residents = 70 }, -- W011..W020
  },
  expect "worker W002" { rank = 2, flag = "bottom_ratio" },
  expect "worker W003" { rank = 3, flag = null },
  expect "worker W012" { rank = 2, flag = "bottom_ratio" },
  expect "worker W013" { rank = 3, flag = null },
}
