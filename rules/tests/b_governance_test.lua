-- B 治理精细 (POLICY.md §1, B01..B07): hand-computed rule tests.
-- Defaults: as_of 2025-12-31; tasks from 民政局 received on as_of.

local REJECTED = "要求居民安装政务APP"     -- N01 → reject
local ADMITTED = "召开居民代表会议"         -- L01 → admit
local UNLISTED = "整理社区档案"             -- no entry → review

---------------------------------------------------------------------------
-- B01 未准入摊派事项数 = tasks in the year not admitted (0 → 0), LIN(10→0), max 4
---------------------------------------------------------------------------
case "B01 没有事项 → 值 0 满分" {
  expect "B01" { value = 0, points = 4, status = "ok", max = 4 },
}

case "B01 典型值：3 项未准入" {
  tasks = { { count = 2, title = REJECTED }, { count = 1, title = UNLISTED },
            { count = 4, title = ADMITTED } },
  -- not admitted = 2 reject + 1 review = 3 → (3−10)/(0−10) = 0.7 → 2.8
  expect "B01" { value = 3, points = 2.8, status = "ok" },
}

case "B01 待审的协助事项也算未准入" {
  tasks = { { count = 5, title = "低保入户调查", funded = 1, staffed = 1 } },
  -- X01 without approval_ref → review → 5 → 0.5 → 2
  expect "B01" { value = 5, points = 2 },
  expect "task T001" { decision = "review", rule = "X01" },
}

case "B01 全部准入 → 值 0" {
  tasks = { { count = 3, title = ADMITTED },
            { count = 2, title = "低保入户调查", funded = 1, staffed = 1, approval_ref = "民审〔2025〕1号" } },
  expect "B01" { value = 0, points = 4 },
}

case "B01 恰好 10 项零分，12 项封底" {
  communities = { { id = "C1" }, { id = "C2" } },
  tasks = { { count = 10, title = REJECTED }, { count = 12, title = REJECTED, community_id = "C2" } },
  expect "B01" { value = 10, points = 0, status = "ok" },
  expect "B01@C2" { value = 12, points = 0, status = "ok" },
}

case "B01 只计年度内收到的事项" {
  tasks = {
    { title = REJECTED, received_on = "2025-01-01" },   -- first day of the window: counts
    { title = REJECTED, received_on = "2025-07-01" },   -- counts
    { title = REJECTED, received_on = "2024-12-31" },   -- previous year: not counted
    { title = UNLISTED, received_on = "2026-01-02" },   -- after as_of: not counted
  },
  -- 2 → 0.8 → 3.2
  expect "B01" { value = 2, points = 3.2 },
}

case "B01 评估日在年中：评估日后的事项不计" {
  as_of = "2025-06-15",
  tasks = { { title = REJECTED, received_on = "2025-06-15" },
            { title = REJECTED, received_on = "2025-06-16" } },
  -- 1 → 0.9 → 3.6
  expect "B01" { value = 1, points = 3.6 },
}

case "B01 其他社区的事项不计" {
  communities = { { id = "C1" }, { id = "C2" } },
  tasks = { { count = 4, title = REJECTED, community_id = "C2" } },
  expect "B01" { value = 0, points = 4 },
  expect "B01@C2" { value = 4, points = 2.4 },          -- 4 → 0.6 → 2.4
}

---------------------------------------------------------------------------
-- B02 社会组织参评率 = registered & evaluated ÷ registered, LIN(0.5→1.0), max 2
---------------------------------------------------------------------------
case "B02 典型值 0.75" {
  organizations = { { count = 3, evaluated = 1 }, { count = 1, evaluated = 0 } },
  -- 3/4 = 0.75 → 0.5 → 1
  expect "B02" { value = 0.75, points = 1, status = "ok", max = 2 },
}

case "B02 全部参评满分" {
  organizations = { { count = 4, evaluated = 1 } },
  expect "B02" { value = 1, points = 2 },
}

case "B02 恰好 0.5（a）零分；更低也为零" {
  communities = { { id = "C1" }, { id = "C2" } },
  organizations = { { count = 2, evaluated = 1 }, { count = 2, evaluated = 0 },
                    { count = 1, evaluated = 1, community_id = "C2" },
                    { count = 3, evaluated = 0, community_id = "C2" } },
  expect "B02" { value = 0.5, points = 0, status = "ok" },
  expect "B02@C2" { value = 0.25, points = 0, status = "ok" },
}

case "B02 未备案组织不计（分子分母）" {
  organizations = { { count = 2, evaluated = 1 }, { count = 2, evaluated = 0 },
                    { count = 4, registered = 0, evaluated = 1 } },
  -- 2/4 = 0.5 → 0
  expect "B02" { value = 0.5, points = 0 },
}

case "B02 没有组织 → missing" {
  expect "B02" { value = null, points = 0, status = "missing" },
}

case "B02 只有未备案组织 → missing" {
  organizations = { { count = 3, registered = 0, evaluated = 1 } },
  expect "B02" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- B03 A级以上社会组织占比 = evaluated with rating ÷ evaluated, LIN(0.30→0.60), max 3
---------------------------------------------------------------------------
case "B03 典型值 0.4" {
  organizations = { { count = 4, evaluated = 1, rating = "AAA" }, { count = 6, evaluated = 1 } },
  -- 4/10 = 0.4 → 0.1/0.3 → 1
  expect "B03" { value = 0.4, points = 1, status = "ok", max = 3 },
}

case "B03 恰好 0.60（b）满分" {
  organizations = { { count = 6, evaluated = 1, rating = "A" }, { count = 4, evaluated = 1 } },
  expect "B03" { value = 0.6, points = 3 },
}

case "B03 恰好 0.30（a）零分" {
  organizations = { { count = 3, evaluated = 1, rating = "AA" }, { count = 7, evaluated = 1 } },
  expect "B03" { value = 0.3, points = 0, status = "ok" },
}

case "B03 超过 0.60 封顶" {
  organizations = { { count = 8, evaluated = 1, rating = "AAAAA" }, { count = 2, evaluated = 1 } },
  expect "B03" { value = 0.8, points = 3 },
}

case "B03 未备案但参评的组织也计入" {
  organizations = {
    { count = 2, evaluated = 1, rating = "A" }, { count = 3, evaluated = 1 },
    { count = 3, registered = 0, evaluated = 1, rating = "AA" }, { count = 2, registered = 0, evaluated = 1 },
  },
  -- (2+3)/(5+5) = 0.5 → 0.2/0.3 × 3 = 2
  expect "B03" { value = 0.5, points = 2 },
}

case "B03 未参评但有评级的不计" {
  organizations = { { count = 4, evaluated = 1, rating = "A" }, { count = 6, evaluated = 1 },
                    { count = 3, evaluated = 0, rating = "AAA" } },
  -- 4/10 = 0.4 → 1
  expect "B03" { value = 0.4, points = 1 },
}

case "B03 没有参评组织 → missing" {
  organizations = { { count = 5, evaluated = 0 } },
  expect "B03" { value = null, points = 0, status = "missing" },
}

---------------------------------------------------------------------------
-- B04 议事协商次数 = consultation activities in the year (0 → 0), LIN(4→12), max 3
---------------------------------------------------------------------------
case "B04 典型值 8 次" {
  activities = { { count = 8, kind = "consultation" } },
  -- (8−4)/8 = 0.5 → 1.5
  expect "B04" { value = 8, points = 1.5, status = "ok", max = 3 },
}

case "B04 恰好 12 次满分；4 次零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  activities = { { count = 12, kind = "consultation" },
                 { count = 4, kind = "consultation", community_id = "C2" } },
  expect "B04" { value = 12, points = 3 },
  expect "B04@C2" { value = 4, points = 0, status = "ok" },
}

case "B04 超过 12 次封顶" {
  activities = { { count = 15, kind = "consultation" } },
  expect "B04" { value = 15, points = 3 },
}

case "B04 没有活动 → 值 0" {
  expect "B04" { value = 0, points = 0, status = "ok" },
}

case "B04 只计年度内的议事协商" {
  activities = {
    { count = 6, kind = "consultation", held_on = "2025-03-01" },
    { count = 3, kind = "resident" }, { count = 2, kind = "culture" },
    { count = 2, kind = "consultation", held_on = "2024-11-20" },   -- previous year
  },
  -- 6 → (6−4)/8 × 3 = 0.75
  expect "B04" { value = 6, points = 0.75 },
}

---------------------------------------------------------------------------
-- B05 入户走访覆盖率 = Σvisited ÷ Σassigned, LIN(0.70→0.95), max 4
---------------------------------------------------------------------------
case "B05 典型值 0.8" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2025-01", assigned = 100, visited = 80 } },
  -- 0.8 → 0.1/0.25 = 0.4 → 1.6
  expect "B05" { value = 0.8, points = 1.6, status = "ok", max = 4 },
}

case "B05 多名工作者合计" {
  workers = { { count = 2 } },
  visits = { { worker_id = "W001", month = "2025-03", assigned = 100, visited = 90 },
             { worker_id = "W002", month = "2025-03", assigned = 300, visited = 240 } },
  -- 330/400 = 0.825 → 0.125/0.25 = 0.5 → 2
  expect "B05" { value = 0.825, points = 2 },
}

case "B05 恰好 0.95 满分；0.70 零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  workers = { { id = "W001" }, { id = "W002", community_id = "C2" } },
  visits = { { worker_id = "W001", month = "2025-05", assigned = 100, visited = 95 },
             { worker_id = "W002", month = "2025-05", assigned = 100, visited = 70 } },
  expect "B05" { value = 0.95, points = 4 },
  expect "B05@C2" { value = 0.7, points = 0, status = "ok" },
}

case "B05 全部走访封顶" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2025-02", assigned = 50, visited = 50 },
             { worker_id = "W001", month = "2025-03", assigned = 50, visited = 50 } },
  expect "B05" { value = 1, points = 4 },
}

case "B05 评估日之后的月份不计（as_of 2025-06-15）" {
  as_of = "2025-06-15",
  workers = { {} },
  visits = { { worker_id = "W001", month = "2025-06", assigned = 100, visited = 80 },   -- counts
             { worker_id = "W001", month = "2025-07", assigned = 100, visited = 0 } },  -- ignored
  -- 80/100 = 0.8 → 1.6
  expect "B05" { value = 0.8, points = 1.6 },
}

case "B05 上一年的月份不计" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2024-12", assigned = 100, visited = 0 },
             { worker_id = "W001", month = "2025-01", assigned = 100, visited = 90 } },
  -- 90/100 = 0.9 → 0.8 → 3.2
  expect "B05" { value = 0.9, points = 3.2 },
}

case "B05 离职工作者的走访仍计入" {
  workers = { { status = "left", left_date = "2025-04-30", left_reason = "resigned" }, {} },
  visits = { { worker_id = "W001", month = "2025-03", assigned = 100, visited = 90 },
             { worker_id = "W002", month = "2025-03", assigned = 100, visited = 70 } },
  -- 160/200 = 0.8 → 1.6
  expect "B05" { value = 0.8, points = 1.6 },
}

case "B05 其他社区工作者的走访不计" {
  communities = { { id = "C1" }, { id = "C2" } },
  workers = { { id = "W001" }, { id = "W002", community_id = "C2" } },
  visits = { { worker_id = "W001", month = "2025-03", assigned = 100, visited = 90 },
             { worker_id = "W002", month = "2025-03", assigned = 100, visited = 10 } },
  expect "B05" { value = 0.9, points = 3.2 },
}

case "B05 没有走访记录 → missing" {
  workers = { {} },
  expect "B05" { value = null, points = 0, status = "missing" },
}

case "B05 只有上一年的记录 → missing" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2024-06", assigned = 100, visited = 90 } },
  expect "B05" { value = null, points = 0, status = "missing" },
}

case "B05 分派数合计为 0 → missing" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2025-03", assigned = 0, visited = 0 } },
  expect "B05" { value = null, points = 0, status = "missing" },
}

case "B05 走访数大于分派数 → invalid" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2025-03", assigned = 10, visited = 11 },
             { worker_id = "W001", month = "2025-04", assigned = 100, visited = 50 } },
  expect "B05" { value = null, points = 0, status = "invalid" },
}

case "B05 走访数为负 → invalid" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2025-03", assigned = 10, visited = -1 } },
  expect "B05" { value = null, points = 0, status = "invalid" },
}

case "B05 不计入的行（上一年）越界不影响" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2024-12", assigned = 10, visited = 20 },
             { worker_id = "W001", month = "2025-05", assigned = 100, visited = 80 } },
  -- only the 2025-05 row is counted: 0.8 → 1.6
  expect "B05" { value = 0.8, points = 1.6, status = "ok" },
}

---------------------------------------------------------------------------
-- B06 对外挂牌数 = fact plates, LIN(6→2), max 2
---------------------------------------------------------------------------
case "B06 典型值 4 块" {
  facts = { plates = 4 },
  -- (4−6)/(2−6) = 0.5 → 1
  expect "B06" { value = 4, points = 1, status = "ok", max = 2 },
}

case "B06 3 块" {
  facts = { plates = 3 },
  -- (3−6)/(−4) = 0.75 → 1.5
  expect "B06" { value = 3, points = 1.5 },
}

case "B06 恰好 2 块满分；6 块零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { plates = 2 }, C2 = { plates = 6 } },
  expect "B06" { value = 2, points = 2 },
  expect "B06@C2" { value = 6, points = 0, status = "ok" },
}

case "B06 超出范围：0 块满分；9 块零分" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C1 = { plates = 0 }, C2 = { plates = 9 } },
  expect "B06" { value = 0, points = 2 },
  expect "B06@C2" { value = 9, points = 0 },
}

case "B06 无事实行 / 值为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C2 = { plates = null } },
  expect "B06" { value = null, points = 0, status = "missing" },
  expect "B06@C2" { value = null, points = 0, status = "missing" },
}

case "B06 负数 → invalid" {
  facts = { plates = -1 },
  expect "B06" { value = null, points = 0, status = "invalid" },
}

---------------------------------------------------------------------------
-- B07 违规出具证明数 = fact banned_certificates_issued, LIN(5→0), max 2
---------------------------------------------------------------------------
case "B07 典型值 2 件" {
  facts = { banned_certificates_issued = 2 },
  -- (2−5)/(0−5) = 0.6 → 1.2
  expect "B07" { value = 2, points = 1.2, status = "ok", max = 2 },
}

case "B07 0 件满分；5 件零分；8 件封底" {
  communities = { { id = "C1" }, { id = "C2" }, { id = "C3" } },
  facts = { C1 = { banned_certificates_issued = 0 }, C2 = { banned_certificates_issued = 5 },
            C3 = { banned_certificates_issued = 8 } },
  expect "B07" { value = 0, points = 2 },
  expect "B07@C2" { value = 5, points = 0, status = "ok" },
  expect "B07@C3" { value = 8, points = 0, status = "ok" },
}

case "B07 无事实行 → missing；值为空 → missing" {
  communities = { { id = "C1" }, { id = "C2" } },
  facts = { C2 = { banned_certificates_issued = null } },
  expect "B07" { status = "missing", value = null, points = 0 },
  expect "B07@C2" { status = "missing", value = null },
}

case "B07 负数 → invalid" {
  facts = { banned_certificates_issued = -2 },
  expect "B07" { value = null, points = 0, status = "invalid" },
}

case "B05 状态顺序：分派 0 而走访 1 → invalid（值域先于分母为零）" {
  workers = { {} },
  visits = { { worker_id = "W001", month = "2025-03", assigned = 0, visited = 1 } },
  -- Σassigned = 0 would be missing (step 3), but visited > assigned is invalid (step 2) first
  expect "B05" { value = null, points = 0, status = "invalid" },
}

case "B05 评估日是当月 1 日：当月计入" {
  as_of = "2025-06-01",
  workers = { {} },
  visits = { { worker_id = "W001", month = "2025-05", assigned = 100, visited = 70 },
             { worker_id = "W001", month = "2025-06", assigned = 100, visited = 100 },
             { worker_id = "W001", month = "2025-07", assigned = 100, visited = 0 } },
  -- 2025-06-01 ≤ as_of: (70 + 100)/200 = 0.85 → 0.15/0.25 = 0.6 → 2.4
  expect "B05" { value = 0.85, points = 2.4 },
}
