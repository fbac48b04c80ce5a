/* What every benchmark under bench/ shares: samples and their quantiles,
 * the aligned rows of the figures table (with PASS/MISS against a target),
 * a monotonic clock, and reading a process's memory and the machine's load.
 * Benchmarks print figures; they never assert on timing. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

struct bench_samples {
        double *v;
        size_t n, cap; /* at most cap samples are kept */
};

int bench_samples_init(struct bench_samples *s, size_t cap, struct dh_err **err);
void bench_samples_add(struct bench_samples *s, double x);
void bench_samples_free(struct bench_samples *s);
/* q in [0, 1]: 0.5 is the median (mean of the middle two for even n),
 * otherwise the nearest rank; NAN without samples. Sorts s. */
double bench_quantile(struct bench_samples *s, double q);
double bench_mean(const struct bench_samples *s);
double bench_max(const struct bench_samples *s);

/* "name   median X ms  p99 Y ms  n=N  (target <= T ms: PASS)"; the verdict
 * is on the median, and only printed when target > 0. */
void bench_row_ms(const char *name, struct bench_samples *s, double target);
/* "name   mean X kB  max Y kB  n=N  (target <= T kB: PASS)"; the verdict is
 * on the maximum. */
void bench_row_kb(const char *name, const struct bench_samples *s, double target);

double bench_now_ms(void); /* CLOCK_MONOTONIC */

/* /proc/PID/<file>'s "key N kB" line, in kB: 0, -ENOENT or -EINVAL. */
int bench_proc_kb(pid_t pid, const char *file, const char *key, double *out);
enum { BENCH_RSS, BENCH_PSS, BENCH_PRIVATE, BENCH_MEM_METRICS };
/* VmRSS, Pss and Private_Clean+Private_Dirty of a process, in kB. */
int bench_proc_mem(pid_t pid, double out[BENCH_MEM_METRICS], struct dh_err **err);

/* "load average <when>: ..." from /proc/loadavg. */
void bench_print_load(const char *when);
/* "tmpfs", "ext4"... for the file system holding path. */
const char *bench_fs_name(const char *path);

/* The parent of pid from /proc/PID/stat; 0 when it cannot be read. */
pid_t bench_proc_ppid(pid_t pid);
/* The kernel's floor for starting a process: clone(SIGCHLD | flags, e.g.
 * CLONE_NEWNS|CLONE_NEWPID), exec /bin/true, wait; *ms is the whole. */
int bench_spawn_true(unsigned long clone_flags, double *ms, struct dh_err **err);
/* Detaches every mount at or under dir (deepest first), then removes dir
 * recursively without crossing into anything still mounted. */
void bench_tmpdir_remove(const char *dir);
