-- F 群众满意 (18 分): 满意率、居民评议、有效投诉

indicator "F01" {
  name = "居民满意率", category = "F", unit = "比例",
  max = 10,
  inputs = {
    satisfied = count("survey_responses", "satisfied = 1"),
    responses = count("survey_responses"),
  },
  value = "satisfied / responses",
  missing_if = { "responses < {satisfaction.min_responses}" }, -- 样本不足 → 缺失
  score = lin(0.75, 0.95),
  source = "龙虎塘: 居民满意率不低于 75%；威海: 群众满意率 96.6%",
}

indicator "F02" {
  name = "居民评议达标率", category = "F", unit = "比例",
  max = 4,
  params = { floor = 60 },                                -- 居民评议 60 分为达标
  inputs = {
    passed  = count("workers", "{active} AND {at_least(score_residents, {F02.floor})}"),
    rated   = count("workers", "{active} AND score_residents IS NOT NULL"),
    workers = count("workers", "{active}"),
  },
  value = "passed / rated",
  missing_if = { "workers = 0" },
  denominator = "rated",
  score = lin(0.80, 1.0),
  source = "北京: 居民评议满意度低于 60% 的不得续聘（60 分规则）",
}

indicator "F03" {
  name = "每千户有效投诉数", category = "F", unit = "件/千户",
  max = 4,
  inputs = {
    complaints = fact("valid_complaints", ">= 0"),
    households = community("households", "> 0"),
  },
  value = "complaints / households * 1000",
  score = lin(10, 2),
  source = "design: 每千户有效投诉 2 件以下满分，10 件以上 0 分",
}
