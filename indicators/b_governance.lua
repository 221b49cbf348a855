-- B 治理精细 (20 分): 准入、社会组织参评、议事协商、入户走访、挂牌、证明

indicator "B01" {
  name = "未准入摊派事项数", category = "B", unit = "项",
  max = 4,
  inputs = {
    -- 年度内收到、准入清单判定不是 admit 的事项 (rules/admission.lua)
    unadmitted = count {
      from = "tasks t JOIN task_decision d ON d.task_id = t.id",
      where = "d.decision <> 'admit' AND {in_year(t.received_on)}",
      community = "t.community_id",
    },
  },
  value = "unadmitted",
  score = lin(10, 0),                                     -- 0 项满分，10 项及以上 0 分
  source = "铁山: 社区准入制度；威海: 严禁摊派（design: 10 项为 0 分）",
  hint = "项未准入事项",
}

indicator "B02" {
  name = "社会组织参评率", category = "B", unit = "比例",
  max = 2,
  inputs = {
    evaluated  = count("organizations", "registered = 1 AND evaluated = 1"),
    registered = count("organizations", "registered = 1"),
  },
  value = "evaluated / registered",
  denominator = "registered",
  score = lin(0.5, 1.0),
  source = "龙虎塘: 社会组织参评率 100%",
}

indicator "B03" {
  name = "A级以上社会组织占比", category = "B", unit = "比例",
  max = 3,
  inputs = {
    rated     = count("organizations", "evaluated = 1 AND rating IS NOT NULL"),
    evaluated = count("organizations", "evaluated = 1"),
  },
  value = "rated / evaluated",
  denominator = "evaluated",
  score = lin(0.30, 0.60),
  source = "龙虎塘: 参评社会组织 A 级以上 ≥60%",
}

indicator "B04" {
  name = "议事协商次数", category = "B", unit = "次",
  max = 3,
  inputs = {
    meetings = count("activities", "kind = 'consultation' AND {in_year(held_on)}"),
  },
  value = "meetings",
  score = lin(4, 12),
  source = "威海: 三会制度（design: 每季度 1 次起步，每月 1 次满分）",
  hint = "次议事协商",
}

-- 走访记录按工作者所在社区归集。CROSS JOIN 只是让 SQLite 先按社区顺序读工作者、
-- 再读每人的走访（visits 的主键以 worker_id 开头），结果与普通 JOIN 相同。
local VISITS = "workers w CROSS JOIN visits v ON v.worker_id = w.id"

indicator "B05" {
  name = "入户走访覆盖率", category = "B", unit = "比例",
  max = 4,
  inputs = {
    -- 本社区全部工作者（不论是否在岗）在评估年度、月初不晚于评估日的走访记录
    visited = sum {
      from = VISITS, expr = "v.visited",
      where = "{month_in_year(v.month)}",
      community = "w.community_id",
    },
    assigned = sum {
      from = VISITS, expr = "v.assigned",
      where = "{month_in_year(v.month)}",
      community = "w.community_id",
    },
    rows = count {
      from = VISITS,
      where = "{month_in_year(v.month)}",
      community = "w.community_id",
    },
    bad_rows = count {                                    -- 值域: 0 ≤ visited ≤ assigned
      from = VISITS,
      where = "{month_in_year(v.month)} AND (v.visited < 0 OR v.visited > v.assigned)",
      community = "w.community_id",
    },
  },
  value = "visited / assigned",
  missing_if = { "rows = 0" },
  invalid_if = { "bad_rows > 0" },
  denominator = "assigned",
  score = lin(0.70, 0.95),
  source = "威海: 一线工作法，每月入户走访（design: 70%→95%）",
}

indicator "B06" {
  name = "对外挂牌数", category = "B", unit = "块",
  max = 2,
  inputs = { plates = fact("plates", ">= 0") },
  value = "plates",
  score = lin(6, 2),                                      -- 只挂两块牌子满分
  source = "铁山: 社区只挂党组织和居委会两块牌子",
}

indicator "B07" {
  name = "违规出具证明数", category = "B", unit = "件",
  max = 2,
  inputs = { issued = fact("banned_certificates_issued", ">= 0") },
  value = "issued",
  score = lin(5, 0),
  source = "民发〔2020〕20号: 社区不得出具的证明事项",
}
