/*
** cmd_profiles.c — kaohe profiles: the shipped profiles (a city's rules on
** top of the shipped ones), each with what its profile.lua says it is.
*/
#include <string.h>

#include "cli.h"

int cmd_profiles(const cli_options *o)
{
    const char *root = cli_default_root(o->program);
    buffer out;
    const char *line;
    if (root == NULL) {
        fprintf(stderr, "kaohe: cannot find kaohe's shipped rules; set KAOHE_HOME=DIR\n");
        return ERROR_INPUT;
    }
    buffer_init(&out);
    session_list_profiles(root, &out);
    if (out.length == 0 && !o->quiet)
        printf("no profiles in %s/rules/profiles\n", root);
    /* NAME, then the description under it: names are short, descriptions
    ** long and Chinese. */
    for (line = buffer_text(&out); !o->quiet && *line != '\0';) {
        const char *tab = strchr(line, '\t'), *end = strchr(line, '\n');
        printf("%.*s\n", (int)(tab - line), line);
        if (end > tab + 1)
            printf("    %.*s\n", (int)(end - tab - 1), tab + 1);
        line = end + 1;
    }
    if (!o->quiet)
        printf("(kaohe eval SNAPSHOT --profile NAME; the files are in %s/rules/profiles)\n", root);
    buffer_free(&out);
    return ERROR_OK;
}
