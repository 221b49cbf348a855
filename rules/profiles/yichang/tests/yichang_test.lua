-- 宜昌 profile: own milestones and the hiring rule.
case "宜昌 2022 年要求持证比例 45%" {
  as_of = "2022-12-31",
  workers = { { count = 9, hire_date = "2015-01-01" },
              { count = 1, hire_date = "2015-01-01", cert_level = "assistant", cert_date = "2020-01-01" } },
  expect "target" { id = "cert_ratio", scope = "region", actual = 0.1, required = 0.45, met = false },
  expect "A03" { value = 0.1, points = 0.888888889 },   -- 0.1 / 0.45 × 4
}
case "宜昌 2024 年要求 (0.60 → 1.00 插值) 0.7333" {
  as_of = "2024-06-30",
  workers = { { count = 4, hire_date = "2015-01-01", cert_level = "assistant", cert_date = "2020-01-01" } },
  expect "target" { id = "cert_ratio", scope = "region", actual = 1, required = 0.733333333, met = true },
}
case "2021-12-31 之后招录须入职时已持证" {
  workers = {
    { id = "W1", hire_date = "2022-03-01", cert_level = "assistant", cert_date = "2021-06-01" }, -- 已持证
    { id = "W2", hire_date = "2022-03-01", cert_level = "assistant", cert_date = "2023-06-01" }, -- 入职后才取得
    { id = "W3", hire_date = "2021-12-31" },                                                  -- 不在范围
  },
  expect "target" { id = "hire_certified", scope = "community", actual = 0.5, required = 1, met = false },
}
case "没有新招录社工时不出 hire_certified 行" {
  workers = { { count = 3, hire_date = "2019-01-01" } },
  expect "target" { id = "hire_certified", scope = "region", present = false },
}
