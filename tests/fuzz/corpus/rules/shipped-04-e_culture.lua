-- E 文化精彩 (10 分): 文体活动、共驻共建、文明实践、居民参与

indicator "E01" {
  name = "居民文体活动场次", category = "E", unit = "场",
  max = 3,
  inputs = { events = count("activities", "kind IN ('resident', 'culture') AND {in_year(held_on)}") },
  value = "events",
  score = ratio(30),
  source = "龙虎塘: 全年开展居民文体活动不少于 30 场",
  hint = "场文体活动",
}

indicator "E02" {
  name = "共驻共建活动次数", category = "E", unit = "次",
  max = 2,
  inputs = { events = count("activities", "kind = 'co_building' AND {in_year(held_on)}") },
  value = "events",
  score = ratio(2),
  source = "龙虎塘: 与驻区单位开展共驻共建活动不少于 2 次",
  hint = "次共驻共建活动",
}

indicator "E03" {
  name = "文明实践活动次数", category = "E", unit = "次",
  max = 2,
  inputs = { events = count("activities", "kind = 'civility' AND {in_year(held_on)}") },
  value = "events",
  score = ratio(12),
  source = "design: 每月 1 次新时代文明实践活动",
  hint = "次文明实践活动",
}

indicator "E04" {
  name = "人均参与人次", category = "E", unit = "人次/人",
  max = 3,
  inputs = {
    participants = sum("activities", "participants", "{in_year(held_on)}"),  -- 未填报人数按 0
    events       = count("activities", "{in_year(held_on)}"),
    negative     = count("activities", "{in_year(held_on)} AND participants < 0"),
    population   = community("population", "> 0"),
  },
  value = "participants / population",
  missing_if = { "events = 0" },                          -- 年度内没有活动 → 缺失
  invalid_if = { "negative > 0" },                        -- 值域: 参与人数 ≥ 0
  score = lin(0.1, 0.5),
  source = "design: 人均参与 0.1→0.5 人次",
}
