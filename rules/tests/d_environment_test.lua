-- D 环境精美 (POLICY.md §1, D01..D05): hand-computed rule tests (all facts).

---------------------------------------------------------------------------
-- D01 物业覆盖率 = compounds_managed ÷ compounds, RATIO(1.0), max 3
---------------------------------------------------------------------------
case "D01 典型值 3/4" {
  facts = { compounds_managed = 3, compounds = 4 },
  -- 0.75 → 2.25
  expect "D01" { value = 0.75, points = 2.25, status = "ok", max = 3 },
}

case "D01 全覆盖满分；0 覆盖零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { compounds_managed = 4, compounds = 4 }, C2 = { compounds_managed = 0, compounds = 4 } },
  expect "D01" { value = 1, points = 3 },
  expect "D01@C2" { value = 0, points = 0, status = "ok" },
}

case "D01 小区数为 0 → missing（分母为零）" {
  facts = { compounds_managed = 0, compounds = 0 },
  expect "D01" { value = null, points = 0, status = "missing" },
}

case "D01 已管理数大于小区数 → invalid" {
  facts = { compounds_managed = 5, compounds = 4 },
  expect "D01" { value = null, points = 0, status = "invalid" },
}

case "D01 小区数为 0 但已管理 1 → invalid（值域先于分母）" {
  facts = { compounds_managed = 1, compounds = 0 },
  expect "D01" { value = null, points = 0, status = "invalid" },
}

case "D01 负数 → invalid" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { compounds_managed = -1, compounds = 4 }, C2 = { compounds_managed = 0, compounds = -2 } },
  expect "D01" { value = null, points = 0, status = "invalid" },
  expect "D01@C2" { value = null, points = 0, status = "invalid" },
}

case "D01 缺少任一事实 → missing" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  facts = { C1 = { compounds = 4 }, C2 = { compounds_managed = 3, compounds = null },
            C3 = { compounds_managed = 3 } },
  expect "D01" { value = null, points = 0, status = "missing" },
  expect "D01@C2" { value = null, points = 0, status = "missing" },
  expect "D01@C3" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- D02 环境问题7日整改率 = env_issues_closed_7d ÷ env_issues (0 issues → 1),
-- LIN(0.80→0.95), max 3
---------------------------------------------------------------------------
case "D02 典型值 0.9" {
  facts = { env_issues_closed_7d = 9, env_issues = 10 },
  -- 0.9 → 0.1/0.15 → 2
  expect "D02" { value = 0.9, points = 2, status = "ok", max = 3 },
}

case "D02 0.85" {
  facts = { env_issues_closed_7d = 17, env_issues = 20 },
  -- 0.05/0.15 → 1
  expect "D02" { value = 0.85, points = 1 },
}

case "D02 恰好 0.95 满分；0.80 零分；全部整改封顶" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  facts = { C1 = { env_issues_closed_7d = 19, env_issues = 20 },
            C2 = { env_issues_closed_7d = 8, env_issues = 10 },
            C3 = { env_issues_closed_7d = 10, env_issues = 10 } },
  expect "D02" { value = 0.95, points = 3 },
  expect "D02@C2" { value = 0.8, points = 0, status = "ok" },
  expect "D02@C3" { value = 1, points = 3 },
}

case "D02 没有环境问题 → 值 1 满分" {
  facts = { env_issues_closed_7d = 0, env_issues = 0 },
  expect "D02" { value = 1, points = 3, status = "ok" },
}

case "D02 整改数大于问题数 → invalid" {
  facts = { env_issues_closed_7d = 11, env_issues = 10 },
  expect "D02" { value = null, points = 0, status = "invalid" },
}

case "D02 0 个问题却整改 1 个 → invalid" {
  facts = { env_issues_closed_7d = 1, env_issues = 0 },
  expect "D02" { value = null, points = 0, status = "invalid" },
}

case "D02 负数 → invalid" {
  facts = { env_issues_closed_7d = -1, env_issues = 10 },
  expect "D02" { value = null, points = 0, status = "invalid" },
}

case "D02 缺少事实 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { env_issues = 10 }, C2 = { env_issues_closed_7d = 5, env_issues = null } },
  expect "D02" { value = null, points = 0, status = "missing" },
  expect "D02@C2" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- D03 垃圾分类准确率 = fact waste_sort_accuracy (0..1), LIN(0.60→0.90), max 2
---------------------------------------------------------------------------
case "D03 典型值 0.75" {
  facts = { waste_sort_accuracy = 0.75 },
  -- 0.15/0.30 = 0.5 → 1
  expect "D03" { value = 0.75, points = 1, status = "ok", max = 2 },
}

case "D03 恰好 0.90 满分；0.60 零分；0.95 与 1.0 封顶" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" }, { id = "C4" } },
  facts = { C1 = { waste_sort_accuracy = 0.9 }, C2 = { waste_sort_accuracy = 0.6 },
            C3 = { waste_sort_accuracy = 0.95 }, C4 = { waste_sort_accuracy = 1 } },
  expect "D03" { value = 0.9, points = 2 },
  expect "D03@C2" { value = 0.6, points = 0, status = "ok" },
  expect "D03@C3" { value = 0.95, points = 2 },
  expect "D03@C4" { value = 1, points = 2, status = "ok" },
}

case "D03 大于 1 → invalid；负数 → invalid" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { waste_sort_accuracy = 1.01 }, C2 = { waste_sort_accuracy = -0.1 } },
  expect "D03" { value = null, points = 0, status = "invalid" },
  expect "D03@C2" { value = null, points = 0, status = "invalid" },
}

case "D03 无事实 / 值为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C2 = { waste_sort_accuracy = null } },
  expect "D03" { value = null, points = 0, status = "missing" },
  expect "D03@C2" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- D04 设施完好率 = fact facilities_ok_ratio (0..1), LIN(0.85→0.98), max 2
---------------------------------------------------------------------------
case "D04 典型值 0.915" {
  facts = { facilities_ok_ratio = 0.915 },
  -- (0.915−0.85)/0.13 = 0.5 → 1
  expect "D04" { value = 0.915, points = 1, status = "ok", max = 2 },
}

case "D04 恰好 0.98 满分；0.85 零分；0.99 封顶；1.0 有效" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" }, { id = "C4" } },
  facts = { C1 = { facilities_ok_ratio = 0.98 }, C2 = { facilities_ok_ratio = 0.85 },
            C3 = { facilities_ok_ratio = 0.99 }, C4 = { facilities_ok_ratio = 1 } },
  expect "D04" { value = 0.98, points = 2 },
  expect "D04@C2" { value = 0.85, points = 0, status = "ok" },
  expect "D04@C3" { value = 0.99, points = 2 },
  expect "D04@C4" { value = 1, points = 2, status = "ok" },
}

case "D04 大于 1 → invalid；负数 → invalid" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { facilities_ok_ratio = 1.2 }, C2 = { facilities_ok_ratio = -0.5 } },
  expect "D04" { value = null, points = 0, status = "invalid" },
  expect "D04@C2" { value = null, points = 0, status = "invalid" },
}

case "D04 无事实 / 值为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C2 = { facilities_ok_ratio = null } },
  expect "D04" { value = null, points = 0, status = "missing" },
  expect "D04@C2" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- D05 脏乱差点位数 = fact blight_spots, LIN(5→0), max 2
---------------------------------------------------------------------------
case "D05 典型值 2 处" {
  facts = { blight_spots = 2 },
  -- (2−5)/(0−5) = 0.6 → 1.2
  expect "D05" { value = 2, points = 1.2, status = "ok", max = 2 },
}

case "D05 0 处满分；5 处零分；8 处封底" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  facts = { C1 = { blight_spots = 0 }, C2 = { blight_spots = 5 }, C3 = { blight_spots = 8 } },
  expect "D05" { value = 0, points = 2 },
  expect "D05@C2" { value = 5, points = 0, status = "ok" },
  expect "D05@C3" { value = 8, points = 0, status = "ok" },
}

case "D05 负数 → invalid" {
  facts = { blight_spots = -1 },
  expect "D05" { value = null, points = 0, status = "invalid" },
}

case "D05 无事实 / 值为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C2 = { blight_spots = null } },
  expect "D05" { value = null, points = 0, status = "missing" },
  expect "D05@C2" { value = null, points = 0, status = "missing" },
}

case "D02 状态顺序：问题数为空（缺失）先于负数（越界）" {
  facts = { env_issues_closed_7d = -1, env_issues = null },
  expect "D02" { value = null, points = 0, status = "missing" },
}
