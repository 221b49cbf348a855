-- 城东区 profile: 新型社区改革 (../shared/seeds/chengdong-*.txt)
-- 每个社区地域面积 2–3 平方公里、2–3 万人左右、15 分钟服务圈。
extends "default"

param "community_size.area_min" { default = 2, min = 0, max = 1000, unit = "平方公里",
  source = "城东: 每个社区地域面积2--3平方公里", description = "社区面积下限" }
param "community_size.area_max" { default = 3, min = 0, max = 1000, unit = "平方公里",
  source = "城东: 每个社区地域面积2--3平方公里", description = "社区面积上限" }
param "community_size.population_min" { default = 20000, min = 0, max = 10000000, unit = "人",
  source = "城东: 每个社区2-3万人左右", description = "社区人口下限" }
param "community_size.population_max" { default = 30000, min = 0, max = 10000000, unit = "人",
  source = "城东: 每个社区2-3万人左右", description = "社区人口上限" }

target "community_size" {
  name = "社区规模标准（2–3平方公里、2–3万人）",
  from = "communities",
  numerator = [[area_km2 BETWEEN {community_size.area_min} AND {community_size.area_max}
                AND population BETWEEN {community_size.population_min} AND {community_size.population_max}]],
  denominator = "1 = 1",                 -- 每个社区
  required = 1.0,                        -- 全部社区符合标准
  scopes = { "region", "district", "street", "community" },
  source = "城东: 按照每个社区地域面积2--3平方公里、2-3万人左右的标准重新划分社区",
}
