/* The registries file (k3s/RKE2 shape: mirrors and per-host configs),
 * YAML or JSON through lib/yaml, decoded by lib/jsondec tables, validated
 * with field paths, and merged into one entry per host. */
#include "cri/image/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fielderr.h"
#include "lib/jsondec.h"
#include "lib/yaml.h"

#define REGCONFIG_HOSTS_MAX 1000

struct mirror {
        struct dh_strv endpoint;
};
struct mirror_entry {
        char *key;
        struct mirror m;
};
struct tls_cfg {
        char *ca_file;
        struct dh_opt_bool insecure_skip_verify;
};
struct auth_cfg {
        char *username, *password, *auth;
};
struct host_cfg {
        struct dh_opt_bool insecure;
        char *ca_file;
        struct tls_cfg tls;
        struct auth_cfg auth;
};
struct config_entry {
        char *key;
        struct host_cfg c;
};
struct raw_config {
        DH_VEC(struct mirror_entry) mirrors;
        DH_VEC(struct config_entry) configs;
};

#define F(st, key, member, type) { key, (type), offsetof(struct st, member) }
#define END { NULL, NULL, 0 }
#define QMAP(entrytype, valmember, elemtype) \
        JD_MAP_LIMITED_QUOTED(entrytype, valmember, elemtype, REGCONFIG_HOSTS_MAX)

static const struct jd_field mirror_fields[] = { F(mirror, "endpoint", endpoint, &jd_strv), END };
static const struct jd_type t_mirror = JD_OBJECT(struct mirror, mirror_fields);
static const struct jd_field tls_fields[] = {
        F(tls_cfg, "ca_file", ca_file, &jd_string),
        F(tls_cfg, "insecure_skip_verify", insecure_skip_verify, &jd_bool), END,
};
static const struct jd_type t_tls = JD_OBJECT(struct tls_cfg, tls_fields);
static const struct jd_field auth_fields[] = {
        F(auth_cfg, "username", username, &jd_string), F(auth_cfg, "password", password, &jd_string),
        F(auth_cfg, "auth", auth, &jd_string), END,
};
static const struct jd_type t_auth = JD_OBJECT(struct auth_cfg, auth_fields);
static const struct jd_field host_fields[] = {
        F(host_cfg, "insecure", insecure, &jd_bool), F(host_cfg, "ca_file", ca_file, &jd_string),
        F(host_cfg, "tls", tls, &t_tls), F(host_cfg, "auth", auth, &t_auth), END,
};
static const struct jd_type t_host = JD_OBJECT(struct host_cfg, host_fields);
static const struct jd_type t_mirrors = QMAP(struct mirror_entry, m, &t_mirror);
static const struct jd_type t_configs = QMAP(struct config_entry, c, &t_host);
static const struct jd_field raw_fields[] = {
        F(raw_config, "mirrors", mirrors, &t_mirrors), F(raw_config, "configs", configs, &t_configs), END,
};
static const struct jd_type t_raw = JD_OBJECT(struct raw_config, raw_fields);

static bool valid_endpoint(const char *s)
{
        const char *rest = strncmp(s, "https://", 8) == 0 ? s + 8
                           : strncmp(s, "http://", 7) == 0 ? s + 7 : NULL;
        return rest && *rest && *rest != '/' && !strpbrk(s, " \t\r\n?#");
}

static void check_path(struct dh_ferrs *e, struct dh_path *p, const char *field, const char *v)
{
        if (!v || v[0] == '/')
                return;
        size_t mark = dh_path_field(p, field);
        dh_ferr_invalid_str(e, p, v, "must be an absolute path");
        dh_path_pop(p, mark);
}

static void validate(struct raw_config *raw, struct dh_ferrs *e)
{
        struct dh_path p = { 0 };
        for (size_t i = 0; i < raw->mirrors.n; i++) {
                struct mirror_entry *m = &raw->mirrors.v[i];
                _cleanup_free_ char *q = dh_quote(m->key);
                size_t mark = dh_path_field(&p, "mirrors");
                dh_path_key(&p, q ? q : "?");
                dh_path_field(&p, "endpoint");
                for (size_t j = 0; j < m->m.endpoint.n; j++) {
                        size_t m2 = dh_path_index(&p, j);
                        if (!valid_endpoint(m->m.endpoint.v[j]))
                                dh_ferr_invalid_str(e, &p, m->m.endpoint.v[j],
                                                    "must be an http:// or https:// URL with a host");
                        dh_path_pop(&p, m2);
                }
                dh_path_pop(&p, mark);
        }
        for (size_t i = 0; i < raw->configs.n; i++) {
                struct config_entry *c = &raw->configs.v[i];
                _cleanup_free_ char *q = dh_quote(c->key);
                size_t mark = dh_path_field(&p, "configs");
                dh_path_key(&p, q ? q : "?");
                check_path(e, &p, "ca_file", c->c.ca_file);
                check_path(e, &p, "tls.ca_file", c->c.tls.ca_file);
                if (c->c.ca_file && c->c.tls.ca_file) {
                        size_t m2 = dh_path_field(&p, "tls.ca_file");
                        dh_ferr_forbidden(e, &p, "may not be set together with ca_file");
                        dh_path_pop(&p, m2);
                }
                dh_path_pop(&p, mark);
        }
}

static struct img_registry_host *host_get(struct img_registry_config *c, const char *host)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->v[i].host, host) == 0)
                        return &c->v[i];
        struct img_registry_host *h = &c->v[c->n];
        *h = (struct img_registry_host){ .host = strdup(host) };
        if (!h->host)
                return NULL;
        c->n++;
        return h;
}

/* auth.auth is base64(user:pass) and wins over username/password. */
static int host_auth(struct img_registry_host *h, const struct auth_cfg *a, const char *key,
                     struct dh_ferrs *e)
{
        h->username = a->username ? strdup(a->username) : NULL;
        h->password = a->password ? strdup(a->password) : NULL;
        if (!a->auth || !*a->auth)
                return 0;
        _cleanup_free_ unsigned char *raw = NULL;
        size_t n = 0;
        struct dh_err *e64 = NULL;
        char *colon = NULL;
        if (dh_base64_decode(a->auth, strlen(a->auth), &raw, &n, &e64) == 0)
                colon = memchr(raw, ':', n);
        dh_err_free(e64);
        if (!colon) {
                _cleanup_free_ char *q = dh_quote(key);
                char field[600];
                snprintf(field, sizeof field, "configs[%s].auth.auth", q ? q : "?");
                dh_ferr_add(e, DH_FERR_INVALID, field, NULL, "must be base64(username:password)");
                return -EINVAL;
        }
        free(h->username);
        free(h->password);
        h->username = strndup((char *)raw, (size_t)(colon - (char *)raw));
        h->password = strdup(colon + 1);
        return 0;
}

static int merge(const struct raw_config *raw, struct img_registry_config *out, struct dh_ferrs *e)
{
        out->v = calloc(raw->mirrors.n + raw->configs.n + 1, sizeof *out->v);
        if (!out->v)
                return -ENOMEM;
        for (size_t i = 0; i < raw->mirrors.n; i++) {
                const struct mirror_entry *m = &raw->mirrors.v[i];
                struct img_registry_host *h = host_get(out, m->key);
                if (!h)
                        return -ENOMEM;
                for (size_t j = 0; j < m->m.endpoint.n; j++) {
                        char **nv = realloc(h->endpoints.v, (h->endpoints.n + 1) * sizeof *nv);
                        if (!nv)
                                return -ENOMEM;
                        h->endpoints.v = nv;
                        char *ep = strdup(m->m.endpoint.v[j]);
                        if (!ep)
                                return -ENOMEM;
                        size_t l = strlen(ep);
                        while (l > 0 && ep[l - 1] == '/')
                                ep[--l] = '\0';
                        h->endpoints.v[h->endpoints.n++] = ep;
                }
        }
        for (size_t i = 0; i < raw->configs.n; i++) {
                const struct config_entry *c = &raw->configs.v[i];
                struct img_registry_host *h = host_get(out, c->key);
                if (!h)
                        return -ENOMEM;
                h->insecure = c->c.insecure.v || c->c.tls.insecure_skip_verify.v;
                const char *ca = c->c.ca_file ? c->c.ca_file : c->c.tls.ca_file;
                if (ca && !(h->ca_file = strdup(ca)))
                        return -ENOMEM;
                host_auth(h, &c->c.auth, c->key, e);
        }
        return 0;
}

static int decode(json_t *doc, const char *name, struct img_registry_config *out, struct dh_err **err)
{
        struct raw_config raw = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx ctx = { .errs = &errs };
        jd_decode_object(&ctx, doc, &raw, &t_raw);
        if (!errs.n && !errs.dropped)
                validate(&raw, &errs);
        struct img_registry_config c = { 0 };
        int r = 0;
        if (!errs.n && !errs.dropped && merge(&raw, &c, &errs) < 0)
                r = dh_err_set(err, ENOMEM, "%s: out of memory", name);
        if (r == 0 && (errs.n || errs.dropped))
                r = dh_ferrs_to_err(name, &errs, err);
        dh_ferrs_free(&errs);
        jd_free_object(&raw, &t_raw);
        if (r < 0) {
                img_registry_config_free(&c);
                return r;
        }
        *out = c;
        return 0;
}

int img_registry_config_parse(const char *data, size_t len, const char *name,
                              struct img_registry_config *out, struct dh_err **err)
{
        struct dh_docs docs = { 0 };
        if (dh_yaml_parse(data, len, &docs, err) < 0)
                return dh_err_prefix(err, "%s", name);
        int r = 0;
        if (docs.n > 1)
                r = dh_err_set(err, DH_EINVAL_INPUT, "%s: expected one document, found %zu", name, docs.n);
        else if (docs.n == 1 && !json_is_object(docs.v[0]))
                r = dh_err_set(err, DH_EINVAL_INPUT, "%s: expected an object", name);
        else if (docs.n == 1)
                r = decode(docs.v[0], name, out, err);
        else
                *out = (struct img_registry_config){ 0 };
        dh_docs_free(&docs);
        return r;
}

void img_registry_config_free(struct img_registry_config *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++) {
                struct img_registry_host *h = &c->v[i];
                free(h->host);
                for (size_t j = 0; j < h->endpoints.n; j++)
                        free(h->endpoints.v[j]);
                free(h->endpoints.v);
                free(h->ca_file);
                free(h->username);
                free(h->password);
        }
        free(c->v);
        *c = (struct img_registry_config){ 0 };
}

const struct img_registry_host *img_registry_config_find(const struct img_registry_config *c,
                                                         const char *host)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->v[i].host, host) == 0)
                        return &c->v[i];
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->v[i].host, "*") == 0)
                        return &c->v[i];
        return NULL;
}
