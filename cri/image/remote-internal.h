/* Internals of the registry remote shared by remote.c (operations) and
 * remote-setup.c (endpoints, errors, tokens). */
#pragma once

/* Default time between progress callbacks of one transfer. */
#define PROGRESS_INTERVAL_MS 1000
#include "lib/http.h"
#include "cri/image/registry.h"
#include "cri/image/wwwauth.h"

struct remote_ep {
        char *base;            /* "https://host:port" or a mirror URL, no trailing '/' */
        char *host;            /* "host:port", for messages */
        bool insecure;         /* don't verify TLS */
        char *ca_file;
        char *username, *password;
        char *token;           /* cached Bearer token */
        bool basic;            /* the registry asked for Basic auth */
};

enum op_kind { OP_MANIFEST, OP_BLOB };

struct op {
        struct img_remote *r;
        enum op_kind kind;
        char *reference; /* tag or digest */
        img_manifest_fn mfn;
        img_blob_fn bfn;
        img_progress_fn progress;
        void *ud;
        struct img_writer *w;
        int64_t size, done;
        uint64_t last_progress;
        size_t ep;   /* index into r->eps */
        bool authed; /* this endpoint's 401 was answered once already */
        struct dh_http_xfer *xfer;
        struct dh_err *last_err;
        struct op *next, **pprev;
};

struct img_remote {
        struct dh_http *h;
        char *domain, *path;
        struct remote_ep *eps;
        size_t neps;
        char *registry_token;
        int64_t max_manifest;
        uint64_t progress_interval_ms;
        struct op *ops;
};

/* "GET <url>: 404 Not Found: CODE: message" (the registry's error body
 * summarized) with EACCES for 401/403 ("authorization failed for registry
 * <host>"), ENOENT for 404, EIO otherwise. */
void remote_http_error(const char *host, const struct dh_http_resp *resp, struct dh_err **err);
/* realm?service=..&scope=.. (scope defaults to repository:<path>:pull). */
char *remote_token_url(const struct img_challenge *c, const char *path);
/* {"token": ...} or {"access_token": ...}. */
int remote_token_parse(const char *body, size_t len, char **token, struct dh_err **err);
