# The year-end HTML report (`kaohe report RESULTS [--run N] [--community ID]
# --out report.html`, engine/output/report.c): one self-contained page read from the
# results database alone. Expected names and totals come from the results
# database with SQL, formatted as the report prints them (two decimals,
# halves away from zero as SQLite's printf does). The report card of the
# hand-made fixture's S3 (对照社区, 92.96, five stars) is the one
# fixtures/gen_small.py explains: it loses points on A01, B01, B06, D03, F01.
#
# The browser test renders the report with Debian's headless chromium
# (tests/e2e/report_screenshot.sh) and is skipped when /usr/bin/chromium (or
# $CHROMIUM) is not installed.

SMALL_DB=$REPO_ROOT/fixtures/small.db
SCREENSHOT=$E2E_DIR/report_screenshot.sh

# report_results FILE SNAPSHOT: evaluates SNAPSHOT into the results FILE.
report_results() {
    run_kaohe eval "$2" --out "$1" -q
    expect_exit 0 || die "eval of $2 failed: $(cat "$LAST_STDERR")"
}

# make_report OUT ARGS...: `kaohe report ARGS --out OUT` must succeed and
# write OUT (dies otherwise: the later checks would mean nothing).
make_report() {
    local out=$1
    shift
    run_kaohe report "$@" --out "$out"
    expect_exit 0 || die "kaohe report $* failed"
    [ -s "$out" ] || die "kaohe report $* wrote no $out"
}

# ranking_sql DB: "id|name|total" of the latest eval run, by rank then id.
ranking_sql() {
    sql "$1" "SELECT s.community_id, c.name, printf('%.2f', s.total) FROM community_scores s
              JOIN run_communities c ON c.run_id = s.run_id AND c.community_id = s.community_id
              WHERE s.run_id = (SELECT max(run_id) FROM runs WHERE kind = 'eval')
              ORDER BY s.rank, s.community_id"
}

# section_of FILE ID: the HTML of <section id="ID"> up to its </section>.
section_of() {
    sed -n "/<section id=\"$2\"/,/<\/section>/p" "$1"
}

# expect_self_contained FILE: no external asset, no script.
expect_self_contained() {
    local needle status=0
    for needle in 'http:' 'https:' 'src=' '<link' '<script' '@import' 'url('; do
        if grep -qiF -- "$needle" "$1"; then
            fail "$1 is not self-contained: it holds '$needle': $(grep -iF -m1 -- "$needle" "$1" | cut -c1-200)"
            status=1
        fi
    done
    return "$status"
}

test_report_region_is_one_self_contained_printable_page() {
    report_results results.db "$SAMPLE_DB"
    make_report report.html results.db
    expect_self_contained report.html
    expect_eq "$(head -n 1 report.html)" "<!DOCTYPE html>" "first line"
    grep -qF '<meta charset="utf-8">' report.html || fail "no UTF-8 charset declaration"
    grep -qF '@page{size:A4' report.html || fail "no @page A4 rule"
    grep -qF '@media print' report.html || fail "no print style"
    grep -qF 'Noto Sans CJK SC' report.html || fail "no CJK font stack"
    grep -qF '<svg ' report.html || fail "no inline SVG chart"
    grep -qF '海滨市 社区年度考核报告' report.html || fail "no title with the region"
    local id
    for id in overview ranking districts trajectories targets workers admission review; do
        grep -qF "<section id=\"$id\"" report.html || fail "no section $id"
    done
}

test_report_region_ranks_every_community_with_its_name_and_total() {
    report_results results.db "$SAMPLE_DB"
    make_report report.html results.db
    local id name total line count=0 first
    while IFS='|' read -r id name total; do
        count=$((count + 1))
        line=$(grep -F "<tr id=\"c-$id\">" report.html)
        if [ -z "$line" ]; then
            fail "community $id ($name) is not in the ranking"
            continue
        fi
        case $line in
        *"<td>$name</td>"*) ;;
        *) fail "ranking row of $id lacks its name $name: ${line:0:200}" ;;
        esac
        case $line in
        *"<td class=\"n total\">$total</td>"*) ;;
        *) fail "ranking row of $id ($name) lacks its total $total: ${line:0:300}" ;;
        esac
    done < <(ranking_sql results.db)
    expect_eq "$count" 50 "communities in the sample"
    # the first row of the ranking is the top community
    first=$(ranking_sql results.db | head -n 1 | cut -d'|' -f1)
    expect_eq "$(grep -o -m1 '<tr id="c-[^"]*">' report.html)" "<tr id=\"c-$first\">" "first ranking row"
}

test_report_card_lists_the_indicators_that_lost_points() {
    report_results results.db "$SMALL_DB"
    make_report card.html results.db --community S3
    expect_self_contained card.html
    grep -qF '社区体检单 · 对照社区' card.html || fail "no card title with 对照社区"
    grep -qF '<b class="total">92.96</b>' card.html || fail "no total 92.96"
    grep -qF '<b class="s5">五星</b>' card.html || fail "not five stars"
    grep -qF '<b>2 / 3</b>' card.html || fail "no rank 2 of 3"
    # the five indicators that lost points, first, by points lost
    # (F01 2.5, A01 2.14, B06 1, D03 1, B01 0.4)
    local lost expected
    lost=$(grep -o '<tr class="lost"><td>[A-Z][0-9]*</td>' card.html | sed 's/.*<td>\(.*\)<\/td>/\1/' | tr '\n' ' ')
    expect_eq "$lost" "F01 A01 B06 D03 B01 " "indicators that lost points"
    expected=$(sql results.db "SELECT group_concat(indicator_id, ' ') FROM (SELECT indicator_id FROM indicator_scores WHERE community_id = 'S3' AND points < max_points - 1e-9 ORDER BY indicator_id)")
    expect_eq "$(echo "$lost" | tr ' ' '\n' | grep . | LC_ALL=C sort | tr '\n' ' ')" "$expected " "the same set as in indicator_scores"
    expect_eq "$(grep -c '^<tr[^>]*><td>[A-F][0-9][0-9]</td>' card.html)" 33 "indicator rows"
    grep -qF '<td>F01</td><td>居民满意率</td><td class="n">90.0%</td><td class="c">正常</td><td class="n">7.50</td><td class="n">10</td><td class="n bad">2.50</td>' card.html ||
        fail "F01 row is not: 居民满意率 90.0% 正常 7.50 10 2.50"
    grep -qF 'aria-label="各类得分率雷达图"' card.html || fail "no radar chart"
    grep -qF '<code>S3-W01</code>' card.html || fail "the flagged worker S3-W01 is not on the card"
}

test_report_card_all_writes_one_page_per_community() {
    report_results results.db "$SMALL_DB"
    make_report cards.html results.db --community all
    expect_self_contained cards.html
    expect_eq "$(grep -c '<section class="card sheet"' cards.html)" 3 "cards"
    local name
    for name in 满分社区 空白社区 对照社区; do
        grep -qF "社区体检单 · $name" cards.html || fail "no card for $name"
    done
    grep -qF 'page-break-after:always' cards.html || fail "cards do not break pages"
}

test_report_missing_run_or_community_is_refused_naming_it() {
    report_results results.db "$SMALL_DB"
    run_kaohe report results.db --run 99 --out report.html
    expect_exit 1
    expect_stderr_contains "no run 99" "results.db"
    expect_file_absent report.html
    run_kaohe report results.db --community X999 --out report.html
    expect_exit 1
    expect_stderr_contains "X999"
    expect_file_absent report.html
    run_kaohe report absent.db --out report.html
    expect_exit 1
    expect_stderr_contains "absent.db"
    expect_file_absent report.html
    run_kaohe report "$SAMPLE_DB" --out report.html
    expect_exit 1
    expect_stderr_contains "not a kaohe results database"
    expect_file_absent report.html
}

test_report_same_results_give_byte_identical_html() {
    report_results results.db "$SAMPLE_DB"
    make_report first.html results.db
    make_report second.html results.db
    cmp -s first.html second.html || fail "two reports of the same results differ: $(cmp first.html second.html 2>&1)"
    make_report first-cards.html results.db --community all
    make_report second-cards.html results.db --community all
    cmp -s first-cards.html second-cards.html || fail "two card sets of the same results differ"
}

test_report_defaults_to_the_latest_eval_run() {
    report_results results.db "$SMALL_DB"
    run_kaohe whatif "$SMALL_DB" --set stars.five=93 --out results.db
    expect_exit 0 || die "whatif --out failed"
    expect_sql results.db "SELECT group_concat(run_id || ':' || kind, ' ') FROM runs" \
        "1:eval 2:whatif-baseline 3:whatif-scenario"
    make_report latest.html results.db
    grep -qF '<dd>#1 · eval' latest.html || fail "the default run is not the eval run 1: $(grep -o -m1 '<dd>#[^<]*' latest.html)"
    make_report scenario.html results.db --run 3
    grep -qF '<dd>#3 · whatif-scenario' scenario.html || fail "--run 3 is not the scenario"
    grep -qF '五星 ≥ 93 分' scenario.html || fail "the scenario's stars.five (93) is not in its header"
    # S3 (92.96) is four stars in the scenario
    grep -F '<tr id="c-S3">' scenario.html | grep -qF '四星' || fail "S3 is not four stars in the scenario"
}

test_report_near_threshold_lists_communities_near_a_star_line() {
    report_results results.db "$SAMPLE_DB"
    make_report report.html results.db
    local review id name total count=0
    review=$(section_of report.html review)
    [ -n "$review" ] || die "no review section"
    # within the default margin of 1 point of 90, 80, 70 or 60
    while IFS='|' read -r id name total; do
        count=$((count + 1))
        case $review in
        *"$name <span class=\"muted\">$id</span>"*) ;;
        *) fail "$id $name ($total) is within 1 point of a star line but not in the review list" ;;
        esac
    done < <(sql results.db "SELECT s.community_id, c.name, printf('%.2f', s.total) FROM community_scores s
        JOIN run_communities c ON c.run_id = s.run_id AND c.community_id = s.community_id,
        (SELECT 90 AS line UNION ALL SELECT 80 UNION ALL SELECT 70 UNION ALL SELECT 60)
        WHERE s.run_id = 1 AND abs(s.total - line) <= 1 + 1e-9 ORDER BY s.community_id")
    [ "$count" -gt 0 ] || fail "the sample has no community near a star line (the test proves nothing)"
    # and no community farther away
    local far
    far=$(sql results.db "SELECT s.community_id FROM community_scores s WHERE s.run_id = 1 AND
        min(abs(s.total - 90), abs(s.total - 80), abs(s.total - 70), abs(s.total - 60)) > 1.5
        ORDER BY s.rank LIMIT 1")
    case $review in
    *"<span class=\"muted\">$far</span>"*) fail "$far is far from every star line but in the review list" ;;
    esac
}

test_report_renders_in_headless_chromium() {
    local chromium=${CHROMIUM:-/usr/bin/chromium}
    [ -x "$chromium" ] || skip "no $chromium (apt-get install chromium fonts-noto-cjk)"
    report_results results.db "$SAMPLE_DB"
    make_report report.html results.db
    local out colours bytes id name total
    out=$(bash "$SCREENSHOT" report.html report.png report.dom 1240,1754 2>screenshot.err) ||
        die "report_screenshot.sh failed: $(tail -n 5 screenshot.err)"
    note "region report: $out"
    colours=$(echo "$out" | sed -n 's/.*colours=\([0-9]*\).*/\1/p')
    bytes=$(echo "$out" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p')
    # a blank page is one colour and about 10 KB
    [ "${colours:-0}" -ge 50 ] || fail "the screenshot looks blank: $out"
    [ "${bytes:-0}" -ge 50000 ] || fail "the screenshot is suspiciously small: $out"
    # the browser's DOM holds the names and totals of the top communities
    while IFS='|' read -r id name total; do
        grep -qF "$name" report.dom || fail "the rendered page lacks $name"
        grep -F "<tr id=\"c-$id\">" report.dom | grep -qF ">$total<" ||
            fail "the rendered page lacks the total $total of $name"
    done < <(ranking_sql results.db | head -n 5)
    # and a report card
    report_results small.db "$SMALL_DB"
    make_report card.html small.db --community S3
    out=$(bash "$SCREENSHOT" card.html card.png card.dom 2>screenshot.err) ||
        die "report_screenshot.sh failed on the card: $(tail -n 5 screenshot.err)"
    note "report card: $out"
    colours=$(echo "$out" | sed -n 's/.*colours=\([0-9]*\).*/\1/p')
    [ "${colours:-0}" -ge 50 ] || fail "the card's screenshot looks blank: $out"
    grep -qF '对照社区' card.dom || fail "the rendered card lacks 对照社区"
    grep -qF '92.96' card.dom || fail "the rendered card lacks its total 92.96"
}
