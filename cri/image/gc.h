/* Image garbage collection policy: the kubelet's realImageGCManager as
 * pure functions. Given the images (with when each was first seen and last
 * used), the image filesystem's capacity and free bytes and the policy,
 * plan which images to delete and in what order; and keep those
 * first-seen/last-used records across successive image lists (the
 * kubelet's imageRecords). The caller lists, deletes and posts events. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define IMG_GC_IMAGES_MAX 10000

struct img_gc_policy {
        int64_t high_threshold_percent; /* imageGCHighThresholdPercent, 85 */
        int64_t low_threshold_percent;  /* imageGCLowThresholdPercent, 80 */
        int64_t min_age_ns;             /* imageMinimumGCAge, 2m */
        int64_t max_age_ns;             /* imageMaximumGCAge, 0: off */
};
#define IMG_GC_POLICY_DEFAULT \
        ((struct img_gc_policy){ 85, 80, 120LL * 1000000000LL, 0 })

/* The kubelet configuration's checks of these four fields, with its
 * messages ("invalid configuration: ..."), several joined as
 * "[a, b]" the way a Go error aggregate prints. -EINVAL. */
int img_gc_policy_validate(const struct img_gc_policy *p, struct dh_err **err);
/* false when the kubelet would not run image GC at all: high threshold
 * 100 and no maximum age. */
bool img_gc_policy_enabled(const struct img_gc_policy *p);

struct img_gc_image {
        const char *id;
        int64_t size;              /* bytes */
        int64_t first_detected_ns;
        int64_t last_used_ns;      /* 0: never seen in use */
        bool in_use;               /* a container (running or not) uses it */
        bool pinned;               /* the runtime says never remove it */
};

struct img_gc_input {
        const struct img_gc_image *images;
        size_t n_images;              /* at most IMG_GC_IMAGES_MAX */
        int64_t capacity_bytes, available_bytes;
        int64_t now_ns;
        /* When the agent started collecting: maximum-age deletions wait
         * until max_age has passed since then. */
        int64_t began_ns;
        /* DeleteUnusedImages: every eligible image, whatever the usage. */
        bool delete_all_unused;
};

enum img_gc_reason { IMG_GC_FOR_AGE, IMG_GC_FOR_SPACE };

struct img_gc_victim {
        size_t index; /* into input.images */
        enum img_gc_reason reason;
};

struct img_gc_plan {
        int usage_percent;     /* of the image filesystem; 0 if capacity is invalid */
        bool over_threshold;   /* usage_percent >= high threshold */
        int64_t bytes_to_free; /* down to the low threshold; 0 when not over */
        int64_t bytes_found;   /* what the space victims add up to */
        /* Deletion order: images past the maximum age first, then for
         * space, least recently used first (ties: first detected first). */
        struct img_gc_victim *victims;
        size_t n_victims;
        /* When set, the kubelet's node event (Warning) for this round:
         * "InvalidDiskCapacity" or "FreeDiskSpaceFailed", and its message,
         * which is also the error GarbageCollect returns. */
        const char *event_reason;
        char *event_message;
};

/* One GarbageCollect round as a plan, assuming every deletion succeeds.
 * Fails only on ENOMEM or too many images; *out is then untouched. */
int img_gc_plan(const struct img_gc_policy *policy, const struct img_gc_input *in,
                struct img_gc_plan *out, struct dh_err **err);
void img_gc_plan_free(struct img_gc_plan *p);

/* The kubelet's imageRecords: first-detected and last-used times that
 * survive between image listings. */
struct img_gc_record {
        char *id;
        int64_t size;
        int64_t first_detected_ns;
        int64_t last_used_ns;
        bool in_use, pinned;
};

struct img_gc_tracker {
        struct img_gc_record *v; /* sorted by id */
        size_t n;
        size_t max;
};

struct img_gc_listed {
        const char *id;
        int64_t size;
        bool pinned;
};

void img_gc_tracker_init(struct img_gc_tracker *t, size_t max);
void img_gc_tracker_free(struct img_gc_tracker *t);
/* detectImages: images not seen before get first_detected = now; those in
 * in_use_ids (the image ids of all containers) get last_used = now; size
 * and pinned follow the listing; records of images no longer listed are
 * dropped. More than t->max distinct images: DH_ELIMIT, t unchanged. */
int img_gc_tracker_update(struct img_gc_tracker *t, const struct img_gc_listed *images,
                          size_t n_images, const char *const *in_use_ids, size_t n_in_use,
                          int64_t now_ns, struct dh_err **err);
/* Forgets an image the caller deleted. */
void img_gc_tracker_forget(struct img_gc_tracker *t, const char *id);
/* The records as GC input, pointing into t (valid until the next change);
 * out has room for t->n entries. */
void img_gc_tracker_images(const struct img_gc_tracker *t, struct img_gc_image *out);
