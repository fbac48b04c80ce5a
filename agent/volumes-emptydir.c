/* emptyDir: a 0777 directory under kubernetes.io~empty-dir, with a tmpfs
 * on it for medium Memory (sized as calculateEmptyDirMemorySize). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/volumes-internal.h"
#include "lib/cleanup.h"

/* The kubelet's emptyDir permissions: world-writable so any container user
 * can use it (https://issue.k8s.io/2630). */
#define EMPTY_DIR_PERM 0777

int vol_empty_dir_setup(int plugin_fd, const struct pod_volume *vol, const struct pod *pod,
                        const struct agent_node_alloc *node, struct dh_err **err)
{
        const struct pod_empty_dir *ed = vol->emptyDir;
        const char *medium = ed->medium ? ed->medium : "";
        bool memory = strcmp(medium, "Memory") == 0;
        if (!memory && *medium)
                return dh_err_set(err, EINVAL, "emptyDir medium \"%s\" is not supported "
                                               "(only \"\" and \"Memory\")", medium);
        _cleanup_close_ int fd = -1;
        int r = vol_mkdirat(plugin_fd, vol->name, EMPTY_DIR_PERM, false, &fd, err);
        if (r < 0)
                return r;
        bool is_mount, is_tmpfs;
        r = vol_mount_state(fd, &is_mount, &is_tmpfs, err);
        if (r < 0)
                return r;
        if (is_mount && is_tmpfs && memory)
                return 0; /* set up before; the tmpfs root keeps its own mode */
        if (is_mount)
                return dh_err_set(err, EBUSY, "\"%s\" is already a mount point (not our tmpfs)",
                                  vol->name);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "stat \"%s\"", vol->name);
        /* Like the kubelet, fix a mode the umask narrowed. */
        if ((st.st_mode & 07777) != EMPTY_DIR_PERM && fchmod(fd, EMPTY_DIR_PERM) < 0)
                return dh_err_errno(err, errno, "chmod \"%s\"", vol->name);
        if (!memory)
                return 0;
        return vol_tmpfs_ensure(fd, vol_memory_size(pod, node, &ed->sizeLimit), err);
}
