/* cgroups internals shared by detection, the v1/v2 drivers and the helpers:
 * the layout, the driver ops table, and bounded cgroupfs file and tree
 * helpers. Not for use outside cgroups/. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"

#define CG_PATH_MAX 1024            /* a relative cgroup path */
#define CG_FILE_MAX (64 * 1024)     /* a cgroup control file (memory.stat is ~2 KiB) */
#define CG_PROCS_MAX (1024 * 1024)  /* cgroup.procs: ~100k pids */
#define CG_TREE_DEPTH_MAX 32        /* nesting below the cgroup we act on */
#define CG_TREE_NODES_MAX 4096      /* cgroups visited in one walk */

#define CG_BIT(c) (1u << (c))

/* One mounted hierarchy: v1 has one per mount (cpu,cpuacct comounted are
 * one), v2 has exactly one. */
struct cg_hier {
        char *dir;     /* where it is mounted (rebased under the layout root) */
        unsigned mask; /* CG_BIT(controller) for each controller it holds */
};

struct cg_ops {
        const char *name;
        int (*create)(const struct cg_layout *l, const char *path, struct dh_err **err);
        int (*apply)(const struct cg_layout *l, const char *path, const struct cg_resources *r,
                     struct dh_err **err);
        /* Freezes (frozen) or thaws the cgroup and its descendants: 1 when
         * the kernel confirms the state, 0 when it can't (no freezer) or did
         * not in time, < 0 on error. *tried tells whether a thaw is owed. */
        int (*freeze)(const struct cg_layout *l, const char *path, bool frozen, bool *tried,
                      struct dh_err **err);
        int (*stats)(const struct cg_layout *l, const char *path, struct cg_stats *out,
                     struct dh_err **err);
        /* Rules already checked (cg_dev_rules_check). */
        int (*devices)(const struct cg_layout *l, const char *path, const struct cg_dev_rule *rules,
                       size_t n, struct dh_err **err);
        /* Kills everything below path at once (v2 cgroup.kill): 1 when done,
         * 0 when the kernel can't, < 0 on error. NULL: never possible. */
        int (*kill_fast)(const struct cg_layout *l, const char *path, struct dh_err **err);
};

struct cg_layout {
        enum cg_version version;
        const struct cg_ops *ops;
        struct cg_hier hier[CG_N_CONTROLLERS];
        size_t n_hier;
        int ctl[CG_N_CONTROLLERS]; /* index into hier, or -1 when not mounted */
        size_t procs_hier;         /* the hierarchy whose cgroup.procs cg_procs reads */
};

extern const struct cg_ops cg_v1_ops;
extern const struct cg_ops cg_v2_ops;

/* v1 names ("blkio"; v2 calls it "io"). */
const char *cg_ctl_name(enum cg_controller c);
/* Error for a resource that needs a controller the host lacks. */
int cg_err_no_controller(const char *path, const char *what, enum cg_controller c,
                         struct dh_err **err);
/* The directory of path in the hierarchy holding c, or NULL (errno set). */
char *cg_ctl_dir(const struct cg_layout *l, enum cg_controller c, const char *path);

/* "<a>/<b>" (b may be NULL or ""); NULL with errno on ENOMEM/ENAMETOOLONG. */
char *cg_join(const char *a, const char *b);
/* Writes value to <dir>/<file> with one write(2). Errors read
 * "<dir>: write <file> = <value>: <strerror>[ (<hint>)]"; the hint is added
 * only for EBUSY. */
int cg_write(const char *dir, const char *file, const char *value, struct dh_err **err);
int cg_write_hint(const char *dir, const char *file, const char *value, const char *ebusy_hint,
                  struct dh_err **err);
int cg_write_i64(const char *dir, const char *file, int64_t v, struct dh_err **err);
/* Writes one limit (what: "a memory limit") to `file` of controller c;
 * with minus_one_is_max, -1 is written as "max" (v2, and v1's pids.max). */
int cg_write_limit(const struct cg_layout *l, const char *path, enum cg_controller c, const char *what,
                   const char *file, int64_t v, bool minus_one_is_max, struct dh_err **err);
/* Reads <dir>/<file> (at most max bytes); returns -errno (e.g. -ENOENT). */
int cg_read(const char *dir, const char *file, size_t max, char **out, struct dh_err **err);
/* A file holding one non-negative number. */
int cg_read_u64(const char *dir, const char *file, uint64_t *out, struct dh_err **err);
/* Looks up "key value" lines (memory.stat, cpu.stat, memory.events,
 * memory.oom_control). *found tells whether the key was there. */
int cg_keyed_u64(const char *text, const char *key, uint64_t *out, bool *found,
                 const char *what, struct dh_err **err);
bool cg_has_word(const char *list, const char *word);
/* Calls fn for each pid in <dir>/cgroup.procs; fn returns < 0 to stop. */
int cg_foreach_pid(const char *dir, int (*fn)(pid_t pid, void *ud, struct dh_err **err),
                   void *ud, struct dh_err **err);
/* mkdir that accepts an existing directory (and only a directory). */
int cg_mkdir(const char *dir, struct dh_err **err);
bool cg_is_dir(const char *dir);
/* For the few bounded waits (freezing, rmdir of a cgroup still emptying). */
void cg_sleep_ms(long ms);

/* Visits dir and every cgroup below it (bounded depth and count): parents
 * first, or children first when post. A missing dir visits nothing. */
int cg_walk(const char *dir, bool post, int (*fn)(const char *dir, void *ud, struct dh_err **err),
            void *ud, struct dh_err **err);
/* Removes path (deepest first) from one hierarchy, retrying EBUSY while
 * *budget (10 ms sleeps) lasts. */
int cg_remove_in(const char *hier_dir, const char *path, int *budget, struct dh_err **err);
/* The signal loop behind cg_kill_all. */
int cg_kill_tree(const struct cg_layout *l, const char *path, int sig, struct dh_err **err);
