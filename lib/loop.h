/* One single-threaded event loop: epoll for fds, a timer heap polled with
 * epoll_wait's timeout (CLOCK_MONOTONIC), and signals through signalfd.
 * Callbacks may add and remove watches and timers, including their own. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "lib/err.h"

struct dh_loop;
struct dh_watch;
struct dh_timer;

typedef void (*dh_io_fn)(struct dh_loop *l, int fd, uint32_t events, void *ud);
typedef void (*dh_timer_fn)(struct dh_loop *l, void *ud);

int dh_loop_new(struct dh_loop **out, struct dh_err **err);
/* Frees the loop, its watches and timers (not the fds they watch). */
void dh_loop_free(struct dh_loop *l);

struct dh_watch *dh_loop_watch(struct dh_loop *l, int fd, uint32_t events, dh_io_fn fn, void *ud,
                               struct dh_err **err);
int dh_watch_events(struct dh_watch *w, uint32_t events, struct dh_err **err);
/* Stops watching (the fd stays open); safe inside any callback. */
void dh_watch_remove(struct dh_watch *w);

/* One-shot timer after ms milliseconds. */
struct dh_timer *dh_loop_timer(struct dh_loop *l, uint64_t ms, dh_timer_fn fn, void *ud,
                               struct dh_err **err);
void dh_timer_cancel(struct dh_timer *t);

/* Blocks the given signals and delivers them through a signalfd watched by
 * the loop; fn gets the signal number as its `fd` argument. */
int dh_loop_signals(struct dh_loop *l, const int *sigs, int n, dh_io_fn fn, void *ud,
                    struct dh_err **err);

/* Runs until dh_loop_quit() (asked for during this run, or before it);
 * returns the status given to it, or < 0 if epoll fails. A loop that
 * returned can be run again. */
int dh_loop_run(struct dh_loop *l);
void dh_loop_quit(struct dh_loop *l, int status);

uint64_t dh_now_ms(void);   /* CLOCK_MONOTONIC */
int64_t dh_realtime_ns(void); /* CLOCK_REALTIME, Unix nanoseconds */
