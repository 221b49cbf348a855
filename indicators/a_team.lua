-- A 队伍精良 (20 分): 社区工作者配备、持证、学历、培训、社会组织、志愿者
-- 每项一块: 名称、分类、满分、取值 (inputs + value)、评分 (lin / ratio)、出处。
-- lin(a, b): 值从 a 到 b 线性得分 (a > b 时越小越好)；ratio(t): 值 ÷ t，封顶满分。

indicator "A01" {
  name = "每万人社区工作者数", category = "A", unit = "人/万人",
  max = 3,
  inputs = {
    workers    = count("workers", "{active}"),           -- 在岗社区工作者
    population = community("population", "> 0"),         -- 常住人口
  },
  value = "workers * 10000 / population",
  missing_if = { "workers = 0" },                         -- 无在岗工作者 → 缺失
  score = lin(10, 17),                                    -- 威海: 每万人 17 名
  source = "威海: 每万名城镇常住人口配备社区工作者 17 人",
}

indicator "A02" {
  name = "每名工作者服务户数", category = "A", unit = "户/人",
  max = 3,
  inputs = {
    households = community("households", "> 0"),          -- 实际居住户数
    workers    = count("workers", "{active}"),
  },
  value = "households / workers",
  missing_if = { "workers = 0" },
  score = lin(450, 300),                                  -- 越少越好: 300 户及以下满分
  source = "龙虎塘: 按每300户（实际居住）不低于1人配备社区专职工作者",
}

indicator "A03" {
  name = "持证率", category = "A", unit = "比例",
  max = 4,
  inputs = {
    certified = count("workers", "{active} AND {certified}"),
    workers   = count("workers", "{active}"),
  },
  value = "certified / workers",
  missing_if = { "workers = 0" },
  score = ratio(schedule "cert.milestones"),              -- 达到当年要求比例即满分
  source = "铁山 2020 年 35%；宜昌 3 年 60%、5 年 100%（cert.milestones 插值）",
}

indicator "A04" {
  name = "大专以上学历占比", category = "A", unit = "比例",
  max = 2,
  inputs = {
    college  = count("workers", "{active} AND education IN ('postgraduate', 'bachelor', 'college')"),
    reported = count("workers", "{active} AND education IS NOT NULL"),
    workers  = count("workers", "{active}"),
  },
  value = "college / reported",
  missing_if = { "workers = 0" },
  denominator = "reported",                               -- 无人填报学历 → 缺失
  score = lin(0.60, 0.85),
  source = "威海: 社区工作者大专以上学历占 85.6%",
}

indicator "A05" {
  name = "培训达标率", category = "A", unit = "比例",
  max = 3,
  params = { hours = 60 },                                -- 龙虎塘: 年内培训不少于 60 课时
  inputs = {
    trained  = count("workers", "{active} AND {at_least(training_hours, {A05.hours})}"),
    reported = count("workers", "{active} AND training_hours IS NOT NULL"),
    workers  = count("workers", "{active}"),
  },
  value = "trained / reported",
  missing_if = { "workers = 0" },
  denominator = "reported",
  score = lin(0, 1),
  source = "龙虎塘: 所有社工年内参加培训不少于60课时",
}

indicator "A06" {
  name = "备案社会组织数", category = "A", unit = "家",
  max = 3,
  inputs = {
    registered = count("organizations", "registered = 1"), -- 没有组织 → 0 家，不算缺失
  },
  value = "registered",
  score = lin(5, 10),
  source = "临港: 备案社区社会组织 ≥10 家；龙虎塘: ≥8 家",
  hint = "家备案社会组织",
}

indicator "A07" {
  name = "注册志愿者占比", category = "A", unit = "比例",
  max = 2,
  inputs = {
    volunteers = fact("registered_volunteers", ">= 0"),
    population = community("population", "> 0"),
  },
  value = "volunteers / population",
  score = lin(0.05, 0.15),
  source = "威海: 注册志愿者 45 万人（约占常住人口 15%）",
}
