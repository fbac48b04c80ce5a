/* cgroups: kubelet's pod/container cgroup hierarchy on cgroupfs, v1 and v2
 * (including hybrid hosts: v1 controllers plus a cgroup2 mount holding few
 * or no controllers). A detected layout picks the driver (an ops table);
 * callers use only the cg_* functions below. Nothing here logs: every
 * failure comes back as a dh_err naming the cgroup and the file. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

enum cg_version { CG_V1 = 1, CG_V2 = 2 };

/* The controllers kubelet uses. */
enum cg_controller {
        CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_PIDS, CG_HUGETLB, CG_FREEZER, CG_DEVICES,
        CG_BLKIO, CG_N_CONTROLLERS
};

struct cg_layout; /* opaque; from cg_detect */

/* Reads mountinfo (NULL: /proc/self/mountinfo) and decides the layout:
 * CG_V2 when a cgroup2 mount at <root> holds the cpu and memory
 * controllers (or no v1 cpu/memory hierarchy is mounted: the controllers
 * it lacks are then reported missing), else CG_V1 when v1 hierarchies are
 * mounted (a hybrid's cgroup2 mount is then ignored, as runc does), else
 * CG_V2 on a cgroup2 mount elsewhere. root (NULL: "/sys/fs/cgroup") lets
 * tests point at a fake tree: mount points at or under /sys/fs/cgroup in
 * mountinfo are rebased onto it. */
int cg_detect(const char *mountinfo, const char *root, struct cg_layout **out, struct dh_err **err);
/* The same from mountinfo text already in memory (fuzzing, tests). */
int cg_detect_text(const char *mountinfo_text, const char *root, struct cg_layout **out,
                   struct dh_err **err);
void cg_layout_free(struct cg_layout *l);
enum cg_version cg_layout_version(const struct cg_layout *l);
/* On v2, CG_BLKIO is "io", CG_CPUACCT (cpu.stat) and CG_FREEZER
 * (cgroup.freeze) are core and always present, CG_DEVICES (eBPF) never. */
bool cg_layout_has(const struct cg_layout *l, enum cg_controller c);
/* Where the hierarchy holding c is mounted, or NULL when it is not. */
const char *cg_layout_dir(const struct cg_layout *l, enum cg_controller c);

/* Resources as kubelet computes them for a pod or container cgroup. The
 * driver converts: cpu shares to cpu.weight on v2, quota/period to
 * cpu.max, memory to memory.max/limit_in_bytes, pids to pids.max. */
struct cg_resources {
        uint64_t cpu_shares;    /* 0: leave unset; else 2..262144 */
        int64_t cpu_quota_us;   /* -1: unlimited; 0: leave unset */
        uint64_t cpu_period_us; /* 0: leave unset (default 100000) */
        int64_t memory_limit;   /* bytes; -1: unlimited; 0: leave unset */
        int64_t pids_limit;     /* -1: unlimited; 0: leave unset */
};

/* kubelet's formulas (pkg/kubelet/cm/helpers_linux.go). */
uint64_t cg_milli_cpu_to_shares(int64_t milli_cpu);
int64_t cg_milli_cpu_to_quota(int64_t milli_cpu, uint64_t period_us);
uint64_t cg_shares_to_weight(uint64_t shares);

/* `path` is relative to the hierarchy root, e.g.
 * "kubepods/burstable/pod<uid>/<container-id>"; it must not be empty or
 * contain "..", empty or "." segments, or a leading '/'; segments are at
 * most 255 bytes of [A-Za-z0-9._:@+-], the whole at most 1024 bytes.
 * cg_path_check says why a path is refused (every function below checks).
 * Creation makes the missing parents, copies cpuset.cpus/mems down (v1)
 * and enables the needed controllers in the parents' subtree_control (v2).
 * Idempotent. */
int cg_path_check(const char *path, struct dh_err **err);
int cg_create(const struct cg_layout *l, const char *path, struct dh_err **err);
/* Writes only what r sets; asking for a controller the host lacks is an
 * error naming it, a controller nothing is asked of is left alone. */
int cg_apply(const struct cg_layout *l, const char *path, const struct cg_resources *r,
             struct dh_err **err);
/* Device access (the devices cgroup on v1, an eBPF program on v2), as OCI's
 * linux.resources.devices. A rule list is in the form runc's emulator
 * reduces any list to: rules[0] has type 'a' and sets the default (deny
 * everything, or allow everything), every later rule is a 'b' or 'c'
 * exception of the opposite kind. At most CG_DEV_RULES_MAX rules. */
#define CG_DEV_WILDCARD (-1)
#define CG_DEV_RULES_MAX 256
/* The kernel's bits (BPF_DEVCG_ACC_*). */
enum { CG_DEV_MKNOD = 1, CG_DEV_READ = 2, CG_DEV_WRITE = 4, CG_DEV_RWM = 7 };
struct cg_dev_rule {
        char type;            /* 'a' (any), 'b' or 'c' */
        int64_t major, minor; /* CG_DEV_WILDCARD, or 0..4095 / 0..1048575 */
        uint32_t access;      /* CG_DEV_* bits, not 0 */
        bool allow;
};
/* "rwm", any subset in any order, each letter once → bits; -1 otherwise. */
int cg_dev_access_parse(const char *s, uint32_t *out);
/* The devices.allow/deny form: "a", "c 1:3 rwm", "b *:* m". Returns the
 * length, or -1 when it does not fit (size 32 always does). */
int cg_dev_rule_format(const struct cg_dev_rule *r, char *buf, size_t size);
int cg_dev_rules_check(const struct cg_dev_rule *rules, size_t n, struct dh_err **err);
/* Restricts the cgroup's device access to rules. Call it on a cgroup no
 * process has entered yet: v1 first denies everything, then allows each
 * exception. v2 attaches a BPF_PROG_TYPE_CGROUP_DEVICE program (with
 * BPF_F_ALLOW_MULTI) and then detaches any this cgroup had before, so an
 * update is never looser in between. v1 without the devices controller
 * mounted: nothing is done (returns 0). */
int cg_apply_devices(const struct cg_layout *l, const char *path, const struct cg_dev_rule *rules,
                     size_t n, struct dh_err **err);
/* Moves pid into the cgroup in every hierarchy. */
int cg_enter(const struct cg_layout *l, const char *path, pid_t pid, struct dh_err **err);
/* Moves the calling process, which must be single-threaded (a freshly
 * cloned child before exec), into the cgroup. On v1 it writes "0" to each
 * hierarchy's `tasks`: migrating only the caller's own thread skips the
 * kernel's global threadgroup lock, whose RCU grace period otherwise costs
 * every migration about 10 ms on common kernels. */
int cg_enter_self(const struct cg_layout *l, const char *path, struct dh_err **err);
/* The pids in the cgroup itself, not its descendants (v2: cgroup.procs;
 * v1: the memory hierarchy's, else the first one mounted). At most max are
 * returned; *n_out counts them (== max: there may be more). */
int cg_procs(const struct cg_layout *l, const char *path, pid_t *pids, size_t max,
             size_t *n_out, struct dh_err **err);
/* Sends sig to every process in the cgroup and its descendants; for
 * SIGKILL uses cgroup.kill where v2 has it, else freezes (when possible),
 * signals every pid, and thaws, so nothing can fork away meanwhile. A
 * cgroup that does not exist has nothing to kill: not an error. */
int cg_kill_all(const struct cg_layout *l, const char *path, int sig, struct dh_err **err);
/* Removes the cgroup (and its descendants, deepest first) from every
 * hierarchy; retries briefly while the kernel still counts exiting tasks.
 * A cgroup that does not exist is not an error. */
int cg_remove(const struct cg_layout *l, const char *path, struct dh_err **err);
/* True when the cgroup exists in every hierarchy (v1) or in the unified one. */
bool cg_exists(const struct cg_layout *l, const char *path);

struct cg_stats {
        uint64_t cpu_usage_ns;         /* cumulative */
        uint64_t memory_usage;         /* bytes */
        uint64_t memory_working_set;   /* usage - inactive_file, as kubelet/cAdvisor */
        uint64_t memory_rss;
        uint64_t memory_page_faults, memory_major_page_faults;
        uint64_t pids_current;
        uint64_t oom_kills;            /* OOM kills inside this cgroup and below */
};
/* Fields whose controller the host lacks stay 0. */
int cg_stats(const struct cg_layout *l, const char *path, struct cg_stats *out,
             struct dh_err **err);
