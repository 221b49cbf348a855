-- 通用约定 (POLICY.md §0): what "active", "certified" and "in the year" mean.
-- Every indicator and target uses these names, so a change here changes
-- them all. SQL pieces are written here once; {as_of} is the assessment
-- date, {year_start} is 1 January of the assessment year, {year} the year.

-- 在岗社区工作者: status 'active' and hired on or before the assessment date.
define "active" [[status = 'active' AND hire_date <= {as_of}]]

-- 持证: holds a 社会工作者职业水平证书 dated on or before the assessment date
-- (a certificate without a date counts as held).
define "certified" [[cert_level IS NOT NULL AND (cert_date IS NULL OR cert_date <= {as_of})]]

-- 年度内: a date between 1 January and the assessment date, both included.
define "in_year" [[$1 BETWEEN {year_start} AND {as_of}]]

-- 评估年度内、月初不晚于评估日的月份 (YYYY-MM): the months of the year up to
-- and including the month of as_of. Months are checked to be YYYY-MM, so
-- comparing the text compares the months (and costs far less than building
-- a date for every row).
define "month_in_year" [[$1 BETWEEN substr({year_start}, 1, 7) AND substr({as_of}, 1, 7)]]

-- x ≥ t with the comparison tolerance of POLICY.md §0.
define "at_least" [[$1 >= $2 - {compare.epsilon}]]

-- Weeks of the window: ceil(days / 7), days = as_of − 1 January + 1 (C06).
define "weeks_in_window" [[(CAST(julianday({as_of}) - julianday({year_start}) AS INTEGER) + 7) / 7]]

param "compare.epsilon" {
  default = 1e-9, min = 0, max = 0.001,
  source = "POLICY.md §0: 比较容差 ε = 1e-9（≥ 记作 x > t − ε，相等记作 |a − b| ≤ ε）",
  description = "阈值比较与并列判断的容差",
}

param "satisfaction.min_responses" {
  default = 30, type = "integer", min = 1, max = 100000,
  source = "design (POLICY.md F01): 有效样本少于 30 份视为缺失",
  description = "居民满意度调查的最少有效样本数",
}
