-- 社区工作事项准入清单 (POLICY.md §4)
-- 部门交给社区的每项工作按顺序判定：
--   1. 负面清单 (deny)：标题或详情命中 → 拒绝 (reject)。
--   2. 准入清单 (allow)：标题命中且部门相符的第一条：
--        依法履职 (duty) → 准入 (admit)；
--        协助政府 (assist) → 未随附经费 (费随事转) 或人员 (权随责走) → 拒绝；
--                            无准入审批文号 → 待审 (review)；否则准入。
--   3. 都不命中 → 待审 (review)。
-- 模式是 PCRE2 正则 (UTF-8，不区分大小写，任意位置匹配)。顺序很重要。
-- Sources: 铁山 准入制度、权随责走、费随事转；威海 严禁摊派安装政务APP、关注公众号。

-- 上限 (max) 不能超过引擎的硬上限：每次匹配 10,000,000 步、堆 262,144 KiB、
-- 每次运行 1,000,000,000 步（README “The admission list”）。
param "admission.match_limit" {
  default = 1000000, type = "integer", min = 100, max = 10000000,
  source = "design: PCRE2 match limit (超限的事项转待审，不会准入)",
  description = "每次匹配的回溯步数上限",
}
param "admission.depth_limit" {
  default = 100000, type = "integer", min = 100, max = 10000000,
  source = "design: PCRE2 depth limit",
  description = "每次匹配的递归深度上限",
}
param "admission.heap_limit_kib" {
  default = 20000, type = "integer", min = 100, max = 262144,
  source = "design: PCRE2 heap limit (KiB)",
  description = "每次匹配的堆内存上限",
}
param "admission.run_budget" {
  default = 50000000, type = "integer", min = 0, max = 1000000000,
  source = "design: 一次运行中超过 1,000 步的匹配共计可用的步数 (用尽则整次运行停止，指明条目)",
  description = "每次运行的匹配总步数预算",
}

admission {
  name = "社区工作事项准入清单",
  match_limit = "admission.match_limit",
  depth_limit = "admission.depth_limit",
  heap_limit = "admission.heap_limit_kib",
  run_budget = "admission.run_budget",
  messages = {
    unfunded    = "未随附工作经费（费随事转）",
    unstaffed   = "未随附人员或权限（权随责走）",
    no_approval = "协助事项尚无准入审批文号（准入审批），待审",
    not_listed  = "不在准入清单内，待审",
    limit       = "匹配超出 PCRE2 限制，无法判定，转人工审核",
    admitted    = "协助事项经费、人员、审批齐全，准入",
  },
}

-- 负面清单：命中即拒绝（标题或详情）
deny "N01" {
  pattern = [[(安装|下载|注册).{0,10}(APP|客户端|小程序)|(APP|客户端|小程序).{0,4}(安装|下载|注册|推广)]],
  reason = "严禁摊派安装政务APP",
}
deny "N02" {
  pattern = [[关注.{0,10}(公众号|微信号|抖音|视频号)]],
  reason = "指尖上的形式主义",
}
deny "N03" {
  pattern = [[(挂牌|上墙)]],
  reason = "只挂党组织和居委会两块牌子",
}
deny "N04" {
  pattern = [[(招商引资|协税护税|经济创收)]],
  reason = "不得摊派经济任务",
}
deny "N05" {
  pattern = [[(征订|订阅).{0,6}(报刊|杂志|报纸)]],
  reason = "不得摊派征订",
}
deny "N06" {
  pattern = [[(推销|销售).{0,6}保险]],
  reason = "不得摊派推销",
}
deny "N07" {
  pattern = [[(拆迁|拆违|城管执法|执法检查)]],
  reason = "执法事项不得转嫁社区",
}
deny "N08" {
  pattern = [[(责任状|一票否决)]],
  reason = "不得签订责任状/一票否决",
}
deny "N09" {
  pattern = [[(考核|评比|检查).{0,8}(延伸|下沉)(到|至)社区]],
  reason = "考核不得延伸到社区",
}
deny "N10" {
  pattern = [[(打卡|签到|填报|报送).{0,8}(重复|多头|突击)|(重复|多头|突击).{0,4}(打卡|签到|填报|报送)]],
  reason = "不得重复报送",
}
deny "N11" {
  pattern = [[(出具|开具).{0,12}(亲属关系|婚姻状况|无犯罪|出生|死亡|健在|疾病|残疾|就业状况|财产|收入|养犬|证件遗失)]],
  reason = "社区不得出具此类证明",
}
deny "N12" {
  pattern = [[(催缴|收缴|代收).{0,6}(物业费|水电费|费用|欠款)|(物业费|水电费|欠款).{0,4}(催缴|收缴|代收)]],
  reason = "不得摊派收费任务",
}

-- 准入清单：依法履职 (duty)
allow "L01" {
  kind = "duty",
  pattern = [[(居民会议|居民代表会议)]],
  reason = "召集居民会议",
}
allow "L02" {
  kind = "duty",
  pattern = [[(政策宣传|法律宣传|普法)]],
  reason = "宣传法律政策",
}
allow "L03" {
  kind = "duty",
  pattern = [[(调解|纠纷)]],
  reason = "调解民间纠纷",
}
allow "L04" {
  kind = "duty",
  pattern = [[(居务公开|民主评议|听证)]],
  reason = "居务公开、民主评议",
}
allow "L05" {
  kind = "duty",
  pattern = [[(便民服务|志愿服务)]],
  reason = "便民和志愿服务",
}
allow "L06" {
  kind = "duty",
  pattern = [[(业主委员会|业委会|物业)]],
  reason = "指导业委会、监督物业",
}

-- 准入清单：协助政府 (assist)
allow "X01" {
  kind = "assist",
  pattern = [[(低保|临时救助|特困)]],
  reason = "社会救助入户调查",
}
allow "X02" {
  kind = "assist",
  pattern = [[(就业|再就业|失业登记)]],
  reason = "劳动就业",
}
allow "X03" {
  kind = "assist",
  pattern = [[(医保|养老保险|社会保障)]],
  reason = "社会保障",
}
allow "X04" {
  kind = "assist",
  pattern = [[(优抚|退役军人)]],
  reason = "优抚",
}
allow "X05" {
  kind = "assist",
  pattern = [[(疫苗|健康教育|公共卫生)]],
  reason = "公共卫生",
}
allow "X06" {
  kind = "assist",
  pattern = [[(社区矫正|安置帮教)]],
  reason = "社区矫正",
}
allow "X07" {
  kind = "assist",
  pattern = [[(残疾人|高龄津贴|老年人)]],
  reason = "老年人和残疾人服务",
}
allow "X08" {
  kind = "assist",
  pattern = [[(人口普查|经济普查|统计调查)]],
  department = [[统计]],
  reason = "统计调查",
}
