/* Looks up the host nodes behind a CRI config's devices (lstat, as
 * containerd's DeviceFromPath), so the pure plan builder gets them as
 * facts. Runs in the agent, which can see the host's /dev. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cri/builtin/plan.h"
#include "lib/cleanup.h"

int rt_host_devices_lookup(const struct rt_container_config *cfg, struct rt_host_device **out,
                           size_t *n, struct dh_err **err)
{
        if (cfg->devices.n > CG_DEV_RULES_MAX)
                return dh_err_set(err, DH_ELIMIT, "devices: %zu devices, at most %d", cfg->devices.n,
                                  CG_DEV_RULES_MAX);
        _cleanup_free_ struct rt_host_device *v = calloc(cfg->devices.n ? cfg->devices.n : 1, sizeof *v);
        if (!v)
                return dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < cfg->devices.n; i++) {
                const char *path = cfg->devices.v[i].host_path;
                struct stat st;
                if (!path || path[0] != '/')
                        return dh_err_set(err, EINVAL, "devices[%zu]: host_path \"%s\" must be absolute", i,
                                          path ? path : "");
                if (lstat(path, &st) < 0)
                        return dh_err_errno(err, errno, "devices[%zu]: host device \"%s\"", i, path);
                if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                        return dh_err_set(err, EINVAL, "devices[%zu]: \"%s\" is not a device node%s", i, path,
                                          S_ISDIR(st.st_mode) ? " (directories of devices are not supported)" : "");
                v[i] = (struct rt_host_device){ .host_path = path, .type = S_ISCHR(st.st_mode) ? 'c' : 'b',
                                                .major = major(st.st_rdev), .minor = minor(st.st_rdev),
                                                .mode = st.st_mode & 07777, .uid = st.st_uid, .gid = st.st_gid };
        }
        *out = TAKE_PTR(v);
        *n = cfg->devices.n;
        return 0;
}
