/*
** cmd_serve.c — kaohe serve SNAPSHOT: loads the snapshot once and serves the
** what-if workbench (output/web.c) with libmicrohttpd, on 127.0.0.1 unless
** --listen says otherwise. One thread answers, one request at a time, so
** each request's scenario is its own; the limits below bound what one
** request and all of them together can take. SIGINT or SIGTERM stops it
** cleanly.
*/
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "web.h"

/* Limits of the server (README, "The what-if workbench"). */
#define SERVE_CONNECTIONS       64          /* open connections at once */
#define SERVE_PER_ADDRESS       32          /* of them from one address */
#define SERVE_TIMEOUT_SECONDS   30          /* an idle or slow connection is closed */
#define SERVE_CONNECTION_MEMORY (256 << 10) /* buffers of one connection */

typedef struct server {
    web_state *web;
    char hosts[4][300]; /* the Host values a request may carry (no DNS rebinding) */
    size_t host_count;
    size_t max_body;
} server;

/* The body of one POST, gathered over the calls libmicrohttpd makes. */
typedef struct request {
    buffer body;
    bool too_large;
} request;

static enum MHD_Result send_reply(struct MHD_Connection *connection, int status,
                                  const char *content_type, const char *body, size_t length)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(length, (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result queued;
    if (response == NULL)
        return MHD_NO;
    MHD_add_response_header(response, "Content-Type", content_type);
    /* The page and its answers are for this browser only. */
    MHD_add_response_header(response, "Cache-Control", "no-store");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "Content-Security-Policy",
                            "default-src 'self'; script-src 'unsafe-inline'; style-src "
                            "'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'");
    queued = MHD_queue_response(connection, (unsigned int)status, response);
    MHD_destroy_response(response);
    return queued;
}

static bool host_allowed(const server *srv, const char *host)
{
    size_t i;
    if (host == NULL)
        return false;
    for (i = 0; i < srv->host_count; i++)
        if (strcmp(host, srv->hosts[i]) == 0)
            return true;
    return false;
}

/* web_request.argument: libmicrohttpd's decoded query arguments. */
static const char *argument(void *user, const char *name)
{
    return MHD_lookup_connection_value(user, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    server *srv = cls;
    request *req = *con_cls;
    web_reply reply;
    web_request request_in;
    enum MHD_Result result;
    (void)version;
    if (req == NULL) {
        /* The first call has the headers only: refuse early what is refused. */
        if (!host_allowed(srv, MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Host"))) {
            static const char refused[] = "{\"error\":\"unexpected Host header\"}";
            return send_reply(connection, 421, "application/json", refused, sizeof refused - 1);
        }
        req = calloc(1, sizeof *req);
        if (req == NULL)
            return MHD_NO;
        buffer_init(&req->body);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (req->body.length + *upload_data_size > srv->max_body)
            req->too_large = true;
        else
            buffer_append(&req->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->too_large) {
        static const char large[] = "{\"error\":\"the request is larger than the server takes\"}";
        return send_reply(connection, 413, "application/json", large, sizeof large - 1);
    }
    request_in.method = method;
    request_in.path = url;
    request_in.argument = argument;
    request_in.argument_user = connection;
    request_in.body = buffer_text(&req->body);
    request_in.body_length = req->body.length;
    web_answer(srv->web, &request_in, &reply);
    result = send_reply(connection, reply.status, reply.content_type, buffer_text(&reply.body),
                        reply.body.length);
    web_reply_free(&reply);
    return result;
}

static void completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    request *req = *con_cls;
    (void)cls;
    (void)connection;
    (void)code;
    if (req != NULL) {
        buffer_free(&req->body);
        free(req);
        *con_cls = NULL;
    }
}

int cmd_serve(const cli_options *o)
{
    session run;
    web_state *web = NULL;
    struct MHD_Daemon *daemon = NULL;
    struct sockaddr_in address;
    server srv;
    sigset_t stop;
    error e;
    int status, signal_number;
    const char *listen_on = o->listen != NULL ? o->listen : "127.0.0.1";
    unsigned short port = (unsigned short)(o->port_given ? o->port : 8080);
    memset(&srv, 0, sizeof srv);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, listen_on, &address.sin_addr) != 1)
        return cli_usage_error(o->command, "--listen %s: an IPv4 address such as 127.0.0.1",
                               listen_on);
    error_clear(&e);
    status = cli_start(o, &run, true, true);
    if (status != ERROR_OK)
        goto done;
    status = session_open(&run, o->snapshot, NULL, &e);
    if (status == ERROR_OK)
        status = session_load(&run, &e);
    if (status == ERROR_OK)
        status = web_open(&run, NULL, &web, &e);
    if (status != ERROR_OK) {
        cli_print_error(&e);
        goto done;
    }
    srv.web = web;
    srv.max_body = WEB_MAX_BODY_DEFAULT;
    /* The signals wait for sigwait below; the server's thread inherits the
    ** mask, so they reach only this thread. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, NULL, NULL,
                              answer, &srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVE_CONNECTIONS,
                              MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)SERVE_PER_ADDRESS,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVE_TIMEOUT_SECONDS,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_CONNECTION_MEMORY,
                              MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "kaohe: cannot listen on %s:%u (in use, or not allowed)\n", listen_on,
                port);
        status = ERROR_SYSTEM;
        goto done;
    }
    if (port == 0) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
        port = info != NULL ? info->port : 0;
    }
    /* Requests must name this server: a page elsewhere that points a name
    ** of its own at 127.0.0.1 (DNS rebinding) is refused. */
    snprintf(srv.hosts[srv.host_count++], sizeof srv.hosts[0], "127.0.0.1:%u", port);
    snprintf(srv.hosts[srv.host_count++], sizeof srv.hosts[0], "localhost:%u", port);
    if (o->listen != NULL)
        snprintf(srv.hosts[srv.host_count++], sizeof srv.hosts[0], "%s:%u", listen_on, port);
    if (o->listen != NULL && strcmp(listen_on, "127.0.0.1") != 0)
        fprintf(stderr,
                "kaohe: warning: listening on %s: anyone who can reach this address sees "
                "the snapshot's data\n",
                listen_on);
    printf("工作台已启动：http://%s:%u/  （Ctrl-C 停止）\n", listen_on, port);
    fflush(stdout);
    if (sigwait(&stop, &signal_number) != 0)
        signal_number = 0;
    printf("已停止（%s）\n", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    status = ERROR_OK;
done:
    if (daemon != NULL)
        MHD_stop_daemon(daemon);
    web_free(web);
    session_free(&run);
    return status;
}
