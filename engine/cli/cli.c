/*
** cli.c — what the commands share (cli.h): messages, where the shipped
** rules are, the rule sandbox's limits and the session a command runs.
*/
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_print_error(const error *e)
{
    /* A status returned without error_set leaves the message empty. */
    fprintf(stderr, "kaohe: %s\n",
            e->message[0] != '\0' ? e->message : error_fallback_text(e->status));
}

static bool has_rule_tree(const char *directory)
{
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/indicators", directory);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    snprintf(path, sizeof path, "%s/rules", directory);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the shipped rules are: $KAOHE_HOME; else the folder of the
** executable or one of its parents (a build tree: ./kaohe beside indicators/
** and rules/); else PREFIX/share/kaohe for an installed PREFIX/bin/kaohe
** (make install). NULL when none holds a rule tree: a copied binary must
** not take the working folder for its rules. */
const char *cli_default_root(const char *program)
{
    static char root[PATH_MAX];
    char executable[PATH_MAX], candidate[PATH_MAX + 32];
    const char *home = getenv("KAOHE_HOME");
    ssize_t n;
    int level;
    (void)program;
    if (home != NULL && *home != '\0')
        return home;
    n = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (n <= 0)
        return NULL;
    executable[n] = '\0';
    for (level = 0; level < 4; level++) {
        char *slash = strrchr(executable, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
        snprintf(candidate, sizeof candidate, "%s/share/kaohe", executable);
        if (has_rule_tree(executable)) {
            snprintf(root, sizeof root, "%s", executable);
            return root;
        }
        if (level == 1 && has_rule_tree(candidate)) {
            snprintf(root, sizeof root, "%s", candidate);
            return root;
        }
    }
    return NULL;
}

/* The rule sandbox's limits from --rule-*: one home for every command. */
sandbox_limits cli_rule_limits(const cli_options *o)
{
    sandbox_limits limits;
    memset(&limits, 0, sizeof limits);
    limits.memory_bytes = o->memory_mb << 20;
    limits.instructions = o->instructions;
    limits.seconds = o->rule_seconds;
    limits.print_bytes = o->rule_print_kb << 10;
    limits.text_bytes = o->rule_text_kb << 10;
    return limits;
}

void cli_session_config(const cli_options *o, session_config *config)
{
    memset(config, 0, sizeof *config);
    config->default_root = cli_default_root(o->program);
    config->rules_directory = o->rules_dir;
    config->profile = o->profile;
    config->limits = cli_rule_limits(o);
    config->scenario_file = o->scenario;
    config->sets = o->sets;
    config->set_count = o->set_count;
    config->jobs = o->jobs;
}

int cli_start(const cli_options *o, session *s, bool valid, bool with_params)
{
    session_config config;
    error e;
    int status;
    error_clear(&e);
    cli_session_config(o, &config);
    session_init(s, &config);
    status = session_rules(s, &config, &e);
    if (status == ERROR_OK && valid && (status = session_require_valid(s, &e)) != ERROR_OK) {
        size_t i;
        for (i = 0; i < s->rules->problem_count; i++)
            fprintf(stderr, "%s\n", s->rules->problems[i]);
    }
    if (status == ERROR_OK && with_params)
        status = session_params(s, &config, &e);
    if (status != ERROR_OK)
        cli_print_error(&e);
    return status;
}

bool cli_write_stdout(const buffer *out)
{
    /* ferror too: a write that failed inside fwrite leaves nothing for
    ** fflush to fail on. */
    return fwrite(buffer_text(out), 1, out->length, stdout) == out->length && fflush(stdout) == 0 &&
           !ferror(stdout);
}

double cli_elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* Peak resident memory so far, in KiB. */
long cli_peak_rss_kb(void)
{
    struct rusage usage;
    return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0;
}
