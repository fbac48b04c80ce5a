/* Unit tests for cgroups/: layout detection from sample mountinfo files,
 * kubelet's formulas, path checks, and the v1/v2 drivers on fake cgroupfs
 * trees (plain files under a temp dir, pre-created where the kernel would
 * create them); then, as root, the detected driver for real under
 * /sys/fs/cgroup: limits read back, a child entering, stats, kill, a real
 * OOM kill, and removal. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "test.h"

#define CHECK_OK(call)                                                          \
        do {                                                                    \
                struct dh_err *e_ = NULL;                                       \
                if ((call) < 0)                                                 \
                        TEST_FAIL_("%s: %s", #call, e_ ? e_->msg : "(no error)"); \
                dh_err_free(e_);                                                \
        } while (0)

#define CHECK_ERR(call, needle)                                                 \
        do {                                                                    \
                struct dh_err *e_ = NULL;                                       \
                if ((call) >= 0)                                                \
                        TEST_FAIL_("%s succeeded", #call);                      \
                else                                                            \
                        CHECK_CONTAINS(e_ ? e_->msg : NULL, needle);            \
                dh_err_free(e_);                                                \
        } while (0)

/* ---- fake trees ---- */

static char *fx_new(void)
{
        char tmpl[] = "/tmp/dh-cgtest-XXXXXX";
        char *d = mkdtemp(tmpl);
        if (!d) {
                TEST_FAIL_("mkdtemp: %s", strerror(errno));
                return NULL;
        }
        return strdup(d);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
        (void)st;
        (void)flag;
        (void)f;
        return remove(p);
}

static void fx_free(char *root)
{
        if (root)
                nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}

static void fx_mkdirs(const char *root, const char *rel)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, rel);
        for (char *s = p + strlen(root) + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                mkdir(p, 0755);
                *s = '/';
        }
        mkdir(p, 0755);
}

static void fx_put(const char *root, const char *rel, const char *content)
{
        char p[4096];
        snprintf(p, sizeof p, "%s", rel);
        char *slash = strrchr(p, '/');
        if (slash) {
                *slash = '\0';
                fx_mkdirs(root, p);
        }
        snprintf(p, sizeof p, "%s/%s", root, rel);
        FILE *f = fopen(p, "we");
        if (!f || fputs(content, f) < 0)
                TEST_FAIL_("write %s: %s", p, strerror(errno));
        if (f)
                fclose(f);
}

/* File contents without the trailing newline, from a small ring of buffers
 * so two can be compared in one CHECK. */
static const char *fx_get(const char *root, const char *rel)
{
        static char ring[4][4096];
        static int next;
        char *buf = ring[next++ % 4];
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, rel);
        FILE *f = fopen(p, "re");
        if (!f)
                return "(missing)";
        size_t n = fread(buf, 1, 4095, f);
        fclose(f);
        buf[n] = '\0';
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = '\0';
        return buf;
}

static bool fx_exists(const char *root, const char *rel)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, rel);
        return access(p, F_OK) == 0;
}

static char *data_text(const char *rel)
{
        char *text = NULL;
        if (dh_read_file(test_data(rel), 1 << 20, &text, NULL, NULL) < 0)
                TEST_FAIL_("cannot read test data %s", rel);
        return text;
}

static void fx_put_data(const char *root, const char *rel, const char *sample)
{
        char *text = data_text(sample);
        fx_put(root, rel, text ? text : "");
        free(text);
}

static struct cg_layout *fx_detect(const char *root, const char *sample)
{
        struct cg_layout *l = NULL;
        struct dh_err *e = NULL;
        if (cg_detect(test_data(sample), root, &l, &e) < 0)
                TEST_FAIL_("detect %s: %s", sample, e ? e->msg : "?");
        dh_err_free(e);
        return l;
}

/* A v2 fake root: cgroup.controllers from a sample, empty subtree_control. */
static struct cg_layout *fx_v2(const char *root, const char *mountinfo, const char *controllers)
{
        fx_put_data(root, "cgroup.controllers", controllers);
        fx_put(root, "cgroup.subtree_control", "");
        return fx_detect(root, mountinfo);
}

static const char *const v1_dirs[] = { "cpu,cpuacct", "memory", "cpuset", "pids", "blkio",
                                       "devices",     "freezer", "hugetlb" };

/* ---- detection ---- */

TEST(detect_v1_comounted)
{
        char *root = fx_new();
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-v1-comounted");
        if (l) {
                CHECK_INT(cg_layout_version(l), CG_V1);
                for (int c = 0; c < CG_N_CONTROLLERS; c++)
                        CHECK(cg_layout_has(l, c));
                char want[4096];
                snprintf(want, sizeof want, "%s/cpu,cpuacct", root);
                CHECK_STR(cg_layout_dir(l, CG_CPU), want);
                CHECK_STR(cg_layout_dir(l, CG_CPUACCT), want);
                /* The bind mount under /var/lib/kubelet loses to the one under root. */
                snprintf(want, sizeof want, "%s/memory", root);
                CHECK_STR(cg_layout_dir(l, CG_MEMORY), want);
        }
        cg_layout_free(l);
        fx_free(root);
}

TEST(detect_hybrid_is_v1)
{
        char *root = fx_new();
        fx_put(root, "unified/cgroup.controllers", "hugetlb\n");
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-hybrid");
        if (l) {
                CHECK_INT(cg_layout_version(l), CG_V1);
                char want[4096];
                snprintf(want, sizeof want, "%s/cpu", root);
                CHECK_STR(cg_layout_dir(l, CG_CPU), want);
                snprintf(want, sizeof want, "%s/cpuacct", root);
                CHECK_STR(cg_layout_dir(l, CG_CPUACCT), want);
                CHECK(cg_layout_has(l, CG_PIDS) && cg_layout_has(l, CG_FREEZER));
                CHECK(cg_layout_has(l, CG_CPUSET) && cg_layout_has(l, CG_DEVICES));
                /* hugetlb lives only in the ignored cgroup2 mount here. */
                CHECK(!cg_layout_has(l, CG_HUGETLB));
        }
        cg_layout_free(l);
        fx_free(root);
}

TEST(detect_v2)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2", "cgroups/v2.controllers");
        if (l) {
                CHECK_INT(cg_layout_version(l), CG_V2);
                static const int have[] = { CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_PIDS,
                                            CG_HUGETLB, CG_FREEZER, CG_BLKIO };
                for (size_t i = 0; i < DH_ARRAY_SIZE(have); i++)
                        CHECK(cg_layout_has(l, have[i]));
                CHECK(!cg_layout_has(l, CG_DEVICES));
                CHECK_STR(cg_layout_dir(l, CG_MEMORY), root);
        }
        cg_layout_free(l);
        fx_free(root);
}

TEST(detect_v2_without_memory)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2-nomemory",
                                    "cgroups/v2-nomemory.controllers");
        if (l) {
                CHECK_INT(cg_layout_version(l), CG_V2);
                CHECK(cg_layout_has(l, CG_CPU) && cg_layout_has(l, CG_CPUSET));
                CHECK(!cg_layout_has(l, CG_MEMORY));
                CHECK(!cg_layout_has(l, CG_PIDS));
                CHECK(!cg_layout_dir(l, CG_MEMORY));
        }
        cg_layout_free(l);
        fx_free(root);
}

TEST(detect_v2_fallbacks)
{
        char *root = fx_new();
        struct cg_layout *l = NULL;
        /* Only a cgroup2 mount, and not at the root: it is the hierarchy. */
        fx_put(root, "unified/cgroup.controllers", "cpu memory pids\n");
        CHECK_OK(cg_detect_text("41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n", root,
                                &l, &e_));
        if (l) {
                char want[4096];
                snprintf(want, sizeof want, "%s/unified", root);
                CHECK_INT(cg_layout_version(l), CG_V2);
                CHECK_STR(cg_layout_dir(l, CG_MEMORY), want);
        }
        cg_layout_free(l);
        /* cgroup2 at the root without memory, while v1 has it: v1 wins. */
        l = NULL;
        fx_put(root, "cgroup.controllers", "pids\n");
        CHECK_OK(cg_detect_text("27 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
                                "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
                                root, &l, &e_));
        if (l)
                CHECK_INT(cg_layout_version(l), CG_V1);
        cg_layout_free(l);
        fx_free(root);
}

TEST(detect_errors)
{
        char *root = fx_new();
        struct cg_layout *l = NULL;
        CHECK_ERR(cg_detect(test_data("cgroups/mountinfo-none"), root, &l, &e_), "no cgroup hierarchy");
        CHECK_ERR(cg_detect(test_data("cgroups/mountinfo-malformed"), root, &l, &e_), "line 2: malformed");
        /* A v2 root whose cgroup.controllers can't be read. */
        CHECK_ERR(cg_detect(test_data("cgroups/mountinfo-v2"), root, &l, &e_), "cgroup.controllers");
        CHECK_ERR(cg_detect("/nonexistent/mountinfo", root, &l, &e_), "/nonexistent/mountinfo");
        CHECK_ERR(cg_detect_text("", root, &l, &e_), "no cgroup hierarchy");
        CHECK(l == NULL);
        fx_free(root);
}

TEST(detect_text_default_root_and_unescape)
{
        char *text = data_text("cgroups/mountinfo-hybrid");
        struct cg_layout *l = NULL;
        CHECK_OK(cg_detect_text(text ? text : "", NULL, &l, &e_));
        if (l)
                CHECK_STR(cg_layout_dir(l, CG_MEMORY), "/sys/fs/cgroup/memory");
        cg_layout_free(l);
        free(text);
        /* An escaped mount point (\040 is a space) is decoded. */
        l = NULL;
        CHECK_OK(cg_detect_text("30 1 0:40 / /srv/my\\040cg rw - cgroup cgroup rw,memory,cpu\n", NULL,
                                &l, &e_));
        if (l)
                CHECK_STR(cg_layout_dir(l, CG_CPU), "/srv/my cg");
        cg_layout_free(l);
}

/* ---- formulas (kubelet helpers_linux_test.go, runc's conversion) ---- */

TEST(milli_cpu_to_shares)
{
        static const struct { int64_t in; uint64_t out; } t[] = {
                { 0, 2 },       { 1, 2 },         { 2, 2 },          { 3, 3 },
                { 10, 10 },     { 100, 102 },     { 250, 256 },      { 500, 512 },
                { 1000, 1024 }, { 2000, 2048 },   { 256000, 262144 }, { 300000, 262144 },
                { -5, 2 },      { INT64_MAX, 262144 },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(t); i++)
                CHECK_INT(cg_milli_cpu_to_shares(t[i].in), t[i].out);
}

TEST(milli_cpu_to_quota)
{
        static const struct { int64_t in; uint64_t period; int64_t out; } t[] = {
                { 0, 100000, 0 },        { 5, 100000, 1000 },     { 9, 100000, 1000 },
                { 10, 100000, 1000 },    { 200, 100000, 20000 },  { 500, 100000, 50000 },
                { 1000, 100000, 100000 }, { 1500, 100000, 150000 }, { 1500, 0, 150000 },
                { 200, 50000, 10000 },   { 1, 1000000, 1000 },    { 2000, 1000000, 2000000 },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(t); i++)
                CHECK_INT(cg_milli_cpu_to_quota(t[i].in, t[i].period), t[i].out);
}

TEST(shares_to_weight)
{
        static const struct { uint64_t in, out; } t[] = {
                { 0, 0 }, { 1, 1 }, { 2, 1 }, { 102, 4 }, { 512, 20 }, { 1024, 39 },
                { 262144, 10000 }, { 300000, 10000 },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(t); i++)
                CHECK_INT(cg_shares_to_weight(t[i].in), t[i].out);
}

/* ---- paths and resource checks ---- */

TEST(path_check)
{
        static const char *const good[] = { "kubepods", "kubepods/burstable/pod1234-abcd/0123abcdef",
                                            "kubepods.slice/x_y:z@1+2" };
        for (size_t i = 0; i < DH_ARRAY_SIZE(good); i++)
                CHECK_OK(cg_path_check(good[i], &e_));
        static const struct { const char *p, *why; } bad[] = {
                { "", "empty" },                { "/kubepods", "leading '/'" },
                { "a//b", "empty segment" },     { "a/", "empty segment" },
                { "a/./b", "\".\"" },            { "a/../b", "\"..\"" },
                { "..", "\"..\"" },              { "a/b c", "characters" },
                { "a\nb", "characters" },        { "pod\\x", "characters" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(bad); i++)
                CHECK_ERR(cg_path_check(bad[i].p, &e_), bad[i].why);
        char long_path[1100], long_seg[300];
        memset(long_path, 'a', sizeof long_path - 1);
        long_path[sizeof long_path - 1] = '\0';
        memset(long_seg, 'b', sizeof long_seg - 1);
        long_seg[sizeof long_seg - 1] = '\0';
        CHECK_ERR(cg_path_check(long_path, &e_), "longer than 1024");
        CHECK_ERR(cg_path_check(long_seg, &e_), "segment longer than 255");
        CHECK_ERR(cg_path_check(NULL, &e_), "empty");
}

TEST(entry_points_check_paths_and_values)
{
        char *root = fx_new();
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-v1-comounted");
        if (!l)
                goto out;
        struct cg_resources r = { .cpu_shares = 1 };
        struct cg_stats s;
        size_t n;
        pid_t pids[4];
        CHECK_ERR(cg_create(l, "../etc", &e_), "invalid cgroup path");
        CHECK_ERR(cg_remove(l, "", &e_), "invalid cgroup path");
        CHECK_ERR(cg_enter(l, "/abs", 1, &e_), "invalid cgroup path");
        CHECK_ERR(cg_kill_all(l, "a/../b", SIGKILL, &e_), "invalid cgroup path");
        CHECK_ERR(cg_stats(l, "a//b", &s, &e_), "invalid cgroup path");
        CHECK_ERR(cg_procs(l, ".", pids, 4, &n, &e_), "invalid cgroup path");
        CHECK_ERR(cg_apply(l, "kubepods", &r, &e_), "cpu shares 1");
        r = (struct cg_resources){ .cpu_quota_us = 500 };
        CHECK_ERR(cg_apply(l, "kubepods", &r, &e_), "cpu quota 500");
        r = (struct cg_resources){ .cpu_period_us = 2000000 };
        CHECK_ERR(cg_apply(l, "kubepods", &r, &e_), "cpu period");
        r = (struct cg_resources){ .memory_limit = -2 };
        CHECK_ERR(cg_apply(l, "kubepods", &r, &e_), "memory limit");
        r = (struct cg_resources){ .pids_limit = -7 };
        CHECK_ERR(cg_apply(l, "kubepods", &r, &e_), "pids limit");
        CHECK_ERR(cg_kill_all(l, "kubepods", 999, &e_), "invalid signal");
        CHECK(!cg_exists(l, "../x"));
out:
        cg_layout_free(l);
        fx_free(root);
}

/* ---- v1 driver on a fake tree ---- */

TEST(v1_apply_writes_v1_files)
{
        char *root = fx_new();
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-v1-comounted");
        if (!l)
                goto out;
        const char *cpu = "cpu,cpuacct/kubepods/pod1/";
        char p[256];
#define P(dir, file) (snprintf(p, sizeof p, "%s%s", dir, file), p)
        fx_put(root, P(cpu, "cpu.shares"), "1024\n");
        fx_put(root, P(cpu, "cpu.cfs_quota_us"), "-1\n");
        fx_put(root, P(cpu, "cpu.cfs_period_us"), "100000\n");
        fx_put(root, "memory/kubepods/pod1/memory.limit_in_bytes", "9223372036854771712\n");
        fx_put(root, "pids/kubepods/pod1/pids.max", "max\n");
        struct cg_resources r = { .cpu_shares = 512, .cpu_quota_us = 50000, .cpu_period_us = 100000,
                                  .memory_limit = 128 << 20, .pids_limit = 100 };
        CHECK_OK(cg_apply(l, "kubepods/pod1", &r, &e_));
        CHECK_STR(fx_get(root, P(cpu, "cpu.shares")), "512");
        CHECK_STR(fx_get(root, P(cpu, "cpu.cfs_quota_us")), "50000");
        CHECK_STR(fx_get(root, P(cpu, "cpu.cfs_period_us")), "100000");
        CHECK_STR(fx_get(root, "memory/kubepods/pod1/memory.limit_in_bytes"), "134217728");
        CHECK_STR(fx_get(root, "pids/kubepods/pod1/pids.max"), "100");
        /* Unlimited: -1 for v1's quota and memory, "max" for pids. */
        r = (struct cg_resources){ .cpu_quota_us = -1, .memory_limit = -1, .pids_limit = -1 };
        CHECK_OK(cg_apply(l, "kubepods/pod1", &r, &e_));
        CHECK_STR(fx_get(root, P(cpu, "cpu.cfs_quota_us")), "-1");
        CHECK_STR(fx_get(root, "memory/kubepods/pod1/memory.limit_in_bytes"), "-1");
        CHECK_STR(fx_get(root, "pids/kubepods/pod1/pids.max"), "max");
        CHECK_STR(fx_get(root, P(cpu, "cpu.shares")), "512");
        CHECK_STR(fx_get(root, P(cpu, "cpu.cfs_period_us")), "100000");
        /* Nothing asked, nothing written, even where files are missing. */
        r = (struct cg_resources){ 0 };
        CHECK_OK(cg_apply(l, "kubepods/nowhere", &r, &e_));
        /* A missing file is an error naming the cgroup, file and value. */
        r = (struct cg_resources){ .cpu_shares = 2 };
        CHECK_ERR(cg_apply(l, "kubepods/nowhere", &r, &e_), "kubepods/nowhere: write cpu.shares = 2: No such file");
#undef P
out:
        cg_layout_free(l);
        fx_free(root);
}

TEST(v1_missing_controller)
{
        char *root = fx_new();
        char text[512];
        snprintf(text, sizeof text,
                 "30 1 0:40 / %s/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
                 "31 1 0:41 / %s/memory rw - cgroup cgroup rw,memory\n", root, root);
        struct cg_layout *l = NULL;
        CHECK_OK(cg_detect_text(text, root, &l, &e_));
        if (l) {
                CHECK(!cg_layout_has(l, CG_PIDS) && !cg_layout_has(l, CG_FREEZER));
                fx_put(root, "memory/k/memory.limit_in_bytes", "-1");
                struct cg_resources r = { .memory_limit = 1 << 30, .pids_limit = 10 };
                CHECK_ERR(cg_apply(l, "k", &r, &e_), "needs the pids controller");
                r.pids_limit = 0;
                CHECK_OK(cg_apply(l, "k", &r, &e_));
                CHECK_STR(fx_get(root, "memory/k/memory.limit_in_bytes"), "1073741824");
        }
        cg_layout_free(l);
        fx_free(root);
}

TEST(v1_create_copies_cpuset)
{
        char *root = fx_new();
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-v1-comounted");
        if (!l)
                goto out;
        for (size_t i = 0; i < DH_ARRAY_SIZE(v1_dirs); i++)
                fx_mkdirs(root, v1_dirs[i]);
        /* The kernel creates these files empty in each new cpuset. */
        fx_put(root, "cpuset/cpuset.cpus", "0-3\n");
        fx_put(root, "cpuset/cpuset.mems", "0\n");
        fx_put(root, "cpuset/kubepods/cpuset.cpus", "\n");
        fx_put(root, "cpuset/kubepods/cpuset.mems", "\n");
        fx_put(root, "cpuset/kubepods/pod1/cpuset.cpus", "");
        fx_put(root, "cpuset/kubepods/pod1/cpuset.mems", "");
        CHECK_OK(cg_create(l, "kubepods/pod1", &e_));
        CHECK_STR(fx_get(root, "cpuset/kubepods/cpuset.cpus"), "0-3");
        CHECK_STR(fx_get(root, "cpuset/kubepods/pod1/cpuset.mems"), "0");
        for (size_t i = 0; i < DH_ARRAY_SIZE(v1_dirs); i++) {
                char rel[256];
                snprintf(rel, sizeof rel, "%s/kubepods/pod1", v1_dirs[i]);
                CHECK(fx_exists(root, rel));
        }
        CHECK(cg_exists(l, "kubepods/pod1"));
        CHECK(!cg_exists(l, "kubepods/pod2"));
        /* Idempotent, and a value already there is kept. */
        fx_put(root, "cpuset/kubepods/pod1/cpuset.cpus", "1\n");
        CHECK_OK(cg_create(l, "kubepods/pod1", &e_));
        CHECK_STR(fx_get(root, "cpuset/kubepods/pod1/cpuset.cpus"), "1");
        /* A file where a directory should be. */
        fx_put(root, "memory/kubepods/file", "x");
        CHECK_ERR(cg_create(l, "kubepods/file", &e_), "Not a directory");
out:
        cg_layout_free(l);
        fx_free(root);
}

TEST(v1_enter_writes_every_hierarchy)
{
        char *root = fx_new();
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-v1-comounted");
        if (!l)
                goto out;
        char rel[256];
        for (size_t i = 0; i < DH_ARRAY_SIZE(v1_dirs); i++) {
                snprintf(rel, sizeof rel, "%s/kubepods/pod1/cgroup.procs", v1_dirs[i]);
                fx_put(root, rel, "");
        }
        CHECK_OK(cg_enter(l, "kubepods/pod1", 4242, &e_));
        for (size_t i = 0; i < DH_ARRAY_SIZE(v1_dirs); i++) {
                snprintf(rel, sizeof rel, "%s/kubepods/pod1/cgroup.procs", v1_dirs[i]);
                CHECK_STR(fx_get(root, rel), "4242");
        }
        CHECK_ERR(cg_enter(l, "kubepods/pod1", 0, &e_), "invalid pid");
out:
        cg_layout_free(l);
        fx_free(root);
}

TEST(v1_stats)
{
        char *root = fx_new();
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-v1-comounted");
        if (!l)
                goto out;
        fx_put(root, "cpu,cpuacct/k/pod1/cpuacct.usage", "123456789\n");
        fx_put(root, "memory/k/pod1/memory.usage_in_bytes", "33554432\n");
        fx_put_data(root, "memory/k/pod1/memory.stat", "cgroups/v1-memory.stat");
        fx_put_data(root, "memory/k/pod1/memory.oom_control", "cgroups/v1-memory.oom_control");
        fx_put(root, "memory/k/pod1/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
        fx_put(root, "pids/k/pod1/pids.current", "3\n");
        struct cg_stats s;
        CHECK_OK(cg_stats(l, "k/pod1", &s, &e_));
        CHECK_INT(s.cpu_usage_ns, 123456789);
        CHECK_INT(s.memory_usage, 33554432);
        CHECK_INT(s.memory_working_set, 33554432 - 8388608);
        CHECK_INT(s.memory_rss, 11157504);
        CHECK_INT(s.memory_page_faults, 39874452);
        CHECK_INT(s.memory_major_page_faults, 4008);
        CHECK_INT(s.pids_current, 3);
        CHECK_INT(s.oom_kills, 3); /* 2 here + 1 in the child */
        /* Kernels before 4.13 have no oom_kill line; more inactive file
         * than usage clamps the working set at 0. */
        fx_put_data(root, "memory/k/pod1/memory.oom_control", "cgroups/v1-memory.oom_control-pre-4.13");
        fx_put_data(root, "memory/k/pod1/c1/memory.oom_control", "cgroups/v1-memory.oom_control-pre-4.13");
        fx_put(root, "memory/k/pod1/memory.usage_in_bytes", "4096\n");
        CHECK_OK(cg_stats(l, "k/pod1", &s, &e_));
        CHECK_INT(s.oom_kills, 0);
        CHECK_INT(s.memory_working_set, 0);
        fx_put(root, "pids/k/pod1/pids.current", "three\n");
        CHECK_ERR(cg_stats(l, "k/pod1", &s, &e_), "pids.current: invalid number");
        CHECK_ERR(cg_stats(l, "k/none", &s, &e_), "k/none/cpuacct.usage");
out:
        cg_layout_free(l);
        fx_free(root);
}

/* ---- v2 driver on a fake tree ---- */

TEST(v2_apply_writes_v2_files)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2", "cgroups/v2.controllers");
        if (!l)
                goto out;
        fx_put(root, "k/pod1/cpu.weight", "100\n");
        fx_put(root, "k/pod1/cpu.max", "max 100000\n");
        fx_put(root, "k/pod1/memory.max", "max\n");
        fx_put(root, "k/pod1/pids.max", "max\n");
        struct cg_resources r = { .cpu_shares = 1024, .cpu_quota_us = 50000, .cpu_period_us = 100000,
                                  .memory_limit = 128 << 20, .pids_limit = 100 };
        CHECK_OK(cg_apply(l, "k/pod1", &r, &e_));
        CHECK_STR(fx_get(root, "k/pod1/cpu.weight"), "39");
        CHECK_STR(fx_get(root, "k/pod1/cpu.max"), "50000 100000");
        CHECK_STR(fx_get(root, "k/pod1/memory.max"), "134217728");
        CHECK_STR(fx_get(root, "k/pod1/pids.max"), "100");
        r = (struct cg_resources){ .cpu_shares = 2, .cpu_quota_us = -1, .memory_limit = -1,
                                   .pids_limit = -1 };
        CHECK_OK(cg_apply(l, "k/pod1", &r, &e_));
        CHECK_STR(fx_get(root, "k/pod1/cpu.weight"), "1");
        CHECK_STR(fx_get(root, "k/pod1/cpu.max"), "max");
        CHECK_STR(fx_get(root, "k/pod1/memory.max"), "max");
        CHECK_STR(fx_get(root, "k/pod1/pids.max"), "max");
        /* A period alone keeps the quota already there. */
        fx_put(root, "k/pod1/cpu.max", "20000 100000\n");
        r = (struct cg_resources){ .cpu_period_us = 50000 };
        CHECK_OK(cg_apply(l, "k/pod1", &r, &e_));
        CHECK_STR(fx_get(root, "k/pod1/cpu.max"), "20000 50000");
        r = (struct cg_resources){ .cpu_quota_us = 30000 };
        CHECK_OK(cg_apply(l, "k/pod1", &r, &e_));
        CHECK_STR(fx_get(root, "k/pod1/cpu.max"), "30000");
out:
        cg_layout_free(l);
        fx_free(root);
}

TEST(v2_missing_controller)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2-nomemory", "cgroups/v2-nomemory.controllers");
        if (!l)
                goto out;
        fx_put(root, "k/cpu.weight", "100\n");
        fx_put(root, "k/cpu.stat", "usage_usec 7\n");
        struct cg_resources r = { .memory_limit = 1 << 20 };
        CHECK_ERR(cg_apply(l, "k", &r, &e_), "needs the memory controller");
        r = (struct cg_resources){ .pids_limit = 5 };
        CHECK_ERR(cg_apply(l, "k", &r, &e_), "needs the pids controller");
        r = (struct cg_resources){ .cpu_shares = 262144 };
        CHECK_OK(cg_apply(l, "k", &r, &e_));
        CHECK_STR(fx_get(root, "k/cpu.weight"), "10000");
        /* Stats skip what the host lacks. */
        struct cg_stats s;
        CHECK_OK(cg_stats(l, "k", &s, &e_));
        CHECK_INT(s.cpu_usage_ns, 7000);
        CHECK_INT(s.memory_usage, 0);
        CHECK_INT(s.pids_current, 0);
out:
        cg_layout_free(l);
        fx_free(root);
}

TEST(v2_create_enables_controllers)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2", "cgroups/v2.controllers");
        if (!l)
                goto out;
        CHECK_OK(cg_create(l, "kubepods", &e_));
        CHECK_STR(fx_get(root, "cgroup.subtree_control"), "+cpu +memory +pids +cpuset +hugetlb +io");
        CHECK(fx_exists(root, "kubepods"));
        /* What the kernel would show in the new cgroup; cpu already on. */
        fx_put(root, "kubepods/cgroup.controllers", "cpu memory pids\n");
        fx_put(root, "kubepods/cgroup.subtree_control", "cpu\n");
        CHECK_OK(cg_create(l, "kubepods/pod1", &e_));
        CHECK_STR(fx_get(root, "kubepods/cgroup.subtree_control"), "+memory +pids");
        CHECK_STR(fx_get(root, "cgroup.subtree_control"), "+cpu +memory +pids +cpuset +hugetlb +io");
        CHECK(fx_exists(root, "kubepods/pod1"));
        /* Nothing is enabled in the leaf itself: it will hold processes. */
        CHECK(!fx_exists(root, "kubepods/pod1/cgroup.subtree_control"));
        CHECK(cg_exists(l, "kubepods/pod1"));
        /* A level whose cgroup.controllers is unreadable is an error naming it. */
        CHECK_ERR(cg_create(l, "kubepods/pod1/c1", &e_), "kubepods/pod1/cgroup.controllers");
out:
        cg_layout_free(l);
        fx_free(root);
}

TEST(v2_stats)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2", "cgroups/v2.controllers");
        if (!l)
                goto out;
        fx_put_data(root, "k/pod1/cpu.stat", "cgroups/v2-cpu.stat");
        fx_put(root, "k/pod1/memory.current", "33554432\n");
        fx_put_data(root, "k/pod1/memory.stat", "cgroups/v2-memory.stat");
        fx_put_data(root, "k/pod1/memory.events", "cgroups/v2-memory.events");
        fx_put(root, "k/pod1/pids.current", "3\n");
        struct cg_stats s;
        CHECK_OK(cg_stats(l, "k/pod1", &s, &e_));
        CHECK_INT(s.cpu_usage_ns, 2150654902000LL);
        CHECK_INT(s.memory_usage, 33554432);
        CHECK_INT(s.memory_working_set, 33554432 - 8388608);
        CHECK_INT(s.memory_rss, 11157504);
        CHECK_INT(s.memory_page_faults, 39874452);
        CHECK_INT(s.memory_major_page_faults, 4008);
        CHECK_INT(s.pids_current, 3);
        CHECK_INT(s.oom_kills, 3);
        fx_put(root, "k/pod1/memory.events", "oom 1\noom_kill x\n");
        CHECK_ERR(cg_stats(l, "k/pod1", &s, &e_), "memory.events: oom_kill: invalid number");
        CHECK_ERR(cg_stats(l, "k/none", &s, &e_), "k/none/cpu.stat");
out:
        cg_layout_free(l);
        fx_free(root);
}

TEST(procs_parsing)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2", "cgroups/v2.controllers");
        if (!l)
                goto out;
        fx_put(root, "k/cgroup.procs", "12\n34\n56\n");
        pid_t pids[8];
        size_t n = 99;
        CHECK_OK(cg_procs(l, "k", pids, 8, &n, &e_));
        CHECK_INT(n, 3);
        CHECK(n == 3 && pids[0] == 12 && pids[1] == 34 && pids[2] == 56);
        CHECK_OK(cg_procs(l, "k", pids, 2, &n, &e_));
        CHECK_INT(n, 2);
        fx_put(root, "k/cgroup.procs", "");
        CHECK_OK(cg_procs(l, "k", pids, 8, &n, &e_));
        CHECK_INT(n, 0);
        fx_put(root, "k/cgroup.procs", "12\n-4\n");
        CHECK_ERR(cg_procs(l, "k", pids, 8, &n, &e_), "cgroup.procs");
        CHECK_ERR(cg_procs(l, "gone", pids, 8, &n, &e_), "gone/cgroup.procs");
out:
        cg_layout_free(l);
        fx_free(root);
}

/* ---- kill and remove on fake trees (the pids are our own children) ---- */

static pid_t spawn_sleeper(void)
{
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
                for (;;)
                        pause();
        }
        if (pid < 0)
                TEST_FAIL_("fork: %s", strerror(errno));
        return pid;
}

static void reap(pid_t pid)
{
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
}

/* Waits (with a 10 s deadline, so a broken kill fails instead of hanging)
 * for pid to die of sig. */
static void check_killed_by(pid_t pid, int sig)
{
        int st = 0;
        if (pid <= 0)
                return;
        pid_t r = 0;
        for (int i = 0; i < 1000 && r == 0; i++) {
                r = waitpid(pid, &st, WNOHANG);
                if (r == 0)
                        usleep(10000);
        }
        if (r == 0) {
                TEST_FAIL_("child %d still alive 10 s after the kill", (int)pid);
                reap(pid);
        } else if (r != pid) {
                TEST_FAIL_("waitpid %d: %s", (int)pid, strerror(errno));
        } else if (!WIFSIGNALED(st) || WTERMSIG(st) != sig) {
                TEST_FAIL_("child %d: status 0x%x, expected killed by signal %d", (int)pid, st, sig);
        }
}

TEST(v2_kill_uses_cgroup_kill)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2", "cgroups/v2.controllers");
        if (!l)
                goto out;
        fx_put(root, "k/pod1/cgroup.kill", "0");
        CHECK_OK(cg_kill_all(l, "k/pod1", SIGKILL, &e_));
        CHECK_STR(fx_get(root, "k/pod1/cgroup.kill"), "1");
        CHECK_OK(cg_kill_all(l, "k/nonexistent", SIGKILL, &e_));
out:
        cg_layout_free(l);
        fx_free(root);
}

TEST(v2_kill_freezes_and_signals_descendants)
{
        char *root = fx_new();
        struct cg_layout *l = fx_v2(root, "cgroups/mountinfo-v2", "cgroups/v2.controllers");
        pid_t kid = spawn_sleeper();
        if (!l || kid <= 0)
                goto out;
        char num[32];
        snprintf(num, sizeof num, "%d\n", (int)kid);
        fx_put(root, "k/pod1/cgroup.procs", "");
        fx_put(root, "k/pod1/cgroup.freeze", "0\n");
        fx_put(root, "k/pod1/cgroup.events", "populated 1\nfrozen 1\n");
        fx_put(root, "k/pod1/c1/cgroup.procs", num);
        CHECK_OK(cg_kill_all(l, "k/pod1", SIGKILL, &e_));
        check_killed_by(kid, SIGKILL);
        kid = 0;
        CHECK_STR(fx_get(root, "k/pod1/cgroup.freeze"), "0");
out:
        reap(kid);
        cg_layout_free(l);
        fx_free(root);
}

TEST(v1_kill_uses_freezer)
{
        char *root = fx_new();
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-v1-comounted");
        pid_t kid = spawn_sleeper(), kid2 = spawn_sleeper();
        if (!l || kid <= 0 || kid2 <= 0)
                goto out;
        char num[32];
        snprintf(num, sizeof num, "%d\n", (int)kid);
        fx_put(root, "memory/k/pod1/cgroup.procs", "");
        fx_put(root, "memory/k/pod1/c1/cgroup.procs", num);
        fx_put(root, "freezer/k/pod1/freezer.state", "THAWED\n");
        CHECK_OK(cg_kill_all(l, "k/pod1", SIGKILL, &e_));
        check_killed_by(kid, SIGKILL);
        kid = 0;
        CHECK_STR(fx_get(root, "freezer/k/pod1/freezer.state"), "THAWED");
        /* Other signals are sent without freezing. */
        snprintf(num, sizeof num, "%d\n", (int)kid2);
        fx_put(root, "memory/k/pod1/c1/cgroup.procs", num);
        fx_put(root, "freezer/k/pod1/freezer.state", "untouched\n");
        CHECK_OK(cg_kill_all(l, "k/pod1", SIGTERM, &e_));
        check_killed_by(kid2, SIGTERM);
        kid2 = 0;
        CHECK_STR(fx_get(root, "freezer/k/pod1/freezer.state"), "untouched");
out:
        reap(kid);
        reap(kid2);
        cg_layout_free(l);
        fx_free(root);
}

TEST(remove_deepest_first)
{
        char *root = fx_new();
        struct cg_layout *l = fx_detect(root, "cgroups/mountinfo-v1-comounted");
        if (!l)
                goto out;
        char rel[256];
        for (size_t i = 0; i < DH_ARRAY_SIZE(v1_dirs); i++) {
                snprintf(rel, sizeof rel, "%s/k/pod1/c1", v1_dirs[i]);
                fx_mkdirs(root, rel);
                snprintf(rel, sizeof rel, "%s/k/pod1/c2/sub/deeper", v1_dirs[i]);
                fx_mkdirs(root, rel);
                snprintf(rel, sizeof rel, "%s/k/pod2", v1_dirs[i]);
                fx_mkdirs(root, rel);
        }
        CHECK_OK(cg_remove(l, "k/pod1", &e_));
        for (size_t i = 0; i < DH_ARRAY_SIZE(v1_dirs); i++) {
                snprintf(rel, sizeof rel, "%s/k/pod1", v1_dirs[i]);
                CHECK(!fx_exists(root, rel));
                snprintf(rel, sizeof rel, "%s/k/pod2", v1_dirs[i]);
                CHECK(fx_exists(root, rel));
        }
        CHECK_OK(cg_remove(l, "k/pod1", &e_));
        /* What can't go is reported; the other hierarchies are still cleaned. */
        fx_put(root, "memory/k/pod2/stray", "x");
        CHECK_ERR(cg_remove(l, "k/pod2", &e_), "memory/k/pod2: rmdir: Directory not empty");
        CHECK(fx_exists(root, "memory/k/pod2"));
        CHECK(!fx_exists(root, "pids/k/pod2"));
        CHECK(!fx_exists(root, "cpu,cpuacct/k/pod2"));
out:
        cg_layout_free(l);
        fx_free(root);
}

/* ---- for real, as root, on this host's cgroupfs ---- */

struct real {
        struct cg_layout *l;
        char top[64], pod[96], ctr[128];
};

static bool real_skip(const char *test, const char *why)
{
        fprintf(stderr, "test-cgroups: SKIP %s: %s\n", test, why);
        return false;
}

/* Creates kubepods-test-<pid>/pod<name>/ctr; false (after a loud SKIP or a
 * failure) when that can't be done here. */
static bool real_setup(struct real *rt, const char *test, const char *name)
{
        memset(rt, 0, sizeof *rt);
        if (geteuid() != 0)
                return real_skip(test, "not root: real cgroup tests create cgroups under /sys/fs/cgroup");
        struct dh_err *e = NULL;
        if (cg_detect(NULL, NULL, &rt->l, &e) < 0) {
                real_skip(test, e->msg);
                dh_err_free(e);
                return false;
        }
        /* A name nobody has: a stale one (a reused pid) is not ours to touch. */
        for (int i = 0; i < 100; i++) {
                snprintf(rt->top, sizeof rt->top, "kubepods-test-%d%s%.0d", (int)getpid(),
                         i ? "-" : "", i);
                bool taken = false;
                for (int c = 0; c < CG_N_CONTROLLERS; c++) {
                        const char *dir = cg_layout_dir(rt->l, c);
                        taken = taken || (dir && fx_exists(dir, rt->top));
                }
                if (!taken)
                        break;
        }
        snprintf(rt->pod, sizeof rt->pod, "%s/pod%s", rt->top, name);
        snprintf(rt->ctr, sizeof rt->ctr, "%s/ctr", rt->pod);
        if (cg_create(rt->l, rt->ctr, &e) == 0)
                return true;
        if (e->code == EROFS || e->code == EACCES || e->code == EPERM)
                real_skip(test, e->msg);
        else
                TEST_FAIL_("cg_create %s: %s", rt->ctr, e->msg);
        dh_err_free(e);
        cg_remove(rt->l, rt->top, NULL);
        cg_layout_free(rt->l);
        return false;
}

/* Kills by hand whatever is still in our cgroups, so a broken
 * cg_kill_all can't leave them busy; polls (2 s deadline) until empty. */
static void real_kill_leftovers(const struct real *rt)
{
        const char *paths[] = { rt->ctr, rt->pod, rt->top };
        for (int round = 0; round < 200; round++) {
                size_t total = 0;
                for (size_t i = 0; i < DH_ARRAY_SIZE(paths); i++) {
                        pid_t pids[64];
                        size_t n = 0;
                        if (cg_procs(rt->l, paths[i], pids, 64, &n, NULL) < 0)
                                continue;
                        for (size_t j = 0; j < n; j++)
                                if (pids[j] != getpid())
                                        kill(pids[j], SIGKILL);
                        total += n;
                }
                if (!total)
                        return;
                usleep(10000);
        }
}

/* Always runs, pass or fail: nothing of ours may stay behind. */
static void real_teardown(struct real *rt, pid_t kid)
{
        reap(kid);
        real_kill_leftovers(rt);
        CHECK_OK(cg_remove(rt->l, rt->top, &e_));
        for (int c = 0; c < CG_N_CONTROLLERS; c++) {
                const char *dir = cg_layout_dir(rt->l, c);
                if (dir && fx_exists(dir, rt->top))
                        TEST_FAIL_("%s/%s is still there", dir, rt->top);
        }
        CHECK(!cg_exists(rt->l, rt->top));
        cg_layout_free(rt->l);
}

static const char *real_get(const struct real *rt, enum cg_controller c, const char *file)
{
        char rel[256];
        snprintf(rel, sizeof rel, "%s/%s", rt->ctr, file);
        const char *dir = cg_layout_dir(rt->l, c);
        return dir ? fx_get(dir, rel) : "(no controller)";
}

/* A forked child that waits for "go", then either idles in the cgroup
 * (having touched 1 MiB and forked a grandchild) or allocates 64 MiB. */
enum { KID_IDLE, KID_HOG };
struct kid {
        pid_t pid;
        int go, ready;
};

static void kid_run(int mode, int ready)
{
        size_t size = mode == KID_IDLE ? 1 << 20 : 64 << 20;
        volatile char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
                _exit(4);
        for (size_t i = 0; i < size; i += 4096)
                m[i] = 1;
        if (mode == KID_HOG)
                _exit(0); /* survived: the limit did not hold */
        if (fork() == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
                for (;;)
                        pause();
        }
        if (write(ready, "r", 1) != 1)
                _exit(5);
        for (;;)
                pause();
}

static bool kid_start(struct kid *k, int mode)
{
        int go[2], ready[2];
        k->pid = -1;
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
                TEST_FAIL_("pipe2: %s", strerror(errno));
                return false;
        }
        k->pid = fork();
        if (k->pid == 0) {
                char c;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(go[1]);
                close(ready[0]);
                if (read(go[0], &c, 1) != 1)
                        _exit(3);
                kid_run(mode, ready[1]);
        }
        close(go[0]);
        close(ready[1]);
        k->go = go[1];
        k->ready = ready[0];
        return k->pid > 0;
}

static void kid_go(struct kid *k)
{
        if (write(k->go, "g", 1) != 1)
                TEST_FAIL_("kid %d: write: %s", (int)k->pid, strerror(errno));
        close(k->go);
}

static bool has_csv(const char *list, const char *word)
{
        size_t n = strlen(word);
        for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (!strncmp(p, word, n) && (p[n] == ',' || p[n] == '\0'))
                        return true;
        return false;
}

/* /proc/<pid>/cgroup has a line for ctl (v2: the "0::" line) ending in /path. */
static bool in_cgroup(pid_t pid, const char *ctl, const char *path)
{
        char p[64];
        _cleanup_free_ char *text = NULL;
        snprintf(p, sizeof p, "/proc/%d/cgroup", (int)pid);
        if (dh_read_file(p, 1 << 16, &text, NULL, NULL) < 0)
                return false;
        size_t plen = strlen(path);
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                char *ctls = strchr(line, ':'), *cg = ctls ? strchr(ctls + 1, ':') : NULL;
                if (!cg)
                        continue;
                *cg++ = '\0';
                size_t n = strlen(cg);
                bool ctl_ok = *ctl ? has_csv(ctls + 1, ctl) : !ctls[1];
                if (ctl_ok && n > plen && cg[n - plen - 1] == '/' && !strcmp(cg + n - plen, path))
                        return true;
        }
        return false;
}

static void real_check_limits(const struct real *rt, bool unlimited)
{
        bool v1 = cg_layout_version(rt->l) == CG_V1;
        if (!unlimited) {
                CHECK_STR(real_get(rt, CG_CPU, v1 ? "cpu.shares" : "cpu.weight"), v1 ? "512" : "20");
                CHECK_STR(real_get(rt, CG_CPU, v1 ? "cpu.cfs_quota_us" : "cpu.max"),
                          v1 ? "50000" : "50000 100000");
                CHECK_STR(real_get(rt, CG_MEMORY, v1 ? "memory.limit_in_bytes" : "memory.max"), "134217728");
                CHECK_STR(real_get(rt, CG_PIDS, "pids.max"), "32");
                return;
        }
        CHECK_STR(real_get(rt, CG_CPU, v1 ? "cpu.cfs_quota_us" : "cpu.max"), v1 ? "-1" : "max 100000");
        CHECK_STR(real_get(rt, CG_PIDS, "pids.max"), "max");
        /* v1 reads back "unlimited" as the largest page-aligned value. */
        const char *mem = real_get(rt, CG_MEMORY, v1 ? "memory.limit_in_bytes" : "memory.max");
        if (v1)
                CHECK(strtoull(mem, NULL, 10) >= (1ULL << 62));
        else
                CHECK_STR(mem, "max");
}

static size_t real_nprocs(const struct real *rt, pid_t want, bool *seen)
{
        pid_t pids[64];
        size_t n = 0;
        CHECK_OK(cg_procs(rt->l, rt->ctr, pids, 64, &n, &e_));
        for (size_t i = 0; seen && i < n; i++)
                if (pids[i] == want)
                        *seen = true;
        return n;
}

TEST(real_lifecycle)
{
        struct real rt;
        struct kid k = { .pid = -1 };
        if (!real_setup(&rt, "real_lifecycle", "life"))
                return;
        fprintf(stderr, "test-cgroups: real tests on cgroup v%d\n", (int)cg_layout_version(rt.l));
        struct cg_resources pod = { 1024, 100000, 100000, 256 << 20, 64 };
        struct cg_resources ctr = { 512, 50000, 100000, 128 << 20, 32 };
        struct cg_resources unlimited = { .cpu_quota_us = -1, .memory_limit = -1, .pids_limit = -1 };
        CHECK_OK(cg_apply(rt.l, rt.pod, &pod, &e_));
        CHECK_OK(cg_apply(rt.l, rt.ctr, &ctr, &e_));
        real_check_limits(&rt, false);
        CHECK_OK(cg_apply(rt.l, rt.ctr, &unlimited, &e_));
        real_check_limits(&rt, true);
        CHECK_OK(cg_apply(rt.l, rt.ctr, &ctr, &e_));
        if (!kid_start(&k, KID_IDLE))
                goto out;
        CHECK_OK(cg_enter(rt.l, rt.ctr, k.pid, &e_));
        kid_go(&k);
        char c;
        CHECK(read(k.ready, &c, 1) == 1); /* EOF here means the child died */
        bool v1 = cg_layout_version(rt.l) == CG_V1;
        static const char *const v1_ctls[] = { "cpu", "cpuacct", "memory", "pids", "freezer", "cpuset" };
        for (size_t i = 0; i < (v1 ? DH_ARRAY_SIZE(v1_ctls) : 1); i++)
                if (!in_cgroup(k.pid, v1 ? v1_ctls[i] : "", rt.ctr))
                        TEST_FAIL_("/proc/%d/cgroup: not in %s for %s", (int)k.pid, rt.ctr,
                                   v1 ? v1_ctls[i] : "v2");
        bool seen = false;
        CHECK_INT(real_nprocs(&rt, k.pid, &seen), 2); /* the child and its grandchild */
        CHECK(seen);
        struct cg_stats s = { 0 };
        CHECK_OK(cg_stats(rt.l, rt.ctr, &s, &e_));
        fprintf(stderr, "test-cgroups: real_lifecycle: pids %llu, memory %llu bytes, cpu %llu ns\n",
                (unsigned long long)s.pids_current, (unsigned long long)s.memory_usage,
                (unsigned long long)s.cpu_usage_ns);
        CHECK(s.pids_current >= 2);
        CHECK(s.memory_usage > 0);
        CHECK(s.cpu_usage_ns > 0);
        /* A cgroup with processes can't go: said, with how many, and kept. */
        CHECK_ERR(cg_remove(rt.l, rt.pod, &e_), "(2 processes left)");
        CHECK(cg_exists(rt.l, rt.ctr));
        /* Killing the pod reaches the container below it. */
        CHECK_OK(cg_kill_all(rt.l, rt.pod, SIGKILL, &e_));
        check_killed_by(k.pid, SIGKILL);
        k.pid = -1;
        /* The grandchild is reaped by init: poll with a deadline. */
        size_t left = real_nprocs(&rt, 0, NULL);
        for (int i = 0; i < 200 && left; i++) {
                usleep(10000);
                left = real_nprocs(&rt, 0, NULL);
        }
        CHECK_INT(left, 0);
out:
        if (k.pid > 0)
                close(k.ready);
        real_teardown(&rt, k.pid);
}

TEST(real_oom_kill)
{
        struct real rt;
        struct kid k = { .pid = -1 };
        if (!real_setup(&rt, "real_oom_kill", "oom"))
                return;
        struct cg_resources ctr = { .memory_limit = 16 << 20 };
        CHECK_OK(cg_apply(rt.l, rt.ctr, &ctr, &e_));
        /* With swap on, the limit would push pages out instead of killing;
         * the driver leaves swap alone, so the test closes it itself. */
        const char *mem = cg_layout_dir(rt.l, CG_MEMORY);
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", mem ? mem : "", rt.ctr);
        if (mem && cg_layout_version(rt.l) == CG_V1 && fx_exists(dir, "memory.memsw.limit_in_bytes"))
                fx_put(dir, "memory.memsw.limit_in_bytes", "16777216");
        else if (mem && fx_exists(dir, "memory.swap.max"))
                fx_put(dir, "memory.swap.max", "0");
        if (!kid_start(&k, KID_HOG))
                goto out;
        CHECK_OK(cg_enter(rt.l, rt.ctr, k.pid, &e_));
        kid_go(&k);
        check_killed_by(k.pid, SIGKILL);
        k.pid = -1;
        struct cg_stats s = { 0 }, ps = { 0 };
        CHECK_OK(cg_stats(rt.l, rt.ctr, &s, &e_));
        CHECK_OK(cg_stats(rt.l, rt.pod, &ps, &e_));
        fprintf(stderr, "test-cgroups: real_oom_kill: limit 16 MiB, child touching 64 MiB: "
                "oom_kills %llu (container), %llu (pod)\n",
                (unsigned long long)s.oom_kills, (unsigned long long)ps.oom_kills);
        CHECK(s.oom_kills >= 1);
        CHECK(ps.oom_kills >= 1);
out:
        if (k.pid > 0)
                close(k.ready);
        real_teardown(&rt, k.pid);
}

TEST_MAIN()
