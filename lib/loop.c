/* The event loop: epoll, timers and signalfd. Removed watches and timers are
 * marked dead and freed between iterations, so callbacks may remove
 * anything, themselves included, without use-after-free. Timers wait in a
 * binary min-heap by due time (then by creation), so that an agent with a
 * probe timer per container finds the next one without walking them all. */
#include "lib/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 64

struct dh_watch {
        struct dh_loop *loop;
        int fd;
        dh_io_fn fn;
        void *ud;
        bool dead;
        struct dh_watch *next;
};

struct dh_timer {
        struct dh_loop *loop;
        uint64_t due_ms;
        uint64_t seq; /* creation order: ties run first come, first served */
        dh_timer_fn fn;
        void *ud;
        bool dead;
        size_t slot;  /* index in the heap while pending */
        struct dh_timer *next_dead;
};

struct dh_loop {
        int epfd;
        int sigfd;
        dh_io_fn sig_fn;
        void *sig_ud;
        struct dh_watch *watches;
        size_t dead_watches;          /* marked dead since the last sweep */
        struct dh_timer **heap;       /* pending timers */
        size_t n_heap, cap_heap;
        uint64_t seq;
        struct dh_timer *dead_timers; /* fired or cancelled, freed at the sweep */
        bool quit;
        int status;
};

uint64_t dh_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t dh_realtime_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int dh_loop_new(struct dh_loop **out, struct dh_err **err)
{
        struct dh_loop *l = calloc(1, sizeof *l);
        if (!l)
                return dh_err_set(err, ENOMEM, "out of memory");
        l->sigfd = -1;
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epfd < 0) {
                int e = errno;
                free(l);
                return dh_err_errno(err, e, "epoll_create1");
        }
        *out = l;
        return 0;
}

static void sweep(struct dh_loop *l)
{
        while (l->dead_timers) {
                struct dh_timer *t = l->dead_timers;
                l->dead_timers = t->next_dead;
                free(t);
        }
        if (!l->dead_watches)
                return;
        l->dead_watches = 0;
        for (struct dh_watch **pw = &l->watches; *pw;) {
                struct dh_watch *w = *pw;
                if (w->dead) {
                        *pw = w->next;
                        free(w);
                } else {
                        pw = &w->next;
                }
        }
}

/* The heap: a before b when due earlier, or as due and made earlier. */
static bool timer_before(const struct dh_timer *a, const struct dh_timer *b)
{
        return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void heap_set(struct dh_loop *l, size_t i, struct dh_timer *t)
{
        l->heap[i] = t;
        t->slot = i;
}

static void heap_up(struct dh_loop *l, size_t i)
{
        struct dh_timer *t = l->heap[i];
        while (i > 0 && timer_before(t, l->heap[(i - 1) / 2])) {
                heap_set(l, i, l->heap[(i - 1) / 2]);
                i = (i - 1) / 2;
        }
        heap_set(l, i, t);
}

static void heap_down(struct dh_loop *l, size_t i)
{
        struct dh_timer *t = l->heap[i];
        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= l->n_heap)
                        break;
                if (c + 1 < l->n_heap && timer_before(l->heap[c + 1], l->heap[c]))
                        c++;
                if (!timer_before(l->heap[c], t))
                        break;
                heap_set(l, i, l->heap[c]);
                i = c;
        }
        heap_set(l, i, t);
}

static void heap_remove(struct dh_loop *l, struct dh_timer *t)
{
        size_t i = t->slot;
        struct dh_timer *last = l->heap[--l->n_heap];
        if (i == l->n_heap)
                return;
        heap_set(l, i, last);
        heap_down(l, i);
        heap_up(l, last->slot);
}

/* Out of the heap, freed at the next sweep. */
static void timer_retire(struct dh_timer *t)
{
        struct dh_loop *l = t->loop;
        heap_remove(l, t);
        t->dead = true;
        t->next_dead = l->dead_timers;
        l->dead_timers = t;
}

void dh_loop_free(struct dh_loop *l)
{
        if (!l)
                return;
        for (struct dh_watch *w = l->watches; w; w = w->next)
                w->dead = true;
        l->dead_watches = 1;
        while (l->n_heap)
                timer_retire(l->heap[0]);
        sweep(l);
        free(l->heap);
        if (l->sigfd >= 0)
                close(l->sigfd);
        close(l->epfd);
        free(l);
}

struct dh_watch *dh_loop_watch(struct dh_loop *l, int fd, uint32_t events, dh_io_fn fn, void *ud,
                               struct dh_err **err)
{
        struct dh_watch *w = calloc(1, sizeof *w);
        if (!w) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *w = (struct dh_watch){ .loop = l, .fd = fd, .fn = fn, .ud = ud };
        struct epoll_event ev = { .events = events, .data.ptr = w };
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                dh_err_errno(err, errno, "epoll_ctl add fd %d", fd);
                free(w);
                return NULL;
        }
        w->next = l->watches;
        l->watches = w;
        return w;
}

int dh_watch_events(struct dh_watch *w, uint32_t events, struct dh_err **err)
{
        struct epoll_event ev = { .events = events, .data.ptr = w };
        if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
                return dh_err_errno(err, errno, "epoll_ctl mod fd %d", w->fd);
        return 0;
}

void dh_watch_remove(struct dh_watch *w)
{
        if (!w || w->dead)
                return;
        epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        w->dead = true;
        w->loop->dead_watches++;
}

struct dh_timer *dh_loop_timer(struct dh_loop *l, uint64_t ms, dh_timer_fn fn, void *ud,
                               struct dh_err **err)
{
        if (l->n_heap == l->cap_heap) {
                size_t cap = l->cap_heap ? 2 * l->cap_heap : 64;
                struct dh_timer **h = reallocarray(l->heap, cap, sizeof *h);
                if (!h) {
                        dh_err_set(err, ENOMEM, "out of memory");
                        return NULL;
                }
                l->heap = h;
                l->cap_heap = cap;
        }
        struct dh_timer *t = calloc(1, sizeof *t);
        if (!t) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *t = (struct dh_timer){ .loop = l, .due_ms = dh_now_ms() + ms, .seq = l->seq++, .fn = fn,
                                .ud = ud };
        l->heap[l->n_heap++] = t;
        heap_up(l, l->n_heap - 1);
        return t;
}

void dh_timer_cancel(struct dh_timer *t)
{
        if (t && !t->dead)
                timer_retire(t);
}

static void on_signalfd(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)events;
        (void)ud;
        struct signalfd_siginfo si;
        while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
                l->sig_fn(l, (int)si.ssi_signo, 0, l->sig_ud);
}

int dh_loop_signals(struct dh_loop *l, const int *sigs, int n, dh_io_fn fn, void *ud,
                    struct dh_err **err)
{
        sigset_t set;
        sigemptyset(&set);
        for (int i = 0; i < n; i++)
                sigaddset(&set, sigs[i]);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return dh_err_errno(err, errno, "sigprocmask");
        l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (l->sigfd < 0)
                return dh_err_errno(err, errno, "signalfd");
        l->sig_fn = fn;
        l->sig_ud = ud;
        return dh_loop_watch(l, l->sigfd, EPOLLIN, on_signalfd, NULL, err) ? 0 : -1;
}

/* Runs due timers; returns the epoll timeout until the next one (-1: none). */
static int run_timers(struct dh_loop *l)
{
        /* Those due now and made before this pass: a timer a callback
         * sets for 0 ms runs at the next pass, after the fds had a turn. */
        uint64_t now = dh_now_ms(), pass = l->seq;
        while (l->n_heap && !l->quit) {
                struct dh_timer *t = l->heap[0];
                if (t->due_ms > now || t->seq >= pass)
                        break;
                timer_retire(t);
                t->fn(l, t->ud);
        }
        if (!l->n_heap)
                return -1;
        uint64_t next = l->heap[0]->due_ms;
        now = dh_now_ms();
        return next <= now ? 0 : (int)(next - now > 86400000 ? 86400000 : next - now);
}

int dh_loop_run(struct dh_loop *l)
{
        struct epoll_event evs[LOOP_MAX_EVENTS];
        while (!l->quit) {
                int timeout = run_timers(l);
                sweep(l);
                if (l->quit)
                        break;
                int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                for (int i = 0; i < n && !l->quit; i++) {
                        struct dh_watch *w = evs[i].data.ptr;
                        if (!w->dead)
                                w->fn(l, w->fd, evs[i].events, w->ud);
                }
                sweep(l);
        }
        /* Ready to run again; a quit asked for before a run still ends it
         * at once (a callback may finish before its loop runs). */
        l->quit = false;
        return l->status;
}

void dh_loop_quit(struct dh_loop *l, int status)
{
        l->quit = true;
        l->status = status;
}
