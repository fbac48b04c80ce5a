/* lib/backoff: flowcontrol.Backoff's windows, expiry, GC and the bound. */
#include <string.h>

#include "lib/backoff.h"
#include "lib/cleanup.h"
#include "test.h"

#define S(x) ((int64_t)(x) * 1000000000LL)

TEST(windows_double_up_to_the_maximum)
{
        struct dh_backoff b;
        struct dh_err *e = NULL;
        dh_backoff_init(&b, S(10), S(300), 16);
        CHECK(!dh_backoff_in_backoff_since_update(&b, "k", S(0)));
        CHECK_INT(dh_backoff_get(&b, "k"), 0);
        int64_t want[] = { 10, 20, 40, 80, 160, 300, 300 };
        int64_t t = S(1000);
        for (size_t i = 0; i < DH_ARRAY_SIZE(want); i++) {
                CHECK_INT(dh_backoff_next(&b, "k", t, &e), 0);
                CHECK_INT(dh_backoff_get(&b, "k"), S(want[i]));
                /* Inside the window right up to its end, outside at it. */
                CHECK(dh_backoff_in_backoff_since_update(&b, "k", t + S(want[i]) - 1));
                CHECK(!dh_backoff_in_backoff_since_update(&b, "k", t + S(want[i])));
                t += S(want[i]);
        }
        CHECK(!dh_backoff_in_backoff_since_update(&b, "other", t));
        CHECK(e == NULL);
        dh_backoff_free(&b);
}

TEST(idle_for_twice_the_maximum_starts_over)
{
        struct dh_backoff b;
        dh_backoff_init(&b, S(10), S(300), 16);
        CHECK_INT(dh_backoff_next(&b, "k", S(0), NULL), 0);
        CHECK_INT(dh_backoff_next(&b, "k", S(10), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "k"), S(20));
        /* Exactly 2*max later is not yet expired: the window doubles. */
        CHECK_INT(dh_backoff_next(&b, "k", S(610), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "k"), S(40));
        /* One nanosecond more and it starts over at the initial window. */
        CHECK_INT(dh_backoff_next(&b, "k", S(1210) + 1, NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "k"), S(10));
        /* An expired entry is never "in back-off", whatever its window. */
        CHECK_INT(dh_backoff_next(&b, "big", S(0), NULL), 0);
        b.v[1].backoff_ns = S(100000);
        CHECK(dh_backoff_in_backoff_since_update(&b, "big", S(600)));
        CHECK(!dh_backoff_in_backoff_since_update(&b, "big", S(600) + 1));
        dh_backoff_free(&b);
}

TEST(in_backoff_since_an_event)
{
        struct dh_backoff b;
        dh_backoff_init(&b, S(10), S(300), 16);
        CHECK(!dh_backoff_in_backoff_since(&b, "c", S(0), S(1)));
        CHECK_INT(dh_backoff_next(&b, "c", S(100), NULL), 0);
        /* A container that exited at 95s is held until 105s. */
        CHECK(dh_backoff_in_backoff_since(&b, "c", S(95), S(104)));
        CHECK(!dh_backoff_in_backoff_since(&b, "c", S(95), S(105)));
        /* An event long after the last update: the entry has expired. */
        CHECK(!dh_backoff_in_backoff_since(&b, "c", S(701), S(702)));
        dh_backoff_free(&b);
}

TEST(next_since_an_event_resets_after_a_long_run)
{
        struct dh_backoff b;
        dh_backoff_init(&b, S(10), S(300), 16);
        CHECK_INT(dh_backoff_next_since(&b, "c", S(0), S(1), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "c"), S(10));
        /* Exited 100s after the last update: the window doubles. */
        CHECK_INT(dh_backoff_next_since(&b, "c", S(100), S(120), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "c"), S(20));
        /* Ran for more than 10 minutes after it: back to the start, even
         * though the update itself is stamped with now. */
        CHECK_INT(dh_backoff_next_since(&b, "c", S(721), S(722), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "c"), S(10));
        CHECK(dh_backoff_in_backoff_since(&b, "c", S(722), S(731)));
        dh_backoff_free(&b);
}

TEST(gc_reset_and_the_bound)
{
        struct dh_backoff b;
        struct dh_err *e = NULL;
        dh_backoff_init(&b, S(10), S(300), 3);
        CHECK_INT(dh_backoff_next(&b, "a", S(0), NULL), 0);
        CHECK_INT(dh_backoff_next(&b, "b", S(100), NULL), 0);
        CHECK_INT(dh_backoff_next(&b, "c", S(200), NULL), 0);
        dh_backoff_gc(&b, S(600));
        CHECK_INT(b.n, 3);
        dh_backoff_gc(&b, S(601));
        CHECK_INT(b.n, 2);
        CHECK_INT(dh_backoff_get(&b, "a"), 0);
        dh_backoff_reset(&b, "b");
        dh_backoff_reset(&b, "missing");
        CHECK_INT(b.n, 1);
        /* Full: the least recently updated key gives way. */
        CHECK_INT(dh_backoff_next(&b, "d", S(300), NULL), 0);
        CHECK_INT(dh_backoff_next(&b, "e", S(400), NULL), 0);
        CHECK_INT(b.n, 3);
        CHECK_INT(dh_backoff_next(&b, "f", S(500), NULL), 0);
        CHECK_INT(b.n, 3);
        CHECK_INT(dh_backoff_get(&b, "c"), 0);
        CHECK_INT(dh_backoff_get(&b, "d"), S(10));
        CHECK_INT(dh_backoff_get(&b, "f"), S(10));
        /* Keys are bounded too. */
        char *big = malloc(DH_BACKOFF_KEY_MAX + 2);
        memset(big, 'x', DH_BACKOFF_KEY_MAX + 1);
        big[DH_BACKOFF_KEY_MAX + 1] = '\0';
        CHECK(dh_backoff_next(&b, big, S(600), &e) < 0);
        CHECK_INT(e ? e->code : 0, DH_ELIMIT);
        CHECK_INT(b.n, 3);
        free(big);
        dh_err_free(e);
        dh_backoff_free(&b);
}

TEST(restore_puts_a_window_back_unless_known)
{
        struct dh_backoff b;
        dh_backoff_init(&b, S(10), S(300), 16);
        CHECK_INT(dh_backoff_restore(&b, "k", S(40), S(100), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "k"), S(40));
        CHECK(dh_backoff_in_backoff_since(&b, "k", S(130), S(169)));
        CHECK(!dh_backoff_in_backoff_since(&b, "k", S(130), S(170)));
        /* Known keys are left alone; windows are clamped. */
        CHECK_INT(dh_backoff_restore(&b, "k", S(5), S(100), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "k"), S(40));
        CHECK_INT(dh_backoff_restore(&b, "big", S(9999), S(100), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "big"), S(300));
        CHECK_INT(dh_backoff_restore(&b, "small", 1, S(100), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "small"), S(10));
        /* Next moves on from the restored window. */
        CHECK_INT(dh_backoff_next_since(&b, "k", S(170), S(170), NULL), 0);
        CHECK_INT(dh_backoff_get(&b, "k"), S(80));
        dh_backoff_free(&b);
}

TEST_MAIN()
