/* Creating and freeing remotes (the endpoint list and who gets which
 * credentials), and the small formats around requests: registry error
 * bodies, token URLs and token responses. */
#include "cri/image/remote-internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/manifest.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/jsondec.h"

#define ERRORS_SHOWN 3
#define ERROR_TEXT_MAX 200

struct reg_error {
        char *code, *message;
};
struct reg_errors {
        DH_VEC(struct reg_error) errors;
};
#define F(st, key, member, type) { key, (type), offsetof(struct st, member) }
#define END { NULL, NULL, 0 }
static const struct jd_field error_fields[] = {
        F(reg_error, "code", code, &jd_string), F(reg_error, "message", message, &jd_string), END,
};
static const struct jd_type t_error = JD_OBJECT(struct reg_error, error_fields);
static const struct jd_type t_error_list = JD_ARRAY(&t_error);
static const struct jd_field errors_fields[] = { F(reg_errors, "errors", errors, &t_error_list), END };
static const struct jd_type t_errors = JD_OBJECT(struct reg_errors, errors_fields);

/* Appends ": CODE: message; CODE: message" from a registry error body. */
static void summarize(struct dh_buf *b, const struct dh_http_resp *resp)
{
        if (!resp->body.len)
                return;
        json_t *j = json_loadb(resp->body.data, resp->body.len, 0, NULL);
        if (!j)
                return;
        struct reg_errors re = { 0 };
        struct dh_ferrs fe = { 0 };
        struct jd_ctx ctx = { .errs = &fe };
        jd_decode_object(&ctx, j, &re, &t_errors);
        for (size_t i = 0; i < re.errors.n && i < ERRORS_SHOWN; i++) {
                const struct reg_error *e = &re.errors.v[i];
                dh_buf_printf(b, NULL, "%s%.*s%s%.*s", i ? "; " : ": ", ERROR_TEXT_MAX,
                              e->code ? e->code : "UNKNOWN", e->message ? ": " : "", ERROR_TEXT_MAX,
                              e->message ? e->message : "");
        }
        jd_free_object(&re, &t_errors);
        dh_ferrs_free(&fe);
        json_decref(j);
}

void remote_http_error(const char *host, const struct dh_http_resp *resp, struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        const char *reason = dh_http_reason(resp->status);
        dh_buf_printf(&b, NULL, "GET %s: ", resp->url ? resp->url : "?");
        if (reason)
                dh_buf_puts(&b, reason, NULL);
        else
                dh_buf_printf(&b, NULL, "HTTP %ld", resp->status);
        int code = EIO;
        if (resp->status == 401 || resp->status == 403) {
                code = EACCES;
                dh_buf_printf(&b, NULL, ": authorization failed for registry %s", host);
        } else if (resp->status == 404) {
                code = ENOENT;
        }
        summarize(&b, resp);
        _cleanup_free_ char *msg = dh_buf_steal(&b);
        dh_err_set(err, code, "%s", msg ? msg : "HTTP error");
}

static void url_escape(struct dh_buf *b, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("-._~", c)) {
                        dh_buf_append(b, s, 1, NULL);
                } else {
                        char e[3] = { '%', hex[c >> 4], hex[c & 15] };
                        dh_buf_append(b, e, 3, NULL);
                }
        }
}

char *remote_token_url(const struct img_challenge *c, const char *path)
{
        struct dh_buf b;
        dh_buf_init(&b, 16 * 1024);
        dh_buf_puts(&b, c->realm, NULL);
        char sep = strchr(c->realm, '?') ? '&' : '?';
        if (c->service) {
                dh_buf_printf(&b, NULL, "%cservice=", sep);
                url_escape(&b, c->service);
                sep = '&';
        }
        dh_buf_printf(&b, NULL, "%cscope=", sep);
        if (c->scope) {
                url_escape(&b, c->scope);
        } else {
                _cleanup_free_ char *scope = NULL;
                if (asprintf(&scope, "repository:%s:pull", path) < 0) {
                        dh_buf_free(&b);
                        return NULL;
                }
                url_escape(&b, scope);
        }
        return dh_buf_steal(&b);
}

int remote_token_parse(const char *body, size_t len, char **token, struct dh_err **err)
{
        json_error_t je;
        json_t *j = json_loadb(body ? body : "", len, 0, &je);
        if (!j)
                return dh_err_set(err, EPROTO, "token response: line %d: %s", je.line, je.text);
        const char *t = json_string_value(json_object_get(j, "token"));
        if (!t || !*t)
                t = json_string_value(json_object_get(j, "access_token"));
        int r = 0;
        if (!t || !*t || strpbrk(t, "\r\n"))
                r = dh_err_set(err, EPROTO, "token response has no token");
        else if (!(*token = strdup(t)))
                r = dh_err_set(err, ENOMEM, "out of memory");
        json_decref(j);
        return r;
}

static void ep_free(struct remote_ep *ep)
{
        free(ep->base);
        free(ep->host);
        free(ep->ca_file);
        free(ep->username);
        free(ep->password);
        free(ep->token);
}

void img_remote_free(struct img_remote *r)
{
        if (!r)
                return;
        while (r->ops) {
                struct op *op = r->ops;
                r->ops = op->next;
                dh_http_cancel(op->xfer);
                free(op->reference);
                dh_err_free(op->last_err);
                free(op);
        }
        for (size_t i = 0; i < r->neps; i++)
                ep_free(&r->eps[i]);
        free(r->eps);
        free(r->domain);
        free(r->path);
        free(r->registry_token);
        free(r);
}

static int dup_opt(char **dst, const char *src)
{
        if (!src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

/* Adds an endpoint; credentials come from the caller's auth, else the
 * host's config. */
static int ep_add(struct img_remote *r, const char *base, const char *host,
                  const struct img_registry_host *hc, const struct img_auth *auth)
{
        struct remote_ep *ep = &r->eps[r->neps];
        *ep = (struct remote_ep){ .insecure = hc && hc->insecure };
        r->neps++;
        const char *user = auth && auth->username ? auth->username : hc ? hc->username : NULL;
        const char *pass = auth && auth->username ? auth->password : hc ? hc->password : NULL;
        if (dup_opt(&ep->base, base) < 0 || dup_opt(&ep->host, host) < 0 ||
            dup_opt(&ep->ca_file, hc ? hc->ca_file : NULL) < 0 || dup_opt(&ep->username, user) < 0 ||
            dup_opt(&ep->password, pass) < 0)
                return -ENOMEM;
        return 0;
}

static int add_mirrors(struct img_remote *r, const struct img_ref *ref, const struct img_remote_options *o)
{
        const struct img_registry_host *m = img_registry_config_find(o->config, ref->domain);
        for (size_t i = 0; m && i < m->endpoints.n; i++) {
                const char *url = m->endpoints.v[i];
                const char *hs = strstr(url, "://");
                hs = hs ? hs + 3 : url;
                _cleanup_free_ char *host = strndup(hs, strcspn(hs, "/"));
                if (!host)
                        return -ENOMEM;
                const struct img_registry_host *hc = img_registry_config_find(o->config, host);
                if (ep_add(r, url, host, hc, o->auth) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int build_endpoints(struct img_remote *r, const struct img_ref *ref,
                           const struct img_remote_options *o)
{
        const struct img_registry_host *m = img_registry_config_find(o->config, ref->domain);
        r->eps = calloc((m ? m->endpoints.n : 0) + 2, sizeof *r->eps);
        if (!r->eps || add_mirrors(r, ref, o) < 0)
                return -ENOMEM;
        const char *host = img_ref_registry_host(ref);
        const struct img_registry_host *hc = img_registry_config_find(o->config, host);
        if (!hc)
                hc = m;
        _cleanup_free_ char *https = NULL, *http = NULL;
        if (asprintf(&https, "https://%s", host) < 0 || ep_add(r, https, host, hc, o->auth) < 0)
                return -ENOMEM;
        /* Plain HTTP only where it is expected: loopback and hosts
         * configured insecure, after https (as containerd does). */
        if (img_ref_is_loopback(ref) || (hc && hc->insecure))
                if (asprintf(&http, "http://%s", host) < 0 || ep_add(r, http, host, hc, o->auth) < 0)
                        return -ENOMEM;
        return 0;
}

int img_remote_new(struct dh_http *h, const struct img_ref *ref, const struct img_remote_options *o,
                   struct img_remote **out, struct dh_err **err)
{
        static const struct img_remote_options none = { 0 };
        if (!o)
                o = &none;
        if (!ref->domain || !*ref->domain || !ref->path)
                return dh_err_set(err, EINVAL, "image reference has no registry");
        struct img_remote *r = calloc(1, sizeof *r);
        if (!r)
                return dh_err_set(err, ENOMEM, "out of memory");
        r->h = h;
        r->max_manifest = o->max_manifest > 0 ? o->max_manifest : IMG_MANIFEST_MAX;
        r->progress_interval_ms = o->progress_interval_ms > 0 ? (uint64_t)o->progress_interval_ms
                                                              : PROGRESS_INTERVAL_MS;
        if (dup_opt(&r->domain, ref->domain) < 0 || dup_opt(&r->path, ref->path) < 0 ||
            dup_opt(&r->registry_token, o->auth ? o->auth->registry_token : NULL) < 0 ||
            build_endpoints(r, ref, o) < 0) {
                img_remote_free(r);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        *out = r;
        return 0;
}
