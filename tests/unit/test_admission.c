/*
 * test_admission.c -- unit tests of engine/rules/admission.c (POLICY.md §4): the
 * deny -> allow -> review order, duty/assist rules (费随事转, 权随责走, 准入审批),
 * department patterns, Chinese and mixed-width titles, limits that must end
 * in review naming the entry, reasons, a 10,000-entry list, the memo that
 * decides identical inputs once and the run budget of a metered matcher.
 *
 * The 26 default entries are embedded below (a copy of
 * ../shared/spec/admission.tsv) so that these tests never skip; one more test
 * parses the TSV itself when it is present (run from the repository root, or
 * set KAOHE_ADMISSION_TSV) and runs the same tables against it.
 */
#include "unit.h"

#include <stdio.h>
#include <time.h>

#include "admission.h"
#include "re.h"
#include "text.h"

/* One admission-list row as text, in admission.tsv column order. */
typedef struct entry_src {
    const char *id;
    const char *list;       /* "deny" | "allow" */
    const char *kind;       /* "-" | "duty" | "assist" */
    const char *pattern;    /* PCRE2 */
    const char *department; /* "" = any */
    const char *reason;
} entry_src;

/* Inline copy of ../shared/spec/admission.tsv. */
static const entry_src DEFAULTS[] = {
    {"N01", "deny", "-",
     "(安装|下载|注册).{0,10}(APP|客户端|小程序)|(APP|客户端|小程序).{0,4}(安装|下载|注册|推广)",
     "", "严禁摊派安装政务APP"},
    {"N02", "deny", "-", "关注.{0,10}(公众号|微信号|抖音|视频号)", "", "指尖上的形式主义"},
    {"N03", "deny", "-", "(挂牌|上墙)", "", "只挂党组织和居委会两块牌子"},
    {"N04", "deny", "-", "(招商引资|协税护税|经济创收)", "", "不得摊派经济任务"},
    {"N05", "deny", "-", "(征订|订阅).{0,6}(报刊|杂志|报纸)", "", "不得摊派征订"},
    {"N06", "deny", "-", "(推销|销售).{0,6}保险", "", "不得摊派推销"},
    {"N07", "deny", "-", "(拆迁|拆违|城管执法|执法检查)", "", "执法事项不得转嫁社区"},
    {"N08", "deny", "-", "(责任状|一票否决)", "", "不得签订责任状/一票否决"},
    {"N09", "deny", "-", "(考核|评比|检查).{0,8}(延伸|下沉)(到|至)社区", "", "考核不得延伸到社区"},
    {"N10", "deny", "-",
     "(打卡|签到|填报|报送).{0,8}(重复|多头|突击)|(重复|多头|突击).{0,4}(打卡|签到|填报|报送)", "",
     "不得重复报送"},
    {"N11", "deny", "-",
     "(出具|开具).{0,12}(亲属关系|婚姻状况|无犯罪|出生|死亡|健在|疾病|残疾|就业状况|财产|收入|"
     "养犬|证件遗失)",
     "", "社区不得出具此类证明"},
    {"N12", "deny", "-",
     "(催缴|收缴|代收).{0,6}(物业费|水电费|费用|欠款)|(物业费|水电费|欠款).{0,4}(催缴|收缴|代收)",
     "", "不得摊派收费任务"},
    {"L01", "allow", "duty", "(居民会议|居民代表会议)", "", "召集居民会议"},
    {"L02", "allow", "duty", "(政策宣传|法律宣传|普法)", "", "宣传法律政策"},
    {"L03", "allow", "duty", "(调解|纠纷)", "", "调解民间纠纷"},
    {"L04", "allow", "duty", "(居务公开|民主评议|听证)", "", "居务公开、民主评议"},
    {"L05", "allow", "duty", "(便民服务|志愿服务)", "", "便民和志愿服务"},
    {"L06", "allow", "duty", "(业主委员会|业委会|物业)", "", "指导业委会、监督物业"},
    {"X01", "allow", "assist", "(低保|临时救助|特困)", "", "社会救助入户调查"},
    {"X02", "allow", "assist", "(就业|再就业|失业登记)", "", "劳动就业"},
    {"X03", "allow", "assist", "(医保|养老保险|社会保障)", "", "社会保障"},
    {"X04", "allow", "assist", "(优抚|退役军人)", "", "优抚"},
    {"X05", "allow", "assist", "(疫苗|健康教育|公共卫生)", "", "公共卫生"},
    {"X06", "allow", "assist", "(社区矫正|安置帮教)", "", "社区矫正"},
    {"X07", "allow", "assist", "(残疾人|高龄津贴|老年人)", "", "老年人和残疾人服务"},
    {"X08", "allow", "assist", "(人口普查|经济普查|统计调查)", "统计", "统计调查"},
};
#define NDEFAULTS (sizeof DEFAULTS / sizeof DEFAULTS[0])

/* Messages as a rule file would write them. */
static const admission_messages MSG = {
    .unfunded = "协助事项未随附经费（费随事转）",
    .unstaffed = "协助事项未随附人员和权限（权随责走）",
    .no_approval = "协助事项未经准入审批，转人工复核（准入审批）",
    .not_listed = "不在社区工作事项准入清单内，转人工复核",
    .limit = "正则匹配超出资源限制，结果不确定，转人工复核",
    .admitted = "经费、人员、准入审批齐备，准予协助",
};

#define APPROVAL "民准〔2025〕1号"

/* Compiled entries: the admission_entry array and the patterns it points to. */
typedef struct entry_set {
    admission_entry *entries; /* count entries */
    re_pattern **patterns;    /* 2 * count: pattern, department (NULL = any) */
    char **strings;           /* copies of ids and reasons when loaded from a file */
    size_t count;
} entry_set;

/* Compile `n` rows into *set (zeroed first), failing the test on any error.
 * The rows must outlive the set (ids and reasons are borrowed). */
static void set_build(entry_set *set, const entry_src *src, size_t n)
{
    char err[RE_ERROR_SIZE];
    size_t i;

    memset(set, 0, sizeof *set);
    set->entries = calloc(n ? n : 1, sizeof *set->entries);
    set->patterns = calloc(n ? 2 * n : 1, sizeof *set->patterns);
    assert_non_null(set->entries);
    assert_non_null(set->patterns);
    set->count = n;
    for (i = 0; i < n; i++) {
        admission_entry *e = &set->entries[i];

        e->id = src[i].id;
        e->reason = src[i].reason;
        if (admission_list_parse(src[i].list, &e->list) != 0)
            fail_msg("entry %s: bad list \"%s\"", src[i].id, src[i].list);
        if (admission_kind_parse(src[i].kind, &e->kind) != 0)
            fail_msg("entry %s: bad kind \"%s\"", src[i].id, src[i].kind);
        if (re_compile(src[i].pattern, strlen(src[i].pattern), &set->patterns[2 * i], err,
                       sizeof err) != 0)
            fail_msg("entry %s: pattern error: %s", src[i].id, err);
        e->pattern = set->patterns[2 * i];
        if (src[i].department[0] != '\0') {
            if (re_compile(src[i].department, strlen(src[i].department), &set->patterns[2 * i + 1],
                           err, sizeof err) != 0)
                fail_msg("entry %s: department pattern error: %s", src[i].id, err);
            e->department = set->patterns[2 * i + 1];
        }
    }
    assert_int_equal(admission_entries_check(set->entries, set->count, err, sizeof err), 0);
}

/* Free everything set_build() (or the TSV loader) allocated. */
static void set_free(entry_set *set)
{
    size_t i;

    for (i = 0; i < 2 * set->count; i++)
        re_free(set->patterns[i]);
    if (set->strings != NULL) {
        for (i = 0; i < 6 * set->count; i++)
            free(set->strings[i]);
    }
    free(set->strings);
    free(set->patterns);
    free(set->entries);
    memset(set, 0, sizeof *set);
}

/* Index of entry `id` in the set; fails the test when absent. */
static int set_find(const entry_set *set, const char *id)
{
    size_t i;

    for (i = 0; i < set->count; i++)
        if (strcmp(set->entries[i].id, id) == 0)
            return (int)i;
    fail_msg("no entry %s", id);
    return -1;
}

/* A task with explicit fields (NUL-terminated strings; detail/approval may be NULL). */
static admission_task task_of(const char *title, const char *detail, const char *department,
                              const char *approval, int funded, int staffed)
{
    admission_task t;

    memset(&t, 0, sizeof t);
    t.title = title;
    t.title_length = strlen(title);
    t.detail = detail;
    t.detail_length = detail != NULL ? strlen(detail) : 0;
    t.department = department;
    t.department_length = strlen(department);
    t.approval_ref = approval;
    t.funded = funded;
    t.staffed = staffed;
    return t;
}

/* Decide with a fresh default matcher; asserts success. */
static admission_decision decide(const entry_set *set, const admission_task *t)
{
    admission_decision d;
    re_matcher *m = re_matcher_new(NULL);

    assert_non_null(m);
    assert_int_equal(admission_decide(m, set->entries, set->count, &MSG, t, &d), 0);
    re_matcher_free(m);
    return d;
}

/* The id of the deciding entry, or "NULL". */
static const char *rule_id(const entry_set *set, const admission_decision *d)
{
    return d->entry_index < 0 ? "NULL" : set->entries[d->entry_index].id;
}

/* One expected outcome: task fields, then decision and rule id ("NULL" = none). */
typedef struct decision_case {
    const char *name; /* what the case shows */
    const char *title;
    const char *detail;
    const char *department;
    const char *approval;
    int funded, staffed;
    const char *decision; /* "admit" | "reject" | "review" */
    const char *rule;     /* entry id or "NULL" */
} decision_case;

/* Run a table of cases against a set; report every failure, then fail. */
static void run_cases(const entry_set *set, const decision_case *cases, size_t n)
{
    size_t i, failures = 0;

    for (i = 0; i < n; i++) {
        admission_task t = task_of(cases[i].title, cases[i].detail, cases[i].department,
                                   cases[i].approval, cases[i].funded, cases[i].staffed);
        admission_decision d = decide(set, &t);
        const char *got = admission_decision_name(d.decision);

        if (strcmp(got, cases[i].decision) != 0 || strcmp(rule_id(set, &d), cases[i].rule) != 0) {
            print_error("%s: \"%s\": want %s %s, got %s %s (%s)\n", cases[i].name, cases[i].title,
                        cases[i].decision, cases[i].rule, got, rule_id(set, &d), d.reason);
            failures++;
        }
    }
    if (failures > 0)
        fail_msg("%zu of %zu cases failed", failures, n);
}

/* For every default entry: a title (and department) that hits it, and a near miss. */
typedef struct entry_probe {
    const char *id;
    const char *hit;             /* title that must be decided by this entry */
    const char *hit_department;  /* department for both titles */
    const char *miss;            /* similar title this entry must not decide */
    const char *miss_department; /* department for the near miss */
} entry_probe;

static const entry_probe PROBES[] = {
    {"N01", "要求居民下载政务服务客户端", "政务服务中心", "安装社区综合治理服务平台端APP",
     "政务服务中心"},
    {"N02", "组织居民关注街道微信公众号", "宣传部", "关注居民需求走访慰问后登记台账并更新公众号",
     "宣传部"},
    {"N03", "社区服务中心挂牌工作", "编办", "陪同居民挂号就医", "卫健委"},
    {"N04", "下达年度招商引资任务", "商务局", "引资招商洽谈会筹备", "商务局"},
    {"N05", "征订２０２５年度报刊", "宣传部", "征订２０２５年全年报刊", "宣传部"},
    {"N06", "推销意外保险", "保险公司", "推销活动后为居民讲解医疗保险知识", "保险公司"},
    {"N07", "配合开展拆违行动", "城管局", "检查执法记录仪使用情况", "城管局"},
    {"N08", "签订安全生产责任状", "应急管理局", "责任清单公示", "应急管理局"},
    {"N09", "创建考核工作延伸到社区", "文明办", "创建考核工作延伸到街道", "文明办"},
    {"N10", "报送材料多头要求", "统计局", "按月报送统计报表", "统计局"},
    {"N11", "为辖区居民出具亲属关系证明", "公安局", "开具居住证明", "公安局"},
    {"N12", "协助物业公司催缴物业费", "住建局", "物业服务满意度调查", "住建局"},
    {"L01", "召开居民代表会议", "民政局", "召开居民座谈会", "民政局"},
    {"L02", "开展普法宣传进社区", "司法局", "宣传栏清洁", "民政局"},
    {"L03", "矛盾纠纷排查调解", "司法局", "协调停车位划线", "交警大队"},
    {"L04", "居务公开栏更新", "民政局", "公开居务信息", "民政局"},
    {"L05", "开展便民服务活动", "民政局", "志愿者招募", "团委"},
    {"L06", "指导业主委员会换届", "住建局", "业主大会筹备", "住建局"},
    {"X01", "低保对象入户核查", "民政局", "困难群众走访", "民政局"},
    {"X02", "失业登记人员走访", "人社局", "失业保险宣传", "人社局"},
    {"X03", "城乡居民医保参保登记", "医保局", "医疗保障宣传", "医保局"},
    {"X04", "退役军人信息采集", "退役军人事务局", "现役军人家庭走访", "武装部"},
    {"X05", "新冠疫苗接种摸排", "卫健委", "公共区域卫生清扫", "城管局"},
    {"X06", "社区矫正人员走访", "司法局", "矫正视力筛查", "教育局"},
    {"X07", "高龄津贴资格认证", "民政局", "高龄老人生日慰问", "民政局"},
    {"X08", "第七次人口普查入户登记", "市统计局", "第七次人口普查入户登记", "卫健委（疾控中心）"},
};
#define NPROBES (sizeof PROBES / sizeof PROBES[0])

/* Each probe's hit is decided by its entry; its near miss is not. */
static void run_probes(const entry_set *set)
{
    size_t i, failures = 0;

    assert_int_equal(NPROBES, set->count);
    for (i = 0; i < NPROBES; i++) {
        admission_task hit = task_of(PROBES[i].hit, NULL, PROBES[i].hit_department, APPROVAL, 1, 1);
        admission_task miss =
            task_of(PROBES[i].miss, NULL, PROBES[i].miss_department, APPROVAL, 1, 1);
        admission_decision dh = decide(set, &hit);
        admission_decision dm = decide(set, &miss);
        int want = set_find(set, PROBES[i].id);
        admission_decision_kind kind =
            set->entries[want].list == ADMISSION_DENY ? ADMISSION_REJECT : ADMISSION_ADMIT;

        if (dh.entry_index != want || dh.decision != kind) {
            print_error("%s: \"%s\" gave %s %s (%s)\n", PROBES[i].id, PROBES[i].hit,
                        admission_decision_name(dh.decision), rule_id(set, &dh), dh.reason);
            failures++;
        }
        if (dm.entry_index == want) {
            print_error("%s: near miss \"%s\" still matched (%s)\n", PROBES[i].id, PROBES[i].miss,
                        dm.reason);
            failures++;
        }
    }
    if (failures > 0)
        fail_msg("%zu probe failures", failures);
}

/* Policy cases, most taken from the edge cases of the conformance kit (their
 * expected decisions and rule ids are those of expected-default.sql). */
static const decision_case POLICY_CASES[] = {
    {"deny_title", "关于在辖区居民中推广安装政务APP的通知", NULL, "政务服务中心", APPROVAL, 1, 1,
     "reject", "N01"},
    {"n01_app_then_verb", "App下载推广", NULL, "政务服务中心", APPROVAL, 1, 1, "reject", "N01"},
    {"n01_miniprogram_promotion", "政务小程序推广", NULL, "政务服务中心", APPROVAL, 1, 1, "reject",
     "N01"},
    {"case_insensitive", "下载政务app", NULL, "政务服务中心", APPROVAL, 1, 1, "reject", "N01"},
    {"gap_10_chars", "安装社区综合治理服务平台APP", NULL, "政务服务中心", APPROVAL, 1, 1, "reject",
     "N01"},
    {"gap_11_chars", "安装社区综合治理服务平台端APP", NULL, "政务服务中心", APPROVAL, 1, 1,
     "review", "NULL"},
    {"gap_10_chars_mixed", "安装a社区综合治理服务平APP", NULL, "政务服务中心", APPROVAL, 1, 1,
     "reject", "N01"},
    {"newline_in_detail", "工作通知", "请安装\nAPP", "民政局", APPROVAL, 1, 1, "review", "NULL"},
    {"n09_extend_to", "考核评比延伸至社区", NULL, "文明办", APPROVAL, 1, 1, "reject", "N09"},
    {"n09_sink_to", "安全检查下沉到社区", NULL, "应急管理局", APPROVAL, 1, 1, "reject", "N09"},
    {"n10_qualifier_first", "重复填报", NULL, "统计局", APPROVAL, 1, 1, "reject", "N10"},
    {"n10_multi_head", "多头报送", NULL, "应急管理局", APPROVAL, 1, 1, "reject", "N10"},
    {"n10_sudden", "突击打卡", NULL, "组织部", APPROVAL, 1, 1, "reject", "N10"},
    {"n11_kaiju", "为居民开具健在证明", NULL, "人社局", APPROVAL, 1, 1, "reject", "N11"},
    {"n11_kaiju_not_listed", "开具居住证明", NULL, "公安局", APPROVAL, 1, 1, "review", "NULL"},
    {"n12_collect_fees", "代收水电费", NULL, "供电公司", APPROVAL, 1, 1, "reject", "N12"},
    {"n12_reversed_order", "物业费催缴", NULL, "住建局", APPROVAL, 1, 1, "reject", "N12"},
    {"n03_detail_hits_duty", "居务公开栏更新", "公开内容上墙", "民政局", APPROVAL, 1, 1, "reject",
     "N03"},
    {"deny_in_detail_only", "便民服务事项办理", "要求社区工作人员下载某APP并注册账号", "民政局",
     APPROVAL, 1, 1, "reject", "N01"},
    {"deny_detail_beats_later_title", "配合拆违", "安装APP", "民政局", APPROVAL, 1, 1, "reject",
     "N01"},
    {"deny_title_beats_later_detail", "关注街道公众号", "征订年度报刊", "民政局", APPROVAL, 1, 1,
     "reject", "N02"},
    {"allow_in_detail_only", "工作通知", "低保核查", "民政局", APPROVAL, 1, 1, "review", "NULL"},
    {"assist_unfunded", "低保对象入户核查", NULL, "民政局", APPROVAL, 0, 1, "reject", "X01"},
    {"assist_unstaffed", "低保对象入户核查", NULL, "民政局", APPROVAL, 1, 0, "reject", "X01"},
    {"assist_funded_null", "低保对象入户核查", NULL, "民政局", APPROVAL, -1, 1, "reject", "X01"},
    {"assist_staffed_null", "低保对象入户核查", NULL, "民政局", APPROVAL, 1, -1, "reject", "X01"},
    {"assist_both_missing", "失业登记人员走访", NULL, "人社局", APPROVAL, 0, 0, "reject", "X02"},
    {"assist_funded_2", "低保对象入户核查", NULL, "民政局", APPROVAL, 2, 1, "reject", "X01"},
    {"assist_no_approval", "低保对象入户核查", NULL, "民政局", NULL, 1, 1, "review", "X01"},
    {"assist_no_approval_but_unfunded", "低保对象入户核查", NULL, "民政局", NULL, 0, 1, "reject",
     "X01"},
    {"assist_with_approval", "低保对象入户核查", NULL, "民政局", "民社准〔2025〕12号", 1, 1,
     "admit", "X01"},
    {"assist_empty_approval", "低保对象入户核查", NULL, "民政局", "", 1, 1, "admit", "X01"},
    {"duty_unfunded", "邻里纠纷调解", NULL, "民政局", NULL, 0, 0, "admit", "L03"},
    {"nothing_matches", "春节走访慰问困难群众", NULL, "总工会", APPROVAL, 1, 1, "review", "NULL"},
    {"nothing_matches_2", "辖区门牌号核对", NULL, "公安局", APPROVAL, 1, 1, "review", "NULL"},
    {"deny_and_allow", "推销养老保险", NULL, "保险公司", APPROVAL, 1, 1, "reject", "N06"},
    {"deny_and_allow_2", "调解纠纷工作挂牌上墙", NULL, "民政局", APPROVAL, 1, 1, "reject", "N03"},
    {"two_allows_first_wins", "组织老年人接种疫苗", NULL, "卫健委", APPROVAL, 1, 1, "admit", "X05"},
    {"two_duties_first_wins", "物业纠纷调解", NULL, "民政局", APPROVAL, 1, 1, "admit", "L03"},
    {"x08_other_department", "第七次人口普查入户登记", NULL, "卫健委（疾控中心）", APPROVAL, 1, 1,
     "review", "NULL"},
    {"x08_department_word_in_title_only", "统计局布置的统计调查", NULL, "民政局", APPROVAL, 1, 1,
     "review", "NULL"},
    {"x08_statistics_no_approval", "经济普查入户登记", NULL, "区统计局", NULL, 1, 1, "review",
     "X08"},
    {"x08_statistics_unfunded", "统计调查样本户联络", NULL, "统计局", APPROVAL, 0, 1, "reject",
     "X08"},
    {"fullwidth_department", "经济普查入户登记", NULL, "ＮＢＳ统计局", APPROVAL, 1, 1, "admit",
     "X08"},
    {"non_ascii_department", "残疾人证办理协助", NULL, "残联·康复中心📋", APPROVAL, 1, 1, "admit",
     "X07"},
    {"fullwidth_digits", "第７次人口普查入户登记", NULL, "ＮＢＳ统计局", APPROVAL, 1, 1, "admit",
     "X08"},
    {"fullwidth_digits_in_gap", "征订２０２５年度报刊", NULL, "宣传部", APPROVAL, 1, 1, "reject",
     "N05"},
    /* Width is not folded: ASCII "APP" in N01 does not catch full-width ＡＰＰ
     * (see test_re.c); a rule file that cares must write (APP|ＡＰＰ). */
    {"fullwidth_app_not_caught_by_ascii_pattern", "下载政务ＡＰＰ", NULL, "政务服务中心", APPROVAL,
     1, 1, "review", "NULL"},
};
#define NPOLICY (sizeof POLICY_CASES / sizeof POLICY_CASES[0])

/* Time bounds are generous; under valgrind (which translates every piece of
 * JIT code it meets) they are stretched further. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifdef RUNNING_ON_VALGRIND
#define TIME_SCALE (RUNNING_ON_VALGRIND ? 20.0 : 1.0)
#else
#define TIME_SCALE 1.0
#endif

/* Milliseconds since an arbitrary start. */
static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_every_default_entry_has_a_hit_and_a_near_miss(void **state)
{
    entry_set set;

    (void)state;
    set_build(&set, DEFAULTS, NDEFAULTS);
    run_probes(&set);
    set_free(&set);
}

static void test_policy_cases_decide_as_policy_section_4_says(void **state)
{
    entry_set set;

    (void)state;
    set_build(&set, DEFAULTS, NDEFAULTS);
    run_cases(&set, POLICY_CASES, NPOLICY);
    set_free(&set);
}

static void test_deny_beats_allow_even_when_allow_comes_first(void **state)
{
    /* The allow entry is listed before the deny entry: deny still wins. */
    static const entry_src src[] = {
        {"L03", "allow", "duty", "(调解|纠纷)", "", "调解民间纠纷"},
        {"N03", "deny", "-", "(挂牌|上墙)", "", "只挂党组织和居委会两块牌子"},
    };
    entry_set set;
    admission_task t = task_of("调解纠纷工作挂牌上墙", NULL, "民政局", APPROVAL, 1, 1);
    admission_decision d;

    (void)state;
    set_build(&set, src, 2);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REJECT);
    assert_int_equal(d.entry_index, 1);
    assert_string_equal(d.reason, "负面清单 N03：只挂党组织和居委会两块牌子");
    assert_false(d.indeterminate);
    set_free(&set);
}

static void test_deny_matching_only_the_detail_rejects(void **state)
{
    entry_set set;
    admission_task t = task_of("便民服务事项办理", "要求社区工作人员下载某APP并注册账号", "民政局",
                               APPROVAL, 1, 1);
    admission_decision d;

    (void)state;
    set_build(&set, DEFAULTS, NDEFAULTS);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REJECT);
    assert_string_equal(rule_id(&set, &d), "N01");
    assert_string_equal(d.reason, "负面清单 N01：严禁摊派安装政务APP");
    /* Without the detail the same title is a duty (L05). */
    t.detail = NULL;
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_ADMIT);
    assert_string_equal(rule_id(&set, &d), "L05");
    set_free(&set);
}

static void test_allow_phrase_only_in_detail_does_not_admit(void **state)
{
    entry_set set;
    admission_task t = task_of("工作通知", "低保核查（召开居民会议）", "民政局", APPROVAL, 1, 1);
    admission_decision d;

    (void)state;
    set_build(&set, DEFAULTS, NDEFAULTS);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_equal(d.entry_index, -1);
    assert_string_equal(d.reason, MSG.not_listed);
    set_free(&set);
}

static void test_assist_reasons_name_what_failed(void **state)
{
    entry_set set;
    admission_task t = task_of("低保对象入户核查", NULL, "民政局", APPROVAL, 0, 1);
    admission_decision d;

    (void)state;
    set_build(&set, DEFAULTS, NDEFAULTS);

    d = decide(&set, &t); /* without funding */
    assert_int_equal(d.decision, ADMISSION_REJECT);
    assert_string_equal(d.reason,
                        "协助事项 X01（社会救助入户调查）：协助事项未随附经费（费随事转）");

    t.funded = 1;
    t.staffed = 0; /* without staff */
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REJECT);
    assert_string_equal(d.reason,
                        "协助事项 X01（社会救助入户调查）：协助事项未随附人员和权限（权随责走）");

    t.funded = -1; /* funded NULL and no staff: both named */
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REJECT);
    assert_string_equal(d.reason,
                        "协助事项 X01（社会救助入户调查）：协助事项未随附经费（费随事转）；"
                        "协助事项未随附人员和权限（权随责走）");

    t.funded = 1;
    t.staffed = 1;
    t.approval_ref = NULL; /* without approval */
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_string_equal(rule_id(&set, &d), "X01");
    assert_string_equal(
        d.reason, "协助事项 X01（社会救助入户调查）：协助事项未经准入审批，转人工复核（准入审批）");

    t.approval_ref = APPROVAL; /* all three */
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_ADMIT);
    assert_string_equal(d.reason,
                        "协助事项 X01（社会救助入户调查）：经费、人员、准入审批齐备，准予协助");

    t.approval_ref = ""; /* POLICY.md: only NULL is "no approval" */
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_ADMIT);
    set_free(&set);
}

static void test_duty_and_not_listed_reasons(void **state)
{
    entry_set set;
    admission_task t = task_of("邻里纠纷调解", NULL, "民政局", NULL, 0, -1);
    admission_decision d;

    (void)state;
    set_build(&set, DEFAULTS, NDEFAULTS);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_ADMIT);
    assert_string_equal(d.reason, "依法履职 L03：调解民间纠纷");
    t = task_of("春节走访慰问困难群众", NULL, "总工会", APPROVAL, 1, 1);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_equal(d.entry_index, -1);
    assert_string_equal(d.reason, "不在社区工作事项准入清单内，转人工复核");
    set_free(&set);
}

static void test_department_pattern_must_match_the_department(void **state)
{
    static const decision_case cases[] = {
        {"statistics bureau", "第七次人口普查入户登记", NULL, "市统计局", APPROVAL, 1, 1, "admit",
         "X08"},
        {"other department", "第七次人口普查入户登记", NULL, "民政局", APPROVAL, 1, 1, "review",
         "NULL"},
        {"full-width letters before 统计", "经济普查入户登记", NULL, "ＮＢＳ统计局", APPROVAL, 1, 1,
         "admit", "X08"},
        {"统计 only in the title", "统计局布置的统计调查", NULL, "民政局", APPROVAL, 1, 1, "review",
         "NULL"},
    };
    /* A deny entry with a department: only that department's tasks are hit. */
    static const entry_src src[] = {
        {"N90", "deny", "-", "入户登记", "公安", "公安入户登记另有安排"},
        {"X08", "allow", "assist", "(人口普查|经济普查|统计调查)", "统计", "统计调查"},
    };
    entry_set set;
    admission_task t = task_of("流动人口入户登记", NULL, "区公安分局", APPROVAL, 1, 1);
    admission_decision d;

    (void)state;
    set_build(&set, DEFAULTS, NDEFAULTS);
    run_cases(&set, cases, sizeof cases / sizeof cases[0]);
    set_free(&set);

    set_build(&set, src, 2);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REJECT);
    assert_int_equal(d.entry_index, 0);
    t = task_of("人口普查入户登记", NULL, "统计局", APPROVAL, 1, 1);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_ADMIT);
    assert_int_equal(d.entry_index, 1);
    set_free(&set);
}

static void test_empty_entry_list_sends_every_task_to_review(void **state)
{
    re_matcher *m = re_matcher_new(NULL);
    admission_task t = task_of("召开居民会议", NULL, "民政局", APPROVAL, 1, 1);
    admission_decision d;

    (void)state;
    assert_non_null(m);
    assert_int_equal(admission_decide(m, NULL, 0, &MSG, &t, &d), 0);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_equal(d.entry_index, -1);
    assert_string_equal(d.reason, MSG.not_listed);
    re_matcher_free(m);
}

/* Entries whose first pattern is catastrophic; the later allow entry would admit. */
static void catastrophic_case(const entry_src *src, size_t n, const admission_task *t, bool jit,
                              const char *where)
{
    re_limits limits = {.match_limit = 10000};
    re_matcher *m = re_matcher_new(&limits);
    entry_set set;
    admission_decision d;
    double t0, ms;

    assert_non_null(m);
    re_matcher_use_jit(m, jit);
    set_build(&set, src, n);
    t0 = now_ms();
    assert_int_equal(admission_decide(m, set.entries, set.count, &MSG, t, &d), 0);
    ms = now_ms() - t0;
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_equal(d.entry_index, 0);
    assert_true(d.indeterminate);
    assert_non_null(strstr(d.reason, set.entries[0].id));
    assert_non_null(strstr(d.reason, MSG.limit));
    assert_non_null(strstr(d.reason, where));
    assert_non_null(strstr(d.reason, "match limit exceeded"));
    assert_true(ms < 1000.0 * TIME_SCALE);
    set_free(&set);
    re_matcher_free(m);
}

static void test_catastrophic_entry_goes_to_review_naming_it_never_admit(void **state)
{
    static const entry_src deny_first[] = {
        {"N99", "deny", "-", "(a+)+$", "", "灾难性回溯"},
        {"L99", "allow", "duty", "a", "", "任何含a的事项"},
    };
    static const entry_src allow_first[] = {
        {"X99", "allow", "assist", "(a+)+$", "", "灾难性回溯"},
        {"L99", "allow", "duty", "a", "", "任何含a的事项"},
    };
    static const entry_src department[] = {
        {"X98", "allow", "assist", "a", "(a+)+$", "灾难性回溯"},
        {"L99", "allow", "duty", "a", "", "任何含a的事项"},
    };
    const char *evil = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    admission_task title = task_of(evil, NULL, "民政局", APPROVAL, 1, 1);
    admission_task detail = task_of("a 工作通知", evil, "民政局", APPROVAL, 1, 1);
    admission_task dept = task_of("a", NULL, evil, APPROVAL, 1, 1);
    int jit;

    (void)state;
    for (jit = 0; jit <= 1; jit++) {
        catastrophic_case(deny_first, 2, &title, jit, "标题");
        catastrophic_case(deny_first, 2, &detail, jit, "详情");
        catastrophic_case(allow_first, 2, &title, jit, "标题");
        catastrophic_case(department, 2, &dept, jit, "部门");
    }
}

static void test_invalid_utf8_subject_goes_to_review(void **state)
{
    entry_set set;
    admission_task t = task_of("召开居民会议\xff", NULL, "民政局", APPROVAL, 1, 1);
    admission_decision d;

    (void)state;
    set_build(&set, DEFAULTS, NDEFAULTS);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_equal(d.entry_index, 0); /* the first pattern tried reports the error */
    assert_true(d.indeterminate);
    assert_non_null(strstr(d.reason, "UTF-8"));
    set_free(&set);
}

static void test_long_reason_is_cut_at_a_character_boundary(void **state)
{
    char reason[1200];
    entry_src src[1] = {{"N1", "deny", "-", "推销", "", reason}};
    entry_set set;
    admission_task t = task_of("推销保险", NULL, "民政局", APPROVAL, 1, 1);
    admission_decision d;
    size_t i;

    (void)state;
    reason[0] = '\0';
    for (i = 0; i < 390; i++) /* 390 x 3 bytes */
        strcat(reason, "禁");
    set_build(&set, src, 1);
    d = decide(&set, &t);
    assert_int_equal(d.decision, ADMISSION_REJECT);
    /* "负面清单 N1：" is 18 bytes; 164 more characters make 510 bytes, and the
     * 165th would need 513: it is dropped whole, not split. */
    assert_int_equal(strlen(d.reason), 510);
    assert_true(text_utf8_valid(d.reason, strlen(d.reason), NULL));
    assert_memory_equal(d.reason, "负面清单 N1：禁禁", strlen("负面清单 N1：禁禁"));
    set_free(&set);
}

static void test_bad_arguments_return_error_and_never_admit(void **state)
{
    static const entry_src src[] = {
        {"L01", "allow", "duty", "(居民会议|居民代表会议)", "", "召集居民会议"},
        {"L77", "allow", "-", "会议", "", "没有种类的准入条目"},
    };
    re_matcher *m = re_matcher_new(NULL);
    admission_task t = task_of("召开居民会议", NULL, "民政局", APPROVAL, 1, 1);
    admission_decision d;
    entry_set set;
    char err[200];

    (void)state;
    assert_non_null(m);
    set_build(&set, src, 1);
    assert_int_not_equal(admission_decide(NULL, set.entries, 1, &MSG, &t, &d), 0);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_not_equal(admission_decide(m, set.entries, 1, NULL, &t, &d), 0);
    assert_int_not_equal(admission_decide(m, set.entries, 1, &MSG, NULL, &d), 0);
    assert_int_not_equal(admission_decide(m, NULL, 1, &MSG, &t, &d), 0);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_not_equal(admission_decide(m, set.entries, 1, &MSG, &t, NULL), 0);
    assert_int_equal(admission_decide(m, set.entries, 1, &MSG, &t, &d), 0);
    assert_int_equal(d.decision, ADMISSION_ADMIT);

    /* An allow entry with kind "-" is refused, with its position and id. */
    set.entries = realloc(set.entries, 2 * sizeof *set.entries);
    assert_non_null(set.entries);
    set.entries[1] = set.entries[0];
    set.entries[1].id = src[1].id;
    set.entries[1].kind = ADMISSION_ANY;
    assert_int_not_equal(admission_decide(m, set.entries, 2, &MSG, &t, &d), 0);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_equal(d.entry_index, 1);
    assert_non_null(strstr(d.reason, "entry 2 (L77)"));
    assert_int_not_equal(admission_entries_check(set.entries, 2, err, sizeof err), 0);
    assert_string_equal(err, "admission: entry 2 (L77) is an allow entry and needs kind duty or "
                             "assist");
    set.entries[1].kind = ADMISSION_DUTY;
    set.entries[1].pattern = NULL;
    assert_int_not_equal(admission_entries_check(set.entries, 2, err, sizeof err), 0);
    assert_non_null(strstr(err, "no compiled pattern"));
    set.entries[1].pattern = set.entries[0].pattern;
    assert_int_equal(admission_entries_check(set.entries, 2, err, sizeof err), 0);
    assert_string_equal(err, "");
    set_free(&set);
    re_matcher_free(m);
}

static void test_names_and_tsv_spellings(void **state)
{
    admission_list_kind list;
    admission_entry_kind kind;

    (void)state;
    assert_string_equal(admission_decision_name(ADMISSION_ADMIT), "admit");
    assert_string_equal(admission_decision_name(ADMISSION_REJECT), "reject");
    assert_string_equal(admission_decision_name(ADMISSION_REVIEW), "review");
    assert_int_equal(admission_list_parse("deny", &list), 0);
    assert_int_equal(list, ADMISSION_DENY);
    assert_string_equal(admission_list_name(list), "deny");
    assert_int_equal(admission_list_parse("allow", &list), 0);
    assert_string_equal(admission_list_name(list), "allow");
    assert_int_not_equal(admission_list_parse("Deny", &list), 0);
    assert_int_not_equal(admission_list_parse(NULL, &list), 0);
    assert_int_equal(admission_kind_parse("-", &kind), 0);
    assert_string_equal(admission_kind_name(kind), "-");
    assert_int_equal(admission_kind_parse("duty", &kind), 0);
    assert_string_equal(admission_kind_name(kind), "duty");
    assert_int_equal(admission_kind_parse("assist", &kind), 0);
    assert_string_equal(admission_kind_name(kind), "assist");
    assert_int_not_equal(admission_kind_parse("", &kind), 0);
}

/* Split one TSV line in place into exactly 6 fields; returns false otherwise. */
static bool split6(char *line, char *fields[6])
{
    size_t n = 0;
    char *p = line;

    fields[n++] = p;
    for (; *p != '\0'; p++) {
        if (*p == '\t') {
            if (n == 6)
                return false;
            *p = '\0';
            fields[n++] = p + 1;
        }
    }
    return n == 6;
}

/* Load admission.tsv into *set; returns false (set empty) when the file is absent. */
static bool load_tsv(entry_set *set, entry_src **rows_out)
{
    const char *path = getenv("KAOHE_ADMISSION_TSV");
    FILE *f;
    char line[4096];
    entry_src *rows = NULL;
    char **strings = NULL;
    size_t n = 0, lineno = 0, cap = 0;

    if (path == NULL)
        path = "../shared/spec/admission.tsv";
    f = fopen(path, "r");
    if (f == NULL)
        return false;
    while (fgets(line, sizeof line, f) != NULL) {
        char *fields[6];
        size_t len = strlen(line), k;

        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (lineno == 1 || len == 0)
            continue; /* header */
        if (!split6(line, fields))
            fail_msg("%s:%zu: not 6 tab-separated fields", path, lineno);
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            rows = realloc(rows, cap * sizeof *rows);
            strings = realloc(strings, 6 * cap * sizeof *strings);
            assert_non_null(rows);
            assert_non_null(strings);
        }
        for (k = 0; k < 6; k++) {
            strings[6 * n + k] = strdup(fields[k]);
            assert_non_null(strings[6 * n + k]);
        }
        rows[n].id = strings[6 * n];
        rows[n].list = strings[6 * n + 1];
        rows[n].kind = strings[6 * n + 2];
        rows[n].pattern = strings[6 * n + 3];
        rows[n].department = strings[6 * n + 4];
        rows[n].reason = strings[6 * n + 5];
        if (!text_utf8_valid(rows[n].pattern, strlen(rows[n].pattern), NULL))
            fail_msg("%s:%zu: pattern is not UTF-8", path, lineno);
        n++;
    }
    fclose(f);
    set_build(set, rows, n);
    set->strings = strings;
    *rows_out = rows;
    return true;
}

static void test_default_entries_from_admission_tsv(void **state)
{
    entry_set set;
    entry_src *rows = NULL;
    size_t i;

    (void)state;
    if (!load_tsv(&set, &rows)) {
        print_message("../shared/spec/admission.tsv not found (run from the repository root or "
                      "set KAOHE_ADMISSION_TSV); skipped\n");
        skip();
    }
    assert_int_equal(set.count, NDEFAULTS);
    for (i = 0; i < set.count; i++) /* same ids in the same order as the inline copy */
        assert_string_equal(set.entries[i].id, DEFAULTS[i].id);
    run_probes(&set);
    run_cases(&set, POLICY_CASES, NPOLICY);
    set_free(&set);
    free(rows);
}

static void test_ten_thousand_entries_load_and_decide_in_bounded_time(void **state)
{
    enum { N = 10000, TASKS = 50 };
    entry_src *src = calloc(N, sizeof *src);
    char(*ids)[16] = calloc(N, sizeof *ids);
    char(*pats)[96] = calloc(N, sizeof *pats);
    re_matcher *m = re_matcher_new(NULL);
    char title[128];
    entry_set set;
    admission_task t;
    admission_decision d;
    double t0, t1, t2;
    size_t i;

    (void)state;
    assert_non_null(src);
    assert_non_null(ids);
    assert_non_null(pats);
    assert_non_null(m);
    for (i = 0; i < N; i++) { /* even: deny, odd: assist */
        snprintf(ids[i], sizeof ids[i], "%c%05zu", i % 2 ? 'X' : 'N', i);
        snprintf(pats[i], sizeof pats[i], "(第%zu号事项|任务%zu(甲|乙).{0,4}社区)", i, i);
        src[i].id = ids[i];
        src[i].list = i % 2 ? "allow" : "deny";
        src[i].kind = i % 2 ? "assist" : "-";
        src[i].pattern = pats[i];
        src[i].department = "";
        src[i].reason = i % 2 ? "协助条目" : "负面条目";
    }
    t0 = now_ms();
    set_build(&set, src, N);
    t1 = now_ms();
    for (i = 0; i < TASKS; i++) {
        size_t want = N - 1 - i; /* late entries: every earlier pattern is tried */

        snprintf(title, sizeof title, "关于第%zu号事项的通知", want);
        t = task_of(title, "无", "民政局", APPROVAL, 1, 1);
        assert_int_equal(admission_decide(m, set.entries, set.count, &MSG, &t, &d), 0);
        assert_int_equal(d.entry_index, (int)want);
        assert_int_equal(d.decision, want % 2 ? ADMISSION_ADMIT : ADMISSION_REJECT);
    }
    t = task_of("春节走访慰问", NULL, "民政局", APPROVAL, 1, 1);
    assert_int_equal(admission_decide(m, set.entries, set.count, &MSG, &t, &d), 0);
    assert_int_equal(d.decision, ADMISSION_REVIEW);
    assert_int_equal(d.entry_index, -1);
    t2 = now_ms();
    print_message("10000 entries: compiled in %.1f ms, %d decisions in %.1f ms (%.2f ms each)\n",
                  t1 - t0, TASKS + 1, t2 - t1, (t2 - t1) / (TASKS + 1));
    assert_true(t2 - t0 < 10000.0 * TIME_SCALE);
    set_free(&set);
    re_matcher_free(m);
    free(pats);
    free(ids);
    free(src);
}

/* --- deciding identical inputs once, and the run budget ------------------ */

/* Field values that tasks of the memo tests combine. */
static const char *const MEMO_TITLES[] = {"请协助安装某某APP", "低保户入户调查", "召开居民会议",
                                          "人口普查入户登记", ""};
static const char *const MEMO_DETAILS[] = {NULL, "", "请安装APP", "请各社区认真落实"};
static const char *const MEMO_DEPARTMENTS[] = {"民政局", "统计局", ""};
static const char *const MEMO_APPROVALS[] = {NULL, "", APPROVAL, "另一个文号"};
static const int MEMO_FLAGS[] = {-1, 0, 1, 2};
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Task number k of the grid of all the values above. */
static admission_task memo_task(size_t k)
{
    const char *title = MEMO_TITLES[k % COUNT_OF(MEMO_TITLES)];
    const char *detail = MEMO_DETAILS[(k /= COUNT_OF(MEMO_TITLES)) % COUNT_OF(MEMO_DETAILS)];
    const char *dept = MEMO_DEPARTMENTS[(k /= COUNT_OF(MEMO_DETAILS)) % COUNT_OF(MEMO_DEPARTMENTS)];
    const char *approval =
        MEMO_APPROVALS[(k /= COUNT_OF(MEMO_DEPARTMENTS)) % COUNT_OF(MEMO_APPROVALS)];
    int funded = MEMO_FLAGS[(k /= COUNT_OF(MEMO_APPROVALS)) % COUNT_OF(MEMO_FLAGS)];
    int staffed = MEMO_FLAGS[(k / COUNT_OF(MEMO_FLAGS)) % COUNT_OF(MEMO_FLAGS)];

    return task_of(title, detail, dept, approval, funded, staffed);
}

#define MEMO_GRID                                                                                  \
    (COUNT_OF(MEMO_TITLES) * COUNT_OF(MEMO_DETAILS) * COUNT_OF(MEMO_DEPARTMENTS) *                 \
     COUNT_OF(MEMO_APPROVALS) * COUNT_OF(MEMO_FLAGS) * COUNT_OF(MEMO_FLAGS))

/* Every task of the grid against the default list: two tasks share a memo
 * entry exactly when their inputs are equal as the decision reads them
 * (funded and staffed only as "is 1", approval only as "is NULL", detail NULL
 * apart from ""), and tasks that share one get byte-identical decisions. */
static void test_memo_shares_exactly_the_inputs_that_decide_alike(void **state)
{
    entry_set set;
    admission_memo *memo = admission_memo_new();
    admission_decision *decided = calloc(MEMO_GRID, sizeof *decided);
    size_t k, first, shared = 0;

    (void)state;
    assert_non_null(memo);
    assert_non_null(decided);
    set_build(&set, DEFAULTS, NDEFAULTS);
    for (k = 0; k < MEMO_GRID; k++) {
        admission_task t = memo_task(k);

        decided[k] = decide(&set, &t);
        if (admission_memo_find(memo, &t, &first)) {
            admission_task f = memo_task(first);

            shared++;
            assert_true(first < k);
            assert_int_equal(decided[k].decision, decided[first].decision);
            assert_int_equal(decided[k].entry_index, decided[first].entry_index);
            assert_string_equal(decided[k].reason, decided[first].reason);
            /* equal as the decision reads them */
            assert_string_equal(t.title, f.title);
            assert_string_equal(t.department, f.department);
            assert_true((t.detail == NULL) == (f.detail == NULL));
            if (t.detail != NULL)
                assert_string_equal(t.detail, f.detail);
            assert_int_equal(t.funded == 1, f.funded == 1);
            assert_int_equal(t.staffed == 1, f.staffed == 1);
            assert_int_equal(t.approval_ref == NULL, f.approval_ref == NULL);
        } else {
            assert_int_equal(admission_memo_add(memo, &t, k), 0);
            assert_true(admission_memo_find(memo, &t, &first));
            assert_int_equal(first, k);
        }
    }
    /* 5 titles x 4 details x 3 departments x 2 approval x 2 x 2 distinct inputs */
    assert_int_equal(admission_memo_count(memo), 5 * 4 * 3 * 2 * 2 * 2);
    assert_int_equal(shared, MEMO_GRID - admission_memo_count(memo));
    free(decided);
    set_free(&set);
    admission_memo_free(memo);
}

/* The memo stays within its bounds: inputs longer than ADMISSION_MEMO_KEY_MAX
 * are not remembered, and once ADMISSION_MEMO_BYTES are used nothing more is;
 * what is remembered is still found. */
static void test_memo_is_bounded_in_key_size_and_memory(void **state)
{
    admission_memo *memo = admission_memo_new();
    char *long_title = malloc(ADMISSION_MEMO_KEY_MAX + 1);
    char title[64];
    admission_task t;
    size_t i, value, count = 0;

    (void)state;
    assert_non_null(memo);
    assert_non_null(long_title);
    memset(long_title, 'x', ADMISSION_MEMO_KEY_MAX);
    long_title[ADMISSION_MEMO_KEY_MAX] = '\0';
    t = task_of(long_title, NULL, "民政局", NULL, 1, 1);
    assert_int_equal(admission_memo_add(memo, &t, 7), 0);
    assert_false(admission_memo_find(memo, &t, &value));
    assert_int_equal(admission_memo_count(memo), 0);
    /* 1 KB titles: about 32,000 fit in 32 MiB; offer 40,000. */
    for (i = 0; i < 40000; i++) {
        snprintf(title, sizeof title, "%zu", i);
        memcpy(long_title, title, strlen(title));
        long_title[1000] = '\0';
        t = task_of(long_title, NULL, "民政局", NULL, 1, 1);
        assert_int_equal(admission_memo_add(memo, &t, i), 0);
        if (admission_memo_find(memo, &t, &value)) {
            assert_int_equal(value, i);
            count++;
        }
    }
    print_message("%zu of 40000 1 KB inputs remembered\n", admission_memo_count(memo));
    assert_int_equal(admission_memo_count(memo), count);
    assert_true(count > 20000 && count < 40000);
    free(long_title);
    admission_memo_free(memo);
    assert_false(admission_memo_find(NULL, &t, &value));
    assert_int_equal(admission_memo_add(NULL, &t, 1), 0);
    admission_memo_free(NULL);
}

/* The brief's attack in miniature: with the memo, 19,462 identical tasks
 * cost one counted match, and all go to review naming the entry. */
static void test_identical_tasks_cost_one_match_with_the_memo(void **state)
{
    static const entry_src src[] = {
        {"N98", "deny", "-", "^(\\w+\\s?)*$", "", "回溯"},
        {"L99", "allow", "duty", "a", "", "任何含a的事项"},
    };
    const char *evil = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    re_limits limits = {.match_limit = 100000};
    re_matcher *m = re_matcher_new(&limits);
    admission_memo *memo = admission_memo_new();
    uint64_t steps[2] = {0, 0}, one;
    size_t tasks[2] = {0, 0};
    admission_spend spent = {steps, tasks};
    admission_decision d, first;
    entry_set set;
    size_t k, value, decided = 0;

    (void)state;
    assert_non_null(m);
    assert_non_null(memo);
    set_build(&set, src, 2);
    re_matcher_meter(m, 10 * 1000 * 1000);
    for (k = 0; k < 19462; k++) {
        admission_task t = task_of(evil, NULL, "民政局", NULL, 1, 1);

        if (admission_memo_find(memo, &t, &value)) {
            assert_int_equal(value, 0);
            d = first;
        } else {
            assert_int_equal(
                admission_decide_metered(m, set.entries, set.count, &MSG, &t, &spent, &d), 0);
            assert_int_equal(admission_memo_add(memo, &t, k), 0);
            first = d;
            decided++;
        }
        assert_int_equal(d.decision, ADMISSION_REVIEW);
        assert_int_equal(d.entry_index, 0);
        assert_true(d.indeterminate);
    }
    one = re_matcher_steps(m);
    print_message("19462 identical tasks: %zu decided, %llu steps\n", decided,
                  (unsigned long long)one);
    assert_int_equal(decided, 1);
    assert_true(one > RE_FREE_STEPS);
    assert_int_equal(steps[0], one); /* all of it charged to N98, on one task */
    assert_int_equal(tasks[0], 1);
    assert_int_equal(steps[1], 0);
    assert_int_equal(tasks[1], 0);
    set_free(&set);
    admission_memo_free(memo);
    re_matcher_free(m);
}

/* Different expensive titles spend the budget; the task where it runs out is
 * not decided (ADMISSION_BUDGET) and names the entry; the steps are charged
 * to the entry that took them, and the same run gives the same counts. */
static void test_spent_budget_stops_deciding_and_names_the_entry(void **state)
{
    static const entry_src src[] = {
        {"N01", "deny", "-", "安装.{0,10}APP", "", "严禁摊派安装政务APP"},
        {"N98", "deny", "-", "^(\\w+\\s?)*$", "", "回溯"},
        {"L99", "allow", "duty", "a", "", "任何含a的事项"},
    };
    re_limits limits = {.match_limit = 100000};
    entry_set set;
    uint64_t totals[2];
    int run;

    (void)state;
    set_build(&set, src, 3);
    for (run = 0; run < 2; run++) {
        re_matcher *m = re_matcher_new(&limits);
        uint64_t steps[3] = {0, 0, 0};
        size_t tasks[3] = {0, 0, 0};
        admission_spend spent = {steps, tasks};
        admission_decision d;
        char title[80];
        int k, rc = 0;

        assert_non_null(m);
        re_matcher_meter(m, 1000 * 1000);
        for (k = 0; k < 1000 && rc == 0; k++) {
            admission_task t;

            snprintf(title, sizeof title, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%d!", k);
            t = task_of(title, NULL, "民政局", NULL, 1, 1);
            rc = admission_decide_metered(m, set.entries, set.count, &MSG, &t, &spent, &d);
            if (rc == 0) {
                assert_int_equal(d.decision, ADMISSION_REVIEW);
                assert_int_equal(d.entry_index, 1);
            }
        }
        print_message("budget spent at task %d: %s\n", k - 1, d.reason);
        assert_int_equal(rc, ADMISSION_BUDGET);
        assert_true(k > 1 && k < 1000);
        assert_int_equal(d.entry_index, 1);
        assert_non_null(strstr(d.reason, "N98"));
        assert_non_null(strstr(d.reason, "title"));
        assert_int_equal(steps[0], 0);
        assert_int_equal(steps[1], 1000 * 1000);
        assert_int_equal(tasks[1], (size_t)k); /* each task, the last one included */
        assert_int_equal(re_matcher_steps(m), 1000 * 1000);
        totals[run] = (uint64_t)k;
        /* Cheap tasks are still decided after the budget is spent. */
        {
            admission_task t = task_of("请协助安装某某APP", NULL, "民政局", NULL, 1, 1);

            assert_int_equal(
                admission_decide_metered(m, set.entries, set.count, &MSG, &t, &spent, &d), 0);
            assert_int_equal(d.decision, ADMISSION_REJECT);
        }
        re_matcher_free(m);
    }
    assert_int_equal(totals[0], totals[1]);
    set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_default_entry_has_a_hit_and_a_near_miss),
        cmocka_unit_test(test_policy_cases_decide_as_policy_section_4_says),
        cmocka_unit_test(test_deny_beats_allow_even_when_allow_comes_first),
        cmocka_unit_test(test_deny_matching_only_the_detail_rejects),
        cmocka_unit_test(test_allow_phrase_only_in_detail_does_not_admit),
        cmocka_unit_test(test_assist_reasons_name_what_failed),
        cmocka_unit_test(test_duty_and_not_listed_reasons),
        cmocka_unit_test(test_department_pattern_must_match_the_department),
        cmocka_unit_test(test_empty_entry_list_sends_every_task_to_review),
        cmocka_unit_test(test_catastrophic_entry_goes_to_review_naming_it_never_admit),
        cmocka_unit_test(test_invalid_utf8_subject_goes_to_review),
        cmocka_unit_test(test_long_reason_is_cut_at_a_character_boundary),
        cmocka_unit_test(test_bad_arguments_return_error_and_never_admit),
        cmocka_unit_test(test_names_and_tsv_spellings),
        cmocka_unit_test(test_default_entries_from_admission_tsv),
        cmocka_unit_test(test_ten_thousand_entries_load_and_decide_in_bounded_time),
        cmocka_unit_test(test_memo_shares_exactly_the_inputs_that_decide_alike),
        cmocka_unit_test(test_memo_is_bounded_in_key_size_and_memory),
        cmocka_unit_test(test_identical_tasks_cost_one_match_with_the_memo),
        cmocka_unit_test(test_spent_budget_stops_deciding_and_names_the_entry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
