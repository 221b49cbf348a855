/*
** tests/fuzz/fuzz_web.c — libFuzzer harness: the workbench's HTTP answers
** (engine/output/web.c), as kaohe serve hands them requests.
**
** Input: a request line "METHOD PATH[?QUERY]", a newline, then the body.
** The query's arguments are read with web_query_value(), as a test client
** would send them; the request goes to web_answer() over the shipped rules
** and fixtures/small.db (loaded once).
**
** Oracles: the status is one of 200, 400, 404, 405, 413 (never 500: no
** allocation fails here); every answer but the page is JSON with "error"
** exactly when the status is not 200; a decoded argument never holds a NUL
** nor overruns its buffer; and no request leaves its scenario behind: a
** what-if with no changes right after it changes nothing.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "session.h"
#include "web.h"

static session run;
static web_state *web;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    session_config config;
    char path[4096];
    error e;
    (void)argc;
    (void)argv;
    fuzz_sql_guard("fuzz_web");
    memset(&config, 0, sizeof config);
    config.default_root = fuzz_root();
    config.jobs = 1;
    snprintf(path, sizeof path, "%s/fixtures/small.db", fuzz_root());
    error_clear(&e);
    session_init(&run, &config);
    if (session_rules(&run, &config, &e) != ERROR_OK || session_require_valid(&run, &e) != ERROR_OK ||
        session_params(&run, &config, &e) != ERROR_OK ||
        session_open(&run, path, NULL, &e) != ERROR_OK || session_load(&run, &e) != ERROR_OK ||
        web_open(&run, NULL, &web, &e) != ERROR_OK) {
        fprintf(stderr, "fuzz_web: %s (run make to build the fixtures)\n", e.message);
        abort();
    }
    return 0;
}

static char argument_text[256];

/* web_request.argument over the query string of the input. */
static const char *argument(void *user, const char *name)
{
    const char *query = user;
    if (query == NULL || !web_query_value(query, name, argument_text, sizeof argument_text))
        return NULL;
    FUZZ_CHECK(strlen(argument_text) < sizeof argument_text, "argument overran");
    return argument_text;
}

static void check_reply(const web_request *request, const web_reply *reply)
{
    json_t *value;
    FUZZ_CHECK(reply->status == 200 || reply->status == 400 || reply->status == 404 ||
                   reply->status == 405 || reply->status == 413,
               "%s %s answered %d: %.200s", request->method, request->path, reply->status,
               buffer_text(&reply->body));
    if (strcmp(reply->content_type, "text/html; charset=utf-8") == 0)
        return;
    value = json_loadb(buffer_text(&reply->body), reply->body.length, 0, NULL);
    FUZZ_CHECK(value != NULL, "%s %s: the answer is not JSON", request->method, request->path);
    FUZZ_CHECK((json_object_get(value, "error") != NULL) == (reply->status != 200),
               "%s %s: status %d and the answer disagree on an error", request->method,
               request->path, reply->status);
    json_decref(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *line_end, *space, *question;
    web_request request;
    web_reply reply;
    static const char none[] = "{\"set\": {}}";
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&request, 0, sizeof request);
    line_end = memchr(text, '\n', size);
    if (line_end != NULL) {
        *line_end = '\0';
        request.body = line_end + 1;
        request.body_length = size - (size_t)(line_end + 1 - text);
    }
    space = strchr(text, ' ');
    if (space == NULL) {
        free(text);
        return 0;
    }
    *space = '\0';
    request.method = text;
    request.path = space + 1;
    question = strchr(space + 1, '?');
    if (question != NULL)
        *question = '\0';
    request.argument = argument;
    request.argument_user = question != NULL ? question + 1 : NULL;
    web_answer(web, &request, &reply);
    check_reply(&request, &reply);
    web_reply_free(&reply);
    if (strcmp(request.method, "POST") == 0 && strcmp(request.path, "/api/whatif") == 0) {
        json_t *answer, *summary;
        web_request again = {"POST", "/api/whatif", NULL, NULL, none, sizeof none - 1};
        web_answer(web, &again, &reply);
        FUZZ_CHECK(reply.status == 200, "a what-if with no changes answered %d", reply.status);
        answer = json_loadb(buffer_text(&reply.body), reply.body.length, 0, NULL);
        summary = json_object_get(answer, "summary");
        FUZZ_CHECK(json_integer_value(json_object_get(summary, "communities_changed")) == 0 &&
                       json_integer_value(json_object_get(summary, "workers_changed")) == 0,
                   "the scenario before stayed behind");
        json_decref(answer);
        web_reply_free(&reply);
    }
    free(text);
    return 0;
}
