/* One repository on a registry over the distribution API: the endpoint
 * list (mirrors, then the registry, plain HTTP only for loopback and
 * insecure hosts), Bearer-token and Basic auth on 401, manifest GETs
 * verified against their digests and blob GETs streamed into the store.
 * An operation moves to the next endpoint on any failure before body
 * bytes reached the caller; a failure names every endpoint's reason. */
#include "cri/image/remote-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/manifest.h"
#include "cri/image/wwwauth.h"
#include "lib/base64.h"
#include "lib/cleanup.h"
#include "lib/sha256.h"

#define MANIFEST_ACCEPT                                                                     \
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " \
        "application/vnd.docker.distribution.manifest.list.v2+json, "                       \
        "application/vnd.docker.distribution.manifest.v2+json"
#define TOKEN_BODY_MAX (1u << 20)

static void op_start(struct op *op);

static void op_unlink(struct op *op)
{
        if (!op->pprev)
                return;
        *op->pprev = op->next;
        if (op->next)
                op->next->pprev = op->pprev;
        op->pprev = NULL;
}

static void op_free(struct op *op)
{
        op_unlink(op);
        dh_http_cancel(op->xfer);
        free(op->reference);
        dh_err_free(op->last_err);
        free(op);
}

/* Ends the operation with err (NULL: success), running its callback once. */
static void op_finish(struct op *op, struct dh_err *err, const struct dh_http_resp *resp,
                      const char *digest)
{
        op_unlink(op);
        if (op->kind == OP_BLOB)
                op->bfn(op->ud, err);
        else if (err)
                op->mfn(op->ud, NULL, 0, NULL, NULL, err);
        else
                op->mfn(op->ud, resp->body.data ? resp->body.data : "", resp->body.len,
                        resp->content_type, digest, NULL);
        op_free(op);
}

static void op_fail(struct op *op, struct dh_err *err)
{
        op_finish(op, err, NULL, NULL);
        dh_err_free(err);
}

/* Records why this endpoint failed and tries the next one, unless body
 * bytes already went to the caller's writer. */
static void op_next(struct op *op, struct dh_err *err)
{
        /* Every endpoint's reason is kept, in order: the first may be the
         * real one (a TLS failure before the plain-HTTP fallback). */
        if (op->last_err) {
                struct dh_err *both = NULL;
                dh_err_set(&both, err->code, "%.1000s; then %.1000s", op->last_err->msg, err->msg);
                dh_err_free(op->last_err);
                dh_err_free(err);
                err = both;
        }
        op->last_err = err;
        if (op->kind == OP_BLOB && op->done > 0) {
                op_fail(op, TAKE_PTR(op->last_err));
                return;
        }
        op->ep++;
        op->authed = false;
        op_start(op);
}

static char *basic_header(const struct remote_ep *ep)
{
        if (!ep->username)
                return NULL;
        _cleanup_free_ char *pair = NULL;
        if (asprintf(&pair, "%s:%s", ep->username, ep->password ? ep->password : "") < 0)
                return NULL;
        _cleanup_free_ char *b64 = dh_base64_encode(pair, strlen(pair));
        char *s = NULL;
        if (!b64 || asprintf(&s, "Basic %s", b64) < 0)
                return NULL;
        return s;
}

static char *authorization(const struct img_remote *r, const struct remote_ep *ep)
{
        char *s = NULL;
        if (ep->token || r->registry_token) {
                if (asprintf(&s, "Bearer %s", ep->token ? ep->token : r->registry_token) < 0)
                        return NULL;
                return s;
        }
        return ep->basic ? basic_header(ep) : NULL;
}

static void on_response(void *ud, struct dh_http_resp *resp, struct dh_err *err);

static int blob_sink(void *ud, const void *data, size_t len, struct dh_err **err)
{
        struct op *op = ud;
        if ((int64_t)len > op->size - op->done)
                return dh_err_set(err, DH_ELIMIT, "blob %s: more than the expected %lld bytes",
                                  op->reference, (long long)op->size);
        int r = img_writer_write(op->w, data, len, err);
        if (r < 0)
                return r;
        op->done += (int64_t)len;
        uint64_t now = dh_now_ms();
        if (op->progress && now - op->last_progress >= op->r->progress_interval_ms) {
                op->last_progress = now;
                op->progress(op->ud, op->reference, op->done, op->size);
        }
        return 0;
}

static void op_start(struct op *op)
{
        struct img_remote *r = op->r;
        if (op->ep >= r->neps) {
                struct dh_err *e = TAKE_PTR(op->last_err);
                if (!e)
                        dh_err_set(&e, EHOSTUNREACH, "registry %s: no endpoints", r->domain);
                op_fail(op, e);
                return;
        }
        const struct remote_ep *ep = &r->eps[op->ep];
        _cleanup_free_ char *url = NULL, *auth = authorization(r, ep);
        if (asprintf(&url, "%s/v2/%s/%s/%s", ep->base, r->path,
                     op->kind == OP_BLOB ? "blobs" : "manifests", op->reference) < 0) {
                struct dh_err *e = NULL;
                dh_err_set(&e, ENOMEM, "out of memory");
                op_fail(op, e);
                return;
        }
        struct dh_http_req req = {
                .url = url, .authorization = auth, .insecure = ep->insecure, .ca_file = ep->ca_file,
                .accept = op->kind == OP_MANIFEST ? MANIFEST_ACCEPT : NULL,
                .follow = op->kind == OP_BLOB, .max_body = (size_t)r->max_manifest,
                .sink = op->kind == OP_BLOB ? blob_sink : NULL, .sink_ud = op,
        };
        struct dh_err *e = NULL;
        op->xfer = dh_http_start(r->h, &req, on_response, op, &e);
        if (!op->xfer)
                op_next(op, e);
}

static void on_token(void *ud, struct dh_http_resp *resp, struct dh_err *err)
{
        struct op *op = ud;
        op->xfer = NULL;
        struct dh_err *e = NULL;
        _cleanup_free_ char *token = NULL;
        if (err) {
                dh_err_set(&e, err->code, "fetching a token: %s", err->msg);
        } else if (resp->status != 200) {
                remote_http_error(op->r->eps[op->ep].host, resp, &e);
        } else if (remote_token_parse(resp->body.data, resp->body.len, &token, &e) == 0) {
                struct remote_ep *ep = &op->r->eps[op->ep];
                free(ep->token);
                ep->token = TAKE_PTR(token);
                op->authed = true;
                op_start(op);
                return;
        }
        dh_err_prefix(&e, "registry %s", op->r->eps[op->ep].host);
        op_next(op, e);
}

static int fetch_token(struct op *op, const struct img_challenge *c, struct dh_err **err)
{
        struct img_remote *r = op->r;
        struct remote_ep *ep = &r->eps[op->ep];
        _cleanup_free_ char *url = remote_token_url(c, r->path);
        if (!url)
                return dh_err_set(err, ENOMEM, "out of memory");
        /* Basic credentials go to the token server (anonymous without them). */
        _cleanup_free_ char *auth = basic_header(ep);
        struct dh_http_req req = { .url = url, .authorization = auth, .insecure = ep->insecure,
                                    .ca_file = ep->ca_file, .max_body = TOKEN_BODY_MAX };
        op->xfer = dh_http_start(r->h, &req, on_token, op, err);
        return op->xfer ? 0 : -1;
}

/* A 401 the first time: get a token or switch to Basic, and retry. */
static void handle_401(struct op *op, struct dh_http_resp *resp)
{
        struct remote_ep *ep = &op->r->eps[op->ep];
        struct img_challenge c = { 0 };
        struct dh_err *e = NULL;
        const char *h = resp->www_authenticate;
        if (!h || img_wwwauth_parse(h, strlen(h), &c, &e) < 0) {
                dh_err_clear(&e);
                remote_http_error(op->r->eps[op->ep].host, resp, &e);
                op_next(op, e);
                return;
        }
        op->authed = true;
        if (c.scheme == IMG_AUTH_BEARER) {
                int r = fetch_token(op, &c, &e);
                img_challenge_free(&c);
                if (r < 0)
                        op_next(op, e);
                return;
        }
        img_challenge_free(&c);
        if (!ep->username || ep->basic) {
                remote_http_error(op->r->eps[op->ep].host, resp, &e);
                op_next(op, e);
                return;
        }
        ep->basic = true;
        op_start(op);
}

static void manifest_done(struct op *op, struct dh_http_resp *resp)
{
        unsigned char md[DH_SHA256_LEN];
        char digest[7 + DH_SHA256_HEX_LEN + 1] = "sha256:";
        dh_sha256(resp->body.data ? resp->body.data : "", resp->body.len, md);
        dh_sha256_hex(md, digest + 7);
        if (img_digest_valid(op->reference) && strcmp(op->reference, digest) != 0) {
                struct dh_err *e = NULL;
                dh_err_set(&e, EINVAL, "registry %s: manifest digest mismatch: expected %s, got %s",
                           op->r->eps[op->ep].host, op->reference, digest);
                op_next(op, e);
                return;
        }
        op_finish(op, NULL, resp, digest);
}

static void on_response(void *ud, struct dh_http_resp *resp, struct dh_err *err)
{
        struct op *op = ud;
        op->xfer = NULL;
        if (err) {
                struct dh_err *e = NULL;
                dh_err_set(&e, err->code, "%s", err->msg);
                op_next(op, e);
                return;
        }
        if (resp->status == 401 && !op->authed) {
                handle_401(op, resp);
                return;
        }
        if (resp->status < 200 || resp->status >= 300) {
                struct dh_err *e = NULL;
                remote_http_error(op->r->eps[op->ep].host, resp, &e);
                op_next(op, e);
                return;
        }
        if (op->kind == OP_MANIFEST)
                manifest_done(op, resp);
        else
                op_finish(op, NULL, resp, NULL);
}

static struct op *op_new(struct img_remote *r, enum op_kind kind, const char *reference,
                         struct dh_err **err)
{
        struct op *op = calloc(1, sizeof *op);
        if (!op || !(op->reference = strdup(reference))) {
                free(op);
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        op->r = r;
        op->kind = kind;
        op->next = r->ops;
        if (op->next)
                op->next->pprev = &op->next;
        op->pprev = &r->ops;
        r->ops = op;
        return op;
}

static bool valid_reference(const char *s)
{
        if (img_digest_valid(s))
                return true;
        size_t n = strlen(s);
        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || (i > 0 && (c == '.' || c == '-'))))
                        return false;
        }
        return true;
}

int img_remote_get_manifest(struct img_remote *r, const char *reference, img_manifest_fn fn,
                            void *ud, struct dh_err **err)
{
        if (!valid_reference(reference))
                return dh_err_set(err, EINVAL, "invalid tag or digest \"%s\"", reference);
        struct op *op = op_new(r, OP_MANIFEST, reference, err);
        if (!op)
                return -ENOMEM;
        op->mfn = fn;
        op->ud = ud;
        op_start(op);
        return 0;
}

int img_remote_get_blob(struct img_remote *r, const char *digest, int64_t size,
                        struct img_writer *w, img_progress_fn progress, img_blob_fn fn, void *ud,
                        struct dh_err **err)
{
        if (!img_digest_valid(digest))
                return dh_err_set(err, EINVAL, "invalid blob digest \"%s\"", digest);
        if (size < 0)
                return dh_err_set(err, EINVAL, "blob %s: negative size", digest);
        struct op *op = op_new(r, OP_BLOB, digest, err);
        if (!op)
                return -ENOMEM;
        op->bfn = fn;
        op->progress = progress;
        op->ud = ud;
        op->w = w;
        op->size = size;
        op->last_progress = dh_now_ms();
        op_start(op);
        return 0;
}
