# No policy in C (issue 16): what the HTML report, the eval table, explain
# and whatif say about star grades, targets and categories comes from the
# rules of the run, which eval writes into tables of kaohe's own
# (run_rules, run_star_grades, run_target_rules, run_params). Each test
# changes the rules the way a policy change would (a renamed target, moved
# and renamed star lines, an extra target, a profile with other category
# points, a --set of a target's requirement) and checks the words and
# numbers of the outputs against the results database with SQL.

# policy_eval RULES RESULTS [ARGS...]: evaluates the sample with RULES into
# RESULTS (the table goes to $LAST_STDOUT).
policy_eval() {
    local rules=$1 out=$2
    shift 2
    run_kaohe eval "$SAMPLE_DB" --rules "$rules" --out "$out" "$@"
    expect_exit 0 || die "eval with $rules failed: $(head -c 600 "$LAST_STDERR")"
}

# policy_report RESULTS OUT: `kaohe report RESULTS --out OUT` (dies on failure).
policy_report() {
    run_kaohe report "$1" --out "$2"
    expect_exit 0 || die "kaohe report $1 failed: $(head -c 600 "$LAST_STDERR")"
}

# part_of FILE ID: the HTML of <section id="ID"> up to its </section>.
part_of() {
    sed -n "/<section id=\"$2\"/,/<\/section>/p" "$1"
}

# header_of FILE: the report header (<dl class="meta"> … </dl>) on one line.
header_of() {
    sed -n '/<dl class="meta">/,/<\/dl>/p' "$1" | tr -d '\n'
}

# expect_in TEXT NEEDLE WHAT / expect_not_in TEXT NEEDLE WHAT
expect_in() {
    case $1 in
    *"$2"*) ;;
    *) fail "$3: no '$2'" ;;
    esac
}
expect_not_in() {
    case $1 in
    *"$2"*) fail "$3: it says '$2'" ;;
    esac
}

test_report_policy_renamed_target_keeps_its_trajectory_and_its_failures() {
    copy_rules r
    edit_file r/rules/certificates.lua 's/^target "cert_ratio"/target "cert_rate"/'
    policy_eval r results.db
    expect_stdout_contains "社会工作者职业水平证书持证率（cert_rate）"
    policy_report results.db report.html
    local failing part street
    failing=$(sql results.db "SELECT count(*) FROM target_checks WHERE target_id = 'cert_rate'
        AND scope = 'street' AND met = 0")
    [ "$failing" -gt 0 ] || die "no street misses cert_rate (the test proves nothing)"
    part=$(part_of report.html trajectories)
    [ -n "$part" ] || die "no trajectory section for the renamed target"
    expect_in "$part" "社会工作者职业水平证书持证率：全市与各区对照要求" "trajectory section"
    expect_not_in "$part" "本次运行没有全市或区一级的" "trajectory section"
    expect_not_in "$part" "所有街道均达标" "trajectory section ($failing streets fail)"
    while IFS= read -r street; do
        expect_in "$part" "<span>$street " "failing streets"
    done < <(sql results.db "SELECT scope_id FROM target_checks WHERE target_id = 'cert_rate'
        AND scope = 'street' AND met = 0 ORDER BY scope_id")
    expect_in "$part" "<svg " "trajectory chart"
    expect_in "$(header_of report.html)" "社会工作者职业水平证书持证率 要求 2020 年 35%" "header"
}

test_report_policy_moved_and_renamed_star_lines_are_reported_everywhere() {
    copy_rules r
    write_rule r/rules/stars.lua \
        'param "stars.gold"   { default = 88, min = 0, max = 100, source = "test", description = "金牌最低总分" }' \
        'param "stars.silver" { default = 75, min = 0, max = 100, source = "test", description = "银牌最低总分" }' \
        'param "stars.bronze" { default = 62, min = 0, max = 100, source = "test", description = "铜牌最低总分" }' \
        'param "stars.gold_f01" { default = 0.85, min = 0, max = 1, source = "test", description = "金牌满意率" }' \
        'stars {' \
        '  { stars = 3, name = "金牌", total = "stars.gold", also = { "F01 >= {stars.gold_f01}" } },' \
        '  { stars = 2, name = "银牌", total = "stars.silver" },' \
        '  { stars = 1, name = "铜牌", total = "stars.bronze" },' \
        '  unrated = "待提升",' \
        '}'
    policy_eval r results.db
    local n3 n2 n1 n0 gold id part
    n3=$(sql results.db "SELECT count(*) FROM community_scores WHERE stars = 3")
    n2=$(sql results.db "SELECT count(*) FROM community_scores WHERE stars = 2")
    n1=$(sql results.db "SELECT count(*) FROM community_scores WHERE stars = 1")
    n0=$(sql results.db "SELECT count(*) FROM community_scores WHERE stars = 0")
    [ "$n3" -gt 0 ] && [ "$n2" -gt 0 ] || die "the sample has no 金牌 or 银牌 (the test proves nothing)"
    # the eval table
    expect_stdout_contains "星级分布：金牌 $n3 · 银牌 $n2 · 铜牌 $n1 · 待提升 $n0"
    # the report: header, ranking, distribution, review
    policy_report results.db report.html
    expect_in "$(header_of report.html)" "金牌 ≥ 88 分，且 F01 居民满意率 ≥ 0.85；银牌 ≥ 75 分；铜牌 ≥ 62 分" "header"
    part=$(part_of report.html ranking)
    expect_eq "$(grep -o '<td class="c s3">金牌</td>' <<<"$part" | wc -l)" "$n3" "金牌 cells in the ranking"
    expect_eq "$(grep -o '<td class="c s2">银牌</td>' <<<"$part" | wc -l)" "$n2" "银牌 cells in the ranking"
    part=$(part_of report.html overview)
    expect_in "$part" "<td class=\"s0\">待提升</td><td>总分 &lt; 62</td><td class=\"n\">$n0</td>" "distribution"
    expect_in "$part" "获评星级（铜牌及以上）" "key figures"
    grep -qF '五星' report.html && fail "the report names a grade the rules do not have (五星)"
    part=$(part_of report.html review)
    while IFS='|' read -r id line; do
        expect_in "$part" "<span class=\"muted\">$id</span>" "review list (within 1 of $line)"
    done < <(sql results.db "SELECT s.community_id, line FROM community_scores s,
        (SELECT 88 AS line UNION ALL SELECT 75 UNION ALL SELECT 62)
        WHERE abs(s.total - line) <= 1 ORDER BY 1")
    expect_not_in "$part" "线 90" "review list"
    # explain and whatif speak of the same grades
    gold=$(sql results.db "SELECT community_id FROM community_scores WHERE stars = 3 ORDER BY rank LIMIT 1")
    run_kaohe explain "$SAMPLE_DB" --rules r --community "$gold"
    expect_exit 0
    expect_stdout_contains "金牌"
    run_kaohe whatif "$SAMPLE_DB" --rules r --set stars.gold=99
    expect_exit 0
    expect_stdout_contains "金牌 → 银牌"
    run_kaohe whatif "$SAMPLE_DB" --rules r --sweep stars.gold=85:95:5
    expect_exit 0
    expect_stdout_contains "金牌  银牌  铜牌  待提升"
}

test_report_policy_extra_targets_are_listed_and_drawn() {
    copy_rules r
    cat >>r/rules/certificates.lua <<'EOF'

target "district_new_certified" {
  name = "区年度新增持证人数",
  measure = "count",
  numerator = "cert_date IS NOT NULL AND {in_year(cert_date)}",
  required = 30,
  scopes = { "district" },
  unit = "人",
  source = "test",
}

target "district_cert_share" {
  name = "区持证率（测试）",
  numerator = "{active} AND {certified}",
  denominator = "{active}",
  required = schedule "cert.milestones",
  scopes = { "district" },
  source = "test",
}
EOF
    policy_eval r results.db
    expect_stdout_contains "区年度新增持证人数（district_new_certified）" "区持证率（测试）（district_cert_share）"
    policy_report results.db report.html
    local header part met checks
    header=$(header_of report.html)
    expect_in "$header" "区年度新增持证人数 要求 30 人" "header"
    expect_in "$header" "区持证率（测试） 要求 2020 年 35%" "header"
    part=$(part_of report.html trajectories)
    expect_in "$part" "<h2>区持证率（测试）：全市与各区对照要求</h2>" "trajectories"
    met=$(sql results.db "SELECT sum(met) FROM target_checks WHERE target_id = 'district_new_certified'")
    checks=$(sql results.db "SELECT count(*) FROM target_checks WHERE target_id = 'district_new_certified'")
    [ "$checks" -gt 0 ] || die "no check of the extra target"
    part=$(part_of report.html targets)
    expect_in "$part" "区年度新增持证人数 <span class=\"muted\">district_new_certified</span></td><td class=\"n\">30 人</td>" "targets table"
    expect_in "$part" "$met / $checks</td>" "targets table"
}

test_report_policy_profile_with_other_category_points() {
    mkdir -p p
    write_rule p/profile.lua \
        'extends "default"' \
        'set "A01.max" (5, "test: 队伍加重")' \
        'set "F01.max" (8, "test: 满意度减轻")' \
        'override "A" { name = "队伍建设" }'
    policy_eval p results.db
    local a f
    a=$(sql results.db "SELECT printf('%g', max_points) FROM run_categories WHERE category_id = 'A'")
    f=$(sql results.db "SELECT printf('%g', max_points) FROM run_categories WHERE category_id = 'F'")
    expect_stdout_contains "A 队伍建设（${a}分）" "F 群众满意（${f}分）"
    policy_report results.db report.html
    grep -qF "<th class=\"n\" title=\"A\">队伍建设<br><span class=\"muted\">$a</span></th>" report.html ||
        fail "the ranking's header lacks 队伍建设 $a"
    grep -qF "<th class=\"n\" title=\"F\">群众满意<br><span class=\"muted\">$f</span></th>" report.html ||
        fail "the ranking's header lacks 群众满意 $f"
    run_kaohe report results.db --community "$(sql results.db "SELECT community_id FROM community_scores ORDER BY rank LIMIT 1")" --out card.html
    expect_exit 0
    grep -qF "<td>A 队伍建设</td>" card.html || fail "the card lacks the profile's category name"
    grep -qF "<td class=\"n\">$a</td>" card.html || fail "the card lacks A's $a points"
}

test_report_policy_header_says_the_set_requirement_of_each_target() {
    policy_eval "$REPO_ROOT" results.db --set elimination.rate_required=0.03
    policy_report results.db report.html
    local header
    header=$(header_of report.html)
    expect_in "$header" "街道年度淘汰率 要求 3.0%" "header"
    expect_not_in "$header" "淘汰率要求 60" "header"
    expect_in "$(part_of report.html targets)" "街道年度淘汰率 <span class=\"muted\">elimination_rate</span></td><td class=\"n\">3.0%</td>" "targets table"
}

test_report_policy_older_results_file_is_read_and_says_what_it_lacks() {
    policy_eval "$REPO_ROOT" results.db
    sqlite3 -batch results.db "DROP TABLE run_rules; DROP TABLE run_star_grades;
        DROP TABLE run_target_rules; DROP TABLE run_params" || die "cannot drop the tables"
    policy_report results.db old.html
    grep -qF '较早版本的 kaohe' old.html || fail "the report does not say the rules are missing"
    grep -qF '<td class="c s5">5★</td>' old.html || fail "grades are not shown by their star count"
    # the next eval appends to the file and completes its tables
    policy_eval "$REPO_ROOT" results.db
    expect_sql results.db "SELECT count(*) FROM run_star_grades" 4
    policy_report results.db new.html
    grep -qF '较早版本的 kaohe' new.html && fail "the new run's report still says the rules are missing"
    grep -qF '<td class="c s5">五星</td>' new.html || fail "the new run's grades are not named"
}
