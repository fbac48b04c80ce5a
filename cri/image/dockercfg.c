/* Credentials from Docker config.json / legacy .dockercfg bodies, matched
 * to an image the way the kubelet's credentialprovider keyring does:
 * each key loses its scheme and a leading /v1/ or /v2/, keys are tried in
 * reverse lexical order (so "quay.io/coreos" comes before "quay.io"), a
 * key matches when its port equals the image's, its host has as many
 * labels with each label a glob match, and its path is a prefix of the
 * image's path; failing that, "index.docker.io" credentials serve images
 * that resolve to Docker Hub. */
#include "cri/image/registry.h"

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/cleanup.h"
#include "lib/fielderr.h"

#define DOCKERCFG_MAX (4u << 20)
#define DOCKERCFG_ENTRIES_MAX 10000
#define DEFAULT_REGISTRY_HOST "index.docker.io"

struct cred {
        char *key; /* schemeless "host[:port][/path]" */
        struct img_auth auth;
};

struct keyring {
        struct cred *v;
        size_t n;
};

void img_auth_free(struct img_auth *a)
{
        if (!a)
                return;
        free(a->username);
        free(a->password);
        free(a->identity_token);
        free(a->registry_token);
        *a = (struct img_auth){ 0 };
}

void img_auth_list_free(struct img_auth_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                img_auth_free(&l->v[i]);
        free(l->v);
        *l = (struct img_auth_list){ 0 };
}

static void keyring_free(struct keyring *k)
{
        for (size_t i = 0; i < k->n; i++) {
                free(k->v[i].key);
                img_auth_free(&k->v[i].auth);
        }
        free(k->v);
}

/* A schemeless URL split as Go's url.Parse("https://" + s) would: host
 * (userinfo dropped) and path (query and fragment dropped). */
static void split_url(const char *s, const char **host, size_t *hlen, const char **path,
                      size_t *plen)
{
        size_t auth_end = strcspn(s, "/?#");
        const char *at = memchr(s, '@', auth_end);
        if (at)
                s = at + 1;
        *host = s;
        *hlen = strcspn(s, "/?#");
        *path = s + *hlen;
        *plen = (*path)[0] == '/' ? strcspn(*path, "?#") : 0;
}

/* kubelet's BasicDockerKeyring.Add key for a config location. */
static char *location_key(const char *loc)
{
        if (strncmp(loc, "https://", 8) == 0)
                loc += 8;
        else if (strncmp(loc, "http://", 7) == 0)
                loc += 7;
        const char *host, *path;
        size_t hlen, plen;
        split_url(loc, &host, &hlen, &path, &plen);
        if (plen >= 4 && (strncmp(path, "/v2/", 4) == 0 || strncmp(path, "/v1/", 4) == 0)) {
                path += 3;
                plen -= 3;
        }
        if (plen == 1)
                plen = 0;
        char *key = malloc(hlen + plen + 1);
        if (!key)
                return NULL;
        memcpy(key, host, hlen);
        memcpy(key + hlen, path, plen);
        key[hlen + plen] = '\0';
        return key;
}

/* net.SplitHostPort, falling back to the whole host without a port. */
static void host_port(const char *h, size_t n, char *host, size_t hsz, const char **port)
{
        *port = "";
        size_t hl = n;
        const char *colon = NULL;
        if (n && h[0] == '[') {
                const char *close = memchr(h, ']', n);
                if (close && close + 1 < h + n && close[1] == ':' && !memchr(close + 2, ':', (size_t)(h + n - close - 2))) {
                        h++;
                        hl = (size_t)(close - h);
                        colon = close + 1;
                }
        } else {
                const char *c = memchr(h, ':', n);
                if (c && !memchr(c + 1, ':', (size_t)(h + n - c - 1))) {
                        hl = (size_t)(c - h);
                        colon = c;
                }
        }
        if (hl >= hsz)
                hl = hsz - 1;
        memcpy(host, h, hl);
        host[hl] = '\0';
        if (colon)
                *port = colon + 1;
}

static size_t count_labels(const char *s)
{
        size_t n = 1;
        for (; *s; s++)
                n += *s == '.';
        return n;
}

/* kubelet's urlsMatch(glob, target) over schemeless URLs. */
static bool urls_match(const char *glob, const char *target)
{
        const char *gh, *gp, *th, *tp;
        size_t ghl, gpl, thl, tpl;
        split_url(glob, &gh, &ghl, &gp, &gpl);
        split_url(target, &th, &thl, &tp, &tpl);
        char ghost[512], thost[512];
        const char *gport, *tport;
        host_port(gh, ghl, ghost, sizeof ghost, &gport);
        host_port(th, thl, thost, sizeof thost, &tport);
        size_t gpn = strcspn(gport, "/?#"), tpn = strcspn(tport, "/?#");
        if (gpn != tpn || strncmp(gport, tport, gpn) != 0)
                return false;
        if (count_labels(ghost) != count_labels(thost))
                return false;
        if (gpl > tpl || strncmp(tp, gp, gpl) != 0)
                return false;
        char *gs = ghost, *ts = thost;
        for (;;) {
                char *gd = strchr(gs, '.'), *td = strchr(ts, '.');
                if (gd)
                        *gd = '\0';
                if (td)
                        *td = '\0';
                if (fnmatch(gs, ts, 0) != 0)
                        return false;
                if (!gd || !td)
                        return true;
                gs = gd + 1;
                ts = td + 1;
        }
}

/* kubelet's isDefaultRegistryMatch for "domain/path". */
static bool default_registry_match(const char *image)
{
        size_t first = strcspn(image, "/");
        if (first == 0)
                return false;
        if (!image[first])
                return true;
        if ((first == 9 && strncmp(image, "docker.io", 9) == 0) ||
            (first == 15 && strncmp(image, DEFAULT_REGISTRY_HOST, 15) == 0))
                return true;
        return !memchr(image, '.', first) && !memchr(image, ':', first);
}

static int dup_str(json_t *obj, const char *key, char **out)
{
        json_t *v = json_object_get(obj, key);
        if (!json_is_string(v))
                return 0;
        *out = strdup(json_string_value(v));
        return *out ? 0 : -ENOMEM;
}

/* One entry's credentials: "auth" (base64 user:pass) wins over
 * username/password, as in credentialprovider's DockerConfigEntry. */
static int decode_entry(json_t *e, const char *field, struct img_auth *a, struct dh_err **err)
{
        if (!json_is_object(e))
                return dh_err_set(err, DH_EINVAL_INPUT, "%s: Invalid value: must be an object", field);
        static const char *const strs[] = { "username", "password", "auth", "identitytoken",
                                            "registrytoken" };
        for (size_t i = 0; i < DH_ARRAY_SIZE(strs); i++) {
                json_t *v = json_object_get(e, strs[i]);
                if (v && !json_is_null(v) && !json_is_string(v))
                        return dh_err_set(err, DH_EINVAL_INPUT, "%s.%s: Invalid value: must be a string",
                                          field, strs[i]);
        }
        if (dup_str(e, "username", &a->username) < 0 || dup_str(e, "password", &a->password) < 0 ||
            dup_str(e, "identitytoken", &a->identity_token) < 0 ||
            dup_str(e, "registrytoken", &a->registry_token) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        const char *b64 = json_string_value(json_object_get(e, "auth"));
        if (!b64 || !*b64)
                return 0;
        _cleanup_free_ unsigned char *raw = NULL;
        size_t rlen = 0;
        struct dh_err *e64 = NULL;
        if (dh_base64_decode(b64, strlen(b64), &raw, &rlen, &e64) < 0) {
                dh_err_free(e64);
                return dh_err_set(err, DH_EINVAL_INPUT, "%s.auth: Invalid value: not valid base64", field);
        }
        char *colon = memchr(raw, ':', rlen);
        if (!colon || memchr(raw, '\0', rlen))
                return dh_err_set(err, DH_EINVAL_INPUT,
                                  "%s.auth: Invalid value: must be formatted as base64(username:password)",
                                  field);
        free(a->username);
        free(a->password);
        a->username = strndup((char *)raw, (size_t)(colon - (char *)raw));
        a->password = strdup(colon + 1);
        return a->username && a->password ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static int build_keyring(json_t *map, const char *prefix, struct keyring *k, struct dh_err **err)
{
        size_t n = json_object_size(map);
        if (n > DOCKERCFG_ENTRIES_MAX)
                return dh_err_set(err, DH_ELIMIT, "docker config: %zu entries exceed %d", n, DOCKERCFG_ENTRIES_MAX);
        k->v = calloc(n ? n : 1, sizeof *k->v);
        if (!k->v)
                return dh_err_set(err, ENOMEM, "out of memory");
        const char *loc;
        json_t *e;
        json_object_foreach(map, loc, e) {
                _cleanup_free_ char *q = dh_quote(loc);
                char field[600];
                snprintf(field, sizeof field, "%s[%s]", prefix, q ? q : "?");
                struct cred *c = &k->v[k->n++];
                int r = decode_entry(e, field, &c->auth, err);
                if (r < 0)
                        return r;
                c->key = location_key(loc);
                if (!c->key)
                        return dh_err_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* Reverse lexical order of the distinct keys; equal keys keep file order. */
static int cmp_desc(const void *a, const void *b)
{
        const struct cred *x = *(struct cred *const *)a, *y = *(struct cred *const *)b;
        int c = strcmp(y->key, x->key);
        if (c)
                return c;
        return x < y ? -1 : x > y;
}

static int push(struct img_auth_list *out, const struct img_auth *a)
{
        struct img_auth *nv = realloc(out->v, (out->n + 1) * sizeof *nv);
        if (!nv)
                return -ENOMEM;
        out->v = nv;
        struct img_auth *d = &out->v[out->n];
        *d = (struct img_auth){ 0 };
        out->n++;
        if ((a->username && !(d->username = strdup(a->username))) ||
            (a->password && !(d->password = strdup(a->password))) ||
            (a->identity_token && !(d->identity_token = strdup(a->identity_token))) ||
            (a->registry_token && !(d->registry_token = strdup(a->registry_token))))
                return -ENOMEM;
        return 0;
}

static int lookup(const struct keyring *k, const char *image, struct img_auth_list *out)
{
        _cleanup_free_ struct cred **order = calloc(k->n ? k->n : 1, sizeof *order);
        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < k->n; i++)
                order[i] = &k->v[i];
        qsort(order, k->n, sizeof *order, cmp_desc);
        for (size_t i = 0; i < k->n; i++)
                if (urls_match(order[i]->key, image) && push(out, &order[i]->auth) < 0)
                        return -ENOMEM;
        if (out->n || !default_registry_match(image))
                return 0;
        for (size_t i = 0; i < k->n; i++)
                if (strcmp(order[i]->key, DEFAULT_REGISTRY_HOST) == 0 && push(out, &order[i]->auth) < 0)
                        return -ENOMEM;
        return 0;
}

int img_docker_config_lookup(const char *data, size_t len, const struct img_ref *ref,
                             struct img_auth_list *out, struct dh_err **err)
{
        if (len > DOCKERCFG_MAX)
                return dh_err_set(err, DH_ELIMIT, "docker config of %zu bytes exceeds %u", len, DOCKERCFG_MAX);
        json_error_t je;
        json_t *j = json_loadb(data, len, 0, &je);
        if (!j)
                return dh_err_set(err, DH_EINVAL_INPUT, "docker config: line %d, column %d: %s", je.line,
                                  je.column, je.text);
        json_t *auths = json_object_get(j, "auths");
        const char *prefix = auths ? "auths" : "docker config: ";
        json_t *map = auths ? auths : j;
        int r = 0;
        struct keyring k = { 0 };
        struct img_auth_list res = { 0 };
        if (!json_is_object(map)) {
                r = dh_err_set(err, DH_EINVAL_INPUT, "docker config: %sInvalid value: must be an object",
                               auths ? "auths: " : "");
        } else if ((r = build_keyring(map, prefix, &k, err)) >= 0) {
                _cleanup_free_ char *image = NULL;
                if (asprintf(&image, "%s/%s", ref->domain ? ref->domain : "", ref->path ? ref->path : "") < 0)
                        image = NULL;
                if (!image || lookup(&k, image, &res) < 0)
                        r = dh_err_set(err, ENOMEM, "out of memory");
        }
        keyring_free(&k);
        json_decref(j);
        if (r < 0) {
                img_auth_list_free(&res);
                return r;
        }
        *out = res;
        return 0;
}
