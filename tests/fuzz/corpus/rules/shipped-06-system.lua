-- 精致幸福社区指标体系：6 大类 33 项，满分 100 分
-- Source: 威海市《"精致幸福社区"标准》— 队伍精良、治理精细、服务精准、
-- 环境精美、文化精彩、群众满意 6 大类 33 项指标 (../shared/seeds/weihai-*.txt).
-- Item contents follow the 临港区 creation criteria; see POLICY.md §1.

system "精致幸福社区" {
  total = 100,          -- 满分
  categories = 6,       -- 6 大类
  indicators = 33,      -- 33 项
  source = "威海「精致幸福社区」标准：6大类33项指标体系",
}

category "A" { name = "队伍精良" }
category "B" { name = "治理精细" }
category "C" { name = "服务精准" }
category "D" { name = "环境精美" }
category "E" { name = "文化精彩" }
category "F" { name = "群众满意" }
