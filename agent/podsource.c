/* The static pod file source inside the event loop: inotify on the manifest
 * directory, a debounce timer, a resync timer, and the rescan that turns a
 * directory listing into add/update/remove calls. */
#include "agent/podsource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent/manifests.h"
#include "agent/podsource-internal.h"
#include "lib/cleanup.h"

/* What kubelet watches for (fsnotify's Create, Write, Chmod, Remove,
 * Rename), plus the directory itself going away. */
#define PS_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | \
                 IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

struct agent_podsource {
        struct dh_loop *loop;
        char *dir, *node;
        uint64_t resync_ms;
        struct agent_podsource_ops ops;
        void *ud;
        int ifd, wd; /* wd < 0: not watching (yet, or any more) */
        struct dh_watch *watch;
        struct dh_timer *debounce, *resync;
        uint64_t first_event_ms, last_event_ms;
        bool rescan_all;
        bool immediate; /* the pending scan is for a finished write: no debounce */
        struct ps_files files;
        struct agent_static_pod **cur; /* in key order, a reference each */
        size_t ncur;
};

static void report(void *ud, const char *path, const struct dh_err *e)
{
        struct agent_podsource *s = ud;
        if (s->ops.error)
                s->ops.error(s->ud, path, e);
}

static void report_errno(struct agent_podsource *s, int code, const char *what)
{
        _cleanup_err_ struct dh_err *e = NULL;
        dh_err_errno(&e, code, "%s: %s", s->dir, what);
        report(s, s->dir, e);
}

/* Watching starts (again) before each listing while it is not in place, so
 * nothing changes unseen between the two. */
static void try_watch(struct agent_podsource *s)
{
        if (s->wd >= 0)
                return;
        s->wd = inotify_add_watch(s->ifd, s->dir, PS_MASK);
        if (s->wd < 0 && errno != ENOENT && errno != ENOTDIR)
                report_errno(s, errno, "inotify_add_watch (changes are seen at each resync only)");
}

struct scan {
        struct agent_podsource *s;
        struct ps_files next;
        size_t cap, npods;
        bool all;
        int64_t now_ns;
};

static int scan_one(const char *path, void *ud)
{
        struct scan *sc = ud;
        struct agent_podsource *s = sc->s;
        if (sc->next.n == sc->cap) {
                size_t cap = sc->cap ? 2 * sc->cap : 16;
                struct ps_file *v = realloc(sc->next.v, cap * sizeof *v);
                if (!v)
                        return -ENOMEM;
                sc->next.v = v;
                sc->cap = cap;
        }
        size_t off = strcmp(path, s->dir) == 0 ? 0 : strlen(path) - strlen(strrchr(path, '/') + 1);
        struct ps_file *old = ps_files_find(&s->files, path + off);
        struct ps_file *f = &sc->next.v[sc->next.n];
        if (old && !old->dirty && !sc->all && old->n <= AGENT_PODSOURCE_MAX_PODS - sc->npods) {
                *f = *old; /* unchanged: moved over, not read again */
                f->carried = true;
                old->moved = true;
        } else if (ps_file_load(path, off, s->node, sc->now_ns, AGENT_PODSOURCE_MAX_PODS - sc->npods,
                                f, report, s) < 0) {
                ps_file_free(f);
                return -ENOMEM;
        }
        sc->npods += f->n;
        sc->next.n++;
        return 0;
}

static void emit(struct agent_podsource *s, const struct ps_plan *p)
{
        for (size_t i = 0; i < p->ndups; i++) {
                _cleanup_err_ struct dh_err *e = NULL;
                dh_err_set(&e, DH_EINVAL_INPUT, "%s: pod \"%s\" is already defined by %s; ignored",
                           p->dups[i].pod->path, p->dups[i].pod->key, p->dups[i].winner->path);
                report(s, p->dups[i].pod->path, e);
        }
        for (size_t i = 0; i < p->nremoves; i++)
                if (s->ops.remove)
                        s->ops.remove(s->ud, p->removes[i]);
        for (size_t i = 0; i < p->nupdates; i++)
                if (s->ops.update)
                        s->ops.update(s->ud, p->updates[i].old, p->updates[i].pod);
        for (size_t i = 0; i < p->nadds; i++)
                if (s->ops.add)
                        s->ops.add(s->ud, p->adds[i]);
}

/* Makes next the current files and reports what changed. */
static int apply(struct agent_podsource *s, struct ps_files *next)
{
        struct ps_plan p;
        if (ps_plan_make(next, s->cur, s->ncur, &p) < 0)
                return -ENOMEM;
        emit(s, &p);
        for (size_t i = 0; i < s->ncur; i++)
                agent_static_pod_unref(s->cur[i]);
        free(s->cur);
        s->cur = TAKE_PTR(p.next);
        s->ncur = p.nnext;
        p.nnext = 0;
        ps_plan_free(&p);
        ps_files_free(&s->files);
        for (size_t i = 0; i < next->n; i++)
                next->v[i].carried = false;
        s->files = *next;
        *next = (struct ps_files){ 0 };
        return 0;
}

/* Drops a half-built list, handing carried entries back to s->files. */
static void discard(struct agent_podsource *s, struct ps_files *next)
{
        for (size_t i = 0; i < next->n; i++)
                if (!next->v[i].carried)
                        ps_file_free(&next->v[i]);
        free(next->v);
        *next = (struct ps_files){ 0 };
        for (size_t i = 0; i < s->files.n; i++)
                s->files.v[i].moved = false;
}

/* Lists the directory, reads new and changed files (every file if all),
 * and reports the difference. */
static void rescan(struct agent_podsource *s, bool all)
{
        try_watch(s);
        struct scan sc = { .s = s, .all = all, .now_ns = dh_realtime_ns() };
        _cleanup_err_ struct dh_err *e = NULL;
        int r = agent_manifest_dir_scan(s->dir, scan_one, &sc, &e);
        if (r < 0 && e && (e->code == ENOENT || e->code == ENOTDIR)) {
                discard(s, &sc.next); /* gone: no pods */
                r = 0;
        }
        if (r == 0)
                r = apply(s, &sc.next);
        if (r < 0) {
                /* Keep the pods we have; read everything again next time. */
                discard(s, &sc.next);
                dh_err_prefix(&e, "static pod path");
                if (!e)
                        dh_err_set(&e, ENOMEM, "static pod path %s: out of memory", s->dir);
                report(s, s->dir, e);
                s->rescan_all = true;
        }
        if (s->ops.synced)
                s->ops.synced(s->ud, s->ncur);
}

static void on_resync(struct dh_loop *l, void *ud)
{
        struct agent_podsource *s = ud;
        s->resync = NULL;
        rescan(s, true);
        /* Without a watch (the directory is missing), look again every
         * second rather than waiting a whole resync period. */
        uint64_t next = s->wd < 0 && s->resync_ms > AGENT_PODSOURCE_UNWATCHED_RETRY_MS
                                ? AGENT_PODSOURCE_UNWATCHED_RETRY_MS
                                : s->resync_ms;
        s->resync = dh_loop_timer(l, next, on_resync, s, NULL);
}

static void on_debounce(struct dh_loop *l, void *ud)
{
        struct agent_podsource *s = ud;
        s->debounce = NULL;
        uint64_t now = dh_now_ms();
        uint64_t quiet = now - s->last_event_ms;
        if (!s->immediate && quiet < AGENT_PODSOURCE_DEBOUNCE_MS &&
            now - s->first_event_ms < AGENT_PODSOURCE_DEBOUNCE_MAX_MS) {
                s->debounce = dh_loop_timer(l, AGENT_PODSOURCE_DEBOUNCE_MS - quiet, on_debounce, s,
                                            NULL);
                if (s->debounce)
                        return;
        }
        s->immediate = false;
        bool all = s->rescan_all;
        s->rescan_all = false;
        rescan(s, all);
}

/* A finished write (a file closed after writing, renamed in, or removed)
 * is read at once, as the kubelet handles each event (the events read
 * together are one scan); writes still going on (created, modified) wait
 * until they settle. */
static void changed(struct agent_podsource *s, bool finished)
{
        uint64_t now = dh_now_ms();
        s->last_event_ms = now;
        if (finished && !s->immediate) {
                struct dh_timer *t = dh_loop_timer(s->loop, 0, on_debounce, s, NULL);
                if (t) {
                        dh_timer_cancel(s->debounce);
                        s->debounce = t;
                        s->immediate = true;
                        return;
                }
        }
        if (s->debounce)
                return;
        s->first_event_ms = s->last_event_ms;
        s->debounce = dh_loop_timer(s->loop, AGENT_PODSOURCE_DEBOUNCE_MS, on_debounce, s, NULL);
        if (!s->debounce)
                s->rescan_all = true; /* out of memory: the resync will do it */
}

/* The watch is gone: look for the directory every second from now on. */
static void resync_soon(struct agent_podsource *s)
{
        if (s->resync_ms <= AGENT_PODSOURCE_UNWATCHED_RETRY_MS)
                return;
        dh_timer_cancel(s->resync);
        s->resync = dh_loop_timer(s->loop, AGENT_PODSOURCE_UNWATCHED_RETRY_MS, on_resync, s, NULL);
}

static void on_event(struct agent_podsource *s, const struct inotify_event *ev)
{
        if (ev->mask & IN_Q_OVERFLOW) {
                s->rescan_all = true;
        } else if (ev->wd != s->wd || s->wd < 0) {
                return; /* a watch we dropped */
        } else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                /* The directory went (or moved: the watch would follow it). */
                inotify_rm_watch(s->ifd, s->wd);
                s->wd = -1;
                s->rescan_all = true;
                resync_soon(s);
        } else if (ev->len == 0 || !ev->name[0]) {
                s->rescan_all = true; /* the path itself (a file, or the dir) */
        } else if (agent_manifest_name_ok(ev->name)) {
                struct ps_file *f = ps_files_find(&s->files, ev->name);
                if (f)
                        f->dirty = true; /* new names are read anyway */
        } else {
                return; /* dotfiles: editors' temporaries */
        }
        changed(s, ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE));
}

static void on_inotify(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)events;
        struct agent_podsource *s = ud;
        char buf[AGENT_PODSOURCE_INOTIFY_BUF]
                __attribute__((aligned(__alignof__(struct inotify_event))));
        /* Bounded per wake-up; the loop calls again while more is queued. */
        for (int round = 0; round < 16; round++) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n <= 0)
                        return;
                for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
                        const struct inotify_event *ev = (const void *)(buf + off);
                        on_event(s, ev);
                        off += (ssize_t)(sizeof *ev + ev->len);
                }
        }
}

int agent_podsource_open(struct dh_loop *loop, const char *dir, const char *node_name,
                         uint64_t resync_ms, const struct agent_podsource_ops *ops, void *ud,
                         struct agent_podsource **out, struct dh_err **err)
{
        if (!node_name || !*node_name)
                return dh_err_set(err, EINVAL, "static pods need a node name");
        struct agent_podsource *s = calloc(1, sizeof *s);
        if (!s)
                return dh_err_set(err, ENOMEM, "out of memory");
        *s = (struct agent_podsource){ .loop = loop, .ops = *ops, .ud = ud, .ifd = -1, .wd = -1,
                                       .resync_ms = resync_ms ? resync_ms : AGENT_PODSOURCE_RESYNC_MS };
        /* inotify needs no trailing slash, as kubelet trims it too. */
        size_t dl = strlen(dir);
        while (dl > 1 && dir[dl - 1] == '/')
                dl--;
        s->dir = strndup(dir, dl);
        s->node = strdup(node_name);
        int r = 0;
        if (!s->dir || !s->node)
                r = dh_err_set(err, ENOMEM, "out of memory");
        else if ((s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
                r = dh_err_errno(err, errno, "inotify_init1");
        else if (!(s->watch = dh_loop_watch(loop, s->ifd, EPOLLIN, on_inotify, s, err)) ||
                 !(s->resync = dh_loop_timer(loop, 0, on_resync, s, err)))
                r = -ENOMEM;
        if (r < 0) {
                agent_podsource_close(s);
                return dh_err_prefix(err, "static pod source %s", dir);
        }
        *out = s;
        return 0;
}

void agent_podsource_close(struct agent_podsource *s)
{
        if (!s)
                return;
        dh_timer_cancel(s->debounce);
        dh_timer_cancel(s->resync);
        dh_watch_remove(s->watch);
        if (s->ifd >= 0)
                close(s->ifd);
        for (size_t i = 0; i < s->ncur; i++)
                agent_static_pod_unref(s->cur[i]);
        free(s->cur);
        ps_files_free(&s->files);
        free(s->dir);
        free(s->node);
        free(s);
}

size_t agent_podsource_pods(const struct agent_podsource *s,
                            const struct agent_static_pod *const **v)
{
        *v = (const struct agent_static_pod *const *)s->cur;
        return s->ncur;
}
