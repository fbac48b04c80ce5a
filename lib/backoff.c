/* flowcontrol.Backoff's bookkeeping over a small bounded table. Lookups
 * are linear: the table holds one entry per failing pod/container, which
 * on a node is a few hundred at most. */
#include "lib/backoff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void dh_backoff_init(struct dh_backoff *b, int64_t initial_ns, int64_t max_ns,
                     size_t max_entries)
{
        *b = (struct dh_backoff){
                .initial_ns = initial_ns,
                .max_ns = max_ns,
                .max_entries = max_entries ? max_entries : 1,
        };
}

void dh_backoff_free(struct dh_backoff *b)
{
        if (!b)
                return;
        for (size_t i = 0; i < b->n; i++)
                free(b->v[i].key);
        free(b->v);
        b->v = NULL;
        b->n = 0;
}

static struct dh_backoff_entry *find(const struct dh_backoff *b, const char *key)
{
        for (size_t i = 0; i < b->n; i++)
                if (strcmp(b->v[i].key, key) == 0)
                        return &b->v[i];
        return NULL;
}

/* Saturating, so that a huge max never overflows. */
static int64_t twice(int64_t d)
{
        return d > INT64_MAX / 2 ? INT64_MAX : 2 * d;
}

static int64_t elapsed(int64_t from, int64_t to)
{
        if (to >= 0 && from < 0 && to > INT64_MAX + from)
                return INT64_MAX;
        if (to < 0 && from > 0 && to < INT64_MIN + from)
                return INT64_MIN;
        return to - from;
}

/* After twice the maximum without an update the key starts over. */
static bool expired(const struct dh_backoff *b, const struct dh_backoff_entry *e,
                    int64_t event_ns)
{
        return elapsed(e->last_update_ns, event_ns) > twice(b->max_ns);
}

static void remove_at(struct dh_backoff *b, size_t i)
{
        free(b->v[i].key);
        b->v[i] = b->v[--b->n];
}

static void evict_least_recently_updated(struct dh_backoff *b)
{
        size_t oldest = 0;
        for (size_t i = 1; i < b->n; i++)
                if (b->v[i].last_update_ns < b->v[oldest].last_update_ns)
                        oldest = i;
        remove_at(b, oldest);
}

static int add_entry(struct dh_backoff *b, const char *key, int64_t now_ns,
                     struct dh_err **err)
{
        char *k = strdup(key);
        /* Grow before evicting anything, so a failure changes nothing. */
        struct dh_backoff_entry *v = k ? realloc(b->v, (b->n + 1) * sizeof *v) : NULL;
        if (!v) {
                free(k);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        b->v = v;
        if (b->n >= b->max_entries)
                dh_backoff_gc(b, now_ns);
        if (b->n >= b->max_entries)
                evict_least_recently_updated(b);
        b->v[b->n++] = (struct dh_backoff_entry){
                .key = k, .backoff_ns = b->initial_ns, .last_update_ns = now_ns,
        };
        return 0;
}

int dh_backoff_next_since(struct dh_backoff *b, const char *key, int64_t event_ns,
                          int64_t now_ns, struct dh_err **err)
{
        if (strnlen(key, DH_BACKOFF_KEY_MAX + 1) > DH_BACKOFF_KEY_MAX)
                return dh_err_set(err, DH_ELIMIT, "back-off key longer than %d bytes",
                                  DH_BACKOFF_KEY_MAX);
        struct dh_backoff_entry *e = find(b, key);
        if (!e)
                return add_entry(b, key, now_ns, err);
        if (expired(b, e, event_ns))
                e->backoff_ns = b->initial_ns;
        else
                e->backoff_ns = twice(e->backoff_ns) < b->max_ns ? twice(e->backoff_ns) : b->max_ns;
        e->last_update_ns = now_ns;
        return 0;
}

int dh_backoff_restore(struct dh_backoff *b, const char *key, int64_t window_ns,
                       int64_t last_update_ns, struct dh_err **err)
{
        if (strnlen(key, DH_BACKOFF_KEY_MAX + 1) > DH_BACKOFF_KEY_MAX)
                return dh_err_set(err, DH_ELIMIT, "back-off key longer than %d bytes",
                                  DH_BACKOFF_KEY_MAX);
        if (find(b, key))
                return 0;
        if (add_entry(b, key, last_update_ns, err) < 0)
                return -1;
        struct dh_backoff_entry *e = &b->v[b->n - 1];
        e->backoff_ns = window_ns < b->initial_ns ? b->initial_ns
                        : window_ns > b->max_ns   ? b->max_ns
                                                  : window_ns;
        return 0;
}

int dh_backoff_next(struct dh_backoff *b, const char *key, int64_t now_ns,
                    struct dh_err **err)
{
        return dh_backoff_next_since(b, key, now_ns, now_ns, err);
}

bool dh_backoff_in_backoff_since_update(const struct dh_backoff *b, const char *key,
                                        int64_t now_ns)
{
        const struct dh_backoff_entry *e = find(b, key);
        if (!e || expired(b, e, now_ns))
                return false;
        return elapsed(e->last_update_ns, now_ns) < e->backoff_ns;
}

bool dh_backoff_in_backoff_since(const struct dh_backoff *b, const char *key,
                                 int64_t event_ns, int64_t now_ns)
{
        const struct dh_backoff_entry *e = find(b, key);
        if (!e || expired(b, e, event_ns))
                return false;
        return elapsed(event_ns, now_ns) < e->backoff_ns;
}

int64_t dh_backoff_get(const struct dh_backoff *b, const char *key)
{
        const struct dh_backoff_entry *e = find(b, key);
        return e ? e->backoff_ns : 0;
}

void dh_backoff_reset(struct dh_backoff *b, const char *key)
{
        struct dh_backoff_entry *e = find(b, key);
        if (e)
                remove_at(b, (size_t)(e - b->v));
}

void dh_backoff_gc(struct dh_backoff *b, int64_t now_ns)
{
        for (size_t i = 0; i < b->n;) {
                if (expired(b, &b->v[i], now_ns))
                        remove_at(b, i);
                else
                        i++;
        }
}
