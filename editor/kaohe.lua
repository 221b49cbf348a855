---@meta kaohe
-- Type annotations of the kaohe rule DSL, for the Lua language server
-- (LuaLS, "sumneko.lua" in VS Code; lua_ls in Neovim). Never loaded by kaohe:
-- .luarc.json at the repository root points the language server here, so a
-- rule file gets completion for every declaration and field, hover text in
-- Chinese, warnings for misspelled DSL functions (undefined-global), for
-- io/os/debug (switched off, as in the sandbox), and for required fields left
-- out (missing-fields). Unknown fields are reported by `kaohe check`, with a
-- "did you mean". tests/e2e/test_editor.sh keeps this file and the DSL in step.

---A number written in a rule, or a reference to a parameter.
---@alias kaohe.Number number|kaohe.Ref

---@class kaohe.Ref
---@class kaohe.Input
---@class kaohe.Score

---@class (exact) kaohe.System
---@field total number 满分（指标满分之和必须等于它）
---@field categories? integer 大类数（校验用）
---@field indicators? integer 指标数（校验用）
---@field source? string 出处
---@field description? string 说明

---@class (exact) kaohe.Category
---@field name string 中文名称
---@field source? string 出处
---@field description? string 说明

---@class (exact) kaohe.Param
---@field default number|string|table<integer, number> 默认值（数字、文字、日期或 年份→数值 表）
---@field type? "number"|"integer"|"schedule"|"string"|"date" 类型（省略时按默认值推断）
---@field min? number 允许的最小值
---@field max? number 允许的最大值
---@field source string 出处（政策原文或 "design"）
---@field description? string 说明
---@field unit? string 单位

---@class (exact) kaohe.Indicator
---@field name string 中文名称
---@field category string 所属大类 id（如 "A"）
---@field max kaohe.Number 满分（成为参数 <ID>.max）
---@field unit? string 单位（"比例" 的值按百分比显示）
---@field source string 数字的出处
---@field description? string 说明
---@field hint? string explain 的差距说明用语，如 "家备案社会组织"
---@field inputs table<string, kaohe.Input> 输入：fact()、community()、count()、sum()、sql[[...]]
---@field value string 由输入计算取值的 SQL 表达式
---@field score kaohe.Score lin(a, b) 或 ratio(t)
---@field missing_if? string|string[] 缺失条件（第一步），如 "workers = 0"
---@field invalid_if? string|string[] 无效条件（第二步），如 "managed > compounds"
---@field denominator? string|string[] 分母输入：为 0 时缺失（第三步）
---@field params? table<string, number> 本指标的参数，如 { hours = 60 } → <ID>.hours

---@class (exact) kaohe.StarGrade
---@field stars integer 星级
---@field name? string 星级名称，报告与终端表格用它，如 "五星"（默认按星数：五星、四星……）
---@field total string 最低总分的参数名，如 "stars.five"
---@field also? string[] 另外的条件，如 "F01 >= {stars.five_f01}"

---@class kaohe.Stars: { [integer]: kaohe.StarGrade }
---@field unrated? string 未达任何星级的社区的名称（默认 "未评级"）

---@class (exact) kaohe.Target
---@field name string 中文名称
---@field source string 出处
---@field description? string 说明
---@field measure? "ratio"|"count" 比例（默认）或人数
---@field from? string 计数的表（默认 workers）
---@field community? string 表中的社区编号列（默认 community_id）
---@field numerator string 分子条件（SQL）
---@field denominator? string 分母条件（SQL，比例时必填）
---@field required kaohe.Number 要求值（数字、ref "参数" 或 schedule "参数"）
---@field scopes ("region"|"district"|"street"|"community")[] 检查的范围
---@field empty? "null"|"skip" 分母为 0 时：实际值为空（默认）或不出结果行
---@field unit? string 单位

---@class (exact) kaohe.Appraisal
---@field name? string 中文名称
---@field source? string 出处
---@field description? string 说明
---@field who string 参加考核的社工（SQL 条件）
---@field components string[] 考核分项列（任一为空 → no_score）
---@field score string 考核得分（SQL 表达式）
---@field floors? table<string, string> 底线：列名 → 参数名
---@field weights? table<string, string> 各分项的权重：分项列名 → 参数名（用于解释）
---@field group? "region"|"district"|"street"|"community" 排名范围（默认 street）
---@field bottom_ratio string 末位比例的参数名

---@class (exact) kaohe.AdmissionMessages
---@field unfunded string 未随附经费（费随事转）
---@field unstaffed string 未随附人员或权限（权随责走）
---@field no_approval string 无准入审批文号
---@field not_listed string 不在清单内
---@field limit string 匹配超出限制
---@field admitted string 协助事项准入

---@class (exact) kaohe.Admission
---@field name? string 中文名称
---@field source? string 出处
---@field description? string 说明
---@field messages kaohe.AdmissionMessages 理由用语
---@field match_limit? string PCRE2 match limit 的参数名
---@field depth_limit? string PCRE2 depth limit 的参数名
---@field heap_limit? string PCRE2 heap limit 的参数名
---@field run_budget? string 每次运行匹配总步数预算的参数名

---@class (exact) kaohe.Entry
---@field pattern string PCRE2 模式（UTF-8，不区分大小写，任意位置匹配）
---@field department? string 部门模式（省略 = 任何部门）
---@field kind? "duty"|"assist" 准入清单条目：依法履职或协助政府（负面清单不填）
---@field reason string 理由
---@field source? string 出处
---@field description? string 说明

---@class (exact) kaohe.Scenario
---@field description? string 说明
---@field set table<string, number|string|table<integer, number>> 参数 → 新值

---The assessment system: 满分、大类数、指标数。
---@param name string
---@return fun(def: kaohe.System)
function system(name) end

---A category of indicators (大类)。
---@param id string
---@return fun(def: kaohe.Category)
function category(id) end

---A named policy parameter with its default, range and source.
---@param name string
---@return fun(def: kaohe.Param)
function param(name) end

---A named piece of SQL used as {name}; $1, $2 are its arguments.
---@param name string
---@return fun(sql: string|{ sql: string, description?: string })
function define(name) end

---One indicator (指标)。
---@param id string
---@return fun(def: kaohe.Indicator)
function indicator(id) end

---Star grades, best first; `unrated` names a community below every grade.
---@param grades kaohe.Stars
function stars(grades) end

---LIN(x; a→b): points rise linearly from a to b (a > b rewards small values).
---@param from kaohe.Number
---@param to kaohe.Number
---@return kaohe.Score
function lin(from, to) end

---RATIO(x; t): value ÷ t, capped at full points.
---@param target kaohe.Number
---@return kaohe.Score
function ratio(target) end

---A schedule parameter (year → value) interpolated at the assessment year.
---@param name string
---@return kaohe.Ref
function schedule(name) end

---A reference to a number parameter.
---@param name string
---@return kaohe.Ref
function ref(name) end

---A column of the communities table, with its valid range ("> 0", "0..1").
---@param column string
---@param domain? string
---@return kaohe.Input
function community(column, domain) end

---The value of one key of the facts table, with its valid range.
---@param key string
---@param domain? string
---@return kaohe.Input
function fact(key, domain) end

---Rows of a table for the community: count("activities", "kind = 'consultation'")
---or count { from = "...", where = "...", community = "t.community_id" }.
---@param from string|{ from: string, where?: string, community?: string }
---@param where? string
---@return kaohe.Input
function count(from, where) end

---Total of an expression over the community's rows (NULL counts as 0).
---@param from string|{ from: string, expr: string, where?: string, community?: string }
---@param expr? string
---@param where? string
---@return kaohe.Input
function sum(from, expr, where) end

---Any scalar subquery using c.id (the community's id).
---@param text string
---@return kaohe.Input
function sql(text) end

---This directory is a profile on top of another rule set ("default").
---@param name string
function extends(name) end

---A profile changes a parameter's default: set "name" (value, "source").
---@param name string
---@return fun(value: number|string|table<integer, number>, source?: string)
function set(name) end

---A profile replaces fields of an indicator, target or category.
---@param id string
---@return fun(fields: table)
function override(id) end

---A target checked at region, district, street or community scope.
---@param id string
---@return fun(def: kaohe.Target)
function target(id) end

---Worker appraisal and bottom-ratio elimination.
---@param def kaohe.Appraisal
function appraisal(def) end

---The admission list's reason texts and PCRE2 limits.
---@param def kaohe.Admission
function admission(def) end

---An entry of the negative list (负面清单).
---@param id string
---@return fun(def: kaohe.Entry)
function deny(id) end

---An entry of the admission list (准入清单).
---@param id string
---@return fun(def: kaohe.Entry)
function allow(id) end

---What outputs call the engine's codes of one kind (scope, flag, decision,
---status, role, ...): labels "scope" { region = "全市", street = "街道" }.
---@param kind string
---@return fun(labels: table<string, string>)
function labels(kind) end

---A what-if scenario file (--scenario FILE.lua).
---@param name string
---@return fun(def: kaohe.Scenario)
function scenario(name) end
