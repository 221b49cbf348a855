-- 城东 profile: the community size standard.
case "2.5 平方公里、2.5 万人的社区符合标准" {
  communities = {
    { id = "C1", area_km2 = 2.5, population = 25000, households = 8000 },
    { id = "C2", area_km2 = 3.5, population = 25000, households = 8000 },   -- 面积超标
    { id = "C3", area_km2 = 2.0, population = 19999, households = 7000 },   -- 人口不足
    { id = "C4", area_km2 = 3.0, population = 30000, households = 9000 },   -- 恰在上限
  },
  expect "target" { id = "community_size", scope = "community", scope_id = "C1", actual = 1, met = true },
  expect "target" { id = "community_size", scope = "community", scope_id = "C2", actual = 0, met = false },
  expect "target" { id = "community_size", scope = "community", scope_id = "C3", actual = 0, met = false },
  expect "target" { id = "community_size", scope = "community", scope_id = "C4", actual = 1, met = true },
  expect "target" { id = "community_size", scope = "region", actual = 0.5, met = false },
}
