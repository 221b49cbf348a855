-- D 环境精美 (12 分): 物业覆盖、环境整改、垃圾分类、设施完好、脏乱差点位

indicator "D01" {
  name = "物业覆盖率", category = "D", unit = "比例",
  max = 3,
  inputs = {
    managed   = fact("compounds_managed", ">= 0"),
    compounds = fact("compounds", ">= 0"),
  },
  value = "managed / compounds",
  invalid_if = { "managed > compounds" },
  denominator = "compounds",
  score = ratio(1.0),
  source = "威海: 红色物业全覆盖",
}

indicator "D02" {
  name = "环境问题7日整改率", category = "D", unit = "比例",
  max = 3,
  inputs = {
    closed = fact("env_issues_closed_7d", ">= 0"),
    issues = fact("env_issues", ">= 0"),
  },
  value = "CASE WHEN issues = 0 THEN 1 ELSE closed / issues END", -- 没有环境问题 → 1
  invalid_if = { "closed > issues" },
  score = lin(0.80, 0.95),
  source = "design: 环境问题 7 日整改率 80%→95%",
}

indicator "D03" {
  name = "垃圾分类准确率", category = "D", unit = "比例",
  max = 2,
  inputs = { accuracy = fact("waste_sort_accuracy", "0..1") },
  value = "accuracy",
  score = lin(0.60, 0.90),
  source = "design: 垃圾分类准确率 60%→90%",
}

indicator "D04" {
  name = "设施完好率", category = "D", unit = "比例",
  max = 2,
  inputs = { ok_ratio = fact("facilities_ok_ratio", "0..1") },
  value = "ok_ratio",
  score = lin(0.85, 0.98),
  source = "design: 公共设施完好率 85%→98%",
}

indicator "D05" {
  name = "脏乱差点位数", category = "D", unit = "处",
  max = 2,
  inputs = { spots = fact("blight_spots", ">= 0") },
  value = "spots",
  score = lin(5, 0),
  source = "design: 0 处满分，5 处及以上 0 分",
}
