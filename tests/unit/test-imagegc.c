/* cri/image/gc: the kubelet's image GC policy and image records. */
#include <errno.h>
#include <string.h>

#include "cri/image/gc.h"
#include "lib/cleanup.h"
#include "test.h"

#define S(x) ((int64_t)(x) * 1000000000LL)
#define MIN(x) (S(x) * 60)
#define NOW (S(100000))

static const char *victim_ids(const struct img_gc_plan *p, const struct img_gc_image *im,
                              char *buf, size_t size)
{
        size_t w = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < p->n_victims && w < size; i++)
                w += (size_t)snprintf(buf + w, size - w, "%s%s%s", i ? " " : "",
                                      im[p->victims[i].index].id,
                                      p->victims[i].reason == IMG_GC_FOR_AGE ? "(age)" : "");
        return buf;
}

static void check_invalid(struct img_gc_policy p, const char *want)
{
        struct dh_err *e = NULL;
        CHECK_INT(img_gc_policy_validate(&p, &e), -EINVAL);
        CHECK_STR(e ? e->msg : NULL, want);
        dh_err_free(e);
}

TEST(policy_validation_has_kubelets_messages)
{
        struct img_gc_policy p = IMG_GC_POLICY_DEFAULT;
        CHECK_INT(img_gc_policy_validate(&p, NULL), 0);
        CHECK_INT(p.high_threshold_percent, 85);
        CHECK_INT(p.low_threshold_percent, 80);
        CHECK_INT(p.min_age_ns, MIN(2));
        CHECK_INT(p.max_age_ns, 0);
        p.high_threshold_percent = 101;
        check_invalid(p, "invalid configuration: imageGCHighThresholdPercent "
                         "(--image-gc-high-threshold) 101 must be between 0 and 100, inclusive");
        p = IMG_GC_POLICY_DEFAULT;
        p.low_threshold_percent = -1;
        check_invalid(p, "invalid configuration: imageGCLowThresholdPercent "
                         "(--image-gc-low-threshold) -1 must be between 0 and 100, inclusive");
        p = IMG_GC_POLICY_DEFAULT;
        p.low_threshold_percent = 85;
        check_invalid(p, "invalid configuration: imageGCLowThresholdPercent "
                         "(--image-gc-low-threshold) 85 must be less than "
                         "imageGCHighThresholdPercent (--image-gc-high-threshold) 85");
        p = IMG_GC_POLICY_DEFAULT;
        p.max_age_ns = -S(1);
        check_invalid(p, "invalid configuration: imageMaximumGCAge -1s must not be negative");
        p = IMG_GC_POLICY_DEFAULT;
        p.max_age_ns = MIN(1);
        check_invalid(p, "invalid configuration: imageMaximumGCAge 1m0s must be greater than "
                         "imageMinimumGCAge 2m0s");
        p.max_age_ns = MIN(2) + S(1) / 2;
        CHECK_INT(img_gc_policy_validate(&p, NULL), 0);
        /* Several problems print as a Go error aggregate. */
        p = (struct img_gc_policy){ .high_threshold_percent = 101, .low_threshold_percent = 101 };
        check_invalid(p, "[invalid configuration: imageGCHighThresholdPercent "
                         "(--image-gc-high-threshold) 101 must be between 0 and 100, inclusive, "
                         "invalid configuration: imageGCLowThresholdPercent "
                         "(--image-gc-low-threshold) 101 must be between 0 and 100, inclusive, "
                         "invalid configuration: imageGCLowThresholdPercent "
                         "(--image-gc-low-threshold) 101 must be less than "
                         "imageGCHighThresholdPercent (--image-gc-high-threshold) 101]");
}

TEST(gc_off_only_at_100_percent_without_max_age)
{
        struct img_gc_policy p = IMG_GC_POLICY_DEFAULT;
        CHECK(img_gc_policy_enabled(&p));
        p.high_threshold_percent = 100;
        CHECK(!img_gc_policy_enabled(&p));
        p.max_age_ns = MIN(60);
        CHECK(img_gc_policy_enabled(&p));
}

/* Four old, unused images: b is least recently used, then a, then c and d
 * (same last use; d was detected first). */
static const struct img_gc_image four[] = {
        { "a", 60, S(0), S(500), false, false },
        { "b", 50, S(0), S(400), false, false },
        { "c", 70, S(20), S(600), false, false },
        { "d", 30, S(10), S(600), false, false },
};

static struct img_gc_input input(const struct img_gc_image *im, size_t n, int64_t cap,
                                 int64_t avail)
{
        return (struct img_gc_input){
                .images = im, .n_images = n, .capacity_bytes = cap, .available_bytes = avail,
                .now_ns = NOW, .began_ns = 0,
        };
}

TEST(below_the_high_threshold_nothing_is_deleted)
{
        struct img_gc_policy pol = IMG_GC_POLICY_DEFAULT;
        struct img_gc_plan p;
        /* 1000 bytes, 160 free: 84% used; 151 free would still be 85%
         * (100 - int(151*100/1000)). */
        struct img_gc_input in = input(four, 4, 1000, 160);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_INT(p.usage_percent, 85 - 1);
        CHECK(!p.over_threshold);
        CHECK_INT(p.bytes_to_free, 0);
        CHECK_INT(p.n_victims, 0);
        CHECK(p.event_reason == NULL && p.event_message == NULL);
        img_gc_plan_free(&p);
}

TEST(above_the_threshold_frees_down_to_low_in_lru_order)
{
        struct img_gc_policy pol = IMG_GC_POLICY_DEFAULT;
        struct img_gc_plan p;
        char ids[128];
        /* 85% used: free 1000*20/100 - 150 = 50 bytes: b alone. */
        struct img_gc_input in = input(four, 4, 1000, 150);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_INT(p.usage_percent, 85);
        CHECK(p.over_threshold);
        CHECK_INT(p.bytes_to_free, 50);
        CHECK_INT(p.bytes_found, 50);
        CHECK_STR(victim_ids(&p, four, ids, sizeof ids), "b");
        CHECK(p.event_message == NULL);
        img_gc_plan_free(&p);
        /* 95% used: free 150: b, a, then d before c (tie on last use). */
        in.available_bytes = 50;
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_INT(p.bytes_to_free, 150);
        CHECK_INT(p.bytes_found, 50 + 60 + 30 + 70);
        CHECK_STR(victim_ids(&p, four, ids, sizeof ids), "b a d c");
        CHECK(p.event_message == NULL);
        img_gc_plan_free(&p);
        /* Exactly enough after b and a: stops there. */
        in.available_bytes = 90; /* 91% used, free 200 - 90 = 110 */
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_INT(p.bytes_to_free, 110);
        CHECK_STR(victim_ids(&p, four, ids, sizeof ids), "b a");
        img_gc_plan_free(&p);
}

TEST(in_use_pinned_young_and_just_used_images_stay)
{
        const struct img_gc_image im[] = {
                { "used", 100, S(0), S(1), true, false },
                { "pinned", 100, S(0), S(1), false, true },
                { "young", 100, NOW - MIN(1), S(2), false, false },
                { "just-used", 100, S(0), NOW, false, false },
                { "old", 40, S(0), S(3), false, false },
        };
        struct img_gc_policy pol = IMG_GC_POLICY_DEFAULT;
        struct img_gc_plan p;
        char ids[128];
        struct img_gc_input in = input(im, 5, 10000, 0);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_INT(p.usage_percent, 100);
        CHECK_INT(p.bytes_to_free, 2000);
        CHECK_STR(victim_ids(&p, im, ids, sizeof ids), "old");
        CHECK_INT(p.bytes_found, 40);
        CHECK_STR(p.event_reason, "FreeDiskSpaceFailed");
        CHECK_STR(p.event_message, "Failed to garbage collect required amount of images. "
                                   "Attempted to free 2000 bytes, but only found 40 bytes "
                                   "eligible to free.");
        img_gc_plan_free(&p);
        /* Exactly the minimum age old is old enough. */
        const struct img_gc_image edge[] = { { "edge", 10, NOW - MIN(2), S(1), false, false } };
        in = input(edge, 1, 100, 0);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_STR(victim_ids(&p, edge, ids, sizeof ids), "edge");
        CHECK_STR(p.event_message, "Failed to garbage collect required amount of images. "
                                   "Attempted to free 20 bytes, but only found 10 bytes "
                                   "eligible to free.");
        img_gc_plan_free(&p);
}

TEST(maximum_age_deletes_regardless_of_usage)
{
        const struct img_gc_image im[] = {
                { "stale", 10, S(0), NOW - MIN(61), false, false },
                { "never-used", 10, NOW - MIN(5), 0, false, false },
                { "recent", 10, S(0), NOW - MIN(59), false, false },
                { "stale-but-used", 10, S(0), NOW - MIN(90), true, false },
                { "stale-but-pinned", 10, S(0), NOW - MIN(90), false, true },
        };
        struct img_gc_policy pol = IMG_GC_POLICY_DEFAULT;
        pol.max_age_ns = MIN(60);
        struct img_gc_plan p;
        char ids[128];
        struct img_gc_input in = input(im, 5, 1000, 900);
        in.began_ns = NOW - MIN(61);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK(!p.over_threshold);
        /* A never-used image counts as unused forever, as a zero time does. */
        CHECK_STR(victim_ids(&p, im, ids, sizeof ids), "never-used(age) stale(age)");
        img_gc_plan_free(&p);
        /* Not until the agent has been collecting for longer than max age. */
        in.began_ns = NOW - MIN(60);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_INT(p.n_victims, 0);
        img_gc_plan_free(&p);
        /* Age first, then space from what is left. */
        in.began_ns = 0;
        in.available_bytes = 0;
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_STR(victim_ids(&p, im, ids, sizeof ids), "never-used(age) stale(age) recent");
        CHECK_INT(p.bytes_to_free, 200);
        CHECK_INT(p.bytes_found, 10);
        CHECK_STR(p.event_reason, "FreeDiskSpaceFailed");
        img_gc_plan_free(&p);
}

TEST(capacity_edge_cases)
{
        struct img_gc_policy pol = IMG_GC_POLICY_DEFAULT;
        struct img_gc_plan p;
        struct img_gc_input in = input(four, 4, 0, 0);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_STR(p.event_reason, "InvalidDiskCapacity");
        CHECK_STR(p.event_message, "invalid capacity 0 on image filesystem");
        CHECK_INT(p.n_victims, 0);
        img_gc_plan_free(&p);
        /* More available than capacity reads as empty. */
        in = input(four, 4, 1000, 5000);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_INT(p.usage_percent, 0);
        CHECK_INT(p.n_victims, 0);
        img_gc_plan_free(&p);
        /* Exabyte filesystems do not overflow the arithmetic. */
        in = input(four, 4, INT64_MAX, INT64_MAX / 20);
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_INT(p.usage_percent, 96); /* 100 - int(4.99...) */
        CHECK_INT(p.bytes_to_free, (int64_t)((__int128)INT64_MAX * 20 / 100 - INT64_MAX / 20));
        img_gc_plan_free(&p);
}

TEST(delete_all_unused_and_the_bound)
{
        struct img_gc_policy pol = IMG_GC_POLICY_DEFAULT;
        struct img_gc_plan p = { 0 };
        char ids[128];
        struct img_gc_input in = input(four, 4, 1000, 1000);
        in.delete_all_unused = true;
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        CHECK_STR(victim_ids(&p, four, ids, sizeof ids), "b a d c");
        CHECK(p.event_message == NULL);
        img_gc_plan_free(&p);
        struct dh_err *e = NULL;
        in.n_images = IMG_GC_IMAGES_MAX + 1;
        CHECK(img_gc_plan(&pol, &in, &p, &e) < 0);
        CHECK_INT(e ? e->code : 0, DH_ELIMIT);
        CHECK(p.victims == NULL);
        dh_err_free(e);
}

TEST(records_track_first_detected_and_last_used)
{
        struct img_gc_tracker t;
        img_gc_tracker_init(&t, 3);
        struct img_gc_listed l1[] = { { "sha256:b", 20, false }, { "sha256:a", 10, true } };
        const char *used1[] = { "sha256:b", "sha256:gone-container-image" };
        CHECK_INT(img_gc_tracker_update(&t, l1, 2, used1, 2, S(100), NULL), 0);
        CHECK_INT(t.n, 2);
        CHECK_STR(t.v[0].id, "sha256:a");
        CHECK_INT(t.v[0].first_detected_ns, S(100));
        CHECK_INT(t.v[0].last_used_ns, 0);
        CHECK(t.v[0].pinned && !t.v[0].in_use);
        CHECK_INT(t.v[1].last_used_ns, S(100));
        CHECK(t.v[1].in_use);

        /* Later: a is used, b no longer (its last use stays), c is new
         * (listed twice: the later size wins); nothing vanished yet. */
        struct img_gc_listed l2[] = { { "sha256:c", 5, false }, { "sha256:a", 11, false },
                                      { "sha256:b", 20, false }, { "sha256:c", 7, false } };
        const char *used2[] = { "sha256:a" };
        CHECK_INT(img_gc_tracker_update(&t, l2, 4, used2, 1, S(200), NULL), 0);
        CHECK_INT(t.n, 3);
        CHECK_INT(t.v[0].first_detected_ns, S(100));
        CHECK_INT(t.v[0].last_used_ns, S(200));
        CHECK_INT(t.v[0].size, 11);
        CHECK(!t.v[0].pinned);
        CHECK_INT(t.v[1].last_used_ns, S(100));
        CHECK(!t.v[1].in_use);
        CHECK_STR(t.v[2].id, "sha256:c");
        CHECK_INT(t.v[2].first_detected_ns, S(200));
        CHECK_INT(t.v[2].size, 7);

        /* Over the bound: refused, records unchanged. */
        struct img_gc_listed l3[] = { { "w", 1, false }, { "x", 1, false }, { "y", 1, false },
                                      { "z", 1, false } };
        struct dh_err *e = NULL;
        CHECK(img_gc_tracker_update(&t, l3, 4, NULL, 0, S(300), &e) < 0);
        CHECK_INT(e ? e->code : 0, DH_ELIMIT);
        CHECK_INT(t.n, 3);
        dh_err_free(e);

        /* Vanished images are dropped; a returning one is new again. */
        struct img_gc_listed l4[] = { { "sha256:b", 20, false } };
        CHECK_INT(img_gc_tracker_update(&t, l4, 1, NULL, 0, S(400), NULL), 0);
        CHECK_INT(t.n, 1);
        CHECK_INT(t.v[0].first_detected_ns, S(100));
        img_gc_tracker_forget(&t, "sha256:b");
        img_gc_tracker_forget(&t, "sha256:missing");
        CHECK_INT(t.n, 0);
        CHECK_INT(img_gc_tracker_update(&t, l4, 1, NULL, 0, S(500), NULL), 0);
        CHECK_INT(t.v[0].first_detected_ns, S(500));
        img_gc_tracker_free(&t);
}

TEST(records_feed_the_plan)
{
        struct img_gc_tracker t;
        img_gc_tracker_init(&t, 0);
        struct img_gc_listed l[] = { { "old", 30, false }, { "busy", 30, false },
                                     { "new", 30, false } };
        const char *used[] = { "busy" };
        CHECK_INT(img_gc_tracker_update(&t, l, 2, used, 1, S(0), NULL), 0);
        CHECK_INT(img_gc_tracker_update(&t, l, 3, used, 1, MIN(10), NULL), 0);
        struct img_gc_image im[3];
        img_gc_tracker_images(&t, im);
        struct img_gc_policy pol = IMG_GC_POLICY_DEFAULT;
        struct img_gc_input in = input(im, t.n, 100, 0);
        in.now_ns = MIN(11);
        struct img_gc_plan p;
        char ids[64];
        CHECK_INT(img_gc_plan(&pol, &in, &p, NULL), 0);
        /* busy is in use; new is younger than 2m. */
        CHECK_STR(victim_ids(&p, im, ids, sizeof ids), "old");
        img_gc_plan_free(&p);
        img_gc_tracker_free(&t);
}

TEST_MAIN()
