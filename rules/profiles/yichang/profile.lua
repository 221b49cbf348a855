-- 宜昌市 profile: 《社区治理队伍能力提升三年行动方案》(../shared/seeds/yichang-*.txt)
-- Reuses the default rules and changes only what Yichang's plan says.
extends "default"

-- 持证比例：12月底前不低于30%（2021）；2022年不低于45%；3年内60%（2023）；5年内100%（2026）
set "cert.milestones" ({ [2021] = 0.30, [2022] = 0.45, [2023] = 0.60, [2026] = 1.00 },
  "宜昌: 2021年底持证比例不低于30%，2022年不低于45%，3年内60%，5年内100%")

-- 招录准入：12月前将持有社会工作者职业水平证书列入招录的基本资质条件，
-- 即 2021-12-31 之后招录的社工，入职时必须已经持证。
param "hire_certified.since" {
  default = "2021-12-31", type = "date",
  source = "宜昌: 12月前将持证列入社区工作者招录的基本资质条件",
  description = "此日之后招录的社工须入职时已持证",
}

target "hire_certified" {
  name = "新招录社工持证上岗",
  denominator = "{active} AND hire_date > {hire_certified.since}",
  numerator   = [[{active} AND hire_date > {hire_certified.since}
                  AND cert_level IS NOT NULL AND (cert_date IS NULL OR cert_date <= hire_date)]],
  required = 1.0,                       -- 全部持证上岗
  scopes = { "region", "district", "street", "community" },
  empty = "skip",                       -- 没有新招录的社工：不出结果行
  source = "宜昌: 将持有社会工作者职业水平证书列入招录的基本资质条件",
}
