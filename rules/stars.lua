-- 星级评定 (临港区星级评定办法): 五星 ≥ 90 分且居民满意率 ≥ 90%；
-- 四星 ≥ 80；三星 ≥ 70；二星 ≥ 60；其余不评星级 (0)。

param "stars.five"  { default = 90, min = 0, max = 100, source = "临港星级评定: 五星 90 分以上", description = "五星最低总分" }
param "stars.four"  { default = 80, min = 0, max = 100, source = "临港星级评定: 四星 80 分以上", description = "四星最低总分" }
param "stars.three" { default = 70, min = 0, max = 100, source = "临港星级评定: 三星 70 分以上", description = "三星最低总分" }
param "stars.two"   { default = 60, min = 0, max = 100, source = "临港星级评定: 二星 60 分以上", description = "二星最低总分" }
param "stars.five_f01" {
  default = 0.90, min = 0, max = 1,
  source = "临港星级评定: 五星须居民满意率 90% 以上 (威海 96.6%)",
  description = "五星要求的居民满意率（F01 的值）",
}

-- name: what the report, the eval table, explain and whatif call the grade;
-- unrated: what they call a community below every grade.
stars {
  { stars = 5, name = "五星", total = "stars.five", also = { "F01 >= {stars.five_f01}" } },
  { stars = 4, name = "四星", total = "stars.four" },
  { stars = 3, name = "三星", total = "stars.three" },
  { stars = 2, name = "二星", total = "stars.two" },
  unrated = "未评级",
}
