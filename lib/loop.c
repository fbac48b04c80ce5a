/* The event loop: epoll, timers and signalfd. Removed watches and timers are
 * marked dead and freed between iterations, so callbacks may remove
 * anything, themselves included, without use-after-free. */
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
        dh_timer_fn fn;
        void *ud;
        bool dead;
        struct dh_timer *next;
};

struct dh_loop {
        int epfd;
        int sigfd;
        dh_io_fn sig_fn;
        void *sig_ud;
        struct dh_watch *watches;
        struct dh_timer *timers;
        size_t dead; /* entries marked dead since the last sweep */
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
        if (!l->dead)
                return;
        l->dead = 0;
        for (struct dh_watch **pw = &l->watches; *pw;) {
                struct dh_watch *w = *pw;
                if (w->dead) {
                        *pw = w->next;
                        free(w);
                } else {
                        pw = &w->next;
                }
        }
        for (struct dh_timer **pt = &l->timers; *pt;) {
                struct dh_timer *t = *pt;
                if (t->dead) {
                        *pt = t->next;
                        free(t);
                } else {
                        pt = &t->next;
                }
        }
}

void dh_loop_free(struct dh_loop *l)
{
        if (!l)
                return;
        for (struct dh_watch *w = l->watches; w; w = w->next)
                w->dead = true;
        for (struct dh_timer *t = l->timers; t; t = t->next)
                t->dead = true;
        l->dead = 1;
        sweep(l);
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
        w->loop->dead++;
}

struct dh_timer *dh_loop_timer(struct dh_loop *l, uint64_t ms, dh_timer_fn fn, void *ud,
                               struct dh_err **err)
{
        struct dh_timer *t = calloc(1, sizeof *t);
        if (!t) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *t = (struct dh_timer){ .loop = l, .due_ms = dh_now_ms() + ms, .fn = fn, .ud = ud,
                                .next = l->timers };
        l->timers = t;
        return t;
}

void dh_timer_cancel(struct dh_timer *t)
{
        if (t && !t->dead) {
                t->dead = true;
                t->loop->dead++;
        }
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
        uint64_t now = dh_now_ms();
        for (struct dh_timer *t = l->timers; t && !l->quit; t = t->next) {
                if (!t->dead && t->due_ms <= now) {
                        t->dead = true;
                        l->dead++;
                        t->fn(l, t->ud);
                }
        }
        uint64_t next = UINT64_MAX;
        now = dh_now_ms();
        for (struct dh_timer *t = l->timers; t; t = t->next)
                if (!t->dead && t->due_ms < next)
                        next = t->due_ms;
        if (next == UINT64_MAX)
                return -1;
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
