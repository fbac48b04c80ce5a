/* A small driver of the registry client for tests/integration/registry.sh:
 *
 *   regclient [options] manifest REF         prints the manifest's digest,
 *                                           type and (for an index) entries
 *   regclient [options] pull REF STOREDIR    manifest (an index resolves to
 *                                           linux/amd64), then config and
 *                                           layers fetched concurrently into
 *                                           the store, largest first
 *   options: --user U:P  --config REGISTRIES.yaml  --dockercfg CONFIG.json
 *
 * Prints one line per event ("manifest ...", "progress DIGEST DONE/TOTAL",
 * "committed DIGEST SIZE", "error[CODE]: message") and exits 1 on any
 * error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/manifest.h"
#include "cri/image/registry.h"
#include "lib/fileio.h"

struct client {
        struct dh_loop *loop;
        struct img_remote *remote;
        struct img_store *store;
        bool pull;
        int pending, status;
};

struct blob {
        struct client *c;
        struct img_writer *w;
        char digest[80];
        int64_t size;
};

static const char *code_name(int code)
{
        static char buf[16];
        switch (code) {
        case ENOENT: return "ENOENT";
        case EACCES: return "EACCES";
        case EINVAL: return "EINVAL";
        case ECONNREFUSED: return "ECONNREFUSED";
        case EIO: return "EIO";
        case DH_ELIMIT: return "ELIMIT";
        default: snprintf(buf, sizeof buf, "%d", code); return buf;
        }
}

static void report(struct client *c, const struct dh_err *err)
{
        printf("error[%s]: %s\n", code_name(err->code), err->msg);
        fflush(stdout);
        c->status = 1;
}

static void one_done(struct client *c)
{
        if (--c->pending == 0)
                dh_loop_quit(c->loop, c->status);
}

static void on_progress(void *ud, const char *digest, int64_t done, int64_t total)
{
        (void)ud;
        printf("progress %s %lld/%lld\n", digest, (long long)done, (long long)total);
        fflush(stdout);
}

static void on_blob(void *ud, struct dh_err *err)
{
        struct blob *b = ud;
        struct dh_err *e = NULL;
        char *digest = NULL;
        if (err) {
                report(b->c, err);
                img_writer_abort(b->w);
        } else if (img_writer_commit(b->w, &digest, &e) < 0) {
                dh_err_prefix(&e, "commit %s", b->digest);
                report(b->c, e);
                dh_err_free(e);
        } else {
                printf("committed %s %lld\n", digest, (long long)b->size);
                fflush(stdout);
        }
        free(digest);
        struct client *c = b->c;
        free(b);
        one_done(c);
}

static void fetch_blob(struct client *c, const struct img_descriptor *d)
{
        struct blob *b = calloc(1, sizeof *b);
        struct dh_err *err = NULL;
        if (!b)
                abort();
        b->c = c;
        b->size = d->size;
        snprintf(b->digest, sizeof b->digest, "%s", d->digest);
        if (img_writer_open(c->store, d->digest, d->size, d->size, &b->w, &err) < 0 ||
            img_remote_get_blob(c->remote, d->digest, d->size, b->w, on_progress, on_blob, b, &err) < 0) {
                report(c, err);
                dh_err_free(err);
                img_writer_abort(b->w);
                free(b);
                return;
        }
        c->pending++;
}

static int by_size_desc(const void *a, const void *b)
{
        const struct img_descriptor *x = *(struct img_descriptor *const *)a, *y = *(struct img_descriptor *const *)b;
        return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

/* Starts every blob at once, the largest first. */
static void fetch_all(struct client *c, const struct img_manifest *m)
{
        size_t n = m->layers.n + 1;
        const struct img_descriptor **v = calloc(n, sizeof *v);
        if (!v)
                abort();
        v[0] = &m->config;
        for (size_t i = 0; i < m->layers.n; i++)
                v[i + 1] = &m->layers.v[i];
        qsort(v, n, sizeof *v, by_size_desc);
        for (size_t i = 0; i < n; i++)
                fetch_blob(c, v[i]);
        free(v);
}

static void on_manifest(void *ud, const char *body, size_t len, const char *ctype, const char *digest,
                        struct dh_err *err)
{
        struct client *c = ud;
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        if (err) {
                report(c, err);
        } else if (img_manifest_parse(body, len, ctype, &m, &e) < 0) {
                report(c, e);
                dh_err_free(e);
        } else {
                printf("manifest %s %s %zu\n", digest, ctype ? ctype : "-", len);
                for (size_t i = 0; i < m.manifests.n; i++) {
                        const struct img_descriptor *d = &m.manifests.v[i];
                        printf("entry %s %s/%s\n", d->digest, d->platform && d->platform->os ? d->platform->os : "-",
                               d->platform && d->platform->architecture ? d->platform->architecture : "-");
                }
                fflush(stdout);
                size_t idx = 0;
                if (c->pull && m.manifests.n) {
                        if (img_manifest_select(&m, NULL, NULL, NULL, &idx, &e) < 0 ||
                            img_remote_get_manifest(c->remote, m.manifests.v[idx].digest, on_manifest, c, &e) < 0) {
                                report(c, e);
                                dh_err_free(e);
                        } else {
                                c->pending++;
                        }
                } else if (c->pull) {
                        fetch_all(c, &m);
                }
        }
        img_manifest_free(&m);
        one_done(c);
}

static int die(struct dh_err *err)
{
        printf("error[%s]: %s\n", code_name(err->code), err->msg);
        dh_err_free(err);
        return 1;
}

struct args {
        const char *user, *config, *dockercfg, *verb, *ref, *store;
};

static int parse_args(int argc, char **argv, struct args *a)
{
        int i = 1;
        for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
                if (strcmp(argv[i], "--user") == 0)
                        a->user = argv[i + 1];
                else if (strcmp(argv[i], "--config") == 0)
                        a->config = argv[i + 1];
                else if (strcmp(argv[i], "--dockercfg") == 0)
                        a->dockercfg = argv[i + 1];
                else
                        return -1;
        }
        if (argc - i < 2)
                return -1;
        a->verb = argv[i];
        a->ref = argv[i + 1];
        a->store = i + 2 < argc ? argv[i + 2] : NULL;
        if (strcmp(a->verb, "pull") == 0 ? !a->store : strcmp(a->verb, "manifest") != 0)
                return -1;
        return 0;
}

/* Credentials: --user, else the first match in --dockercfg. */
static int credentials(const struct args *a, const struct img_ref *ref, struct img_auth *auth,
                       struct dh_err **err)
{
        if (a->user) {
                const char *colon = strchr(a->user, ':');
                auth->username = strndup(a->user, colon ? (size_t)(colon - a->user) : strlen(a->user));
                auth->password = strdup(colon ? colon + 1 : "");
                return 0;
        }
        if (!a->dockercfg)
                return 0;
        char *data = NULL;
        size_t len = 0;
        struct img_auth_list l = { 0 };
        if (dh_read_file(a->dockercfg, 1 << 20, &data, &len, err) < 0)
                return -1;
        int r = img_docker_config_lookup(data, len, ref, &l, err);
        free(data);
        if (r == 0 && l.n) {
                *auth = l.v[0];
                l.v[0] = (struct img_auth){ 0 };
        }
        img_auth_list_free(&l);
        return r;
}

static int load_config(const char *path, struct img_registry_config *cfg, struct dh_err **err)
{
        char *data = NULL;
        size_t len = 0;
        if (!path)
                return 0;
        if (dh_read_file(path, 1 << 20, &data, &len, err) < 0)
                return -1;
        int r = img_registry_config_parse(data, len, path, cfg, err);
        free(data);
        return r;
}

int main(int argc, char **argv)
{
        struct args a = { 0 };
        if (parse_args(argc, argv, &a) < 0) {
                fprintf(stderr, "usage: regclient [--user U:P] [--config F] [--dockercfg F] "
                                "manifest REF | pull REF STOREDIR\n");
                return 2;
        }
        struct dh_err *err = NULL;
        struct img_ref ref = { 0 };
        struct img_auth auth = { 0 };
        struct img_registry_config cfg = { 0 };
        struct client c = { .pull = strcmp(a.verb, "pull") == 0, .pending = 1 };
        struct dh_http *http = NULL;
        if (img_ref_parse(a.ref, &ref, &err) < 0 || credentials(&a, &ref, &auth, &err) < 0 ||
            load_config(a.config, &cfg, &err) < 0 || dh_loop_new(&c.loop, &err) < 0 ||
            dh_http_new(c.loop, &http, &err) < 0 ||
            (c.pull && img_store_open(a.store, &c.store, &err) < 0))
                return die(err);
        struct img_remote_options o = { .config = &cfg, .auth = &auth };
        if (img_remote_new(http, &ref, &o, &c.remote, &err) < 0 ||
            img_remote_get_manifest(c.remote, ref.digest ? ref.digest : ref.tag, on_manifest, &c, &err) < 0)
                return die(err);
        int status = dh_loop_run(c.loop);
        img_remote_free(c.remote);
        dh_http_free(http);
        img_store_close(c.store);
        dh_loop_free(c.loop);
        img_registry_config_free(&cfg);
        img_auth_free(&auth);
        img_ref_free(&ref);
        return status ? 1 : 0;
}
