/* containerd's defaults for Linux containers, as plain data for the plan
 * builder: the masked and read-only /proc and /sys paths (containerd
 * pkg/oci/spec.go populateDefaultUnixSpec) and the default mounts
 * (pkg/oci/mounts.go defaultMounts, minus /run, which the CRI plugin drops,
 * plus the CRI plugin's /sys/fs/cgroup). Pure: no system calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cri/builtin/plan.h"
#include "cri/builtin/rootfs.h"
#include "lib/cleanup.h"

const char *const rt_default_masked_paths[] = {
        "/proc/asound",
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
        NULL,
};

const char *const rt_default_readonly_paths[] = {
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
        NULL,
};

struct default_mount {
        const char *destination, *type, *source, *data;
        uint64_t flags;
        bool ro_unless_privileged;
};

#define NOSUID_NOEXEC_NODEV (MS_NOSUID | MS_NOEXEC | MS_NODEV)

static const struct default_mount default_mounts[] = {
        { "/proc", "proc", "proc", NULL, NOSUID_NOEXEC_NODEV, false },
        { "/dev", "tmpfs", "tmpfs", "mode=755,size=65536k", MS_NOSUID | MS_STRICTATIME, false },
        { "/dev/pts", "devpts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", MS_NOSUID | MS_NOEXEC,
          false },
        { "/dev/shm", "tmpfs", "shm", "mode=1777,size=65536k", NOSUID_NOEXEC_NODEV, false },
        { "/dev/mqueue", "mqueue", "mqueue", NULL, NOSUID_NOEXEC_NODEV, false },
        { "/sys", "sysfs", "sysfs", NULL, NOSUID_NOEXEC_NODEV, true },
        /* "cgroup" is the host's flavour, v1 or v2, resolved when applied (mounts.c). */
        { "/sys/fs/cgroup", "cgroup", "cgroup", NULL, NOSUID_NOEXEC_NODEV | MS_RELATIME, true },
};

static void mount_free(struct rt_plan_mount *m)
{
        free(m->destination);
        free(m->type);
        free(m->source);
        free(m->data);
}

static char *dup_or_null(const char *s, bool *failed)
{
        if (!s)
                return NULL;
        char *d = strdup(s);
        if (!d)
                *failed = true;
        return d;
}

static bool fill(struct rt_plan_mount *m, const struct default_mount *d, bool privileged, const char *shm)
{
        bool failed = false;
        bool bind_shm = shm && strcmp(d->destination, "/dev/shm") == 0;
        *m = (struct rt_plan_mount){
                .destination = dup_or_null(d->destination, &failed),
                .type = dup_or_null(bind_shm ? "bind" : d->type, &failed),
                .source = dup_or_null(bind_shm ? shm : d->source, &failed),
                .data = dup_or_null(bind_shm ? NULL : d->data, &failed),
                .flags = d->flags | (bind_shm ? MS_BIND | MS_REC : 0) |
                         (d->ro_unless_privileged && !privileged ? MS_RDONLY : 0),
                .propagation = 0, /* rprivate */
                .mkdir_dest = true,
        };
        if (failed)
                mount_free(m);
        return !failed;
}

int rt_plan_default_mounts(struct rt_container_plan *p, bool privileged, const char *shm_source,
                           struct dh_err **err)
{
        size_t n = DH_ARRAY_SIZE(default_mounts);
        if (p->mounts.n > SIZE_MAX / sizeof *p->mounts.v - n)
                return dh_err_set(err, DH_ELIMIT, "too many mounts");
        struct rt_plan_mount add[DH_ARRAY_SIZE(default_mounts)];
        for (size_t i = 0; i < n; i++) {
                if (!fill(&add[i], &default_mounts[i], privileged, shm_source)) {
                        while (i > 0)
                                mount_free(&add[--i]);
                        return dh_err_set(err, ENOMEM, "out of memory");
                }
        }
        struct rt_plan_mount *v = realloc(p->mounts.v, (p->mounts.n + n) * sizeof *v);
        if (!v) {
                for (size_t i = 0; i < n; i++)
                        mount_free(&add[i]);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        memcpy(v + p->mounts.n, add, sizeof add);
        p->mounts.v = v;
        p->mounts.n += n;
        return 0;
}
