/* The built-in runtime's state token: what changes whenever the lists
 * would. Every state change of the runtime is a file renamed into, or
 * removed from, a directory of the state dir (the shims write atomically):
 * the sandboxes directory, each sandbox's directory or its containers
 * directory. Those directories are watched with inotify, and the token
 * is a count of the events seen (plus each known shim's liveness: a shim
 * that died changes nothing on disk), so that the agent's relist, which
 * asks every second, costs a read and a poll when nothing happened. New
 * sandbox directories are watched as their events arrive. Where inotify
 * cannot be had (no instance or watch left), the token is made as before
 * the watches: a stat of each directory, no JSON. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cri/builtin/runtime-internal.h"
#include "lib/cleanup.h"
#include "lib/dirlist.h"

static uint64_t mix(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= 1099511628211ULL;
        }
        return h;
}

/* The directory's identity and modification time; zeros when absent. */
static uint64_t dir_stamp(uint64_t h, int dirfd, const char *name)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                memset(&st, 0, sizeof st);
        h = mix(h, &st.st_ino, sizeof st.st_ino);
        h = mix(h, &st.st_mtim, sizeof st.st_mtim);
        return mix(h, &st.st_ctim, sizeof st.st_ctim);
}

/* Whether the sandbox's shim lives. The first time it is seen alive (by
 * its /proc entry, as rtb_shim_alive checks) a pidfd is kept: from then on
 * a poll of it answers (readable once the process is gone) without
 * reading /proc. -1: not known. */
static int shim_alive(struct rtb *b, struct rtb_sandbox_labels *e)
{
        if (!e || !e->shim_pid)
                return -1;
        if (e->shim_pidfd >= 0) {
                struct pollfd p = { .fd = e->shim_pidfd, .events = POLLIN };
                return poll(&p, 1, 0) == 0;
        }
        if (e->shim_pidfd == RTB_SHIM_SEEN_DEAD)
                return 0;
        if (!rtb_shim_alive(e->shim_pid)) {
                e->shim_pidfd = RTB_SHIM_SEEN_DEAD; /* a shim does not come back */
                return 0;
        }
        /* Opened after the check: if the pid was reused in between, the
         * next full list sees the sandbox's own state anyway. Bounded:
         * past the limit, /proc is read each time. */
        if (b->n_shim_pidfds < RTB_SHIM_PIDFDS_MAX &&
            (e->shim_pidfd = (int)syscall(SYS_pidfd_open, e->shim_pid, 0)) >= 0)
                b->n_shim_pidfds++;
        return 1;
}

static uint64_t sandbox_stamp(struct rtb *b, int dirfd, const char *sid)
{
        uint64_t h = mix(14695981039346656037ULL, sid, strlen(sid));
        char ctrs[RT_ID_LEN + sizeof "/containers"];
        memcpy(ctrs, sid, RT_ID_LEN); /* sid is a valid id: RT_ID_LEN characters */
        memcpy(ctrs + RT_ID_LEN, "/containers", sizeof "/containers");
        h = dir_stamp(dir_stamp(h, dirfd, sid), dirfd, ctrs);
        int alive = shim_alive(b, (struct rtb_sandbox_labels *)rtb_sandbox_cached(b, sid));
        return mix(h, &alive, sizeof alive);
}

struct token_walk {
        struct rtb *b;
        uint64_t sum;
};

/* dh_list_dir's filter, used to visit: adds each sandbox's stamp (in any
 * order: a sum) and keeps no name. */
static bool add_sandbox(int dirfd, const struct dirent *de, void *ud)
{
        struct token_walk *w = ud;
        if (strlen(de->d_name) == RT_ID_LEN && rt_id_valid(de->d_name))
                w->sum += sandbox_stamp(w->b, dirfd, de->d_name);
        return false;
}

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

void rtb_watch_close(struct rtb *b)
{
        if (b->watch.fd >= 0)
                close(b->watch.fd);
        b->watch.fd = -1;
}

static void watch_give_up(struct rtb *b)
{
        rtb_watch_close(b);
        b->watch.failed = true;
}

/* A watch on path; false when inotify cannot go on (no watch left). A
 * directory already gone is no failure: its removal was an event. */
static bool watch_path(struct rtb *b, const char *path)
{
        return inotify_add_watch(b->watch.fd, path, WATCH_MASK) >= 0 || errno == ENOENT ||
               errno == ENOTDIR;
}

struct watch_walk {
        struct rtb *b;
        const char *sandboxes;
        bool ok;
};

/* dh_list_dir's filter, used to visit: watches each sandbox's directory
 * and its containers directory (adding a watch twice keeps one). */
static bool watch_sandbox(int dirfd, const struct dirent *de, void *ud)
{
        (void)dirfd;
        struct watch_walk *w = ud;
        if (!w->ok || strlen(de->d_name) != RT_ID_LEN || !rt_id_valid(de->d_name))
                return false;
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/%s/containers", w->sandboxes, de->d_name);
        if (n < 0 || n >= (int)sizeof path) {
                w->ok = false;
                return false;
        }
        w->ok = watch_path(w->b, path);
        path[n - sizeof "/containers" + 1] = '\0';
        w->ok = w->ok && watch_path(w->b, path);
        return false;
}

/* Watches every sandbox there is; -1: give up on inotify. */
static int watch_sandboxes(struct rtb *b, const char *sandboxes)
{
        _cleanup_close_ int fd = open(sandboxes, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -1;
        struct watch_walk w = { b, sandboxes, true };
        struct dh_names none = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        if (dh_list_dir(fd, sandboxes, watch_sandbox, &w, 0, false, &none, &err) < 0)
                return -1;
        return w.ok ? 0 : -1;
}

/* The watches, set up on first use: 0 when the token can come from them. */
static int watch_start(struct rtb *b, const char *sandboxes)
{
        if (b->watch.fd >= 0)
                return 0;
        if (b->watch.failed)
                return -1;
        b->watch.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (b->watch.fd < 0) {
                b->watch.failed = true;
                return -1;
        }
        b->watch.top_wd = inotify_add_watch(b->watch.fd, sandboxes, WATCH_MASK);
        if (b->watch.top_wd < 0) {
                bool absent = errno == ENOENT; /* no sandbox yet: try again next time */
                rtb_watch_close(b);
                b->watch.failed = !absent;
                return -1;
        }
        b->watch.rescan = true;
        b->watch.gen++;
        return 0;
}

/* Reads the events so far: any moves the generation; a directory that
 * came (a sandbox, a containers directory) or an overflowed queue calls
 * for a rescan; the sandboxes directory itself gone, for a new start. */
static void watch_drain(struct rtb *b)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        for (;;) {
                ssize_t n = read(b->watch.fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return; /* EAGAIN: nothing more */
                b->watch.gen++;
                for (const char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        if (ev->mask & (IN_Q_OVERFLOW | IN_ISDIR))
                                b->watch.rescan = true;
                        if (ev->wd == b->watch.top_wd && (ev->mask & (IN_IGNORED | IN_MOVE_SELF))) {
                                rtb_watch_close(b);
                                return;
                        }
                        p += sizeof *ev + ev->len;
                }
        }
}

/* Each known shim's liveness, with one poll for all those with a pidfd. */
static uint64_t shims_stamp(struct rtb *b)
{
        struct pollfd pfd[RTB_SHIM_PIDFDS_MAX];
        nfds_t n = 0;
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < b->n_sb_labels; i++) {
                struct rtb_sandbox_labels *e = &b->sb_labels[i];
                if (e->shim_pidfd >= 0 && n < RTB_SHIM_PIDFDS_MAX) {
                        pfd[n++] = (struct pollfd){ .fd = e->shim_pidfd, .events = POLLIN };
                        continue;
                }
                int alive = shim_alive(b, e);
                h = mix(h, &alive, sizeof alive);
        }
        if (n && poll(pfd, n, 0) < 0) {
                int e = errno; /* unknown this time: the token moves */
                return mix(h, &e, sizeof e) + b->watch.gen;
        }
        for (nfds_t i = 0; i < n; i++) {
                int alive = pfd[i].revents == 0;
                h = mix(h, &alive, sizeof alive);
        }
        return h;
}

/* The token from the watches; -1 when there are none (the caller walks). */
static int watched_token(struct rtb *b, const char *sandboxes, uint64_t *out)
{
        if (watch_start(b, sandboxes) < 0)
                return -1;
        watch_drain(b);
        if (b->watch.fd >= 0 && b->watch.rescan) {
                b->watch.rescan = false;
                if (watch_sandboxes(b, sandboxes) < 0)
                        watch_give_up(b);
        }
        if (b->watch.fd < 0)
                return -1;
        uint64_t h = mix(14695981039346656037ULL, &b->watch.gen, sizeof b->watch.gen);
        *out = h ^ shims_stamp(b);
        return 0;
}

int rtb_state_token(struct rt *rt, uint64_t *out, struct dh_err **err)
{
        struct rtb *b = (struct rtb *)rt;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/sandboxes", b->layout.state_dir) >= (int)sizeof path)
                return dh_err_set(err, ENAMETOOLONG, "state dir path too long");
        if (watched_token(b, path, out) == 0)
                return 0;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                *out = errno == ENOENT ? 0 : 1;
                return errno == ENOENT ? 0 : dh_err_errno(err, errno, "open %s", path);
        }
        struct token_walk w = { b, dir_stamp(14695981039346656037ULL, fd, ".") };
        struct dh_names none = { 0 };
        if (dh_list_dir(fd, path, add_sandbox, &w, 0, false, &none, err) < 0)
                return -1;
        *out = w.sum;
        return 0;
}
