/* The image records: one JSON file, images.json, replaced atomically, so a
 * crash leaves either the old or the new set of images. Changes take the
 * root's lock so the agent and deckctl can share a root. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cri/image/images-internal.h"
#include "cri/image/ref.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define RECORDS_NAME "images.json"
#define LOCK_NAME "lock"
#define ID_PREFIX_MIN 12

#define F(st, key, member, type) { key, (type), offsetof(struct st, member) }
#define END { NULL, NULL, 0 }

static const struct jd_field layer_fields[] = {
        F(img_layer_ref, "digest", digest, &jd_string),
        F(img_layer_ref, "diffID", diff_id, &jd_string),
        F(img_layer_ref, "mediaType", media_type, &jd_string),
        F(img_layer_ref, "size", size, &jd_plain_i64), END,
};
static const struct jd_type t_layer = JD_OBJECT(struct img_layer_ref, layer_fields);
static const struct jd_type t_layers = JD_ARRAY(&t_layer);

static const struct jd_field record_fields[] = {
        F(img_record, "id", id, &jd_string),
        F(img_record, "manifestDigest", manifest_digest, &jd_string),
        F(img_record, "repoTags", repo_tags, &jd_strv),
        F(img_record, "repoDigests", repo_digests, &jd_strv),
        F(img_record, "layers", layers, &t_layers),
        F(img_record, "size", size, &jd_plain_i64),
        F(img_record, "createdNs", created_ns, &jd_plain_i64),
        F(img_record, "lastUsedNs", last_used_ns, &jd_plain_i64),
        F(img_record, "pinned", pinned, &jd_plain_bool), END,
};
static const struct jd_type t_record = JD_OBJECT(struct img_record, record_fields);
static const struct jd_type t_records = JD_ARRAY(&t_record);

static const struct jd_field file_fields[] = { { "images", &t_records, 0 }, END };
static const struct jd_type t_file = JD_OBJECT(struct img_record_list, file_fields);

void img_record_free(struct img_record *r)
{
        if (r)
                jd_free_object(r, &t_record);
}

void img_record_list_free(struct img_record_list *l)
{
        if (l)
                jd_free_object(l, &t_file);
}

int img_record_copy(struct img_record *dst, const struct img_record *src)
{
        json_t *j = jd_encode(src, &t_record);
        if (!j)
                return -ENOMEM;
        struct img_record r = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx c = { .errs = &errs };
        jd_decode_object(&c, j, &r, &t_record);
        json_decref(j);
        bool bad = errs.n || errs.dropped;
        dh_ferrs_free(&errs);
        if (bad) {
                img_record_free(&r);
                return -ENOMEM;
        }
        *dst = r;
        return 0;
}

static bool record_valid(const struct img_record *r)
{
        if (!img_digest_valid(r->id) || !img_digest_valid(r->manifest_digest))
                return false;
        for (size_t i = 0; i < r->layers.n; i++)
                if (!img_digest_valid(r->layers.v[i].diff_id) || !img_digest_valid(r->layers.v[i].digest))
                        return false;
        return true;
}

int img_records_parse(const char *data, size_t len, struct img_record_list *out, struct dh_err **err)
{
        if (len > IMG_RECORDS_FILE_MAX)
                return dh_err_set(err, DH_ELIMIT, "%s of %zu bytes exceeds %u", RECORDS_NAME, len,
                                  IMG_RECORDS_FILE_MAX);
        json_error_t je;
        json_t *j = json_loadb(data, len, 0, &je);
        if (!j)
                return dh_err_set(err, DH_EINVAL_INPUT, "%s: line %d: %s", RECORDS_NAME, je.line, je.text);
        struct img_record_list l = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx c = { .errs = &errs };
        jd_decode_object(&c, j, &l, &t_file);
        json_decref(j);
        if (errs.n || errs.dropped || l.n > IMG_RECORDS_MAX) {
                char *line = errs.n ? dh_ferr_format(&errs.v[0]) : NULL;
                dh_err_set(err, errs.n || errs.dropped ? DH_EINVAL_INPUT : DH_ELIMIT, "%s: %s", RECORDS_NAME,
                           line ? line : "too many images");
                free(line);
                dh_ferrs_free(&errs);
                img_record_list_free(&l);
                return -DH_EINVAL_INPUT;
        }
        /* Records that name nothing usable are dropped rather than trusted. */
        for (size_t i = l.n; i-- > 0;)
                if (!record_valid(&l.v[i]))
                        img_records_drop(&l, i);
        *out = l;
        return 0;
}

int img_records_load(int root_fd, struct img_record_list *out, struct dh_err **err)
{
        _cleanup_close_ int fd = openat(root_fd, RECORDS_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *out = (struct img_record_list){ 0 };
                        return 0;
                }
                return dh_err_errno(err, errno, "open %s", RECORDS_NAME);
        }
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = dh_read_fd(fd, RECORDS_NAME, IMG_RECORDS_FILE_MAX, &data, &len, err);
        return r < 0 ? r : img_records_parse(data, len, out, err);
}

int img_records_save(int root_fd, const struct img_record_list *l, struct dh_err **err)
{
        if (l->n > IMG_RECORDS_MAX)
                return dh_err_set(err, DH_ELIMIT, "more than %d images", IMG_RECORDS_MAX);
        json_t *j = jd_encode(l, &t_file);
        if (!j)
                j = json_pack("{s:[]}", "images");
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!s)
                return dh_err_errno(err, ENOMEM, "encode %s", RECORDS_NAME);
        int r = dh_write_file_atomic(root_fd, RECORDS_NAME, s, strlen(s), 0600, err);
        free(s);
        return r;
}

int img_records_lock(int root_fd, int *lock_fd, struct dh_err **err)
{
        int fd = openat(root_fd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return dh_err_errno(err, errno, "open image store lock");
        int r;
        do
                r = flock(fd, LOCK_EX);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
                int e = errno;
                close(fd);
                return dh_err_errno(err, e, "lock image store");
        }
        *lock_fd = fd;
        return 0;
}

int img_records_lock_load(int root_fd, int *lock_fd, struct img_record_list *out, struct dh_err **err)
{
        int r = img_records_lock(root_fd, lock_fd, err);
        if (r < 0)
                return r;
        if ((r = img_records_load(root_fd, out, err)) < 0) {
                close(*lock_fd);
                *lock_fd = -1;
        }
        return r;
}

static bool strv_has(const struct dh_strv *v, const char *s)
{
        for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->v[i], s) == 0)
                        return true;
        return false;
}

static bool is_hex(const char *s)
{
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

/* "sha256:<hex>", "<hex>" or a unique prefix of at least 12 hex digits. */
static ssize_t find_by_id(const struct img_record_list *l, const char *ref)
{
        const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
        size_t n = strlen(hex);
        if (n < ID_PREFIX_MIN || n > 64 || !is_hex(hex))
                return -1;
        ssize_t found = -1;
        for (size_t i = 0; i < l->n; i++) {
                if (strncmp(l->v[i].id + 7, hex, n) != 0)
                        continue;
                if (found >= 0)
                        return -1; /* ambiguous */
                found = (ssize_t)i;
        }
        return found;
}

ssize_t img_records_find(const struct img_record_list *l, const char *ref)
{
        ssize_t i = find_by_id(l, ref);
        if (i >= 0)
                return i;
        struct img_ref r = { 0 };
        struct dh_err *e = NULL;
        if (img_ref_parse(ref, &r, &e) < 0) {
                dh_err_free(e);
                return -1;
        }
        _cleanup_free_ char *name = img_ref_name(&r);
        _cleanup_free_ char *full = img_ref_string(&r);
        _cleanup_free_ char *by_digest = NULL;
        if (name && r.digest && asprintf(&by_digest, "%s@%s", name, r.digest) < 0)
                by_digest = NULL;
        img_ref_free(&r);
        for (size_t k = 0; k < l->n; k++) {
                const struct img_record *rec = &l->v[k];
                if (by_digest && strv_has(&rec->repo_digests, by_digest))
                        return (ssize_t)k;
                if (!by_digest && full && strv_has(&rec->repo_tags, full))
                        return (ssize_t)k;
        }
        return -1;
}

static void strv_remove(struct dh_strv *v, const char *s)
{
        size_t o = 0;
        for (size_t i = 0; i < v->n; i++) {
                if (strcmp(v->v[i], s) == 0)
                        free(v->v[i]);
                else
                        v->v[o++] = v->v[i];
        }
        v->n = o;
}

void img_records_untag(struct img_record_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                strv_remove(&l->v[i].repo_tags, name);
}

static int strv_add_unique(struct dh_strv *v, const char *s)
{
        if (strv_has(v, s))
                return 0;
        char **nv = realloc(v->v, (v->n + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        v->v = nv;
        if (!(v->v[v->n] = strdup(s)))
                return -ENOMEM;
        v->n++;
        return 0;
}

int img_records_put(struct img_record_list *l, struct img_record *r)
{
        for (size_t i = 0; i < l->n; i++) {
                struct img_record *o = &l->v[i];
                if (strcmp(o->id, r->id) != 0)
                        continue;
                for (size_t k = 0; k < r->repo_tags.n; k++)
                        if (strv_add_unique(&o->repo_tags, r->repo_tags.v[k]) < 0)
                                return -ENOMEM;
                for (size_t k = 0; k < r->repo_digests.n; k++)
                        if (strv_add_unique(&o->repo_digests, r->repo_digests.v[k]) < 0)
                                return -ENOMEM;
                if (r->last_used_ns > o->last_used_ns)
                        o->last_used_ns = r->last_used_ns;
                o->size = r->size;
                img_record_free(r);
                *r = (struct img_record){ 0 };
                return 0;
        }
        if (l->n >= IMG_RECORDS_MAX)
                return -DH_ELIMIT;
        struct img_record *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        l->v = nv;
        l->v[l->n++] = *r;
        *r = (struct img_record){ 0 };
        return 0;
}

void img_records_drop(struct img_record_list *l, size_t i)
{
        img_record_free(&l->v[i]);
        memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
        l->n--;
}

void img_records_take(struct img_record_list *l, size_t i, struct img_record *out)
{
        *out = l->v[i];
        memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
        l->n--;
}

bool img_record_matches(const struct img_record *r, const char *ref)
{
        struct img_record_list one = { .v = (struct img_record *)r, .n = 1 };
        return img_records_find(&one, ref) == 0;
}
