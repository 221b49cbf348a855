/*
 * test_appraisal.c -- appraisal_score and appraisal_rescore (POLICY.md §3):
 * within each street (district/street), active workers with a score are
 * ordered by (score ascending, worker id), scores within ε being equal,
 * and ranked from 1 (the lowest); the first k = ceil(ratio × n − ε) are
 * flagged bottom_ratio, or below_floor when under a floor (score < 60 or
 * score_residents < 60, i.e. x < t − ε); every other worker under a floor
 * is below_floor; a worker with a component missing is no_score, without a
 * rank, and not counted in n.
 *
 * The appraisal rule (the shipped one's shape: three components, the two
 * floors on one parameter, street groups), the parameters, the snapshot and
 * the loaded rows are made in C.
 */
#include "unit.h"

#include <stdio.h>

#include "eval.h"

#define WORKERS_MAX 256
#define EPSILON     1e-9

/* Two streets named 一街 (one per district) and 西区/二街. */
static const unit_community COMMUNITY_ROWS[] = {
    {"c1", "东区", "一街"}, {"c2", "东区", "一街"}, {"c3", "西区", "一街"}, {"c4", "西区", "二街"}};
enum { C1, C2, C3, C4, COMMUNITIES };

static char *COMPONENTS[] = {"score_civil", "score_community", "score_residents"};

typedef struct fixture {
    appraisal_floor floors[2];
    rules r;
    params ps;
    snapshot *s;
    appraisal_data d;
    char ids[WORKERS_MAX][16];
    const char *worker_ids[WORKERS_MAX];
    const char *community_ids[WORKERS_MAX];
    size_t community[WORKERS_MAX];
    double score[WORKERS_MAX];
    double components[WORKERS_MAX * 3];
    outcome o;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    unit_param_number(&f->ps, "compare.epsilon", EPSILON);
    unit_param_number(&f->ps, "elimination.bottom_ratio", 0.02);
    unit_param_number(&f->ps, "elimination.floor", 60);
    f->floors[0] = (appraisal_floor){0, params_find(&f->ps, "elimination.floor"), "score"};
    f->floors[1] =
        (appraisal_floor){3, params_find(&f->ps, "elimination.floor"), "score_residents"};
    f->r.appraisal =
        (appraisal_rule){.present = true,
                         .name = "考核",
                         .group = SCOPE_STREET,
                         .components = COMPONENTS,
                         .component_count = 3,
                         .floors = f->floors,
                         .floor_count = 2,
                         .bottom_ratio_param = params_find(&f->ps, "elimination.bottom_ratio")};
    f->s = unit_snapshot_new(2024, "本市", COMMUNITY_ROWS, COMMUNITIES);
    f->d.worker_ids = f->worker_ids;
    f->d.community_ids = f->community_ids;
    f->d.community = f->community;
    f->d.score = f->score;
    f->d.components = f->components;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    outcome_free(&f->o);
    params_free(&f->ps);
    snapshot_close(f->s);
    free(f);
    return 0;
}

/* Adds worker `id` (ids in strcmp order) of community `c` with score
 * `score` and score_residents `residents` (the other components 70);
 * returns its index. */
static size_t add(fixture *f, const char *id, size_t c, double score, double residents)
{
    size_t i = f->d.count++;
    assert_true(i < WORKERS_MAX);
    snprintf(f->ids[i], sizeof f->ids[i], "%s", id);
    if (i > 0)
        assert_true(strcmp(f->ids[i - 1], f->ids[i]) < 0);
    f->worker_ids[i] = f->ids[i];
    f->community_ids[i] = f->s->communities[c].id;
    f->community[i] = c;
    f->score[i] = score;
    f->components[i * 3 + 0] = 70;
    f->components[i * 3 + 1] = 70;
    f->components[i * 3 + 2] = residents;
    return i;
}

/* Adds `n` workers of community `c`, ids prefix000.., scores 61, 62, ...
 * (all above the floor, the lowest first). */
static void add_many(fixture *f, const char *prefix, size_t c, size_t n)
{
    size_t k;
    char id[16];
    for (k = 0; k < n; k++) {
        snprintf(id, sizeof id, "%s%03zu", prefix, k);
        add(f, id, c, 61 + (double)k, 80);
    }
}

static void score(fixture *f)
{
    error e;
    error_clear(&e);
    outcome_free(&f->o);
    if (appraisal_score(&f->r, f->s, &f->d, &f->ps, eval_epsilon(&f->ps), NULL, &f->o, &e) !=
        ERROR_OK)
        fail_msg("appraisal_score: %s", e.message);
    assert_int_equal(f->o.appraisal_count, f->d.count);
}

static const worker_appraisal *worker(const fixture *f, size_t i)
{
    return &f->o.appraisals[i];
}

/* The flag of worker `i` as text ("-" for none). */
static const char *flag(const fixture *f, size_t i)
{
    return worker(f, i)->flag != NULL ? worker(f, i)->flag : "-";
}

/* How many workers bear `name` ("-": none). */
static size_t flagged(const fixture *f, const char *name)
{
    size_t i, n = 0;
    for (i = 0; i < f->d.count; i++)
        n += strcmp(flag(f, i), name) == 0;
    return n;
}

static void test_workers_are_ranked_within_their_street_lowest_score_first(void **state)
{
    fixture *f = *state;
    size_t a = add(f, "a", C1, 90, 90);
    size_t b = add(f, "b", C2, 70, 90); /* the same street as a */
    size_t c = add(f, "c", C3, 65, 90); /* 西区/一街: another street */
    size_t d = add(f, "d", C1, 80, 90);
    size_t e = add(f, "e", C4, 99, 90);
    unit_param_force(&f->ps, "elimination.bottom_ratio", 0);
    score(f);
    assert_int_equal(worker(f, b)->rank, 1);
    assert_int_equal(worker(f, d)->rank, 2);
    assert_int_equal(worker(f, a)->rank, 3);
    assert_int_equal(worker(f, c)->rank, 1);
    assert_int_equal(worker(f, e)->rank, 1);
    assert_near(worker(f, d)->score, 80, 0);
    assert_string_equal(worker(f, d)->worker_id, "d");
    assert_string_equal(worker(f, d)->community_id, "c1");
    assert_int_equal(flagged(f, "-"), 5);
}

static void test_equal_scores_rank_by_worker_id(void **state)
{
    fixture *f = *state;
    size_t a = add(f, "a", C2, 75, 90);
    size_t b = add(f, "b", C1, 75, 90);
    size_t c = add(f, "c", C1, 70, 90);
    score(f);
    assert_int_equal(worker(f, c)->rank, 1);
    assert_int_equal(worker(f, a)->rank, 2);
    assert_int_equal(worker(f, b)->rank, 3);
}

static void test_scores_within_epsilon_are_equal_and_rank_by_worker_id(void **state)
{
    fixture *f = *state;
    size_t a = add(f, "a", C1, 60 + 1e-12, 90); /* 0.3·a + 0.3·b + 0.4·c = 60 on paper */
    size_t b = add(f, "b", C1, 60, 90);
    size_t c = add(f, "c", C1, 60 - 1e-6, 90); /* lower by more than ε */
    unit_param_force(&f->ps, "elimination.floor", 50);
    score(f);
    assert_int_equal(worker(f, c)->rank, 1);
    assert_int_equal(worker(f, a)->rank, 2); /* not after b: equal, and a < b */
    assert_int_equal(worker(f, b)->rank, 3);
}

static void test_the_bottom_ratio_flags_the_lowest_ceil_of_ratio_times_n(void **state)
{
    fixture *f = *state;
    add_many(f, "a", C1, 50);  /* 东区/一街: 0.02 × 50 = 1 */
    add_many(f, "b", C3, 51);  /* 西区/一街: 0.02 × 51 = 1.02 → 2 */
    add_many(f, "c", C4, 100); /* 西区/二街: 0.02 × 100 = 2 */
    score(f);
    assert_string_equal(flag(f, 0), "bottom_ratio");
    assert_string_equal(flag(f, 1), "-");
    assert_string_equal(flag(f, 50), "bottom_ratio");
    assert_string_equal(flag(f, 51), "bottom_ratio");
    assert_string_equal(flag(f, 52), "-");
    assert_string_equal(flag(f, 101), "bottom_ratio");
    assert_string_equal(flag(f, 102), "bottom_ratio");
    assert_string_equal(flag(f, 103), "-");
    assert_int_equal(flagged(f, "bottom_ratio"), 1 + 2 + 2);
    assert_int_equal(f->o.flagged[1], 5);
    assert_int_equal(f->o.flagged[0] + f->o.flagged[2], 0);
}

static void test_seven_percent_of_a_hundred_flags_seven_not_eight(void **state)
{
    fixture *f = *state;
    add_many(f, "a", C1, 100);
    unit_param_force(&f->ps, "elimination.bottom_ratio", 0.07); /* 0.07 × 100 = 7.000000000000001 */
    score(f);
    assert_int_equal(flagged(f, "bottom_ratio"), 7);
    assert_string_equal(flag(f, 6), "bottom_ratio");
    assert_string_equal(flag(f, 7), "-");
}

static void test_a_street_of_one_worker_flags_that_worker_at_any_positive_ratio(void **state)
{
    fixture *f = *state;
    add(f, "a", C4, 95, 95); /* ceil(0.02 × 1) = 1 */
    score(f);
    assert_string_equal(flag(f, 0), "bottom_ratio");
    assert_int_equal(worker(f, 0)->rank, 1);
}

static void test_a_ratio_of_zero_flags_no_one(void **state)
{
    fixture *f = *state;
    add_many(f, "a", C1, 30);
    unit_param_force(&f->ps, "elimination.bottom_ratio", 0);
    score(f);
    assert_int_equal(flagged(f, "-"), 30);
}

static void
test_a_bottom_worker_under_the_floor_is_below_floor_and_takes_a_place_in_the_cut(void **state)
{
    fixture *f = *state;
    size_t low, next;
    add_many(f, "b", C1, 60);
    low = add(f, "c", C1, 50, 80);    /* the lowest, under the floor */
    next = add(f, "d", C1, 60.5, 80); /* second lowest, over it */
    score(f);                         /* 0.02 × 62 = 1.24 → 2 */
    assert_int_equal(worker(f, low)->rank, 1);
    assert_string_equal(flag(f, low), "below_floor");
    assert_int_equal(worker(f, next)->rank, 2);
    assert_string_equal(flag(f, next), "bottom_ratio");
    assert_string_equal(flag(f, 0), "-"); /* 61: third */
    assert_int_equal(f->o.flagged[0], 1);
    assert_int_equal(f->o.flagged[1], 1);
}

static void test_every_worker_under_a_floor_is_below_floor_wherever_they_rank(void **state)
{
    fixture *f = *state;
    size_t residents, score_low;
    add_many(f, "a", C1, 10);
    residents = add(f, "b", C1, 95, 59); /* a high score, but residents < 60 */
    score_low = add(f, "c", C1, 59, 80);
    unit_param_force(&f->ps, "elimination.bottom_ratio", 0);
    score(f);
    assert_string_equal(flag(f, residents), "below_floor");
    assert_int_equal(worker(f, residents)->rank, 12);
    assert_string_equal(flag(f, score_low), "below_floor");
    assert_int_equal(flagged(f, "below_floor"), 2);
}

static void test_a_score_a_hair_below_the_floor_is_not_under_it(void **state)
{
    fixture *f = *state;
    size_t hair = add(f, "a", C1, 60 - 1e-12, 80);
    size_t below = add(f, "b", C1, 60 - 1e-6, 80);
    size_t residents = add(f, "c", C1, 80, 60 - 1e-12);
    unit_param_force(&f->ps, "elimination.bottom_ratio", 0);
    score(f);
    assert_string_equal(flag(f, hair), "-");
    assert_string_equal(flag(f, below), "below_floor");
    assert_string_equal(flag(f, residents), "-");
}

static void test_the_floors_follow_their_parameter(void **state)
{
    fixture *f = *state;
    size_t w = add(f, "a", C1, 70, 72);
    unit_param_force(&f->ps, "elimination.bottom_ratio", 0);
    score(f);
    assert_string_equal(flag(f, w), "-");
    unit_param_force(&f->ps, "elimination.floor", 75);
    score(f);
    assert_string_equal(flag(f, w), "below_floor");
}

static void test_a_missing_component_gives_no_score_no_rank_and_is_not_counted(void **state)
{
    fixture *f = *state;
    size_t k, missing[3];
    add_many(f, "a", C1, 50); /* 50 scored: the cut is 1 */
    for (k = 0; k < 3; k++) {
        char id[8];
        snprintf(id, sizeof id, "b%zu", k);
        missing[k] = add(f, id, C1, 10, 10);
        f->components[missing[k] * 3 + k] = NAN; /* whichever component */
    }
    score(f);
    for (k = 0; k < 3; k++) {
        assert_string_equal(flag(f, missing[k]), "no_score");
        assert_int_equal(worker(f, missing[k])->rank, 0);
        assert_true(isnan(worker(f, missing[k])->score));
    }
    assert_int_equal(flagged(f, "bottom_ratio"), 1); /* 0.02 × 50, not × 53 = 1.06 → 2 */
    assert_int_equal(worker(f, 0)->rank, 1);
    assert_int_equal(f->o.flagged[2], 3);
}

static void test_a_missing_score_gives_no_score(void **state)
{
    fixture *f = *state;
    size_t w = add(f, "a", C1, NAN, 80);
    score(f);
    assert_string_equal(flag(f, w), "no_score");
    assert_int_equal(worker(f, w)->rank, 0);
}

static void test_a_region_group_ranks_every_worker_together(void **state)
{
    fixture *f = *state;
    size_t a = add(f, "a", C1, 80, 80);
    size_t b = add(f, "b", C3, 70, 80);
    size_t c = add(f, "c", C4, 75, 80);
    f->r.appraisal.group = SCOPE_REGION;
    unit_param_force(&f->ps, "elimination.bottom_ratio", 0.34); /* ceil(1.02) = 2 */
    score(f);
    assert_int_equal(worker(f, b)->rank, 1);
    assert_int_equal(worker(f, c)->rank, 2);
    assert_int_equal(worker(f, a)->rank, 3);
    assert_string_equal(flag(f, c), "bottom_ratio");
    assert_string_equal(flag(f, a), "-");
}

static void test_rescoring_a_new_ratio_and_floor_gives_what_scoring_gives(void **state)
{
    fixture *f = *state;
    static const double ratios[] = {0.2, 0.05, 0, 0.5, 1};
    static const double floors[] = {60, 70, 70, 100, 0};
    appraisal_memo *memo = NULL;
    outcome kept = {0};
    size_t k, i;
    error e;
    error_clear(&e);
    add_many(f, "a", C1, 30);
    add_many(f, "b", C3, 17);
    add_many(f, "c", C4, 3);
    f->components[5 * 3 + 1] = NAN;
    assert_int_equal(appraisal_score(&f->r, f->s, &f->d, &f->ps, EPSILON, &memo, &kept, &e),
                     ERROR_OK);
    for (k = 0; k < 5; k++) {
        unit_param_force(&f->ps, "elimination.bottom_ratio", ratios[k]);
        unit_param_force(&f->ps, "elimination.floor", floors[k]);
        appraisal_rescore(&f->r, &f->d, &f->ps, EPSILON, memo, &kept);
        score(f);
        for (i = 0; i < f->d.count; i++) {
            assert_int_equal(kept.appraisals[i].rank, f->o.appraisals[i].rank);
            assert_ptr_equal(kept.appraisals[i].flag, f->o.appraisals[i].flag);
        }
        for (i = 0; i < 3; i++)
            assert_int_equal(kept.flagged[i], f->o.flagged[i]);
    }
    appraisal_memo_free(memo);
    outcome_free(&kept);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_workers_are_ranked_within_their_street_lowest_score_first),
        T(test_equal_scores_rank_by_worker_id),
        T(test_scores_within_epsilon_are_equal_and_rank_by_worker_id),
        T(test_the_bottom_ratio_flags_the_lowest_ceil_of_ratio_times_n),
        T(test_seven_percent_of_a_hundred_flags_seven_not_eight),
        T(test_a_street_of_one_worker_flags_that_worker_at_any_positive_ratio),
        T(test_a_ratio_of_zero_flags_no_one),
        T(test_a_bottom_worker_under_the_floor_is_below_floor_and_takes_a_place_in_the_cut),
        T(test_every_worker_under_a_floor_is_below_floor_wherever_they_rank),
        T(test_a_score_a_hair_below_the_floor_is_not_under_it),
        T(test_the_floors_follow_their_parameter),
        T(test_a_missing_component_gives_no_score_no_rank_and_is_not_counted),
        T(test_a_missing_score_gives_no_score),
        T(test_a_region_group_ranks_every_worker_together),
        T(test_rescoring_a_new_ratio_and_floor_gives_what_scoring_gives),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
