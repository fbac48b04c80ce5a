/* Cleaning up after a sandbox whose shim can't: it crashed, was killed, or
 * never became ready. Everything the shim would have removed is found from
 * the state it left: processes (through the pod cgroup), the cgroup, the
 * shm and netns mounts, container layers and the state directory. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cri/builtin/runtime-internal.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

static void kill_shim(pid_t pid)
{
        if (pid <= 0 || !rtb_shim_alive(pid))
                return;
        kill(pid, SIGKILL);
        /* Not our child (it was double-forked): wait for /proc to let go. */
        for (int i = 0; i < 100 && rtb_shim_alive(pid); i++)
                poll(NULL, 0, 20);
}

/* The pod cgroup the shim used: the config's cgroup_parent, else its default. */
static char *pod_cgroup(struct rtb *b, const char *sid)
{
        _cleanup_free_ char *path = rt_sandbox_file(&b->layout, sid, "config.json");
        _cleanup_free_ char *text = NULL;
        char *cg = NULL;
        json_t *j = NULL;
        if (path && dh_read_file(path, 1u << 20, &text, NULL, NULL) == 0)
                j = json_loads(text, 0, NULL);
        const char *parent = json_string_value(json_object_get(json_object_get(j, "linux"), "cgroup_parent"));
        while (parent && *parent == '/')
                parent++;
        if (parent && *parent ? asprintf(&cg, "%s", parent) < 0 : asprintf(&cg, "deckhand/%s", sid) < 0)
                cg = NULL;
        json_decref(j);
        return cg;
}

static int remove_layer(const char *cid, void *ud)
{
        struct rtb *b = ud;
        _cleanup_free_ char *parent = NULL;
        if (asprintf(&parent, "%s/containers", b->layout.root_dir) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
                dh_rm_rf_at(fd, cid, NULL);
        return 0;
}

int rtb_cleanup_sandbox(struct rtb *b, const char *sid, pid_t shim_pid, struct dh_err **err)
{
        kill_shim(shim_pid);
        _cleanup_free_ char *cg = pod_cgroup(b, sid);
        int r = 0;
        if (cg && cg_path_check(cg, NULL) == 0) {
                cg_kill_all(b->cg, cg, SIGKILL, NULL);
                r = cg_remove(b->cg, cg, err);
        }
        static const char *const mounts[] = { "shm", "netns" };
        for (size_t i = 0; i < sizeof mounts / sizeof *mounts; i++) {
                _cleanup_free_ char *m = rt_sandbox_file(&b->layout, sid, mounts[i]);
                /* Only our own sandbox's mounts; gone already is fine. */
                if (m)
                        umount2(m, MNT_DETACH | UMOUNT_NOFOLLOW);
        }
        _cleanup_free_ char *ctrs = rt_sandbox_file(&b->layout, sid, "containers");
        if (ctrs)
                rtb_scan_ids(ctrs, ".json", remove_layer, b, NULL);
        _cleanup_free_ char *parent = NULL;
        if (asprintf(&parent, "%s/sandboxes", b->layout.state_dir) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        _cleanup_close_ int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r2 = fd >= 0 ? dh_rm_rf_at(fd, sid, r < 0 ? NULL : err) : 0;
        return r < 0 ? r : r2;
}
