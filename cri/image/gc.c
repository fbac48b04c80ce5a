/* realImageGCManager (pkg/kubelet/images/image_gc_manager.go) as a plan:
 * eviction order, maximum-age deletions, then deletions for space down to
 * the low threshold, with the kubelet's arithmetic and messages; and the
 * imageRecords bookkeeping between listings. */
#include "cri/image/gc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/parse.h"

#define VALIDATE_MSG_MAX 4096

/* Appends one problem to a Go-aggregate-style list; returns the count. */
static int add_problem(struct dh_buf *b, int n, const char *msg)
{
        if (n > 0)
                dh_buf_puts(b, ", ", NULL);
        dh_buf_puts(b, msg, NULL);
        return n + 1;
}

int img_gc_policy_validate(const struct img_gc_policy *p, struct dh_err **err)
{
        struct dh_buf b;
        char m[512], d1[DH_DURATION_STR_MAX], d2[DH_DURATION_STR_MAX];
        int n = 0;
        dh_buf_init(&b, VALIDATE_MSG_MAX);
        if (p->high_threshold_percent < 0 || p->high_threshold_percent > 100) {
                snprintf(m, sizeof m, "invalid configuration: imageGCHighThresholdPercent "
                         "(--image-gc-high-threshold) %" PRId64 " must be between 0 and 100, "
                         "inclusive", p->high_threshold_percent);
                n = add_problem(&b, n, m);
        }
        if (p->low_threshold_percent < 0 || p->low_threshold_percent > 100) {
                snprintf(m, sizeof m, "invalid configuration: imageGCLowThresholdPercent "
                         "(--image-gc-low-threshold) %" PRId64 " must be between 0 and 100, "
                         "inclusive", p->low_threshold_percent);
                n = add_problem(&b, n, m);
        }
        if (p->low_threshold_percent >= p->high_threshold_percent) {
                snprintf(m, sizeof m, "invalid configuration: imageGCLowThresholdPercent "
                         "(--image-gc-low-threshold) %" PRId64 " must be less than "
                         "imageGCHighThresholdPercent (--image-gc-high-threshold) %" PRId64,
                         p->low_threshold_percent, p->high_threshold_percent);
                n = add_problem(&b, n, m);
        }
        if (p->max_age_ns < 0) {
                snprintf(m, sizeof m, "invalid configuration: imageMaximumGCAge %s must not be "
                         "negative", dh_format_duration_ns(p->max_age_ns, d1, sizeof d1));
                n = add_problem(&b, n, m);
        }
        if (p->max_age_ns > 0 && p->max_age_ns <= p->min_age_ns) {
                snprintf(m, sizeof m, "invalid configuration: imageMaximumGCAge %s must be "
                         "greater than imageMinimumGCAge %s",
                         dh_format_duration_ns(p->max_age_ns, d1, sizeof d1),
                         dh_format_duration_ns(p->min_age_ns, d2, sizeof d2));
                n = add_problem(&b, n, m);
        }
        if (n == 0) {
                dh_buf_free(&b);
                return 0;
        }
        int r = dh_err_set(err, EINVAL, n > 1 ? "[%s]" : "%s", b.data ? b.data : "");
        dh_buf_free(&b);
        return r;
}

bool img_gc_policy_enabled(const struct img_gc_policy *p)
{
        return !(p->high_threshold_percent == 100 && p->max_age_ns == 0);
}

/* Saturating now - then: a never-used image (0) is infinitely old, as a
 * zero time.Time is to Go's Sub. */
static int64_t age(int64_t now, int64_t then)
{
        if (then < 0 && now > INT64_MAX + then)
                return INT64_MAX;
        if (then > 0 && now < INT64_MIN + then)
                return INT64_MIN;
        return now - then;
}

struct order_ctx {
        const struct img_gc_image *images;
};

/* byLastUsedAndDetected, with the index as a final tie-break so the order
 * is deterministic (Go's sort.Sort is not stable). */
static int cmp_eviction(const void *a, const void *b, void *ctx)
{
        const struct img_gc_image *im = ((const struct order_ctx *)ctx)->images;
        size_t i = *(const size_t *)a, j = *(const size_t *)b;
        const struct img_gc_image *x = &im[i], *y = &im[j];
        if (x->last_used_ns != y->last_used_ns)
                return x->last_used_ns < y->last_used_ns ? -1 : 1;
        if (x->first_detected_ns != y->first_detected_ns)
                return x->first_detected_ns < y->first_detected_ns ? -1 : 1;
        return i < j ? -1 : i > j;
}

/* imagesInEvictionOrder: neither in use nor pinned, least recently used
 * first. Returns the count; order has room for in->n_images. */
static size_t eviction_order(const struct img_gc_input *in, size_t *order)
{
        size_t n = 0;
        for (size_t i = 0; i < in->n_images; i++)
                if (!in->images[i].in_use && !in->images[i].pinned)
                        order[n++] = i;
        struct order_ctx ctx = { in->images };
        qsort_r(order, n, sizeof *order, cmp_eviction, &ctx);
        return n;
}

static void add_victim(struct img_gc_plan *p, size_t index, enum img_gc_reason reason)
{
        p->victims[p->n_victims++] = (struct img_gc_victim){ index, reason };
}

/* freeOldImages: once the agent has collected for longer than the maximum
 * age, images unused for longer than it go, whatever the disk usage. The
 * rest stay in order for the space pass; returns how many. */
static size_t free_old_images(const struct img_gc_policy *policy, const struct img_gc_input *in,
                              size_t *order, size_t n, struct img_gc_plan *p)
{
        if (policy->max_age_ns == 0 || age(in->now_ns, in->began_ns) <= policy->max_age_ns)
                return n;
        size_t kept = 0;
        for (size_t k = 0; k < n; k++) {
                const struct img_gc_image *im = &in->images[order[k]];
                if (age(in->now_ns, im->last_used_ns) > policy->max_age_ns)
                        add_victim(p, order[k], IMG_GC_FOR_AGE);
                else
                        order[kept++] = order[k];
        }
        return kept;
}

/* freeSpace: in order, skipping images used at or after now and images
 * younger than the minimum age, until the sizes reach bytes_to_free. */
static void free_space(const struct img_gc_policy *policy, const struct img_gc_input *in,
                       const size_t *order, size_t n, int64_t bytes_to_free,
                       struct img_gc_plan *p)
{
        int64_t found = 0;
        for (size_t k = 0; k < n; k++) {
                const struct img_gc_image *im = &in->images[order[k]];
                if (im->last_used_ns >= in->now_ns)
                        continue;
                if (age(in->now_ns, im->first_detected_ns) < policy->min_age_ns)
                        continue;
                add_victim(p, order[k], IMG_GC_FOR_SPACE);
                found = im->size > INT64_MAX - found ? INT64_MAX : found + im->size;
                if (found >= bytes_to_free)
                        break;
        }
        p->bytes_found = found;
}

/* The threshold arithmetic of GarbageCollect, in wide integers so huge
 * filesystems cannot overflow. Returns false on an invalid capacity. */
static bool usage_and_target(const struct img_gc_policy *policy, const struct img_gc_input *in,
                             struct img_gc_plan *p)
{
        __int128 cap = in->capacity_bytes, avail = in->available_bytes;
        if (avail > cap)
                avail = cap;
        if (cap <= 0)
                return false;
        p->usage_percent = (int)(100 - avail * 100 / cap);
        p->over_threshold = p->usage_percent >= policy->high_threshold_percent;
        if (p->over_threshold)
                p->bytes_to_free = (int64_t)(cap * (100 - policy->low_threshold_percent) / 100 - avail);
        return true;
}

static int plan_round(const struct img_gc_policy *policy, const struct img_gc_input *in,
                      size_t *order, size_t n, struct img_gc_plan *p)
{
        if (in->delete_all_unused) {
                p->bytes_to_free = INT64_MAX;
                free_space(policy, in, order, n, INT64_MAX, p);
                return 0;
        }
        n = free_old_images(policy, in, order, n, p);
        if (!usage_and_target(policy, in, p)) {
                p->event_reason = "InvalidDiskCapacity";
                p->event_message = strdup("invalid capacity 0 on image filesystem");
                return p->event_message ? 0 : -ENOMEM;
        }
        if (!p->over_threshold)
                return 0;
        free_space(policy, in, order, n, p->bytes_to_free, p);
        if (p->bytes_found >= p->bytes_to_free)
                return 0;
        p->event_reason = "FreeDiskSpaceFailed";
        if (asprintf(&p->event_message, "Failed to garbage collect required amount of images. "
                     "Attempted to free %" PRId64 " bytes, but only found %" PRId64
                     " bytes eligible to free.", p->bytes_to_free, p->bytes_found) < 0) {
                p->event_message = NULL;
                return -ENOMEM;
        }
        return 0;
}

int img_gc_plan(const struct img_gc_policy *policy, const struct img_gc_input *in,
                struct img_gc_plan *out, struct dh_err **err)
{
        if (in->n_images > IMG_GC_IMAGES_MAX)
                return dh_err_set(err, DH_ELIMIT, "image GC: %zu images, more than %d",
                                  in->n_images, IMG_GC_IMAGES_MAX);
        struct img_gc_plan p = { 0 };
        _cleanup_free_ size_t *order = malloc((in->n_images + 1) * sizeof *order);
        p.victims = malloc((in->n_images + 1) * sizeof *p.victims);
        if (!order || !p.victims) {
                free(p.victims);
                return dh_err_set(err, ENOMEM, "image GC: out of memory");
        }
        size_t n = eviction_order(in, order);
        if (plan_round(policy, in, order, n, &p) < 0) {
                img_gc_plan_free(&p);
                return dh_err_set(err, ENOMEM, "image GC: out of memory");
        }
        *out = p;
        return 0;
}

void img_gc_plan_free(struct img_gc_plan *p)
{
        if (!p)
                return;
        free(p->victims);
        free(p->event_message);
        *p = (struct img_gc_plan){ 0 };
}

/* ---- imageRecords ---- */

void img_gc_tracker_init(struct img_gc_tracker *t, size_t max)
{
        *t = (struct img_gc_tracker){ .max = max ? max : IMG_GC_IMAGES_MAX };
}

static void free_records(struct img_gc_record *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].id);
        free(v);
}

void img_gc_tracker_free(struct img_gc_tracker *t)
{
        if (!t)
                return;
        free_records(t->v, t->n);
        *t = (struct img_gc_tracker){ .max = t->max };
}

static int cmp_str_ptr(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_record_id(const void *key, const void *rec)
{
        return strcmp(key, ((const struct img_gc_record *)rec)->id);
}

static struct img_gc_record *find_record(const struct img_gc_record *v, size_t n, const char *id)
{
        return n ? bsearch(id, v, n, sizeof *v, cmp_record_id) : NULL;
}

static int cmp_listed_id(const void *a, const void *b)
{
        return strcmp(((const struct img_gc_listed *)a)->id, ((const struct img_gc_listed *)b)->id);
}

/* The listing sorted by id with duplicates merged (the last one wins, as
 * repeated map writes would). Returns the count, or -1 on ENOMEM. */
static ssize_t sorted_listing(const struct img_gc_listed *images, size_t n,
                              struct img_gc_listed **out)
{
        struct img_gc_listed *s = malloc((n + 1) * sizeof *s);
        if (!s)
                return -1;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (images[i].id)
                        s[m++] = images[i];
        qsort(s, m, sizeof *s, cmp_listed_id);
        size_t u = 0;
        for (size_t i = 0; i < m; i++) {
                if (u && strcmp(s[u - 1].id, s[i].id) == 0)
                        continue;
                s[u++] = s[i];
        }
        /* Size and pinned from the last listing of each id. */
        for (size_t i = 0; i < n; i++) {
                if (!images[i].id)
                        continue;
                struct img_gc_listed *hit = bsearch(&images[i], s, u, sizeof *s, cmp_listed_id);
                if (hit)
                        *hit = images[i];
        }
        *out = s;
        return (ssize_t)u;
}

static bool id_in(const char *const *sorted, size_t n, const char *id)
{
        return n && bsearch(&id, sorted, n, sizeof *sorted, cmp_str_ptr);
}

static int build_records(const struct img_gc_tracker *t, const struct img_gc_listed *list,
                         size_t n, const char **in_use, size_t n_in_use, int64_t now_ns,
                         struct img_gc_record *v)
{
        for (size_t i = 0; i < n; i++) {
                const struct img_gc_record *old = find_record(t->v, t->n, list[i].id);
                struct img_gc_record r = {
                        .id = strdup(list[i].id),
                        .size = list[i].size,
                        .pinned = list[i].pinned,
                        .first_detected_ns = old ? old->first_detected_ns : now_ns,
                        .last_used_ns = old ? old->last_used_ns : 0,
                        .in_use = id_in(in_use, n_in_use, list[i].id),
                };
                if (!r.id) {
                        while (i > 0)
                                free(v[--i].id);
                        return -ENOMEM;
                }
                if (r.in_use)
                        r.last_used_ns = now_ns;
                v[i] = r;
        }
        return 0;
}

int img_gc_tracker_update(struct img_gc_tracker *t, const struct img_gc_listed *images,
                          size_t n_images, const char *const *in_use_ids, size_t n_in_use,
                          int64_t now_ns, struct dh_err **err)
{
        if (n_images > IMG_GC_IMAGES_MAX || n_in_use > IMG_GC_IMAGES_MAX * 16)
                return dh_err_set(err, DH_ELIMIT, "image records: listing too long");
        _cleanup_free_ struct img_gc_listed *list = NULL;
        ssize_t n = sorted_listing(images, n_images, &list);
        _cleanup_free_ const char **in_use = malloc((n_in_use + 1) * sizeof *in_use);
        if (n < 0 || !in_use)
                return dh_err_set(err, ENOMEM, "image records: out of memory");
        if ((size_t)n > t->max)
                return dh_err_set(err, DH_ELIMIT, "image records: %zd images, more than %zu",
                                  n, t->max);
        size_t m = 0;
        for (size_t i = 0; i < n_in_use; i++)
                if (in_use_ids[i])
                        in_use[m++] = in_use_ids[i];
        qsort(in_use, m, sizeof *in_use, cmp_str_ptr);
        struct img_gc_record *v = malloc(((size_t)n + 1) * sizeof *v);
        if (!v || build_records(t, list, (size_t)n, in_use, m, now_ns, v) < 0) {
                free(v);
                return dh_err_set(err, ENOMEM, "image records: out of memory");
        }
        free_records(t->v, t->n);
        t->v = v;
        t->n = (size_t)n;
        return 0;
}

void img_gc_tracker_forget(struct img_gc_tracker *t, const char *id)
{
        struct img_gc_record *r = find_record(t->v, t->n, id);
        if (!r)
                return;
        size_t i = (size_t)(r - t->v);
        free(r->id);
        memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
        t->n--;
}

void img_gc_tracker_images(const struct img_gc_tracker *t, struct img_gc_image *out)
{
        for (size_t i = 0; i < t->n; i++)
                out[i] = (struct img_gc_image){
                        .id = t->v[i].id,
                        .size = t->v[i].size,
                        .first_detected_ns = t->v[i].first_detected_ns,
                        .last_used_ns = t->v[i].last_used_ns,
                        .in_use = t->v[i].in_use,
                        .pinned = t->v[i].pinned,
                };
}
