/* HTTP on curl's multi-socket API driven by the dh_loop: no threads, no
 * blocking. Each transfer has bounded headers and a bounded (or streamed)
 * body, a connect timeout, a low-speed limit and an optional overall
 * timeout, and ends with one completion callback. Used by the registry
 * client, HTTP probes and hooks, gRPC probes (HTTP/2 with prior knowledge,
 * reading grpc-status from the trailers), and (later) the API client. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/loop.h"

#define DH_HTTP_HEADERS_MAX (64 * 1024) /* all response header bytes */
#define DH_HTTP_ERRBODY_MAX (64 * 1024) /* kept of a non-2xx body */
#define DH_HTTP_REQ_HEADERS_MAX 64      /* extra request headers */
#define DH_HTTP_CAPTURE_MAX 4           /* response headers kept by name (req.capture) */

struct dh_http;
int dh_http_new(struct dh_loop *loop, struct dh_http **out, struct dh_err **err);
/* Cancels every transfer (no callbacks run) and frees the engine. Not
 * from inside a completion callback. */
void dh_http_free(struct dh_http *h);

struct dh_http_resp {
        const char *url;    /* as requested */
        long status;        /* 0 when no response arrived */
        char *content_type; /* NULL when absent */
        char *www_authenticate;
        char *location;     /* a redirect's target, NULL when absent */
        struct dh_buf body; /* 2xx: buffered body unless streamed; else the error body */
        int64_t streamed;   /* 2xx body bytes handed to the sink */
        /* The values of req.capture's names, in that order: the last
         * header or trailer of that name (HTTP/2 trailers arrive after the
         * body), NULL when absent. */
        char *captured[DH_HTTP_CAPTURE_MAX];
        bool connected;     /* a connection to the server was made */
};

/* Receives 2xx body bytes; < 0 (with err set) aborts the transfer. */
typedef int (*dh_http_sink_fn)(void *ud, const void *data, size_t len, struct dh_err **err);
/* resp is valid during the call; err is NULL unless the transfer failed
 * (network, TLS, timeout, a sink error, a limit). Runs after the transfer
 * left curl, so it may start new transfers. */
typedef void (*dh_http_done_fn)(void *ud, struct dh_http_resp *resp, struct dh_err *err);

struct dh_http_req {
        const char *url;
        const char *method;        /* NULL: GET */
        const void *body;          /* request body (POST/PUT/PATCH), may be NULL */
        size_t body_len;
        const char *accept;        /* may be NULL */
        const char *content_type;  /* of the request body, may be NULL */
        const char *authorization; /* whole header value, may be NULL */
        const char *user_agent;    /* NULL: "deckhand/<version>" */
        const char *const *headers; /* more "Name: value" lines */
        size_t nheaders;           /* at most DH_HTTP_REQ_HEADERS_MAX */
        bool follow;               /* follow redirects (Authorization stays on the first host) */
        bool insecure;             /* don't verify TLS */
        const char *ca_file;       /* may be NULL: the system's CAs */
        const char *cert_file, *key_file; /* TLS client certificate, may be NULL */
        int64_t timeout_ms;        /* whole transfer; 0: none (the low-speed limit still applies) */
        size_t max_body;           /* buffered bodies */
        bool keep_error_body;      /* treat non-2xx bodies like 2xx (buffered up to max_body) */
        dh_http_sink_fn sink;      /* NULL: buffer the 2xx body */
        void *sink_ud;
        /* HTTP/2 over cleartext without the Upgrade dance (h2c "prior
         * knowledge", as gRPC speaks it); http:// URLs only. */
        bool http2_prior_knowledge;
        bool fresh_connection;     /* a new connection, closed afterwards (no reuse either way) */
        const char *const *capture; /* header/trailer names to keep in resp.captured */
        size_t ncapture;           /* at most DH_HTTP_CAPTURE_MAX */
};

struct dh_http_xfer;
struct dh_http_xfer *dh_http_start(struct dh_http *h, const struct dh_http_req *req,
                                   dh_http_done_fn done, void *ud, struct dh_err **err);
/* Stops a transfer without running its callback; accepts NULL. Not from
 * inside a sink. */
void dh_http_cancel(struct dh_http_xfer *x);
/* "404 Not Found" */
const char *dh_http_reason(long status);

/* Resolves ref (a Location value: absolute, or relative to base) against
 * base into *out (caller frees). */
int dh_http_url_resolve(const char *base, const char *ref, char **out, struct dh_err **err);
/* The host part of an absolute URL ("[::1]" keeps its brackets), without
 * the port, into *out (caller frees). */
int dh_http_url_host(const char *url, char **out, struct dh_err **err);
