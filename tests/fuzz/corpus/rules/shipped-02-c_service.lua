-- C 服务精准 (20 分): 服务用房、公共服务、诉求办结、志愿服务、15 分钟服务圈、信息公开、服务窗口

indicator "C01" {
  name = "每百户服务用房面积", category = "C", unit = "平方米/百户",
  max = 3,
  inputs = {
    area       = fact("service_area_m2", ">= 0"),
    households = community("households", "> 0"),
  },
  value = "area / households * 100",
  score = lin(15, 30),
  source = "十四五城乡社区服务体系建设规划: 每百户 30 平方米",
}

indicator "C02" {
  name = "下沉公共服务事项数", category = "C", unit = "项",
  max = 3,
  inputs = { items = fact("public_service_items", ">= 0") },
  value = "items",
  score = ratio(28),
  source = "威海: 28 项公共服务事项下沉社区",
  hint = "项下沉公共服务事项",
}

indicator "C03" {
  name = "诉求5日办结率", category = "C", unit = "比例",
  max = 3,
  params = { days = 5 },                                  -- 5 日内办结
  inputs = {
    in_time  = count("requests", "{in_year(received_on)} AND resolved_on IS NOT NULL AND julianday(resolved_on) - julianday(received_on) <= {C03.days}"),
    received = count("requests", "{in_year(received_on)}"),
  },
  value = "in_time / received",
  denominator = "received",
  score = lin(0.80, 0.95),
  source = "design: 居民诉求 5 日办结率 80%→95%",
}

indicator "C04" {
  name = "志愿服务活动次数", category = "C", unit = "次",
  max = 2,
  inputs = { events = count("activities", "kind = 'volunteer' AND {in_year(held_on)}") },
  value = "events",
  score = ratio(24),
  source = "design: 每月 2 次志愿服务",
  hint = "次志愿服务活动",
}

indicator "C05" {
  name = "15分钟服务圈业态数", category = "C", unit = "类",
  max = 3,
  inputs = { types = fact("amenity_types", "0..8") },
  value = "types",
  score = ratio(8),
  source = "城东: 15分钟便民服务圈；完整社区建设标准 8 类业态",
  hint = "类业态",
}

indicator "C06" {
  name = "信息每周更新率", category = "C", unit = "比例",
  max = 3,
  inputs = {
    -- 评估窗口内有发布的周数；第 k 周 = floor((发布日 − 1月1日) / 7)
    posted_weeks = sql [[SELECT COUNT(DISTINCT CAST((julianday(posted_on) - julianday({year_start})) / 7 AS INTEGER))
                         FROM postings WHERE community_id = c.id AND {in_year(posted_on)}]],
    weeks    = sql [[SELECT {weeks_in_window}]],
    postings = count("postings", "{in_year(posted_on)}"),
  },
  value = "posted_weeks / weeks",
  missing_if = { "postings = 0" },                        -- 窗口内没有发布 → 缺失
  score = lin(0.5, 1.0),
  source = "龙虎塘: 社区网站、微信平台每周更新",
}

indicator "C07" {
  name = "综合服务窗口数", category = "C", unit = "个",
  max = 3,
  inputs = { windows = fact("service_windows", ">= 0") },
  value = "windows",
  score = ratio(2),
  source = "城东: 设置 2–3 个综合服务窗口",
  hint = "个综合服务窗口",
}
