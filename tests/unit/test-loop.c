/* lib/loop: timers fire in due order (ties in creation order), cancelled
 * ones never, callbacks may cancel and add timers (their own included), a
 * 0 ms timer a callback sets waits for the next pass so fds get a turn,
 * and fds and timers mix. */
#include <fcntl.h>
#include <unistd.h>

#include "lib/loop.h"
#include "tests/unit/test.h"

#define N 500

struct rec {
        int order[N + 8];
        int n;
        struct dh_timer *victim;
        struct dh_loop *loop;
        int rearms;
        int wfd;
        bool fd_seen;
};

struct fired {
        struct rec *r;
        int id;
};

static void on_fire(struct dh_loop *l, void *ud)
{
        (void)l;
        struct fired *f = ud;
        f->r->order[f->r->n++] = f->id;
}

static void quit_ok(struct dh_loop *l, void *ud)
{
        (void)ud;
        dh_loop_quit(l, 0);
}

TEST(timers_fire_in_due_order_ties_first_come)
{
        struct dh_loop *l = NULL;
        struct dh_err *err = NULL;
        CHECK(dh_loop_new(&l, &err) == 0);
        static struct rec r;
        static struct fired f[N];
        struct dh_timer *t[N];
        /* due in 0..180 ms by 20 (far apart: made within a ms or two), in a
         * scrambled order; some cancelled */
        for (int i = 0; i < N; i++) {
                f[i] = (struct fired){ &r, i };
                t[i] = dh_loop_timer(l, (uint64_t)((i * 7) % 10) * 20, on_fire, &f[i], &err);
                CHECK(t[i] != NULL);
        }
        for (int i = 0; i < N; i += 5)
                dh_timer_cancel(t[i]);
        dh_timer_cancel(t[0]); /* twice: no harm */
        /* a last timer quits the loop */
        CHECK(dh_loop_timer(l, 300, quit_ok, NULL, &err) != NULL);
        CHECK(dh_loop_run(l) == 0);
        CHECK_INT(r.n, N - N / 5);
        int prev_due = -1, prev_id = -1, bad = 0;
        for (int k = 0; k < r.n; k++) {
                int id = r.order[k], due = (id * 7) % 10;
                if (id % 5 == 0 || due < prev_due || (due == prev_due && id < prev_id))
                        bad++;
                prev_due = due;
                prev_id = id;
        }
        CHECK_INT(bad, 0);
        dh_loop_free(l);
}

static void cancel_victim_then_note(struct dh_loop *l, void *ud)
{
        (void)l;
        struct rec *r = ud;
        dh_timer_cancel(r->victim);
        r->order[r->n++] = 1;
}

static void victim(struct dh_loop *l, void *ud)
{
        (void)l;
        struct rec *r = ud;
        r->order[r->n++] = 99;
}

static void rearm_zero(struct dh_loop *l, void *ud)
{
        struct rec *r = ud;
        if (r->fd_seen) {
                dh_loop_quit(l, 0);
                return;
        }
        if (r->rearms == 0) /* the fd becomes readable now */
                CHECK(write(r->wfd, "x", 1) == 1);
        if (++r->rearms > 1000) { /* the fd never got a turn */
                dh_loop_quit(l, 1);
                return;
        }
        CHECK(dh_loop_timer(l, 0, rearm_zero, r, NULL) != NULL);
}

static void on_readable(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)fd;
        (void)events;
        struct rec *r = ud;
        r->fd_seen = true;
}

TEST(callbacks_cancel_and_rearm_and_fds_get_their_turn)
{
        struct dh_loop *l = NULL;
        struct dh_err *err = NULL;
        CHECK(dh_loop_new(&l, &err) == 0);
        static struct rec r;
        /* the same due time: the first made cancels the second */
        CHECK(dh_loop_timer(l, 5, cancel_victim_then_note, &r, &err) != NULL);
        r.victim = dh_loop_timer(l, 5, victim, &r, &err);
        CHECK(r.victim != NULL);
        int p[2];
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        r.wfd = p[1];
        struct dh_watch *w = dh_loop_watch(l, p[0], EPOLLIN, on_readable, &r, &err);
        CHECK(w != NULL);
        CHECK(dh_loop_timer(l, 10, rearm_zero, &r, &err) != NULL);
        CHECK_INT(dh_loop_run(l), 0);
        CHECK_INT(r.n, 1);
        CHECK_INT(r.order[0], 1);
        CHECK(r.fd_seen);
        CHECK(r.rearms >= 1 && r.rearms < 3); /* after one pass of timers, the fds */
        dh_watch_remove(w);
        close(p[0]);
        close(p[1]);
        dh_loop_free(l); /* with a 0 ms timer still pending: freed */
}

TEST_MAIN()
