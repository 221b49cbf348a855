	-- 社会工作者职业水平证书持证率目标 (POLICY.md §2)
-- 里程碑 (年份 → 持证比例)，中间年份线性插值，首个之前取首值，最后之后取末值。

param "cert.milestones" {
  default = {
    [2020] = 0.35,   -- 铁山: 到2020年社区工作者35%以上持证上岗
    [2023] = 0.60,   -- 宜昌: 3年内持证比例达到60%
    [2026] = 1.00,   -- 宜昌: 5年内达到100%
  },
  min = 0, max = 1,
  source = "铁山 2020 年 35%；宜昌三年行动 3 年 60%、5 年 100%",
  description = "各年度要求的持证比例（年份 → 比例）",
}

-- 持证率目标：在岗社工中持证者的比例，按全市、区、街道、社区分别检查。
target "cert_ratio" {
  name = "社会工作者职业水平证书持证率",
  numerator   = "{active} AND {certified}",
  denominator = "{active}",
  required = schedule "cert.milestones",
  scopes = { "region", "district", "street", "community" },
  empty = "null",                      -- 没有在岗社工：实际值为空，视为未达标
  source = "铁山 2020 年 35%；宜昌 3 年 60%、5 年 100%",
}

-- 45 周岁以下社工三年内取得证书 (铁山)
param "under45.age" {
  default = 45, type = "integer", min = 1, max = 100,
  source = "铁山: 45周岁以下的社区工作者",
  description = "须取得证书的年龄上限（评估日未满该年龄）",
}
param "under45.years" {
  default = 3, type = "integer", min = 0, max = 20,
  source = "铁山: 三年内取得社会工作者职业水平证书",
  description = "取得证书的期限（年）",
}
param "under45.since" {
  default = "2015-01-01", type = "date",
  source = "铁山: 政策实施之日起计算（design: 2015-01-01）",
  description = "期限的起算日（入职早于此日的从此日起算）",
}

target "under45_certified" {
  name = "45周岁以下社工三年内持证",
  -- 评估日未满 45 周岁、期限 max(入职日, 起算日) + 3 年已到的在岗社工
  denominator = [[{active} AND birth_date IS NOT NULL
                  AND add_years(birth_date, {under45.age}) > {as_of}
                  AND add_years(max(hire_date, {under45.since}), {under45.years}) <= {as_of}]],
  numerator   = [[{active} AND birth_date IS NOT NULL
                  AND add_years(birth_date, {under45.age}) > {as_of}
                  AND add_years(max(hire_date, {under45.since}), {under45.years}) <= {as_of}
                  AND {certified}]],
  required = 1.0,                      -- 全部取得
  scopes = { "region", "district", "street", "community" },
  empty = "skip",                      -- 没有这样的社工：不出结果行
  source = "铁山: 45周岁以下社区工作者三年内取得证书",
}

-- 每个街道年度新增持证人数 (龙虎塘: 新增持证社工不少于 8 人)
target "new_certified" {
  name = "街道年度新增持证人数",
  measure = "count",
  numerator = "cert_date IS NOT NULL AND {in_year(cert_date)}",  -- 不论是否在岗
  required = 8,
  scopes = { "street" },
  unit = "人",
  source = "龙虎塘: 每个街道年内新增持证社工不少于 8 名",
}
