-- 标签：引擎代码在报告、终端、工作台和表格中的中文名称。
-- What outputs call the engine's codes. A profile may relabel any code by
-- declaring labels of the same kind again; a code without a label is shown
-- as the code itself.

-- 范围 (targets and appraisal groups)
labels "scope" { region = "全市", district = "区", street = "街道", community = "社区" }

-- 社工标记 (worker_appraisals.flag)
labels "flag" { below_floor = "低于底线", bottom_ratio = "末位淘汰", no_score = "缺少考核分数" }

-- 准入结论 (task_decisions.decision)
labels "decision" { admit = "准入", reject = "拒绝", review = "待审" }

-- 指标状态 (indicator_scores.status)
labels "status" { ok = "正常", missing = "缺失", invalid = "无效" }

-- 快照中的枚举值 (snapshot.sql)："表.列" 的代码与中文名称。导入时表格里写中文
-- 名称即可（kaohe import 把它换成代码）；输出时显示中文名称。
labels "workers.role" { secretary = "书记", director = "主任", fulltime = "专职", grid = "网格员" }
labels "workers.education" { postgraduate = "研究生", bachelor = "本科", college = "大专",
                             highschool = "高中", other = "其他" }
labels "workers.cert_level" { assistant = "助理社会工作师", intermediate = "社会工作师",
                              senior = "高级社会工作师" }
labels "workers.status" { active = "在岗", left = "离岗" }
labels "workers.left_reason" { eliminated = "淘汰", resigned = "辞职", retired = "退休",
                               transferred = "调离" }
labels "organizations.kind" { culture = "文化", charity = "慈善", elderly = "养老", volunteer = "志愿",
                              sports = "体育", other = "其他" }
labels "activities.kind" { co_building = "共建", culture = "文体", resident = "居民活动",
                           consultation = "议事协商", volunteer = "志愿服务", civility = "文明实践" }
labels "postings.channel" { website = "网站", wechat = "微信", board = "公示栏" }
labels "requests.channel" { wish = "微心愿", proposal = "建议", hotline = "热线", whistle = "吹哨" }

-- 是否 (snapshot.sql 的 0/1 列)
labels "boolean" { ["1"] = "是", ["0"] = "否" }
