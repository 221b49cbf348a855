-- Admission list (POLICY.md §4, shared/spec/admission.tsv): hand-checked decisions.
-- Deny entries match title or detail → reject; allow entries match the title only
-- (and the department pattern if any); duty → admit; assist → reject without
-- funded = 1 (费随事转) or staffed = 1 (权随责走), review without approval_ref, else admit;
-- nothing matches → review with rule NULL.

local FULL = { funded = 1, staffed = 1, approval_ref = "民审〔2025〕8号" }

-- { id, title that matches, near-miss title that matches nothing, expected decision, task extras }
local ENTRIES = {
  { "N01", "要求居民安装平安社区APP",   "安装一二三四五六七八九十壹APP", "reject" }, -- gap 4 vs 11 (> 10)
  { "N02", "组织居民关注街道公众号",     "关注一二三四五六七八九十壹公众号", "reject" }, -- gap 4 vs 11
  { "N03", "创建示范点挂牌",             "挂一块牌子", "reject" },
  { "N04", "完成招商引资任务",           "招商工作汇报", "reject" },
  { "N05", "征订党报党刊报纸",           "征订一二三四五六七报纸", "reject" },        -- gap 4 vs 7 (> 6)
  { "N06", "推销商业保险",               "推销一二三四五六七保险", "reject" },        -- gap 2 vs 7 (> 6)
  { "N07", "配合拆违行动",               "配合城管巡查", "reject" },
  { "N08", "签订安全生产责任状",         "签订安全生产责任书", "reject" },
  { "N09", "文明城市考核延伸到社区",     "文明城市考核延伸到街道", "reject" },
  { "N10", "多头填报统计报表",           "按月填报统计报表", "reject" },
  { "N11", "为居民出具亲属关系证明",     "为居民出具居住证明", "reject" },
  { "N12", "协助催缴物业费",             "协助催缴一二三四五六七费用", "reject" },    -- 物业 also hits L06: deny first
  { "L01", "召开居民代表会议",           "召开居民座谈会", "admit" },
  { "L02", "开展普法宣传",               "开展法治讲座", "admit" },
  { "L03", "调解邻里纠纷",               "处理邻里矛盾", "admit" },
  { "L04", "组织居务公开",               "公开居务信息", "admit" },
  { "L05", "开展志愿服务活动",           "开展志愿活动", "admit" },
  { "L06", "指导业委会换届",             "指导业主大会换届", "admit" },
  { "X01", "低保入户调查",               "困难群众走访", "admit", FULL },
  { "X02", "再就业培训",                 "职业技能培训", "admit", FULL },
  { "X03", "城乡居民医保参保登记",       "参保信息核对", "admit", FULL },
  { "X04", "退役军人信息采集",           "军属慰问", "admit", FULL },
  { "X05", "疫苗接种通知",               "健康讲座", "admit", FULL },
  { "X06", "社区矫正人员走访",           "矫正人员走访", "admit", FULL },
  { "X07", "高龄津贴发放核实",           "高龄补贴发放核实", "admit", FULL },
  { "X08", "第七次人口普查入户登记",     "人口抽样调查", "admit",
    { funded = 1, staffed = 1, approval_ref = "统审〔2025〕2号", department = "统计局" } },
}

for _, e in ipairs(ENTRIES) do
  local id, hit, miss, decision, extra = e[1], e[2], e[3], e[4], e[5] or {}
  local t1, t2 = { id = "T001", title = hit }, { id = "T002", title = miss }
  for k, v in pairs(extra) do t1[k], t2[k] = v, v end
  case(id .. " 命中「" .. hit .. "」；近似「" .. miss .. "」不命中") {
    tasks = { t1, t2 },
    expect "task T001" { decision = decision, rule = id },
    expect "task T002" { decision = "review", rule = null },
  }
end

---------------------------------------------------------------------------
-- Reasons
---------------------------------------------------------------------------
case "负面清单的理由来自条目" {
  tasks = { { title = "要求居民安装平安社区APP" }, { title = "签订安全生产责任状" } },
  expect "task T001" { decision = "reject", rule = "N01", reason = "严禁摊派安装政务APP" },
  expect "task T002" { decision = "reject", rule = "N08", reason = "责任状" },
}

---------------------------------------------------------------------------
-- Pattern details: gaps, case, full-width text
---------------------------------------------------------------------------
case "N01 间隔恰好 10 个字符命中，11 个不命中" {
  tasks = { { title = "安装一二三四五六七八九十APP" }, { title = "安装一二三四五六七八九十壹APP" } },
  expect "task T001" { decision = "reject", rule = "N01" },
  expect "task T002" { decision = "review", rule = null },
}

case "N01 第二种写法：APP 之后 4 个字符内推广" {
  tasks = { { title = "小程序一二三四推广" }, { title = "小程序一二三四五推广" } },
  expect "task T001" { decision = "reject", rule = "N01" },
  expect "task T002" { decision = "review", rule = null },
}

case "不区分大小写：app / App / aPp" {
  tasks = { { title = "下载app领取补贴" }, { title = "App推广到户" }, { title = "注册aPp账号" } },
  expect "task T001" { decision = "reject", rule = "N01" },
  expect "task T002" { decision = "reject", rule = "N01" },
  expect "task T003" { decision = "reject", rule = "N01" },
}

case "全角标点按一个字符计：间隔 10 个全角逗号命中，11 个不命中" {
  tasks = { { title = "安装，，，，，，，，，，APP" }, { title = "安装，，，，，，，，，，，APP" } },
  expect "task T001" { decision = "reject", rule = "N01" },
  expect "task T002" { decision = "review", rule = null },
}

case "中文与全角混排" {
  tasks = { { title = "请于本周内安装：“平安家园”客户端（必做）" },
            { title = "注册（ＡＢＣ）小程序" },
            { title = "关注“幸福社区”视频号！" } },
  expect "task T001" { decision = "reject", rule = "N01" },
  expect "task T002" { decision = "reject", rule = "N01" },
  expect "task T003" { decision = "reject", rule = "N02" },
}

case "N10 第二种写法：重复…报送" {
  tasks = { { title = "重复报送台账" }, { title = "填报数据突击完成" } },
  expect "task T001" { decision = "reject", rule = "N10" },
  expect "task T002" { decision = "reject", rule = "N10" },
}

case "N12 第二种写法：欠款…代收" {
  tasks = { { title = "水电费欠款代收" } },
  expect "task T001" { decision = "reject", rule = "N12" },
}

---------------------------------------------------------------------------
-- Order and subjects
---------------------------------------------------------------------------
case "负面清单优先于准入清单（同时命中 N03 与 L06）" {
  tasks = { { title = "物业公司挂牌" } },
  expect "task T001" { decision = "reject", rule = "N03", reason = "两块牌子" },
}

case "多条负面清单命中时取第一条（N01 先于 N03）" {
  tasks = { { title = "挂牌并安装APP" } },
  expect "task T001" { decision = "reject", rule = "N01" },
}

case "多条准入条目命中时取第一条" {
  tasks = { { title = "调解物业纠纷" },                        -- L03 before L06
            { title = "老年人便民服务" },                      -- L05 (duty) before X07 (assist)
            { title = "低保对象就业帮扶", funded = 1, staffed = 1, approval_ref = "民审〔2025〕9号" } }, -- X01 before X02
  expect "task T001" { decision = "admit", rule = "L03" },
  expect "task T002" { decision = "admit", rule = "L05" },
  expect "task T003" { decision = "admit", rule = "X01" },
}

case "只在详情中命中负面清单 → 拒绝" {
  tasks = { { title = "社区工作安排", detail = "请居民下载客户端并注册" },
            { title = "开展志愿服务活动", detail = "活动须签订责任状" } },
  expect "task T001" { decision = "reject", rule = "N01" },
  expect "task T002" { decision = "reject", rule = "N08" },
}

case "准入词只在详情中 → 不准入（待审）" {
  tasks = { { title = "社区工作安排", detail = "召开居民会议，开展普法宣传" },
            { title = "社区工作安排", detail = "低保入户调查", funded = 1, staffed = 1, approval_ref = "民审〔2025〕1号" } },
  expect "task T001" { decision = "review", rule = null },
  expect "task T002" { decision = "review", rule = null },
}

case "详情为空不影响标题的判定" {
  tasks = { { title = "召开居民会议", detail = null }, { title = "召开居民会议", detail = "" } },
  expect "task T001" { decision = "admit", rule = "L01" },
  expect "task T002" { decision = "admit", rule = "L01" },
}

---------------------------------------------------------------------------
-- Assistance: 费随事转, 权随责走, 准入审批
---------------------------------------------------------------------------
case "协助事项：未随附经费 → 拒绝（费随事转）" {
  tasks = { { title = "低保入户调查", funded = 0, staffed = 1, approval_ref = "民审〔2025〕3号" } },
  expect "task T001" { decision = "reject", rule = "X01", reason = "费随事转" },
}

case "协助事项：未随附人员 → 拒绝（权随责走）" {
  tasks = { { title = "低保入户调查", funded = 1, staffed = 0, approval_ref = "民审〔2025〕3号" } },
  expect "task T001" { decision = "reject", rule = "X01", reason = "权随责走" },
}

case "协助事项：经费人员都没有 → 拒绝" {
  tasks = { { title = "低保入户调查", funded = 0, staffed = 0 } },
  expect "task T001" { decision = "reject", rule = "X01", reason = "费随事转" },
  expect "task T001" { reason = "权随责走" },
}

case "协助事项：无审批文号 → 待审（准入审批）" {
  tasks = { { title = "低保入户调查", funded = 1, staffed = 1 } },
  expect "task T001" { decision = "review", rule = "X01", reason = "准入审批" },
}

case "协助事项：三者齐全 → 准入" {
  tasks = { { title = "低保入户调查", funded = 1, staffed = 1, approval_ref = "民审〔2025〕3号" } },
  expect "task T001" { decision = "admit", rule = "X01" },
}

case "协助事项：funded 为空 → 拒绝（费随事转）；staffed 为空 → 拒绝（权随责走）" {
  tasks = { { title = "疫苗接种通知", staffed = 1, approval_ref = "卫审〔2025〕1号" },
            { title = "疫苗接种通知", funded = 1, approval_ref = "卫审〔2025〕1号" } },
  expect "task T001" { decision = "reject", rule = "X05", reason = "费随事转" },
  expect "task T002" { decision = "reject", rule = "X05", reason = "权随责走" },
}

case "依法履职事项不看经费与审批" {
  tasks = { { title = "开展普法宣传", funded = 0, staffed = 0 } },
  expect "task T001" { decision = "admit", rule = "L02" },
}

---------------------------------------------------------------------------
-- Department patterns (X08 needs a department matching 统计)
---------------------------------------------------------------------------
case "X08 部门：统计局 → X08；民政局 → 不适用" {
  tasks = {
    { title = "经济普查入户登记", department = "统计局", funded = 1, staffed = 1, approval_ref = "统审〔2025〕1号" },
    { title = "经济普查入户登记", department = "民政局", funded = 1, staffed = 1, approval_ref = "统审〔2025〕1号" },
    { title = "统计调查表发放", department = "市统计局", funded = 1, staffed = 1 },
    { title = "人口普查摸底", department = "统计局", funded = 0, staffed = 1 },
  },
  expect "task T001" { decision = "admit", rule = "X08" },
  expect "task T002" { decision = "review", rule = null },
  expect "task T003" { decision = "review", rule = "X08", reason = "准入审批" },
  expect "task T004" { decision = "reject", rule = "X08", reason = "费随事转" },
}

---------------------------------------------------------------------------
-- A very long title: decided normally (no crash, no silent admit)
---------------------------------------------------------------------------
local LONG = string.rep("安装", 3000)
case "超长标题（6000 字）不在清单 → 待审" {
  tasks = { { title = LONG }, { title = LONG .. "APP" } },
  expect "task T001" { decision = "review", rule = null },
  expect "task T002" { decision = "reject", rule = "N01" },       -- ...安装APP: gap 0
  expect "B01" { value = 2, points = 3.2 },                       -- (2−10)/(−10) = 0.8 → 3.2
}

---------------------------------------------------------------------------
-- B01 from the decisions
---------------------------------------------------------------------------
case "B01 统计年度内未准入事项（拒绝 + 待审）" {
  tasks = {
    { title = "安装政务APP", received_on = "2025-02-01" },                      -- reject
    { title = "低保入户调查", funded = 1, staffed = 1, received_on = "2025-03-01" }, -- review
    { title = "整理社区档案", received_on = "2025-04-01" },                      -- review
    { title = "召开居民会议", received_on = "2025-05-01" },                      -- admit: not counted
    { title = "安装政务APP", received_on = "2024-12-31" },                      -- previous year
    { title = "安装政务APP", received_on = "2026-01-01" },                      -- after as_of
  },
  -- 3 → (3−10)/(0−10) = 0.7 → 2.8
  expect "B01" { value = 3, points = 2.8, status = "ok" },
  expect "task T005" { decision = "reject", rule = "N01" },
}
