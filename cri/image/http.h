/* The HTTP engine under the registry client (internal): GETs on curl's
 * multi-socket API driven by the dh_loop, each with bounded headers and
 * body (or a streaming sink) and a completion callback. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/image/registry.h"
#include "lib/buf.h"

#define IMG_HTTP_HEADERS_MAX (64 * 1024) /* all response header bytes */
#define IMG_HTTP_ERRBODY_MAX (64 * 1024) /* kept of a non-2xx body */

struct img_http_resp {
        const char *url;    /* as requested */
        long status;        /* 0 when no response arrived */
        char *content_type; /* NULL when absent */
        char *www_authenticate;
        struct dh_buf body; /* 2xx: buffered body unless streamed; else the error body */
        int64_t streamed;   /* 2xx body bytes handed to the sink */
};

/* Receives 2xx body bytes; < 0 (with err set) aborts the transfer. */
typedef int (*img_http_sink_fn)(void *ud, const void *data, size_t len, struct dh_err **err);
/* resp is valid during the call; err is NULL unless the transfer failed
 * (network, TLS, a sink error, a limit). Runs after the transfer left
 * curl, so it may start new transfers. */
typedef void (*img_http_done_fn)(void *ud, struct img_http_resp *resp, struct dh_err *err);

struct img_http_req {
        const char *url;
        const char *accept;        /* may be NULL */
        const char *authorization; /* whole header value, may be NULL */
        bool follow;               /* follow redirects (Authorization stays on the first host) */
        bool insecure;             /* don't verify TLS */
        const char *ca_file;       /* may be NULL: the system's CAs */
        size_t max_body;           /* buffered bodies */
        img_http_sink_fn sink;     /* NULL: buffer the 2xx body */
        void *sink_ud;
};

struct img_http_xfer;
struct img_http_xfer *img_http_get(struct img_http *h, const struct img_http_req *req,
                                   img_http_done_fn done, void *ud, struct dh_err **err);
/* Stops a transfer without running its callback; accepts NULL. Not from
 * inside a sink. */
void img_http_cancel(struct img_http_xfer *x);
/* "404 Not Found" */
const char *img_http_reason(long status);
