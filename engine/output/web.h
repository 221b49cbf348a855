/*
** web.h — the what-if workbench's answers (kaohe serve): the page and a JSON
** API over one evaluated session. No sockets here: cli/cmd_serve.c hands
** each request (method, path, query, body) to web_answer() and sends back
** the reply, so the whole API is testable and fuzzable without a network.
**
** Each request carries its own parameter overrides; nothing of one request
** is kept for the next (two people exploring at once never see each
** other's scenario). A what-if re-scores a private result in place
** (eval_rescore) and compares it with the baseline, as kaohe whatif does.
** Parameter values go through params_set_text(), the parser behind --set,
** and a bad one is a 400 with the message --set would print.
**
** Ownership: web_state borrows the session (which must stay loaded) and
** owns its baseline and scratch results; web_reply owns its body.
** Not thread-safe: one request at a time (cmd_serve runs one thread).
*/
#ifndef KAOHE_WEB_H
#define KAOHE_WEB_H

#include <stddef.h>

#include "buffer.h"
#include "error.h"
#include "session.h"

/* What one request may ask; documented limits (README, kaohe serve). */
typedef struct web_limits {
    size_t max_body_bytes; /* a POST body (default 64 KiB) */
    size_t max_sets;       /* parameter overrides in one request (default 64) */
    size_t max_list_rows;  /* rows of one list answer (default 200000) */
} web_limits;

#define WEB_MAX_BODY_DEFAULT ((size_t)64 << 10)
#define WEB_MAX_SETS_DEFAULT 64
#define WEB_MAX_LIST_DEFAULT 200000
#define WEB_SWEEP_MAX        200 /* values of one sweep */

typedef struct web_state web_state;

typedef struct web_reply {
    int status;               /* HTTP status */
    const char *content_type; /* static text */
    buffer body;
} web_reply;

/* Scores the baseline of `run` (loaded with session_load) for the answers.
** *out is freed with web_free. */
int web_open(session *run, const web_limits *limits, web_state **out, error *e);
void web_free(web_state *w);

/* One request. `argument` returns the decoded value of a query argument
** (NULL when absent): the server's own parser, or web_query_value. */
typedef struct web_request {
    const char *method;
    const char *path; /* without the query */
    const char *(*argument)(void *user, const char *name);
    void *argument_user;
    const char *body; /* may be NULL */
    size_t body_length;
} web_request;

/* Answers one request. Always fills `reply` (an error is a 4xx or 5xx with
** a JSON {"error": message}); free its body with web_reply_free. */
void web_answer(web_state *w, const web_request *request, web_reply *reply);
void web_reply_free(web_reply *reply);

/* The value of `name` in an application/x-www-form-urlencoded `query`,
** decoded into `out` (NUL-terminated); false when absent, malformed or
** longer than `size` - 1 bytes. */
bool web_query_value(const char *query, const char *name, char *out, size_t size);

#endif
