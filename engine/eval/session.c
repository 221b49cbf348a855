/*
** session.c — the one pipeline (session.h).
*/
#include "session.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buffer.h"

void session_init(session *s, const session_config *config)
{
    memset(s, 0, sizeof *s);
    s->options.jobs = config != NULL ? config->jobs : 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of the folders in `folder`, sorted; caller frees each and
** the array. */
static size_t profile_names(const char *folder, char **names, size_t capacity)
{
    DIR *dir = opendir(folder);
    struct dirent *entry;
    size_t count = 0;
    if (dir == NULL)
        return 0;
    while ((entry = readdir(dir)) != NULL && count < capacity) {
        char path[PATH_MAX];
        struct stat st;
        if (entry->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", folder, entry->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
            (names[count] = strdup(entry->d_name)) != NULL)
            count++;
    }
    closedir(dir);
    qsort(names, count, sizeof names[0], compare_names);
    return count;
}

/* "chengdong, tieshan, yichang": for the message of an unknown profile. */
static void list_profiles(const char *folder, buffer *out)
{
    char *names[256];
    size_t count = profile_names(folder, names, sizeof names / sizeof names[0]), i;
    for (i = 0; i < count; i++) {
        buffer_printf(out, "%s%s", i > 0 ? ", " : "", names[i]);
        free(names[i]);
    }
}

void session_list_profiles(const char *default_root, buffer *out)
{
    char folder[PATH_MAX], *names[256];
    size_t count, i;
    snprintf(folder, sizeof folder, "%s/rules/profiles", default_root);
    count = profile_names(folder, names, sizeof names / sizeof names[0]);
    for (i = 0; i < count; i++) {
        char path[PATH_MAX + 300], line[512] = "";
        FILE *f;
        snprintf(path, sizeof path, "%s/%s/profile.lua", folder, names[i]);
        /* The first line, when it is a comment, says what the profile is. */
        if ((f = fopen(path, "r")) != NULL) {
            if (fgets(line, sizeof line, f) == NULL || strncmp(line, "--", 2) != 0)
                line[0] = '\0';
            fclose(f);
        }
        line[strcspn(line, "\r\n")] = '\0';
        buffer_printf(out, "%s\t%s\n", names[i], line[0] ? line + 2 + strspn(line + 2, " ") : "");
        free(names[i]);
    }
}

const char *session_root_or_placeholder(const char *default_root)
{
    /* Rules of one's own still run without the shipped ones; only extends
    ** "default" needs them, and its message then shows this name. */
    return default_root != NULL ? default_root
                                : "(kaohe's shipped rules: not found; set KAOHE_HOME)";
}

int session_rules(session *s, const session_config *config, error *e)
{
    rules_options options;
    char profile_dir[PATH_MAX + 512];
    memset(&options, 0, sizeof options);
    options.default_root = config->default_root;
    options.directory = config->default_root;
    options.limits = config->limits;
    if (config->rules_directory != NULL && config->profile != NULL)
        return error_set(e, ERROR_USAGE, "give --rules or --profile, not both");
    if (config->default_root == NULL) {
        if (config->rules_directory == NULL)
            return error_set(e, ERROR_INPUT,
                             "cannot find kaohe's shipped rules (indicators/ and rules/ beside the "
                             "program or in PREFIX/share/kaohe); install with make install, set "
                             "KAOHE_HOME=DIR, or give --rules DIR");
        options.default_root = session_root_or_placeholder(NULL);
    }
    if (config->rules_directory != NULL)
        options.directory = config->rules_directory;
    if (config->profile != NULL) {
        char folder[PATH_MAX];
        struct stat st;
        snprintf(folder, sizeof folder, "%s/rules/profiles", config->default_root);
        snprintf(profile_dir, sizeof profile_dir, "%s/%s", folder, config->profile);
        /* A name, not a path: --profile ../x would leave the folder. */
        if (strchr(config->profile, '/') != NULL || config->profile[0] == '.' ||
            stat(profile_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            buffer known;
            int status;
            buffer_init(&known);
            list_profiles(folder, &known);
            if (known.length > 0)
                status = error_set(e, ERROR_INPUT, "no profile '%s'; the shipped profiles are: %s",
                                   config->profile, buffer_text(&known));
            else
                status = error_set(e, ERROR_INPUT, "no profile '%s' (no profiles in %s)",
                                   config->profile, folder);
            buffer_free(&known);
            return status;
        }
        options.directory = profile_dir;
    }
    return rules_load(&options, &s->rules, e);
}

int session_require_valid(const session *s, error *e)
{
    size_t n = s->rules->problem_count;
    if (n == 0)
        return ERROR_OK;
    return error_set(e, ERROR_INPUT,
                     "the rules have %zu problem%s (run kaohe check); nothing was evaluated", n,
                     n == 1 ? "" : "s");
}

void session_borrow_rules(session *s, const rules *r)
{
    /* Never freed or changed through the session (session_free). */
    s->rules = (rules *)r;
    s->rules_borrowed = true;
}

int session_params_copy(session *s, const params *from, error *e)
{
    params_free(&s->params);
    return params_copy(&s->params, from, e);
}

int session_params(session *s, const session_config *config, error *e)
{
    size_t i;
    int status = params_copy(&s->params, &s->rules->params, e);
    if (status == ERROR_OK && config->scenario_file != NULL) {
        status = scenario_load(config->scenario_file, &config->limits, &s->scenario, e);
        if (status == ERROR_OK)
            status = scenario_apply(&s->scenario, &s->params, e);
    }
    for (i = 0; status == ERROR_OK && i < config->set_count; i++)
        status = params_set_assignment(&s->params, config->sets[i], e);
    return status;
}

void session_scanned_tables(const session *s, const char **names, size_t capacity)
{
    size_t i, n = 0;
    for (i = 0; i < s->rules->bundle_count && n + 1 < capacity; i++)
        if (s->rules->bundles[i].scan != NULL)
            names[n++] = s->rules->bundles[i].scan->table;
    if (capacity > 0)
        names[n] = NULL;
}

int session_snapshot(session *s, const char *path, const char *const *later, error *e)
{
    return later != NULL ? snapshot_open_later(path, s->options.jobs, later, &s->snapshot, e)
                         : snapshot_open_threads(path, s->options.jobs, &s->snapshot, e);
}

int session_invariants(session *s, error *e)
{
    int status = rules_check_invariants(s->rules, &s->params, s->snapshot->year, e);
    if (status != ERROR_OK) {
        /* A snapshot with problems is reported first, as when every row
        ** was checked before the rules' invariants. */
        error mine;
        error_clear(&mine);
        if (snapshot_finish(s->snapshot, &mine) != ERROR_OK)
            *e = mine;
        return e->status;
    }
    return ERROR_OK;
}

int session_open(session *s, const char *path, const char *const *later, error *e)
{
    int status = session_snapshot(s, path, later, e);
    return status == ERROR_OK ? session_invariants(s, e) : status;
}

int session_load(session *s, error *e)
{
    error mine;
    int finished, status = eval_load(s->rules, s->snapshot, &s->params, &s->options, &s->data, e);
    /* The rows the scans left, the hash; a problem in the snapshot comes
    ** before any failure of the rule queries. */
    error_clear(&mine);
    finished = snapshot_finish(s->snapshot, &mine);
    if (finished != ERROR_OK) {
        *e = mine;
        return finished;
    }
    return status;
}

int session_score(session *s, error *e)
{
    return eval_score(&s->data, &s->params, &s->result, e);
}

int session_evaluate(session *s, error *e)
{
    int status = session_load(s, e);
    return status == ERROR_OK ? session_score(s, e) : status;
}

eval_run session_view(const session *s)
{
    eval_run view;
    view.rules = s->rules;
    view.snapshot = s->snapshot;
    view.params = &s->params;
    view.data = &s->data;
    view.result = &s->result;
    return view;
}

void session_free(session *s)
{
    eval_result_free(&s->result);
    eval_data_free(&s->data);
    snapshot_close(s->snapshot);
    scenario_free(&s->scenario);
    params_free(&s->params);
    if (!s->rules_borrowed)
        rules_free(s->rules);
    memset(s, 0, sizeof *s);
}
