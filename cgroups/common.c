/* The cg_* entry points: path and resource checks, kubelet's formulas, and
 * the operations that work the same on every hierarchy (enter, procs,
 * exists, remove), dispatching the rest to the driver's ops table. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/internal.h"
#include "lib/cleanup.h"

/* kubelet pkg/kubelet/cm/helpers_linux.go */
#define MIN_SHARES 2
#define MAX_SHARES 262144
#define SHARES_PER_CPU 1024
#define MILLI_CPU_TO_CPU 1000
#define QUOTA_PERIOD 100000
#define MIN_QUOTA_PERIOD 1000
/* The kernel's cfs period bounds: 1 ms .. 1 s. */
#define MAX_PERIOD 1000000
/* cg_remove's EBUSY retries, 10 ms apart. */
#define RMDIR_RETRIES 20

uint64_t cg_milli_cpu_to_shares(int64_t milli_cpu)
{
        if (milli_cpu <= 0)
                return MIN_SHARES;
        /* Past this, shares would exceed the maximum anyway (and the
         * product could overflow). */
        if (milli_cpu > (int64_t)MAX_SHARES * MILLI_CPU_TO_CPU / SHARES_PER_CPU + 1)
                return MAX_SHARES;
        uint64_t shares = (uint64_t)milli_cpu * SHARES_PER_CPU / MILLI_CPU_TO_CPU;
        if (shares < MIN_SHARES)
                return MIN_SHARES;
        return shares > MAX_SHARES ? MAX_SHARES : shares;
}

int64_t cg_milli_cpu_to_quota(int64_t milli_cpu, uint64_t period_us)
{
        if (milli_cpu == 0)
                return 0;
        if (period_us == 0)
                period_us = QUOTA_PERIOD;
        int64_t quota;
        if (period_us > MAX_PERIOD || __builtin_mul_overflow(milli_cpu, (int64_t)period_us, &quota))
                return INT64_MAX / MILLI_CPU_TO_CPU;
        quota /= MILLI_CPU_TO_CPU;
        return quota < MIN_QUOTA_PERIOD ? MIN_QUOTA_PERIOD : quota;
}

/* runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] onto [1, 10000]. */
uint64_t cg_shares_to_weight(uint64_t shares)
{
        if (shares == 0)
                return 0;
        if (shares < MIN_SHARES)
                shares = MIN_SHARES;
        if (shares > MAX_SHARES)
                shares = MAX_SHARES;
        return 1 + ((shares - 2) * 9999) / 262142;
}

static bool seg_char_ok(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               strchr("._:@+-", c);
}

static int bad_path(const char *path, const char *why, struct dh_err **err)
{
        return dh_err_set(err, DH_EINVAL_INPUT, "invalid cgroup path \"%.64s%s\": %s", path,
                          strlen(path) > 64 ? "..." : "", why);
}

int cg_path_check(const char *path, struct dh_err **err)
{
        if (!path || !*path)
                return dh_err_set(err, DH_EINVAL_INPUT, "invalid cgroup path \"\": empty");
        if (strlen(path) > CG_PATH_MAX)
                return bad_path(path, "longer than 1024 bytes", err);
        if (path[0] == '/')
                return bad_path(path, "must be relative (no leading '/')", err);
        for (const char *seg = path;;) {
                size_t n = strcspn(seg, "/");
                if (n == 0)
                        return bad_path(path, "empty segment", err);
                if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
                        return bad_path(path, "\".\" and \"..\" segments are not allowed", err);
                if (n > 255)
                        return bad_path(path, "segment longer than 255 bytes", err);
                for (size_t i = 0; i < n; i++)
                        if (!seg_char_ok((unsigned char)seg[i]))
                                return bad_path(path, "characters other than [A-Za-z0-9._:@+-]", err);
                if (!seg[n])
                        return 0;
                seg += n + 1;
        }
}

static int check_resources(const struct cg_resources *r, struct dh_err **err)
{
        if (r->cpu_shares && (r->cpu_shares < MIN_SHARES || r->cpu_shares > MAX_SHARES))
                return dh_err_set(err, DH_EINVAL_INPUT, "cpu shares %llu: must be in [2, 262144]",
                                  (unsigned long long)r->cpu_shares);
        if (r->cpu_quota_us < -1 || (r->cpu_quota_us > 0 && r->cpu_quota_us < MIN_QUOTA_PERIOD))
                return dh_err_set(err, DH_EINVAL_INPUT,
                                  "cpu quota %lld us: must be -1 (unlimited) or at least 1000",
                                  (long long)r->cpu_quota_us);
        if (r->cpu_period_us && (r->cpu_period_us < MIN_QUOTA_PERIOD || r->cpu_period_us > MAX_PERIOD))
                return dh_err_set(err, DH_EINVAL_INPUT, "cpu period %llu us: must be in [1000, 1000000]",
                                  (unsigned long long)r->cpu_period_us);
        if (r->memory_limit < -1)
                return dh_err_set(err, DH_EINVAL_INPUT, "memory limit %lld: must be -1 (unlimited) or positive",
                                  (long long)r->memory_limit);
        if (r->pids_limit < -1)
                return dh_err_set(err, DH_EINVAL_INPUT, "pids limit %lld: must be -1 (unlimited) or positive",
                                  (long long)r->pids_limit);
        return 0;
}

int cg_err_no_controller(const char *path, const char *what, enum cg_controller c,
                         struct dh_err **err)
{
        return dh_err_set(err, EOPNOTSUPP, "cgroup %s: %s needs the %s controller, which this host does not have",
                          path, what, c == CG_BLKIO ? "io/blkio" : cg_ctl_name(c));
}

char *cg_ctl_dir(const struct cg_layout *l, enum cg_controller c, const char *path)
{
        if (!cg_layout_has(l, c)) {
                errno = EOPNOTSUPP;
                return NULL;
        }
        return cg_join(l->hier[l->ctl[c]].dir, path);
}

int cg_create(const struct cg_layout *l, const char *path, struct dh_err **err)
{
        /* Safe with untrusted names: the checked path can only name a
         * cgroup strictly below each hierarchy's root. */
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        return l->ops->create(l, path, err);
}

int cg_apply(const struct cg_layout *l, const char *path, const struct cg_resources *r,
             struct dh_err **err)
{
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        if (check_resources(r, err) < 0)
                return dh_err_prefix(err, "cgroup %s", path);
        return l->ops->apply(l, path, r, err);
}

int cg_enter(const struct cg_layout *l, const char *path, pid_t pid, struct dh_err **err)
{
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        if (pid <= 0)
                return dh_err_set(err, EINVAL, "cgroup %s: invalid pid %d", path, (int)pid);
        char num[24];
        snprintf(num, sizeof num, "%d", (int)pid);
        const char *hint = l->version == CG_V2
                ? "cgroup v2 keeps processes out of cgroups that enable controllers for children" : NULL;
        for (size_t i = 0; i < l->n_hier; i++) {
                _cleanup_free_ char *dir = cg_join(l->hier[i].dir, path);
                if (!dir)
                        return dh_err_errno(err, errno, "cgroup %s", path);
                int r = cg_write_hint(dir, "cgroup.procs", num, hint, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cg_write_limit(const struct cg_layout *l, const char *path, enum cg_controller c, const char *what,
                   const char *file, int64_t v, bool minus_one_is_max, struct dh_err **err)
{
        _cleanup_free_ char *dir = cg_ctl_dir(l, c, path);
        if (!dir)
                return cg_err_no_controller(path, what, c, err);
        return v < 0 && minus_one_is_max ? cg_write(dir, file, "max", err) : cg_write_i64(dir, file, v, err);
}

int cg_enter_self(const struct cg_layout *l, const char *path, struct dh_err **err)
{
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        const char *file = l->version == CG_V2 ? "cgroup.procs" : "tasks";
        for (size_t i = 0; i < l->n_hier; i++) {
                _cleanup_free_ char *dir = cg_join(l->hier[i].dir, path);
                if (!dir)
                        return dh_err_errno(err, errno, "cgroup %s", path);
                int r = cg_write_hint(dir, file, "0", NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct procs_ctx {
        pid_t *pids;
        size_t max, n;
};

static int add_pid(pid_t pid, void *ud, struct dh_err **err)
{
        (void)err;
        struct procs_ctx *p = ud;
        if (p->n < p->max)
                p->pids[p->n++] = pid;
        return 0;
}

int cg_procs(const struct cg_layout *l, const char *path, pid_t *pids, size_t max,
             size_t *n_out, struct dh_err **err)
{
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        _cleanup_free_ char *dir = cg_join(l->hier[l->procs_hier].dir, path);
        if (!dir)
                return dh_err_errno(err, errno, "cgroup %s", path);
        struct procs_ctx p = { .pids = pids, .max = max };
        int r = cg_foreach_pid(dir, add_pid, &p, err);
        if (r < 0)
                return r;
        *n_out = p.n;
        return 0;
}

int cg_kill_all(const struct cg_layout *l, const char *path, int sig, struct dh_err **err)
{
        /* Safe: signals only pids listed below a checked, non-root path. */
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        if (sig < 0 || sig >= NSIG)
                return dh_err_set(err, EINVAL, "cgroup %s: invalid signal %d", path, sig);
        int r = cg_kill_tree(l, path, sig, err);
        return r < 0 ? dh_err_prefix(err, "cgroup %s: kill", path) : 0;
}

int cg_remove(const struct cg_layout *l, const char *path, struct dh_err **err)
{
        /* Safe: the checked path is never a hierarchy root, so only that
         * subtree is removed. */
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        /* The kernel keeps a cgroup busy for a moment after its last task
         * exits, so EBUSY right after a kill is expected: one budget of
         * retries for the whole call, anything longer is reported, not
         * waited out. Every hierarchy is tried; the first failure is what's
         * reported. */
        int budget = RMDIR_RETRIES, ret = 0;
        for (size_t i = 0; i < l->n_hier; i++) {
                int r = cg_remove_in(l->hier[i].dir, path, &budget, err);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret < 0 ? dh_err_prefix(err, "cgroup %s: remove", path) : 0;
}

bool cg_exists(const struct cg_layout *l, const char *path)
{
        if (cg_path_check(path, NULL) < 0 || l->n_hier == 0)
                return false;
        for (size_t i = 0; i < l->n_hier; i++) {
                _cleanup_free_ char *dir = cg_join(l->hier[i].dir, path);
                if (!dir || !cg_is_dir(dir))
                        return false;
        }
        return true;
}

int cg_stats(const struct cg_layout *l, const char *path, struct cg_stats *out,
             struct dh_err **err)
{
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        struct cg_stats s = { 0 };
        int r = l->ops->stats(l, path, &s, err);
        if (r < 0)
                return r;
        *out = s;
        return 0;
}
