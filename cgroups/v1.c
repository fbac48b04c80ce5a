/* The cgroup v1 driver: one directory per mounted hierarchy (cpu, cpuacct,
 * cpuset, memory, pids, freezer, devices, blkio, hugetlb), cpuset values
 * copied down on creation, v1 file names and the freezer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/internal.h"
#include "lib/cleanup.h"

/* A new v1 cpuset starts with empty cpus/mems and refuses tasks until they
 * are set: copy the parent's, as runc does. */
static int cpuset_copy(const char *parent, const char *dir, const char *file, struct dh_err **err)
{
        _cleanup_free_ char *cur = NULL, *up = NULL;
        if (cg_read(dir, file, CG_FILE_MAX, &cur, err) < 0)
                return -EIO;
        if (cur[strspn(cur, " \t\n")] != '\0')
                return 0;
        if (cg_read(parent, file, CG_FILE_MAX, &up, err) < 0)
                return -EIO;
        up[strcspn(up, "\n")] = '\0';
        if (!*up)
                return dh_err_set(err, EINVAL, "%s: %s is empty: cannot give %s a cpuset", parent,
                                  file, dir);
        return cg_write(dir, file, up, err);
}

static int create_in(const struct cg_hier *h, const char *path, struct dh_err **err)
{
        _cleanup_free_ char *parent = strdup(h->dir);
        if (!parent)
                return dh_err_set(err, ENOMEM, "%s: out of memory", h->dir);
        /* One level at a time so each new cpuset gets its parent's values. */
        for (const char *p = path;;) {
                size_t n = strcspn(p, "/");
                _cleanup_free_ char *dir = NULL;
                if (asprintf(&dir, "%s/%.*s", parent, (int)n, p) < 0)
                        return dh_err_set(err, ENOMEM, "%s: out of memory", parent);
                if (cg_mkdir(dir, err) < 0)
                        return -EIO;
                if ((h->mask & CG_BIT(CG_CPUSET)) &&
                    (cpuset_copy(parent, dir, "cpuset.cpus", err) < 0 ||
                     cpuset_copy(parent, dir, "cpuset.mems", err) < 0))
                        return -EIO;
                free(parent);
                parent = TAKE_PTR(dir);
                if (!p[n])
                        return 0;
                p += n + 1;
        }
}

static int v1_create(const struct cg_layout *l, const char *path, struct dh_err **err)
{
        for (size_t i = 0; i < l->n_hier; i++)
                if (create_in(&l->hier[i], path, err) < 0)
                        return dh_err_prefix(err, "cgroup %s: create", path);
        return 0;
}

static int apply_cpu(const struct cg_layout *l, const char *path, const struct cg_resources *r,
                     struct dh_err **err)
{
        if (!r->cpu_shares && !r->cpu_quota_us && !r->cpu_period_us)
                return 0;
        _cleanup_free_ char *dir = cg_ctl_dir(l, CG_CPU, path);
        if (!dir)
                return cg_err_no_controller(path, "a cpu shares/quota/period setting", CG_CPU, err);
        if (r->cpu_shares && cg_write_i64(dir, "cpu.shares", (int64_t)r->cpu_shares, err) < 0)
                return -EIO;
        /* The kernel checks quota/period against the parent's ratio on every
         * write; like runc, when the new period is refused with the old
         * quota in place, set the quota first and retry. */
        bool period_later = false;
        if (r->cpu_period_us) {
                struct dh_err *perr = NULL;
                if (cg_write_i64(dir, "cpu.cfs_period_us", (int64_t)r->cpu_period_us, &perr) < 0) {
                        if (perr->code != EINVAL || !r->cpu_quota_us) {
                                dh_err_set(err, perr->code, "%s", perr->msg);
                                dh_err_free(perr);
                                return -EIO;
                        }
                        period_later = true;
                }
                dh_err_free(perr);
        }
        if (r->cpu_quota_us && cg_write_i64(dir, "cpu.cfs_quota_us", r->cpu_quota_us, err) < 0)
                return -EIO;
        if (period_later &&
            cg_write_i64(dir, "cpu.cfs_period_us", (int64_t)r->cpu_period_us, err) < 0)
                return -EIO;
        return 0;
}

static int v1_apply(const struct cg_layout *l, const char *path, const struct cg_resources *r,
                    struct dh_err **err)
{
        if (apply_cpu(l, path, r, err) < 0)
                return -EIO;
        /* -1 is memory.limit_in_bytes' own "unlimited"; pids.max says "max". */
        if (r->memory_limit && cg_write_limit(l, path, CG_MEMORY, "a memory limit", "memory.limit_in_bytes",
                                              r->memory_limit, false, err) < 0)
                return -EIO;
        if (r->pids_limit && cg_write_limit(l, path, CG_PIDS, "a pids limit", "pids.max", r->pids_limit,
                                            true, err) < 0)
                return -EIO;
        return 0;
}

/* The kernel's own list semantics: "a" to devices.deny empties the
 * exception list and denies by default, then each allow adds one
 * exception (or the reverse for an allow-all default). Writing the default
 * first denies everything for a moment, which is why this runs before any
 * process enters the cgroup. */
static int v1_devices(const struct cg_layout *l, const char *path, const struct cg_dev_rule *rules,
                      size_t n, struct dh_err **err)
{
        if (!cg_layout_has(l, CG_DEVICES))
                return 0;
        _cleanup_free_ char *dir = cg_ctl_dir(l, CG_DEVICES, path);
        if (!dir)
                return dh_err_errno(err, errno, "cgroup %s: devices", path);
        for (size_t i = 0; i < n; i++) {
                char rule[64];
                if (cg_dev_rule_format(&rules[i], rule, sizeof rule) < 0)
                        return dh_err_set(err, DH_ELIMIT, "cgroup %s: device rule %zu too long", path, i);
                if (cg_write(dir, rules[i].allow ? "devices.allow" : "devices.deny", rule, err) < 0)
                        return dh_err_prefix(err, "cgroup %s: devices", path);
        }
        return 0;
}

/* Freezing waits for tasks to reach the fridge; give it a second, then let
 * the caller go on unfrozen rather than hang. */
#define FREEZE_POLLS 100
#define FREEZE_POLL_MS 10

static int v1_freeze(const struct cg_layout *l, const char *path, bool frozen, bool *tried,
                     struct dh_err **err)
{
        *tried = false;
        _cleanup_free_ char *dir = cg_ctl_dir(l, CG_FREEZER, path);
        if (!dir)
                return 0;
        const char *want = frozen ? "FROZEN" : "THAWED";
        for (int i = 0; i < FREEZE_POLLS; i++) {
                /* Re-writing FROZEN nudges a FREEZING cgroup along (runc). */
                if (cg_write(dir, "freezer.state", want, err) < 0)
                        return -EIO;
                *tried = true;
                _cleanup_free_ char *state = NULL;
                if (cg_read(dir, "freezer.state", CG_FILE_MAX, &state, err) < 0)
                        return -EIO;
                state[strcspn(state, "\n")] = '\0';
                if (!strcmp(state, want))
                        return 1;
                cg_sleep_ms(FREEZE_POLL_MS);
        }
        return 0;
}

static int sum_oom_kills(const char *dir, void *ud, struct dh_err **err)
{
        _cleanup_free_ char *text = NULL;
        if (cg_read(dir, "memory.oom_control", CG_FILE_MAX, &text, err) < 0)
                return -EIO;
        /* "oom_kill N" exists since Linux 4.13; older kernels count nothing. */
        uint64_t v = 0;
        bool found;
        if (cg_keyed_u64(text, "oom_kill", &v, &found, "memory.oom_control", err) < 0)
                return dh_err_prefix(err, "%s", dir);
        *(uint64_t *)ud += v;
        return 0;
}

static int memory_stats(const char *dir, struct cg_stats *s, struct dh_err **err)
{
        _cleanup_free_ char *text = NULL;
        if (cg_read_u64(dir, "memory.usage_in_bytes", &s->memory_usage, err) < 0 ||
            cg_read(dir, "memory.stat", CG_FILE_MAX, &text, err) < 0)
                return -EIO;
        /* total_*: this cgroup and its descendants, as cAdvisor reads v1. */
        uint64_t inactive = 0;
        bool found;
        if (cg_keyed_u64(text, "total_inactive_file", &inactive, &found, "memory.stat", err) < 0 ||
            cg_keyed_u64(text, "total_rss", &s->memory_rss, &found, "memory.stat", err) < 0 ||
            cg_keyed_u64(text, "total_pgfault", &s->memory_page_faults, &found, "memory.stat", err) < 0 ||
            cg_keyed_u64(text, "total_pgmajfault", &s->memory_major_page_faults, &found, "memory.stat",
                         err) < 0)
                return dh_err_prefix(err, "%s", dir);
        s->memory_working_set = s->memory_usage > inactive ? s->memory_usage - inactive : 0;
        /* v1 counts an OOM kill only in the victim's own cgroup: add up the
         * subtree so a pod sees its containers' kills, as v2 does. */
        return cg_walk(dir, false, sum_oom_kills, &s->oom_kills, err);
}

static int v1_stats(const struct cg_layout *l, const char *path, struct cg_stats *s,
                    struct dh_err **err)
{
        if (cg_layout_has(l, CG_CPUACCT)) {
                _cleanup_free_ char *dir = cg_ctl_dir(l, CG_CPUACCT, path);
                if (!dir)
                        return dh_err_errno(err, errno, "cgroup %s: stats", path);
                if (cg_read_u64(dir, "cpuacct.usage", &s->cpu_usage_ns, err) < 0)
                        return dh_err_prefix(err, "cgroup %s: stats", path);
        }
        if (cg_layout_has(l, CG_MEMORY)) {
                _cleanup_free_ char *dir = cg_ctl_dir(l, CG_MEMORY, path);
                if (!dir)
                        return dh_err_errno(err, errno, "cgroup %s: stats", path);
                if (memory_stats(dir, s, err) < 0)
                        return dh_err_prefix(err, "cgroup %s: stats", path);
        }
        if (cg_layout_has(l, CG_PIDS)) {
                _cleanup_free_ char *dir = cg_ctl_dir(l, CG_PIDS, path);
                if (!dir)
                        return dh_err_errno(err, errno, "cgroup %s: stats", path);
                if (cg_read_u64(dir, "pids.current", &s->pids_current, err) < 0)
                        return dh_err_prefix(err, "cgroup %s: stats", path);
        }
        return 0;
}

const struct cg_ops cg_v1_ops = {
        .name = "cgroupfs v1",
        .create = v1_create,
        .apply = v1_apply,
        .freeze = v1_freeze,
        .stats = v1_stats,
        .devices = v1_devices,
        .kill_fast = NULL,
};
