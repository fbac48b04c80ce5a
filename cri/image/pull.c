/* Pulls: one state machine per reference, driven by the loop.
 *
 *   manifest (tag or digest) -> [index -> platform manifest] -> config
 *   -> for each layer not yet unpacked: blob -> unpack -> record
 *
 * Transfers run concurrently on the HTTP engine, so a small pull never
 * waits behind a big one. Unpacking runs in a forked child (at most
 * UNPACK_PARALLEL at once), so the loop stays responsive; a pull of a
 * reference already in flight joins it; a layer blob another pull is
 * already fetching, or a layer it is unpacking, is waited for, not
 * fetched again. Completions are delivered from a zero-delay timer, never
 * from inside a transfer callback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/pull-internal.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define CREDS_FILE_MAX (1u << 20)
#define WAITERS_MAX 1024

static void pull_layers(struct pull *p);
static void slot_fetch_end(struct layer_slot *sl, bool fetched);

/* ---- bookkeeping ---- */

bool img_pulls_use(const struct img_service *s, const char *digest)
{
        for (struct pull *p = s->pulls; p; p = p->next) {
                if ((p->top_digest && strcmp(p->top_digest, digest) == 0) ||
                    (p->manifest_digest && strcmp(p->manifest_digest, digest) == 0) ||
                    (p->man.config.digest && strcmp(p->man.config.digest, digest) == 0))
                        return true;
                for (size_t i = 0; i < p->man.layers.n; i++)
                        if (strcmp(p->man.layers.v[i].digest, digest) == 0 ||
                            (p->have_cfg && i < p->cfg.diff_ids.n &&
                             strcmp(p->cfg.diff_ids.v[i], digest) == 0))
                                return true;
        }
        return false;
}

static void unlink_pull(struct pull *p)
{
        for (struct pull **pp = &p->s->pulls; *pp; pp = &(*pp)->next)
                if (*pp == p) {
                        *pp = p->next;
                        return;
                }
}


/* Takes a waiting slot off the list of the slot fetching its blob. */
static void slot_stop_waiting(struct layer_slot *sl)
{
        if (!sl->fetcher)
                return;
        for (struct layer_slot **w = &sl->fetcher->fetch_waiters; *w; w = &(*w)->next_waiting)
                if (*w == sl) {
                        *w = sl->next_waiting;
                        break;
                }
        sl->fetcher = NULL;
        sl->next_waiting = NULL;
}

static void pull_free(struct pull *p)
{
        unlink_pull(p);
        if (p->finish)
                dh_timer_cancel(p->finish);
        img_remote_free(p->remote); /* cancels transfers: no callbacks */
        for (size_t i = 0; i < p->nretired; i++)
                img_remote_free(p->retired[i]);
        img_writer_abort(p->cfg_writer);
        for (size_t i = 0; p->slots && i < p->man.layers.n; i++) {
                struct layer_slot *sl = &p->slots[i];
                img_writer_abort(TAKE_PTR(sl->w));
                if (sl->st == SLOT_UNPACK)
                        unpack_forget_slot(p->s, sl);
                else if (sl->st == SLOT_WAIT)
                        slot_stop_waiting(sl);
                else if (sl->st == SLOT_FETCH)
                        slot_fetch_end(sl, false); /* another pull takes over */
        }
        free(p->slots);
        img_manifest_free(&p->man);
        img_config_free(&p->cfg);
        img_ref_free(&p->ref);
        img_auth_list_free(&p->auths);
        dh_err_free(p->err);
        free(p->waiters);
        free(p->key);
        free(p->top_digest);
        free(p->manifest_digest);
        free(p->image_id);
        free(p);
}

/* Runs from the loop: tells every waiter, then frees the pull. */
static void pull_deliver(struct dh_loop *l, void *ud)
{
        (void)l;
        struct pull *p = ud;
        p->finish = NULL;
        unlink_pull(p);
        for (size_t i = 0; i < p->nwaiters; i++)
                p->waiters[i].fn(p->waiters[i].ud, p->err ? NULL : p->image_id, p->err);
        pull_free(p);
}

static void pull_finish(struct pull *p)
{
        if (p->finished)
                return;
        p->finished = true;
        struct dh_err *e = NULL;
        p->finish = dh_loop_timer(p->s->loop, 0, pull_deliver, p, &e);
        if (!p->finish) {
                /* No timer (OOM): deliver now; callers tolerate it. */
                dh_err_free(e);
                pull_deliver(p->s->loop, p);
        }
}

void pull_fail(struct pull *p, struct dh_err *e)
{
        if (!p->err) {
                p->err = e;
                dh_err_prefix(&p->err, "pull \"%s\"", p->key);
        } else {
                dh_err_free(e);
        }
        /* The remote (and its other transfers) goes when the pull is freed,
         * from the loop: this may run inside one of its callbacks. */
        pull_finish(p);
}

void pull_fail_msg(struct pull *p, int code, const char *msg)
{
        struct dh_err *e = NULL;
        dh_err_set(&e, code, "%s", msg);
        pull_fail(p, e);
}

/* ---- the final record ---- */

static void pull_commit(struct pull *p)
{
        struct dh_err *e = NULL;
        struct dh_strv names = { .v = &p->key, .n = 1 };
        if (img_service_commit(p->s, p->top_digest, p->manifest_digest, &p->man, &p->cfg, &names,
                               &p->image_id, &e) < 0) {
                pull_fail(p, e);
                return;
        }
        pull_finish(p);
}

void slot_done(struct layer_slot *sl)
{
        struct pull *p = sl->p;
        sl->st = SLOT_DONE;
        if (--p->pending == 0 && !p->finished)
                pull_commit(p);
}

/* ---- fetching blobs ---- */

static void on_layer_blob(void *ud, struct dh_err *err)
{
        struct layer_slot *sl = ud;
        struct pull *p = sl->p;
        struct img_writer *w = TAKE_PTR(sl->w);
        if (p->finished) {
                img_writer_abort(w);
                slot_fetch_end(sl, false);
                return;
        }
        if (err) {
                img_writer_abort(w);
                slot_fetch_end(sl, false);
                struct dh_err *e = NULL;
                dh_err_set(&e, err->code, "%s", err->msg);
                pull_fail(p, e);
                return;
        }
        struct dh_err *e = NULL;
        char *digest = NULL;
        if (img_writer_commit(w, &digest, &e) < 0) {
                slot_fetch_end(sl, false);
                pull_fail(p, e);
                return;
        }
        free(digest);
        slot_unpack(sl);
        slot_fetch_end(sl, true);
}

/* ud is the layer slot: the remote passes the blob callback's ud. */
static void pull_progress(void *ud, const char *digest, int64_t done, int64_t total)
{
        struct pull *p = ((struct layer_slot *)ud)->p;
        if (p->s->progress)
                p->s->progress(p->s->progress_ud, digest, done, total);
}

/* The slot of a pull in flight that is fetching this blob, if any. */
static struct layer_slot *fetch_in_flight(struct img_service *s, const char *digest)
{
        for (struct pull *p = s->pulls; p; p = p->next)
                for (size_t i = 0; !p->finished && p->slots && i < p->man.layers.n; i++)
                        if (p->slots[i].st == SLOT_FETCH &&
                            strcmp(p->man.layers.v[i].digest, digest) == 0)
                                return &p->slots[i];
        return NULL;
}

static void slot_fetch(struct layer_slot *sl)
{
        struct pull *p = sl->p;
        const struct img_descriptor *d = &p->man.layers.v[sl->i];
        struct dh_err *e = NULL;
        struct layer_slot *f = fetch_in_flight(p->s, d->digest);
        if (f) {
                sl->st = SLOT_WAIT;
                sl->fetcher = f;
                sl->next_waiting = f->fetch_waiters;
                f->fetch_waiters = sl;
                return;
        }
        sl->st = SLOT_FETCH;
        if (img_writer_open(p->s->store, d->digest, d->size, d->size, &sl->w, &e) < 0 ||
            img_remote_get_blob(p->remote, d->digest, d->size, sl->w, pull_progress, on_layer_blob, sl,
                                &e) < 0) {
                pull_fail(p, e);
        }
}

/* sl's fetch is over: with the blob in the store, the slots waiting on it
 * go on to unpack it; without (a failure, or sl's pull went away), they
 * fetch it themselves (the first fetches, the others wait on it). Waiters
 * whose own pull has finished are only let go. */
static void slot_fetch_end(struct layer_slot *sl, bool fetched)
{
        struct layer_slot *w = sl->fetch_waiters;
        sl->fetch_waiters = NULL;
        if (sl->st == SLOT_FETCH)
                sl->st = SLOT_WAIT; /* no longer a fetch others may join */
        while (w) {
                struct layer_slot *next = w->next_waiting;
                w->next_waiting = NULL;
                w->fetcher = NULL;
                if (!w->p->finished) {
                        if (fetched)
                                slot_unpack(w);
                        else
                                slot_fetch(w);
                }
                w = next;
        }
}

static void pull_layers(struct pull *p)
{
        size_t n = p->man.layers.n;
        if (p->cfg.diff_ids.n != n) {
                struct dh_err *e = NULL;
                dh_err_set(&e, DH_EINVAL_INPUT, "image config lists %zu diff_ids for %zu layers",
                           p->cfg.diff_ids.n, n);
                pull_fail(p, e);
                return;
        }
        p->slots = calloc(n ? n : 1, sizeof(*p->slots));
        if (!p->slots) {
                pull_fail_msg(p, ENOMEM, "out of memory");
                return;
        }
        p->pending = n + 1; /* +1 until every slot has started */
        for (size_t i = 0; i < n && !p->finished; i++) {
                struct layer_slot *sl = &p->slots[i];
                sl->p = p;
                sl->i = i;
                const char *diff_id = p->cfg.diff_ids.v[i];
                if (!img_digest_valid(diff_id)) {
                        pull_fail_msg(p, DH_EINVAL_INPUT, "image config: rootfs.diff_ids: invalid digest");
                        return;
                }
                if (img_layers_has(p->s->layers, diff_id) && !unpack_in_flight(p->s, diff_id))
                        slot_done(sl);
                else if (unpack_in_flight(p->s, diff_id) ||
                         img_store_has(p->s->store, p->man.layers.v[i].digest))
                        slot_unpack(sl);
                else
                        slot_fetch(sl);
        }
        if (!p->finished && --p->pending == 0)
                pull_commit(p);
}

/* ---- config ---- */

static void pull_config_loaded(struct pull *p)
{
        struct dh_err *e = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (img_store_read_blob(p->s->store, p->man.config.digest, IMG_CONFIG_MAX, &data, &len, &e) < 0 ||
            img_config_parse(data, len, &p->cfg, &e) < 0) {
                pull_fail(p, e);
                return;
        }
        p->have_cfg = true;
        pull_layers(p);
}

static void on_config_blob(void *ud, struct dh_err *err)
{
        struct pull *p = ud;
        struct img_writer *w = TAKE_PTR(p->cfg_writer);
        struct dh_err *e = NULL;
        char *digest = NULL;
        if (p->finished) {
                img_writer_abort(w);
                return;
        }
        if (err) {
                img_writer_abort(w);
                dh_err_set(&e, err->code, "%s", err->msg);
                pull_fail(p, e);
                return;
        }
        if (img_writer_commit(w, &digest, &e) < 0) {
                pull_fail(p, e);
                return;
        }
        free(digest);
        pull_config_loaded(p);
}

static void pull_config(struct pull *p)
{
        const struct img_descriptor *c = &p->man.config;
        if (img_store_has(p->s->store, c->digest)) {
                pull_config_loaded(p);
                return;
        }
        struct dh_err *e = NULL;
        int64_t max = c->size >= 0 && c->size <= IMG_CONFIG_MAX ? c->size : IMG_CONFIG_MAX;
        if (img_writer_open(p->s->store, c->digest, c->size, max, &p->cfg_writer, &e) < 0 ||
            img_remote_get_blob(p->remote, c->digest, c->size, p->cfg_writer, NULL, on_config_blob, p,
                                &e) < 0)
                pull_fail(p, e);
}

/* ---- manifests ---- */

static int store_small_blob(struct img_store *st, const char *digest, const char *body, size_t len,
                            struct dh_err **err)
{
        struct img_writer *w = NULL;
        int r = img_writer_open(st, digest, (int64_t)len, (int64_t)len, &w, err);
        if (r < 0)
                return r;
        if ((r = img_writer_write(w, body, len, err)) < 0) {
                img_writer_abort(w);
                return r;
        }
        char *d = NULL;
        r = img_writer_commit(w, &d, err);
        free(d);
        return r;
}

static void on_manifest(void *ud, const char *body, size_t len, const char *content_type,
                        const char *digest, struct dh_err *err);

static void fetch_manifest(struct pull *p, const char *reference)
{
        struct dh_err *e = NULL;
        if (img_remote_get_manifest(p->remote, reference, on_manifest, p, &e) < 0)
                pull_fail(p, e);
}

static int pull_open_remote(struct pull *p, struct dh_err **err)
{
        if (p->remote)
                p->retired[p->nretired++] = TAKE_PTR(p->remote);
        struct img_remote_options o = {
                .config = p->s->registries,
                .auth = p->auth_i < p->auths.n ? &p->auths.v[p->auth_i] : NULL,
                .progress_interval_ms = p->s->progress_interval_ms,
        };
        return img_remote_new(p->s->http, &p->ref, &o, &p->remote, err);
}

/* With credentials left to try, an authorization failure tries the next. */
static bool retry_with_next_auth(struct pull *p, const struct dh_err *err)
{
        if (err->code != EACCES || p->auth_i + 1 >= p->auths.n || p->top_digest ||
            p->nretired >= AUTH_TRIES_MAX)
                return false;
        p->auth_i++;
        struct dh_err *e = NULL;
        if (pull_open_remote(p, &e) < 0) {
                pull_fail(p, e);
                return true;
        }
        fetch_manifest(p, p->ref.digest ? p->ref.digest : p->ref.tag);
        return true;
}

static void on_manifest(void *ud, const char *body, size_t len, const char *content_type,
                        const char *digest, struct dh_err *err)
{
        struct pull *p = ud;
        struct dh_err *e = NULL;
        if (p->finished)
                return;
        if (err) {
                if (retry_with_next_auth(p, err))
                        return;
                dh_err_set(&e, err->code, "%s", err->msg);
                pull_fail(p, e);
                return;
        }
        struct img_manifest m = { 0 };
        if (store_small_blob(p->s->store, digest, body, len, &e) < 0 ||
            img_manifest_parse(body, len, content_type, &m, &e) < 0) {
                pull_fail(p, e);
                return;
        }
        bool first = !p->top_digest;
        if (first && !(p->top_digest = strdup(digest))) {
                img_manifest_free(&m);
                pull_fail_msg(p, ENOMEM, "out of memory");
                return;
        }
        if (m.kind == IMG_MEDIA_OCI_INDEX || m.kind == IMG_MEDIA_DOCKER_LIST) {
                size_t idx;
                char *next = NULL;
                if (!first)
                        dh_err_set(&e, DH_EINVAL_INPUT, "index %s: nested indexes are not supported", digest);
                else if (img_manifest_select(&m, NULL, NULL, NULL, &idx, &e) == 0 &&
                         !(next = strdup(m.manifests.v[idx].digest)))
                        dh_err_set(&e, ENOMEM, "out of memory");
                img_manifest_free(&m);
                if (!next) {
                        pull_fail(p, e);
                        return;
                }
                fetch_manifest(p, next);
                free(next);
                return;
        }
        if (!(p->manifest_digest = strdup(digest))) {
                img_manifest_free(&m);
                pull_fail_msg(p, ENOMEM, "out of memory");
                return;
        }
        p->man = m;
        pull_config(p);
}

/* ---- starting ---- */

static int pull_load_auths(struct pull *p, const struct img_auth *auth, struct dh_err **err)
{
        struct img_auth_list *l = &p->auths;
        if (auth) {
                if (!(l->v = calloc(1, sizeof(*l->v))))
                        return dh_err_errno(err, ENOMEM, "credentials");
                l->n = 1;
                struct img_auth *a = &l->v[0];
                if ((auth->username && !(a->username = strdup(auth->username))) ||
                    (auth->password && !(a->password = strdup(auth->password))) ||
                    (auth->identity_token && !(a->identity_token = strdup(auth->identity_token))) ||
                    (auth->registry_token && !(a->registry_token = strdup(auth->registry_token))))
                        return dh_err_errno(err, ENOMEM, "credentials");
                return 0;
        }
        if (!p->s->credentials_file)
                return 0;
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = dh_read_file(p->s->credentials_file, CREDS_FILE_MAX, &data, &len, err);
        if (r == -ENOENT) {
                dh_err_free(TAKE_PTR(*err));
                return 0;
        }
        if (r < 0)
                return r;
        r = img_docker_config_lookup(data, len, &p->ref, l, err);
        return r < 0 ? dh_err_prefix(err, "%s", p->s->credentials_file) : 0;
}

static struct pull *pull_find(struct img_service *s, const char *key)
{
        for (struct pull *p = s->pulls; p; p = p->next)
                if (!p->finished && strcmp(p->key, key) == 0)
                        return p;
        return NULL;
}

static int pull_add_waiter(struct pull *p, img_pull_fn fn, void *ud, struct dh_err **err)
{
        if (p->nwaiters >= WAITERS_MAX)
                return dh_err_set(err, DH_ELIMIT, "more than %d waiters on one pull", WAITERS_MAX);
        struct pull_waiter *nw = realloc(p->waiters, (p->nwaiters + 1) * sizeof(*nw));
        if (!nw)
                return dh_err_errno(err, ENOMEM, "pull");
        p->waiters = nw;
        p->waiters[p->nwaiters++] = (struct pull_waiter){ fn, ud };
        return 0;
}

int img_service_pull(struct img_service *s, const char *ref, const struct img_auth *auth,
                     img_pull_fn fn, void *ud, struct dh_err **err)
{
        if (!s->loop || !s->http)
                return dh_err_set(err, ENOTSUP, "pull \"%s\": this image service cannot pull", ref);
        struct img_ref parsed = { 0 };
        int r = img_ref_parse(ref, &parsed, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *key = img_ref_string(&parsed);
        if (!key) {
                img_ref_free(&parsed);
                return dh_err_errno(err, ENOMEM, "pull");
        }
        struct pull *p = pull_find(s, key);
        if (p) {
                img_ref_free(&parsed);
                return pull_add_waiter(p, fn, ud, err);
        }
        if (!(p = calloc(1, sizeof(*p)))) {
                img_ref_free(&parsed);
                return dh_err_errno(err, ENOMEM, "pull");
        }
        p->s = s;
        p->ref = parsed;
        p->key = TAKE_PTR(key);
        p->next = s->pulls;
        s->pulls = p;
        if ((r = pull_add_waiter(p, fn, ud, err)) < 0 || (r = pull_load_auths(p, auth, err)) < 0 ||
            (r = pull_open_remote(p, err)) < 0) {
                pull_free(p);
                return dh_err_prefix(err, "pull \"%s\"", ref);
        }
        fetch_manifest(p, p->ref.digest ? p->ref.digest : p->ref.tag);
        return 0;
}

void img_pulls_cancel_all(struct img_service *s)
{
        /* Finished first, so no pull hands a fetch over to another one
         * that is about to go too. */
        for (struct pull *p = s->pulls; p; p = p->next)
                p->finished = true;
        while (s->pulls)
                pull_free(s->pulls);
        unpack_cancel_all(s);
}
