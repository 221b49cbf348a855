-- 社区工作者考核与末位淘汰 (POLICY.md §3)
-- 三级考核：民政考核 30%、社区考核 30%、居民评议 40%，持证加分，封顶 100 分。
-- 低于 60 分或居民评议低于 60 分 → below_floor；每个街道按得分由低到高，
-- 前 ceil(比例 × 人数) 名 → bottom_ratio（如同时低于底线则记 below_floor）。

param "appraisal.weight.civil"     { default = 0.3, min = 0, max = 1, source = "宜昌: 民政考核、社区考核、居民评议三级考核 (design: 30%)", description = "民政考核权重" }
param "appraisal.weight.community" { default = 0.3, min = 0, max = 1, source = "宜昌: 三级考核 (design: 30%)", description = "社区考核权重" }
param "appraisal.weight.residents" { default = 0.4, min = 0, max = 1, source = "宜昌: 居民满意度加大权重 (design: 40%)", description = "居民评议权重" }
param "appraisal.bonus.assistant"    { default = 2, min = 0, max = 100, source = "宜昌: 持证作为考核重要指标 (design: 助理社会工作师 +2)", description = "助理社会工作师加分" }
param "appraisal.bonus.intermediate" { default = 3, min = 0, max = 100, source = "宜昌: 持证作为考核重要指标 (design: 社会工作师 +3)", description = "社会工作师加分" }
param "appraisal.bonus.senior"       { default = 5, min = 0, max = 100, source = "宜昌: 持证作为考核重要指标 (design: 高级社会工作师 +5)", description = "高级社会工作师加分" }
param "appraisal.cap" { default = 100, min = 0, max = 1000, source = "POLICY.md §3: 封顶 100 分", description = "考核得分上限" }

param "elimination.floor" {
  default = 60, min = 0, max = 100,
  source = "北京: 居民评议低于 60 分不得续聘；宜昌: 考核不合格淘汰",
  description = "考核得分与居民评议的底线（低于即 below_floor）",
}
param "elimination.bottom_ratio" {
  default = 0.02, min = 0, max = 1,
  source = "龙虎塘: 年淘汰率不低于 2%（宜昌 20% 轮换可作假设分析）",
  description = "每个街道末位淘汰的比例",
}
param "elimination.rate_required" {
  default = 0.02, min = 0, max = 1,
  source = "龙虎塘: 年淘汰率不低于 2%",
  description = "街道年度淘汰率的要求值",
}

-- 持证加分（仅评估日已持证者）
define "certificate_bonus" [[CASE WHEN NOT ({certified}) THEN 0
  WHEN cert_level = 'assistant'    THEN {appraisal.bonus.assistant}
  WHEN cert_level = 'intermediate' THEN {appraisal.bonus.intermediate}
  WHEN cert_level = 'senior'       THEN {appraisal.bonus.senior}
  ELSE 0 END]]

appraisal {
  name = "社区工作者年度考核",
  who = "{active}",                                         -- 只考核在岗社工
  components = { "score_civil", "score_community", "score_residents" }, -- 任一为空 → no_score
  score = [[MIN({appraisal.cap},
                {appraisal.weight.civil} * score_civil
              + {appraisal.weight.community} * score_community
              + {appraisal.weight.residents} * score_residents
              + {certificate_bonus})]],
  weights = { score_civil = "appraisal.weight.civil", score_community = "appraisal.weight.community",
              score_residents = "appraisal.weight.residents" },      -- 各分项的权重（用于解释）
  floors = { score = "elimination.floor", score_residents = "elimination.floor" },
  group = "street",                                         -- 在街道内排名
  bottom_ratio = "elimination.bottom_ratio",
  source = "宜昌: 考核淘汰；龙虎塘: 末位淘汰，年淘汰率不低于 2%",
}

-- 街道年度淘汰率：年内以淘汰离职的人数 ÷ 1 月 1 日在册人数
target "elimination_rate" {
  name = "街道年度淘汰率",
  numerator   = "left_reason = 'eliminated' AND left_date IS NOT NULL AND {in_year(left_date)}",
  denominator = "hire_date < {year_start} AND (status = 'active' OR left_date >= {year_start})",
  required = ref "elimination.rate_required",
  scopes = { "street" },
  source = "龙虎塘: 年淘汰率不低于 2%",
}
