/* Per-key exponential back-off with the semantics of client-go's
 * flowcontrol.Backoff (no jitter), which the kubelet uses for image pulls
 * (10s doubling to 300s) and container restarts (CrashLoopBackOff). Time
 * is always passed in, in nanoseconds on one monotonic clock; nothing
 * here reads a clock. The table holds at most max_entries keys. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* Keys longer than this are refused (a pod UID plus an image reference
 * fits easily). */
#define DH_BACKOFF_KEY_MAX 8192

struct dh_backoff_entry {
        char *key;
        int64_t backoff_ns;     /* the current window */
        int64_t last_update_ns; /* when Next last moved it */
};

struct dh_backoff {
        int64_t initial_ns, max_ns;
        size_t max_entries;
        struct dh_backoff_entry *v;
        size_t n;
};

void dh_backoff_init(struct dh_backoff *b, int64_t initial_ns, int64_t max_ns,
                     size_t max_entries);
void dh_backoff_free(struct dh_backoff *b);

/* Moves key to its next window: initial_ns for a new key or one idle for
 * more than 2*max_ns, else double the window, capped at max_ns. When the
 * table is full, entries idle past 2*max_ns are dropped first, then the
 * least recently updated one (it merely loses its back-off). Fails only
 * on ENOMEM or a key longer than DH_BACKOFF_KEY_MAX, leaving b as it was. */
int dh_backoff_next(struct dh_backoff *b, const char *key, int64_t now_ns,
                    struct dh_err **err);
/* Next(key, eventTime) as the kubelet calls it for a container that
 * exited at event_ns: the key starts over when event_ns is more than
 * 2*max_ns after the last update (the container ran long enough, 10
 * minutes for CrashLoopBackOff), else its window doubles; the update is
 * stamped now_ns. */
int dh_backoff_next_since(struct dh_backoff *b, const char *key, int64_t event_ns,
                          int64_t now_ns, struct dh_err **err);
/* Puts key back as it was: window_ns (clamped to [initial_ns, max_ns])
 * last moved at last_update_ns, unless key is already known. For state
 * rebuilt from what outlived the table (an agent restart). Fails like
 * dh_backoff_next. */
int dh_backoff_restore(struct dh_backoff *b, const char *key, int64_t window_ns,
                       int64_t last_update_ns, struct dh_err **err);
/* IsInBackOffSinceUpdate: key was moved less than its window before now
 * (and not so long ago that the entry expired). */
bool dh_backoff_in_backoff_since_update(const struct dh_backoff *b, const char *key,
                                        int64_t now_ns);
/* IsInBackOffSince: less than the window has passed between event_ns (say,
 * a container's exit) and now. */
bool dh_backoff_in_backoff_since(const struct dh_backoff *b, const char *key,
                                 int64_t event_ns, int64_t now_ns);
/* The current window for key; 0 when it has none. */
int64_t dh_backoff_get(const struct dh_backoff *b, const char *key);
/* Forgets key (Reset/DeleteEntry). */
void dh_backoff_reset(struct dh_backoff *b, const char *key);
/* Drops every entry not updated for more than 2*max_ns. */
void dh_backoff_gc(struct dh_backoff *b, int64_t now_ns);
