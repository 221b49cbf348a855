-- 铁山 profile: 35% by 2020, held at 35% afterwards.
case "铁山 2025 年仍要求 35%" {
  workers = { { count = 6, hire_date = "2010-01-01", birth_date = "1970-01-01" },
              { count = 4, hire_date = "2010-01-01", birth_date = "1970-01-01",
                cert_level = "assistant", cert_date = "2019-01-01" } },
  expect "target" { id = "cert_ratio", scope = "region", actual = 0.4, required = 0.35, met = true },
  expect "A03" { value = 0.4, points = 4 },
}
