-- 铁山区 profile: 社区准入与社工持证 (../shared/seeds/tieshan-*.txt)
-- 从2015年起，新招聘以及现有45周岁以下的社区工作者应在三年内取得证书
-- (the default under45_certified target already encodes this rule);
-- 到2020年，力争35%以上的社区工作者实现持证上岗.
extends "default"

set "cert.milestones" ({ [2020] = 0.35 },
  "铁山: 到2020年，力争35%以上的社区工作者实现持证上岗")

set "under45.since" ("2015-01-01", "铁山: 从2015年起，45周岁以下的社区工作者三年内取得证书")
