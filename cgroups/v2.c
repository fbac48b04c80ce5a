/* The cgroup v2 driver: one unified hierarchy, controllers enabled in each
 * parent's cgroup.subtree_control on the way down, v2 file names
 * (cpu.weight, cpu.max, memory.max, pids.max), cgroup.freeze and
 * cgroup.kill. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/devfilter.h"
#include "cgroups/internal.h"
#include "lib/cleanup.h"

/* What kubelet needs below the root, in the order they are enabled. */
static const char *const wanted[] = { "cpu", "memory", "pids", "cpuset", "hugetlb", "io" };

#define EBUSY_SUBTREE_HINT \
        "cgroup v2 cannot enable controllers for children of a cgroup that has processes of its own"

/* Enables in dir's subtree_control what dir has and kubelet wants, in one
 * write (the kernel applies it all or nothing). */
static int enable_controllers(const char *dir, struct dh_err **err)
{
        _cleanup_free_ char *avail = NULL, *enabled = NULL;
        if (cg_read(dir, "cgroup.controllers", CG_FILE_MAX, &avail, err) < 0 ||
            cg_read(dir, "cgroup.subtree_control", CG_FILE_MAX, &enabled, err) < 0)
                return -EIO;
        char list[64] = "";
        size_t len = 0;
        for (size_t i = 0; i < DH_ARRAY_SIZE(wanted); i++) {
                if (!cg_has_word(avail, wanted[i]) || cg_has_word(enabled, wanted[i]))
                        continue;
                int n = snprintf(list + len, sizeof list - len, "%s+%s", len ? " " : "", wanted[i]);
                if (n < 0 || (size_t)n >= sizeof list - len)
                        return dh_err_set(err, DH_ELIMIT, "%s: controller list too long", dir);
                len += (size_t)n;
        }
        if (!len)
                return 0;
        return cg_write_hint(dir, "cgroup.subtree_control", list, EBUSY_SUBTREE_HINT, err);
}

static int v2_create(const struct cg_layout *l, const char *path, struct dh_err **err)
{
        _cleanup_free_ char *parent = strdup(l->hier[0].dir);
        if (!parent)
                return dh_err_set(err, ENOMEM, "cgroup %s: out of memory", path);
        for (const char *p = path;;) {
                size_t n = strcspn(p, "/");
                _cleanup_free_ char *dir = NULL;
                if (enable_controllers(parent, err) < 0)
                        return dh_err_prefix(err, "cgroup %s: create", path);
                if (asprintf(&dir, "%s/%.*s", parent, (int)n, p) < 0)
                        return dh_err_set(err, ENOMEM, "cgroup %s: out of memory", path);
                if (cg_mkdir(dir, err) < 0)
                        return dh_err_prefix(err, "cgroup %s: create", path);
                free(parent);
                parent = TAKE_PTR(dir);
                if (!p[n])
                        return 0;
                p += n + 1;
        }
}

/* cpu.max is "<quota|max> [<period>]"; a period alone keeps the quota. */
static int write_cpu_max(const char *dir, const struct cg_resources *r, struct dh_err **err)
{
        char quota[32], val[64];
        if (r->cpu_quota_us < 0) {
                snprintf(quota, sizeof quota, "max");
        } else if (r->cpu_quota_us > 0) {
                snprintf(quota, sizeof quota, "%" PRId64, r->cpu_quota_us);
        } else {
                _cleanup_free_ char *cur = NULL;
                if (cg_read(dir, "cpu.max", CG_FILE_MAX, &cur, err) < 0)
                        return -EIO;
                size_t n = strcspn(cur, " \n");
                if (n == 0 || n >= sizeof quota)
                        return dh_err_set(err, EINVAL, "%s: cpu.max: unexpected \"%.32s\"", dir, cur);
                memcpy(quota, cur, n);
                quota[n] = '\0';
        }
        if (r->cpu_period_us)
                snprintf(val, sizeof val, "%s %" PRIu64, quota, r->cpu_period_us);
        else
                snprintf(val, sizeof val, "%s", quota);
        return cg_write(dir, "cpu.max", val, err);
}

static int apply_cpu(const struct cg_layout *l, const char *path, const struct cg_resources *r,
                     struct dh_err **err)
{
        if (!r->cpu_shares && !r->cpu_quota_us && !r->cpu_period_us)
                return 0;
        _cleanup_free_ char *dir = cg_ctl_dir(l, CG_CPU, path);
        if (!dir)
                return cg_err_no_controller(path, "a cpu shares/quota/period setting", CG_CPU, err);
        if (r->cpu_shares &&
            cg_write_i64(dir, "cpu.weight", (int64_t)cg_shares_to_weight(r->cpu_shares), err) < 0)
                return -EIO;
        if ((r->cpu_quota_us || r->cpu_period_us) && write_cpu_max(dir, r, err) < 0)
                return -EIO;
        return 0;
}

static int v2_apply(const struct cg_layout *l, const char *path, const struct cg_resources *r,
                    struct dh_err **err)
{
        if (apply_cpu(l, path, r, err) < 0)
                return -EIO;
        /* memory.max and pids.max both spell "unlimited" as "max". */
        if (r->memory_limit && cg_write_limit(l, path, CG_MEMORY, "a memory limit", "memory.max",
                                              r->memory_limit, true, err) < 0)
                return -EIO;
        if (r->pids_limit && cg_write_limit(l, path, CG_PIDS, "a pids limit", "pids.max", r->pids_limit,
                                            true, err) < 0)
                return -EIO;
        return 0;
}

static int v2_devices(const struct cg_layout *l, const char *path, const struct cg_dev_rule *rules,
                      size_t n, struct dh_err **err)
{
        _cleanup_free_ char *dir = cg_join(l->hier[0].dir, path);
        if (!dir)
                return dh_err_errno(err, errno, "cgroup %s: devices", path);
        _cleanup_free_ struct bpf_insn *insns = NULL;
        size_t n_insns = 0;
        if (cg_devfilter_build(rules, n, &insns, &n_insns, err) < 0)
                return dh_err_prefix(err, "cgroup %s: devices", path);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return dh_err_errno(err, errno, "cgroup %s: devices: open %s", path, dir);
        if (cg_devfilter_install(fd, insns, n_insns, err) < 0)
                return dh_err_prefix(err, "cgroup %s: devices", path);
        return 0;
}

#define FREEZE_POLLS 100
#define FREEZE_POLL_MS 10

static int v2_freeze(const struct cg_layout *l, const char *path, bool frozen, bool *tried,
                     struct dh_err **err)
{
        *tried = false;
        _cleanup_free_ char *dir = cg_join(l->hier[0].dir, path);
        if (!dir)
                return dh_err_errno(err, errno, "cgroup %s", path);
        struct dh_err *werr = NULL;
        if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", &werr) < 0) {
                /* No cgroup.freeze: a kernel before 5.2, nothing to do. */
                int code = werr->code;
                if (code != ENOENT)
                        dh_err_set(err, code, "%s", werr->msg);
                dh_err_free(werr);
                return code == ENOENT ? 0 : -code;
        }
        *tried = true;
        if (!frozen)
                return 1; /* nothing waits on a thaw */
        /* cgroup.events says "frozen 1" once every task has stopped. */
        for (int i = 0; i < FREEZE_POLLS; i++) {
                _cleanup_free_ char *events = NULL;
                uint64_t v = 0;
                bool found = false;
                if (cg_read(dir, "cgroup.events", CG_FILE_MAX, &events, err) < 0 ||
                    cg_keyed_u64(events, "frozen", &v, &found, "cgroup.events", err) < 0)
                        return -EIO;
                if (found && v == 1)
                        return 1;
                cg_sleep_ms(FREEZE_POLL_MS);
        }
        return 0;
}

static int v2_kill_fast(const struct cg_layout *l, const char *path, struct dh_err **err)
{
        _cleanup_free_ char *dir = cg_join(l->hier[0].dir, path);
        if (!dir)
                return dh_err_errno(err, errno, "cgroup %s", path);
        struct dh_err *werr = NULL;
        if (cg_write(dir, "cgroup.kill", "1", &werr) == 0)
                return 1;
        /* No cgroup.kill (before 5.14) or no cgroup: the slow path decides. */
        int code = werr->code;
        if (code != ENOENT)
                dh_err_set(err, code, "%s", werr->msg);
        dh_err_free(werr);
        return code == ENOENT ? 0 : -code;
}

static int memory_stats(const char *dir, struct cg_stats *s, struct dh_err **err)
{
        _cleanup_free_ char *stat = NULL, *events = NULL;
        if (cg_read_u64(dir, "memory.current", &s->memory_usage, err) < 0 ||
            cg_read(dir, "memory.stat", CG_FILE_MAX, &stat, err) < 0 ||
            cg_read(dir, "memory.events", CG_FILE_MAX, &events, err) < 0)
                return -EIO;
        uint64_t inactive = 0;
        bool found;
        if (cg_keyed_u64(stat, "inactive_file", &inactive, &found, "memory.stat", err) < 0 ||
            cg_keyed_u64(stat, "anon", &s->memory_rss, &found, "memory.stat", err) < 0 ||
            cg_keyed_u64(stat, "pgfault", &s->memory_page_faults, &found, "memory.stat", err) < 0 ||
            cg_keyed_u64(stat, "pgmajfault", &s->memory_major_page_faults, &found, "memory.stat", err) < 0 ||
            cg_keyed_u64(events, "oom_kill", &s->oom_kills, &found, "memory.events", err) < 0)
                return dh_err_prefix(err, "%s", dir);
        s->memory_working_set = s->memory_usage > inactive ? s->memory_usage - inactive : 0;
        return 0;
}

static int v2_stats(const struct cg_layout *l, const char *path, struct cg_stats *s,
                    struct dh_err **err)
{
        _cleanup_free_ char *dir = cg_join(l->hier[0].dir, path);
        if (!dir)
                return dh_err_errno(err, errno, "cgroup %s: stats", path);
        _cleanup_free_ char *cpu = NULL;
        uint64_t usec = 0;
        bool found;
        /* cpu.stat is core in v2: there even without the cpu controller. */
        if (cg_read(dir, "cpu.stat", CG_FILE_MAX, &cpu, err) < 0 ||
            cg_keyed_u64(cpu, "usage_usec", &usec, &found, "cpu.stat", err) < 0)
                return dh_err_prefix(err, "cgroup %s: stats", path);
        s->cpu_usage_ns = usec > UINT64_MAX / 1000 ? UINT64_MAX : usec * 1000;
        if (cg_layout_has(l, CG_MEMORY) && memory_stats(dir, s, err) < 0)
                return dh_err_prefix(err, "cgroup %s: stats", path);
        if (cg_layout_has(l, CG_PIDS) && cg_read_u64(dir, "pids.current", &s->pids_current, err) < 0)
                return dh_err_prefix(err, "cgroup %s: stats", path);
        return 0;
}

const struct cg_ops cg_v2_ops = {
        .name = "cgroupfs v2",
        .create = v2_create,
        .apply = v2_apply,
        .freeze = v2_freeze,
        .stats = v2_stats,
        .devices = v2_devices,
        .kill_fast = v2_kill_fast,
};
