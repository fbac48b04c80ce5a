/* Shared helpers of the benchmarks: samples, the figures table, the clock,
 * /proc readers (see bench.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"

int bench_samples_init(struct bench_samples *s, size_t cap, struct dh_err **err)
{
        *s = (struct bench_samples){ .v = calloc(cap ? cap : 1, sizeof(double)), .cap = cap };
        return s->v ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

void bench_samples_add(struct bench_samples *s, double x)
{
        if (s->n < s->cap)
                s->v[s->n++] = x;
}

void bench_samples_free(struct bench_samples *s)
{
        free(s->v);
        *s = (struct bench_samples){ 0 };
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

double bench_quantile(struct bench_samples *s, double q)
{
        if (s->n == 0)
                return (double)NAN;
        qsort(s->v, s->n, sizeof(double), cmp_double);
        if (q == 0.5)
                return s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
        size_t rank = (size_t)ceil(q * (double)s->n);
        return s->v[rank ? rank - 1 : 0];
}

double bench_mean(const struct bench_samples *s)
{
        double sum = 0;
        for (size_t i = 0; i < s->n; i++)
                sum += s->v[i];
        return s->n ? sum / (double)s->n : (double)NAN;
}

double bench_max(const struct bench_samples *s)
{
        double m = s->n ? s->v[0] : (double)NAN;
        for (size_t i = 1; i < s->n; i++)
                m = s->v[i] > m ? s->v[i] : m;
        return m;
}

void bench_row_ms(const char *name, struct bench_samples *s, double target)
{
        double med = bench_quantile(s, 0.5), p99 = bench_quantile(s, 0.99);
        printf("%-38s median %8.2f ms  p99 %8.2f ms  n=%-4zu", name, med, p99, s->n);
        if (target > 0)
                printf("  (target <= %g ms: %s)", target, med <= target ? "PASS" : "MISS");
        putchar('\n');
}

void bench_row_kb(const char *name, const struct bench_samples *s, double target)
{
        double mx = bench_max(s);
        printf("%-38s mean %7.0f kB    max %7.0f kB    n=%-4zu", name, bench_mean(s), mx, s->n);
        if (target > 0)
                printf("  (target <= %g kB: %s)", target, mx <= target ? "PASS" : "MISS");
        putchar('\n');
}

double bench_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int bench_proc_kb(pid_t pid, const char *file, const char *key, double *out)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, kl = strlen(key);
        while (f && getline(&line, &cap, f) > 0) {
                if (strncmp(line, key, kl) != 0)
                        continue;
                char *end = NULL;
                errno = 0;
                long long v = strtoll(line + kl, &end, 10);
                if (errno || end == line + kl || v < 0)
                        return -EINVAL;
                *out = (double)v;
                return 0;
        }
        return -ENOENT;
}

int bench_proc_mem(pid_t pid, double out[BENCH_MEM_METRICS], struct dh_err **err)
{
        double clean = 0, dirty = 0;
        if (bench_proc_kb(pid, "status", "VmRSS:", &out[BENCH_RSS]) < 0 ||
            bench_proc_kb(pid, "smaps_rollup", "Pss:", &out[BENCH_PSS]) < 0 ||
            bench_proc_kb(pid, "smaps_rollup", "Private_Clean:", &clean) < 0 ||
            bench_proc_kb(pid, "smaps_rollup", "Private_Dirty:", &dirty) < 0)
                return dh_err_set(err, EIO, "cannot read the memory of pid %d", (int)pid);
        out[BENCH_PRIVATE] = clean + dirty;
        return 0;
}

void bench_print_load(const char *when)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/loadavg", "re");
        char buf[64] = "?";
        if (f && fgets(buf, sizeof buf, f))
                buf[strcspn(buf, "\n")] = '\0';
        printf("load average %s: %s\n", when, buf);
}

const char *bench_fs_name(const char *path)
{
        struct statfs s;
        if (statfs(path, &s) < 0)
                return "?";
        switch ((unsigned long)s.f_type) {
        case 0x01021994UL: return "tmpfs";
        case 0xEF53UL: return "ext4";
        case 0x58465342UL: return "xfs";
        case 0x9123683EUL: return "btrfs";
        case 0x794C7630UL: return "overlay";
        default: return "other";
        }
}

pid_t bench_proc_ppid(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char buf[1024];
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        buf[n] = '\0';
        char *close_paren = strrchr(buf, ')'); /* comm may hold spaces and ')' */
        int ppid = 0;
        if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
                return 0;
        return (pid_t)ppid;
}

int bench_spawn_true(unsigned long clone_flags, double *ms, struct dh_err **err)
{
        double t0 = bench_now_ms();
        /* A raw clone so namespace flags apply to the child alone. */
        pid_t pid = (pid_t)syscall(SYS_clone, clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0) {
                char *const argv[] = { (char *)"true", NULL };
                execv("/bin/true", argv);
                _exit(127);
        }
        if (pid < 0)
                return dh_err_errno(err, errno, "clone");
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        *ms = bench_now_ms() - t0;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : dh_err_set(err, EIO, "/bin/true failed");
}

/* One pass over mountinfo: detaches the last mount found at or under dir.
 * Returns false when there is none left. */
static bool umount_last_under(const char *dir)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        _cleanup_free_ char *line = NULL;
        char last[PATH_MAX] = "";
        size_t cap = 0, len = strlen(dir);
        while (f && getline(&line, &cap, f) > 0) {
                char mp[PATH_MAX];
                /* id parent major:minor root mountpoint ... */
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strncmp(mp, dir, len) == 0 &&
                    (mp[len] == '/' || mp[len] == '\0'))
                        memcpy(last, mp, sizeof last);
        }
        return last[0] && umount2(last, MNT_DETACH) == 0;
}

void bench_tmpdir_remove(const char *dir)
{
        for (int i = 0; i < 4096 && umount_last_under(dir); i++)
                ;
        _cleanup_free_ char *parent = strdup(dir);
        char *slash = parent ? strrchr(parent, '/') : NULL;
        if (!slash)
                return;
        *slash = '\0';
        _cleanup_close_ int fd = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
                dh_rm_rf_at(fd, slash + 1, NULL);
}
