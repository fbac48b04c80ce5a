/* The built-in runtime's ImageService: the image service (cri/image/)
 * behind the CRI image ops, plus the runtime's own knowledge of which
 * containers use which image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/builtin/runtime-internal.h"
#include "cri/image/images.h"
#include "cri/image/import.h"
#include "lib/base64.h"
#include "lib/cleanup.h"

int rtb_images(struct rtb *b, struct img_service **out, struct dh_err **err)
{
        if (!b->images) {
                struct img_service_config cfg = {
                        .root = b->images_dir,
                        .registries = b->registries,
                        .credentials_file = b->credentials_file,
                        .progress = b->pull_progress,
                        .progress_ud = b->pull_progress_ud,
                };
                int r = img_service_open(&cfg, b->loop, &b->images, err);
                if (r < 0)
                        return r;
        }
        *out = b->images;
        return 0;
}

void rtb_images_close(struct rtb *b)
{
        img_service_close(b->images);
        b->images = NULL;
}

/* CRI's AuthConfig as the image service's credentials; "auth" is base64
 * "user:pass" and fills what username/password leave empty. */
static int auth_from_cri(const struct rt_auth_config *a, struct img_auth *out, struct dh_err **err)
{
        *out = (struct img_auth){ 0 };
        if (a->username && *a->username && !(out->username = strdup(a->username)))
                goto nomem;
        if (a->password && *a->password && !(out->password = strdup(a->password)))
                goto nomem;
        if (a->identity_token && *a->identity_token && !(out->identity_token = strdup(a->identity_token)))
                goto nomem;
        if (a->registry_token && *a->registry_token && !(out->registry_token = strdup(a->registry_token)))
                goto nomem;
        if (a->auth && *a->auth && !out->username) {
                _cleanup_free_ unsigned char *raw = NULL;
                size_t n;
                if (dh_base64_decode(a->auth, strlen(a->auth), &raw, &n, err) < 0)
                        return dh_err_prefix(err, "auth.auth");
                char *colon = memchr(raw, ':', n);
                if (!colon || memchr(raw, '\0', n))
                        return dh_err_set(err, DH_EINVAL_INPUT, "auth.auth: not base64 of \"user:password\"");
                if (!(out->username = strndup((char *)raw, (size_t)(colon - (char *)raw))) ||
                    !(out->password = strndup(colon + 1, n - (size_t)(colon + 1 - (char *)raw))))
                        goto nomem;
        }
        return 0;
nomem:
        img_auth_free(out);
        return dh_err_set(err, ENOMEM, "out of memory");
}

struct pull_req {
        rt_pull_done_fn done;
        void *ud;
};

static void pull_finished(void *ud, const char *image_id, struct dh_err *err)
{
        struct pull_req *pr = ud;
        pr->done(pr->ud, image_id, err);
        free(pr);
}

int rtb_pull_image(struct rt *rt, const struct rt_image_spec *image,
                   const struct rt_auth_config *auth, rt_pull_done_fn done, void *ud,
                   struct dh_err **err)
{
        struct rtb *b = (struct rtb *)rt;
        struct img_service *s;
        int r = rtb_images(b, &s, err);
        if (r < 0)
                return r;
        struct img_auth a = { 0 };
        if (auth && (r = auth_from_cri(auth, &a, err)) < 0)
                return r;
        struct pull_req *pr = calloc(1, sizeof(*pr));
        if (!pr) {
                img_auth_free(&a);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        *pr = (struct pull_req){ done, ud };
        bool have_auth = auth && (a.username || a.identity_token || a.registry_token);
        r = img_service_pull(s, image->image, have_auth ? &a : NULL, pull_finished, pr, err);
        img_auth_free(&a);
        if (r < 0)
                free(pr);
        return r;
}

/* The User of the image config split as CRI wants it: a numeric user
 * (before any ":group") is uid, anything else username. */
static void image_user(struct img_service *s, const char *id, struct rt_image *out)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        struct dh_err *e = NULL;
        struct img_config cfg = { 0 };
        if (img_store_read_blob(img_service_store(s), id, IMG_CONFIG_MAX, &data, &len, &e) < 0 ||
            img_config_parse(data, len, &cfg, &e) < 0) {
                dh_err_free(e);
                return;
        }
        if (cfg.user && *cfg.user) {
                size_t n = strcspn(cfg.user, ":");
                char *end;
                long long v = strtoll(cfg.user, &end, 10);
                if (end == cfg.user + n && n > 0 && v >= 0)
                        out->uid = (struct rt_int64_value){ v, true };
                else
                        out->username = strndup(cfg.user, n);
        }
        img_config_free(&cfg);
}

static int strv_dup(struct dh_strv *dst, const struct dh_strv *src)
{
        dst->v = calloc(src->n ? src->n : 1, sizeof(char *));
        if (!dst->v)
                return -ENOMEM;
        for (dst->n = 0; dst->n < src->n; dst->n++)
                if (!(dst->v[dst->n] = strdup(src->v[dst->n])))
                        return -ENOMEM;
        return 0;
}

static int image_from_record(struct img_service *s, const struct img_record *r, struct rt_image *out)
{
        *out = (struct rt_image){ 0 };
        out->size = r->size > 0 ? (uint64_t)r->size : 0;
        out->pinned = r->pinned;
        out->created_ns = r->created_ns;
        out->last_used_ns = r->last_used_ns;
        if (!(out->id = strdup(r->id)) || strv_dup(&out->repo_tags, &r->repo_tags) < 0 ||
            strv_dup(&out->repo_digests, &r->repo_digests) < 0) {
                rt_image_free(out);
                return -ENOMEM;
        }
        image_user(s, r->id, out);
        return 0;
}

int rtb_list_images(struct rt *rt, const struct rt_image_filter *f, struct rt_image_list *out,
                    struct dh_err **err)
{
        struct rtb *b = (struct rtb *)rt;
        struct img_service *s;
        int r = rtb_images(b, &s, err);
        if (r < 0)
                return r;
        struct img_record_list l = { 0 };
        if ((r = img_service_list(s, &l, err)) < 0)
                return r;
        *out = (struct rt_image_list){ 0 };
        out->v = calloc(l.n ? l.n : 1, sizeof(*out->v));
        bool nomem = !out->v;
        for (size_t i = 0; !nomem && i < l.n; i++) {
                if (f && f->image && *f->image) {
                        if (!img_record_matches(&l.v[i], f->image))
                                continue;
                }
                if (image_from_record(s, &l.v[i], &out->v[out->n]) < 0)
                        nomem = true;
                else
                        out->n++;
        }
        img_record_list_free(&l);
        if (nomem) {
                rt_image_list_free(out);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* The record ref names: 1 found, 0 absent (not an error in CRI). */
static int find_record(struct rtb *b, const char *ref, struct img_service **s,
                       struct img_record *rec, struct dh_err **err)
{
        int r = rtb_images(b, s, err);
        if (r < 0)
                return r;
        r = img_service_status(*s, ref, rec, err);
        if (r == -ENOENT) {
                dh_err_free(TAKE_PTR(*err));
                return 0;
        }
        return r < 0 ? r : 1;
}

int rtb_image_status(struct rt *rt, const struct rt_image_spec *image, struct rt_image *out,
                     bool *found, struct dh_err **err)
{
        struct img_service *s;
        struct img_record rec = { 0 };
        *found = false;
        int r = find_record((struct rtb *)rt, image->image, &s, &rec, err);
        if (r <= 0)
                return r;
        r = image_from_record(s, &rec, out);
        img_record_free(&rec);
        if (r < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        *found = true;
        return 0;
}

/* The first container whose image_ref is id, or NULL. */
static char *container_using(struct rtb *b, const char *id, struct dh_err **err)
{
        struct rt_container_list l = { 0 };
        if (b->rt.ops->list_containers(&b->rt, NULL, &l, err) < 0)
                return NULL;
        char *user = NULL;
        for (size_t i = 0; i < l.n && !user; i++)
                if (l.v[i].image_ref && strcmp(l.v[i].image_ref, id) == 0)
                        user = strdup(l.v[i].id);
        rt_container_list_free(&l);
        return user;
}

int rtb_remove_image(struct rt *rt, const struct rt_image_spec *image, struct dh_err **err)
{
        struct rtb *b = (struct rtb *)rt;
        struct img_service *s;
        struct img_record rec = { 0 };
        int r = find_record(b, image->image, &s, &rec, err);
        if (r <= 0)
                return r;
        _cleanup_free_ char *user = container_using(b, rec.id, err);
        if (*err) {
                img_record_free(&rec);
                return -(*err)->code;
        }
        if (user) {
                r = dh_err_set(err, EBUSY, "image \"%s\" (%.19s) is in use by container %.12s",
                               image->image, rec.id, user);
                img_record_free(&rec);
                return r;
        }
        r = img_service_remove(s, rec.id, err);
        img_record_free(&rec);
        return r;
}

int rtb_image_fs_info(struct rt *rt, struct rt_filesystem_usage *out, struct dh_err **err)
{
        struct rtb *b = (struct rtb *)rt;
        struct img_service *s;
        int r = rtb_images(b, &s, err);
        if (r < 0)
                return r;
        struct img_fs_usage u = { 0 };
        if ((r = img_service_fs_usage(s, &u, err)) < 0)
                return r;
        *out = (struct rt_filesystem_usage){
                .timestamp = u.timestamp_ns,
                .mountpoint = TAKE_PTR(u.mountpoint),
                .used_bytes = (uint64_t)u.used_bytes,
                .inodes_used = (uint64_t)u.inodes_used,
                .capacity_bytes = (uint64_t)u.capacity_bytes,
                .available_bytes = (uint64_t)u.available_bytes,
        };
        img_fs_usage_free(&u);
        return 0;
}

int rtb_prune_images(struct rt *rt, int64_t *freed, struct dh_err **err)
{
        struct rtb *b = (struct rtb *)rt;
        struct img_service *s;
        int r = rtb_images(b, &s, err);
        return r < 0 ? r : img_service_prune(s, freed, err);
}

int rt_builtin_import_image(struct rt *rt, const char *path, const char *name,
                            struct dh_strv *ids_out, struct dh_err **err)
{
        struct rtb *b = (struct rtb *)rt;
        struct img_service *s;
        int r = rtb_images(b, &s, err);
        if (r < 0)
                return r;
        struct img_import_list l = { 0 };
        if ((r = img_import_path(img_service_store(s), path, name, &l, err)) < 0)
                return r;
        *ids_out = (struct dh_strv){ 0 };
        ids_out->v = calloc(l.n ? l.n : 1, sizeof(char *));
        if (!ids_out->v)
                r = dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; r == 0 && i < l.n; i++) {
                char *id = NULL;
                r = img_service_add_from_store(s, l.v[i].manifest_digest, &l.v[i].names, &id, err);
                if (r == 0)
                        ids_out->v[ids_out->n++] = id;
        }
        img_import_list_free(&l);
        return r < 0 ? dh_err_prefix(err, "import %s", path) : 0;
}
