/* A small HTTP/1.1 server inside the event loop (lib/loop.h), on
 * libwebsockets driven through an embedded libuv loop whose epoll fd the
 * loop watches (lib/httpserver.c says why libuv). No threads.
 *
 * Requests go to one handler: method and path in, status, content type
 * and body out. Bounded: at most max_connections at once (more wait in
 * the listener's backlog, unaccepted, until one closes), memory_limit
 * bytes per connection for the request head (a larger head gets 431, or
 * 414 for the request line alone), idle connections closed after
 * timeout_s, and requests with a body refused (413) since nothing here
 * reads bodies yet. Methods other than GET, HEAD, POST, PUT, PATCH,
 * DELETE, OPTIONS and CONNECT get 501. (431, 414 and 501 come from us for
 * a connection's first request; for a later one on a kept-alive
 * connection libwebsockets answers itself: it drops the connection for an
 * oversized head, and gives an HTML 403 for an unknown method.)
 * Used by the agent's healthz endpoint; meant for the kubelet API later
 * (libwebsockets also does TLS and websockets, for exec and attach). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/loop.h"

#define DH_HTTPSERVER_MAX_CONNECTIONS 16
#define DH_HTTPSERVER_MEMORY_LIMIT (16u * 1024)
#define DH_HTTPSERVER_TIMEOUT_S 10
/* Largest reply body a handler may give (longer ones become 500s). */
#define DH_HTTPSERVER_MAX_BODY (64u * 1024)

struct dh_httpserver;

struct dh_http_request {
        const char *method; /* "GET", "HEAD", ... */
        const char *path;   /* without the query */
};
/* What the handler fills: body is malloc'd (or NULL for none) and taken
 * over; content_type is static (NULL: text/plain; charset=utf-8). */
struct dh_http_reply {
        unsigned status;
        const char *content_type;
        char *body;
        size_t len;
};
typedef void (*dh_http_handler_fn)(void *ud, const struct dh_http_request *req,
                                   struct dh_http_reply *out);

struct dh_httpserver_options {
        struct dh_loop *loop;
        const char *address;      /* numeric IPv4 or IPv6 */
        uint16_t port;            /* 0: an ephemeral port (dh_httpserver_port) */
        unsigned max_connections; /* 0: DH_HTTPSERVER_MAX_CONNECTIONS */
        size_t memory_limit;      /* 0: DH_HTTPSERVER_MEMORY_LIMIT */
        unsigned timeout_s;       /* 0: DH_HTTPSERVER_TIMEOUT_S */
        dh_http_handler_fn handler;
        void *ud;
};

/* Binds and listens; errors name the address and port ("listen on
 * 127.0.0.1:10248: Address already in use"). */
int dh_httpserver_open(const struct dh_httpserver_options *o, struct dh_httpserver **out,
                       struct dh_err **err);
/* The port listened on. */
uint16_t dh_httpserver_port(const struct dh_httpserver *s);
/* Closes every connection and the listener. NULL-safe. */
void dh_httpserver_close(struct dh_httpserver *s);
