/* The built-in runtime's state token: what changes whenever the lists
 * would. Every state change of the runtime is a file renamed into, or
 * removed from, a directory of the state dir (the shims write atomically),
 * so the modification times of the sandboxes directory, of each sandbox's
 * directory and of its containers directory move with it; a shim that
 * died changes nothing on disk, so each known shim's liveness goes in too.
 * A stat per directory and a /proc read per shim, no JSON: the agent's
 * relist asks for this every second and lists only when it moved. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
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
        if (!rtb_shim_alive(e->shim_pid))
                return 0;
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

int rtb_state_token(struct rt *rt, uint64_t *out, struct dh_err **err)
{
        struct rtb *b = (struct rtb *)rt;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/sandboxes", b->layout.state_dir) >= (int)sizeof path)
                return dh_err_set(err, ENAMETOOLONG, "state dir path too long");
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
