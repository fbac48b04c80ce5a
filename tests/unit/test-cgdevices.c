/* Unit tests for the device rules in cgroups/: text forms and checks; the
 * v1 driver's exact writes to devices.deny/allow on a fake tree (FIFOs
 * record every write, in order); the v2 eBPF filter's instructions, run
 * through a small interpreter of the opcodes it emits to check decisions;
 * and, as root where a cgroup2 mount exists, the filter loaded, attached,
 * enforced on a child and replaced. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "cgroups/devfilter.h"
#include "lib/cleanup.h"
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

#define W CG_DEV_WILDCARD
#define DENY_ALL { 'a', W, W, CG_DEV_RWM, false }
#define ALLOW(t, ma, mi, acc) { t, ma, mi, acc, true }

/* runc's default list after containerd's deny-all, as the planner makes it. */
static const struct cg_dev_rule default_rules[] = {
        DENY_ALL,
        ALLOW('c', W, W, CG_DEV_MKNOD), ALLOW('b', W, W, CG_DEV_MKNOD),
        ALLOW('c', 1, 3, CG_DEV_RWM), ALLOW('c', 1, 8, CG_DEV_RWM), ALLOW('c', 1, 7, CG_DEV_RWM),
        ALLOW('c', 5, 0, CG_DEV_RWM), ALLOW('c', 1, 5, CG_DEV_RWM), ALLOW('c', 1, 9, CG_DEV_RWM),
        ALLOW('c', 136, W, CG_DEV_RWM), ALLOW('c', 5, 2, CG_DEV_RWM), ALLOW('c', 10, 200, CG_DEV_RWM),
        ALLOW('c', 10, 229, CG_DEV_READ),
};

TEST(access_parse_and_format)
{
        uint32_t a = 0;
        CHECK_INT(cg_dev_access_parse("rwm", &a), 0);
        CHECK_INT(a, CG_DEV_RWM);
        CHECK_INT(cg_dev_access_parse("mr", &a), 0);
        CHECK_INT(a, CG_DEV_READ | CG_DEV_MKNOD);
        static const char *const bad[] = { "", "rr", "x", "rwmx", "R", "r w" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                CHECK_INT(cg_dev_access_parse(bad[i], &a), -1);
        CHECK_INT(cg_dev_access_parse(NULL, &a), -1);
        char buf[32];
        static const struct { struct cg_dev_rule r; const char *s; } t[] = {
                { DENY_ALL, "a" },
                { ALLOW('c', 1, 3, CG_DEV_RWM), "c 1:3 rwm" },
                { ALLOW('b', W, W, CG_DEV_MKNOD), "b *:* m" },
                { ALLOW('c', 136, W, CG_DEV_WRITE | CG_DEV_READ), "c 136:* rw" },
                { ALLOW('c', 4095, 1048575, CG_DEV_READ), "c 4095:1048575 r" },
        };
        for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
                CHECK(cg_dev_rule_format(&t[i].r, buf, sizeof buf) > 0);
                CHECK_STR(buf, t[i].s);
        }
        CHECK_INT(cg_dev_rule_format(&t[1].r, buf, 5), -1);
}

TEST(rules_check)
{
        CHECK_OK(cg_dev_rules_check(default_rules, sizeof default_rules / sizeof *default_rules, &e_));
        CHECK_ERR(cg_dev_rules_check(default_rules, 0, &e_), "a default rule is required");
        struct cg_dev_rule r[2] = { ALLOW('c', 1, 3, CG_DEV_RWM), DENY_ALL };
        CHECK_ERR(cg_dev_rules_check(r, 1, &e_), "must be type 'a'");
        r[0] = (struct cg_dev_rule)DENY_ALL;
        r[1] = (struct cg_dev_rule)DENY_ALL;
        CHECK_ERR(cg_dev_rules_check(r, 2, &e_), "rule 1: type must be 'b' or 'c'");
        r[1] = (struct cg_dev_rule){ 'c', 1, 3, CG_DEV_RWM, false };
        CHECK_ERR(cg_dev_rules_check(r, 2, &e_), "denies what is already denied");
        r[1] = (struct cg_dev_rule)ALLOW('c', 4096, 0, CG_DEV_RWM);
        CHECK_ERR(cg_dev_rules_check(r, 2, &e_), "4096:0 out of range");
        r[1] = (struct cg_dev_rule)ALLOW('c', 1, -2, CG_DEV_RWM);
        CHECK_ERR(cg_dev_rules_check(r, 2, &e_), "out of range");
        r[1] = (struct cg_dev_rule)ALLOW('c', 1, 3, 0);
        CHECK_ERR(cg_dev_rules_check(r, 2, &e_), "invalid access bits");
        r[1] = (struct cg_dev_rule)ALLOW('c', 1, 3, 8);
        CHECK_ERR(cg_dev_rules_check(r, 2, &e_), "invalid access bits");
        struct cg_dev_rule many[CG_DEV_RULES_MAX + 1];
        for (size_t i = 0; i < sizeof many / sizeof *many; i++)
                many[i] = (struct cg_dev_rule)ALLOW('c', 1, (int64_t)i, CG_DEV_RWM);
        many[0] = (struct cg_dev_rule)DENY_ALL;
        CHECK_OK(cg_dev_rules_check(many, CG_DEV_RULES_MAX, &e_));
        CHECK_ERR(cg_dev_rules_check(many, CG_DEV_RULES_MAX + 1, &e_), "at most 256");
}

/* ---- v1 on a fake tree ---- */

static const char v1_mountinfo[] =
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n";

/* A FIFO at <dir>/<name> with a reader already open, so the driver's
 * O_WRONLY open does not block and every write is kept, in order. */
static int fifo_at(const char *dir, const char *name)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        if (mkfifo(p, 0600) < 0) {
                TEST_FAIL_("mkfifo %s: %s", p, strerror(errno));
                return -1;
        }
        return open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static const char *drain(int fd)
{
        static char buf[2][4096];
        static int next;
        char *b = buf[next++ % 2];
        ssize_t n = fd >= 0 ? read(fd, b, sizeof buf[0] - 1) : -1;
        b[n > 0 ? n : 0] = '\0';
        return b;
}

static void mkdir_in(const char *root, const char *name)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, name);
        if (mkdir(p, 0755) < 0)
                TEST_FAIL_("mkdir %s: %s", p, strerror(errno));
}

static struct cg_layout *v1_fake(char **root, char *dir, size_t size)
{
        *root = test_mkdtemp("cgdev");
        mkdir_in(*root, "memory");
        mkdir_in(*root, "devices");
        struct cg_layout *l = NULL;
        struct dh_err *e = NULL;
        if (!*root || cg_detect_text(v1_mountinfo, *root, &l, &e) < 0) {
                TEST_FAIL_("detect: %s", e ? e->msg : "mkdtemp");
                dh_err_free(e);
                return NULL;
        }
        snprintf(dir, size, "%s/devices/kubepods/pod1/ctr", *root);
        CHECK_OK(cg_create(l, "kubepods/pod1/ctr", &e_));
        return l;
}

TEST(v1_writes_deny_all_then_allows)
{
        char *root, dir[4096];
        struct cg_layout *l = v1_fake(&root, dir, sizeof dir);
        if (!l)
                return;
        int deny = fifo_at(dir, "devices.deny"), allow = fifo_at(dir, "devices.allow");
        CHECK_OK(cg_apply_devices(l, "kubepods/pod1/ctr", default_rules,
                                  sizeof default_rules / sizeof *default_rules, &e_));
        CHECK_STR(drain(deny), "a");
        CHECK_STR(drain(allow), "c *:* m" "b *:* m" "c 1:3 rwm" "c 1:8 rwm" "c 1:7 rwm" "c 5:0 rwm"
                                "c 1:5 rwm" "c 1:9 rwm" "c 136:* rwm" "c 5:2 rwm" "c 10:200 rwm"
                                "c 10:229 r");
        close(deny);
        close(allow);
        /* The order across the two files: one FIFO under both names. */
        char a[4200], d[4200];
        snprintf(a, sizeof a, "%s/devices.allow", dir);
        snprintf(d, sizeof d, "%s/devices.deny", dir);
        unlink(a);
        unlink(d);
        int both = fifo_at(dir, "devices.deny");
        CHECK(link(d, a) == 0);
        CHECK_OK(cg_apply_devices(l, "kubepods/pod1/ctr", default_rules, 3, &e_));
        CHECK_STR(drain(both), "a" "c *:* m" "b *:* m");
        /* Privileged: allow everything, in devices.allow. */
        struct cg_dev_rule all = { 'a', W, W, CG_DEV_RWM, true };
        CHECK_OK(cg_apply_devices(l, "kubepods/pod1/ctr", &all, 1, &e_));
        CHECK_STR(drain(both), "a");
        close(both);
        /* A refused rule list writes nothing. */
        unlink(a);
        unlink(d);
        CHECK_ERR(cg_apply_devices(l, "kubepods/pod1/ctr", default_rules + 1, 2, &e_),
                  "cgroup kubepods/pod1/ctr: device rule 0: must be type 'a'");
        CHECK(access(a, F_OK) < 0 && access(d, F_OK) < 0);
        /* A write the kernel refuses names the cgroup, file and rule. */
        CHECK_ERR(cg_apply_devices(l, "kubepods/pod1/ctr", default_rules, 2, &e_),
                  "cgroup kubepods/pod1/ctr: devices: ");
        cg_layout_free(l);
        test_rmtree(root);
}

TEST(v1_without_devices_controller_writes_nothing)
{
        char *root = test_mkdtemp("cgdev");
        struct cg_layout *l = NULL;
        mkdir_in(root, "memory");
        CHECK_OK(cg_detect_text("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", root,
                                &l, &e_));
        if (l) {
                CHECK(!cg_layout_has(l, CG_DEVICES));
                CHECK_OK(cg_create(l, "kubepods/ctr", &e_));
                CHECK_OK(cg_apply_devices(l, "kubepods/ctr", default_rules, 4, &e_));
                char p[4096];
                snprintf(p, sizeof p, "%s/memory/kubepods/ctr/devices.deny", root);
                CHECK(access(p, F_OK) < 0);
        }
        cg_layout_free(l);
        test_rmtree(root);
}

/* ---- the v2 filter, interpreted ---- */

/* Runs the few opcodes cg_devfilter_build emits; -1 on anything else, on
 * a jump out of range or on falling off the end. */
static int run_filter(const struct bpf_insn *p, size_t n, int type, int access, uint32_t major, uint32_t minor)
{
        struct bpf_cgroup_dev_ctx ctx = { .access_type = (uint32_t)(access << 16 | type), .major = major,
                                          .minor = minor };
        uint64_t r[11] = { 0 };
        for (size_t pc = 0; pc < n;) {
                const struct bpf_insn *i = &p[pc++];
                uint64_t imm = (uint64_t)(int64_t)i->imm;
                bool jump = false;
                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                        if (i->src_reg != 1 || i->off < 0 || (size_t)i->off + 4 > sizeof ctx)
                                return -1;
                        r[i->dst_reg] = ((const uint32_t *)&ctx)[i->off / 4];
                        break;
                case BPF_ALU | BPF_AND | BPF_K: r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & imm); break;
                case BPF_ALU | BPF_RSH | BPF_K: r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm; break;
                case BPF_ALU | BPF_MOV | BPF_K: r[i->dst_reg] = (uint32_t)i->imm; break;
                case BPF_ALU | BPF_MOV | BPF_X: r[i->dst_reg] = (uint32_t)r[i->src_reg]; break;
                case BPF_JMP | BPF_JNE | BPF_K: jump = r[i->dst_reg] != imm; break;
                case BPF_JMP | BPF_JNE | BPF_X: jump = r[i->dst_reg] != r[i->src_reg]; break;
                case BPF_JMP | BPF_JEQ | BPF_K: jump = r[i->dst_reg] == imm; break;
                case BPF_JMP | BPF_EXIT: return (int)r[0];
                default: return -1;
                }
                if (i->dst_reg > 10 || i->src_reg > 10)
                        return -1;
                if (jump) {
                        if (i->off < 0 || pc + (size_t)i->off >= n)
                                return -1;
                        pc += (size_t)i->off;
                }
        }
        return -1;
}

enum { C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK, R = BPF_DEVCG_ACC_READ, WR = BPF_DEVCG_ACC_WRITE,
       M = BPF_DEVCG_ACC_MKNOD };

TEST(devfilter_default_rules)
{
        struct bpf_insn *p = NULL;
        size_t n = 0;
        CHECK_OK(cg_devfilter_build(default_rules, sizeof default_rules / sizeof *default_rules, &p, &n, &e_));
        if (!p)
                return;
        /* 6 for the prologue; per rule: type, access (3, unless rwm), major
         * and minor (unless wildcards), 2 to return; 2 for the default:
         * two "m" wildcards, eight full numbers, 136:*, and fuse's "r". */
        CHECK_INT(n, 6 + 2 * 6 + 8 * 5 + 4 + 8 + 2);
        CHECK_INT(p[0].code, BPF_LDX | BPF_MEM | BPF_W);
        CHECK_INT(p[n - 1].code, BPF_JMP | BPF_EXIT);
        CHECK_INT(p[n - 2].imm, 0); /* the default: deny */
        static const struct { int type, access; uint32_t major, minor; int want; } t[] = {
                { C, R | WR, 1, 3, 1 },      /* /dev/null */
                { C, R | WR | M, 1, 9, 1 },  /* /dev/urandom */
                { C, R | WR, 136, 7, 1 },    /* a pts */
                { C, R, 5, 2, 1 },           /* ptmx */
                { C, R | WR, 10, 200, 1 },   /* tun */
                { C, M, 8, 0, 1 },           /* mknod of anything is allowed */
                { B, M, 8, 0, 1 },
                { B, R, 8, 0, 0 },           /* opening the disk is not */
                { B, R | WR, 7, 0, 0 },
                { C, R, 1, 1, 0 },           /* /dev/mem */
                { C, R, 5, 1, 0 },           /* the host console */
                { C, R, 10, 229, 1 },        /* fuse, read-only */
                { C, WR, 10, 229, 0 },
                { C, R | WR, 10, 229, 0 },
                { C, R, 3, 3, 0 },           /* matches no major */
                { B, R, 1, 3, 0 },           /* block 1:3 is not char 1:3 */
        };
        for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
                int got = run_filter(p, n, t[i].type, t[i].access, t[i].major, t[i].minor);
                if (got != t[i].want)
                        TEST_FAIL_("case %zu (%c %u:%u access %d): %d, want %d", i, t[i].type == B ? 'b' : 'c',
                                   t[i].major, t[i].minor, t[i].access, got, t[i].want);
        }
        free(p);
}

TEST(devfilter_allow_all_and_deny_exceptions)
{
        struct bpf_insn *p = NULL;
        size_t n = 0;
        struct cg_dev_rule all = { 'a', W, W, CG_DEV_RWM, true };
        CHECK_OK(cg_devfilter_build(&all, 1, &p, &n, &e_));
        CHECK_INT(n, 8);
        CHECK_INT(run_filter(p, n, B, R | WR, 8, 0), 1);
        free(p);
        /* An allow-all default with deny exceptions: a deny hits when the
         * request overlaps it at all, as v1 does. */
        struct cg_dev_rule r[] = { all, { 'b', 8, W, CG_DEV_WRITE, false } };
        CHECK_OK(cg_devfilter_build(r, 2, &p, &n, &e_));
        CHECK_INT(run_filter(p, n, B, R, 8, 0), 1);
        CHECK_INT(run_filter(p, n, B, R | WR, 8, 16), 0);
        CHECK_INT(run_filter(p, n, B, WR, 8, 0), 0);
        CHECK_INT(run_filter(p, n, B, WR, 9, 0), 1);
        CHECK_INT(run_filter(p, n, C, WR, 8, 0), 1);
        free(p);
}

/* ---- v2 for real ---- */

static bool skip(const char *test, const char *why)
{
        fprintf(stderr, "test-cgdevices: SKIP %s: %s\n", test, why);
        return false;
}

/* The host's cgroup2 mount line (pure v2 or a hybrid's unified one). */
static bool cgroup2_line(char *out, size_t size)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[1024];
        bool found = false;
        while (f && !found && fgets(line, sizeof line, f)) {
                if (strstr(line, " - cgroup2 ") && strlen(line) < size) {
                        snprintf(out, size, "%s", line);
                        found = true;
                }
        }
        if (f)
                fclose(f);
        return found;
}

static int prog_count(const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint32_t ids[8];
        union bpf_attr a = { 0 };
        a.query.target_fd = (uint32_t)fd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uintptr_t)ids;
        a.query.prog_cnt = 8;
        if (fd < 0 || syscall(SYS_bpf, BPF_PROG_QUERY, &a, sizeof a) < 0)
                return -1;
        return (int)a.query.prog_cnt;
}

static int try_open(const char *dir, const char *name, int flags)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        int fd = open(p, flags | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno;
        close(fd);
        return 0;
}

/* In a child moved into the cgroup: each check's errno, as one string. */
static void probe(const struct cg_layout *l, const char *path, const char *nodes, char *out, size_t size)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return;
        pid_t pid = fork();
        if (pid == 0) {
                char res[256], b[4096];
                int ok = cg_enter_self(l, path, NULL);
                snprintf(b, sizeof b, "%s/sda", nodes);
                int mk = mknod(b, S_IFBLK | 0600, makedev(8, 0)) < 0 ? errno : 0;
                unlink(b);
                snprintf(res, sizeof res, "enter=%d null=%d zero-r=%d zero-w=%d full=%d mknod=%d", ok,
                         try_open(nodes, "null", O_RDWR), try_open(nodes, "zero", O_RDONLY),
                         try_open(nodes, "zero", O_WRONLY), try_open(nodes, "full", O_RDONLY), mk);
                _exit(write(pfd[1], res, strlen(res)) > 0 ? 0 : 1);
        }
        close(pfd[1]);
        ssize_t n = pid > 0 ? read(pfd[0], out, size - 1) : -1;
        out[n > 0 ? n : 0] = '\0';
        close(pfd[0]);
        if (pid > 0)
                waitpid(pid, NULL, 0);
}

TEST(real_v2_filter_enforced_and_replaced)
{
        char line[1024], path[64], dir[4096], out[256];
        if (geteuid() != 0) {
                skip("real_v2_filter_enforced_and_replaced", "not root");
                return;
        }
        if (!cgroup2_line(line, sizeof line)) {
                skip("real_v2_filter_enforced_and_replaced", "no cgroup2 mount");
                return;
        }
        /* Only the cgroup2 line: the v2 driver, even on a hybrid host. */
        struct cg_layout *l = NULL;
        CHECK_OK(cg_detect_text(line, NULL, &l, &e_));
        if (!l)
                return;
        snprintf(path, sizeof path, "deckhand-devtest-%d/ctr", (int)getpid());
        snprintf(dir, sizeof dir, "%s/%s", cg_layout_dir(l, CG_CPUACCT), path);
        char *nodes = test_mkdtemp("cgdev-nodes");
        static const struct { const char *name; unsigned ma, mi; } nd[] = {
                { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 } };
        for (size_t i = 0; i < 3; i++) {
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", nodes, nd[i].name);
                CHECK(mknod(p, S_IFCHR | 0666, makedev(nd[i].ma, nd[i].mi)) == 0);
        }
        struct cg_dev_rule rules[] = { DENY_ALL, ALLOW('c', 1, 3, CG_DEV_RWM), ALLOW('c', W, W, CG_DEV_MKNOD),
                                       ALLOW('c', 1, 5, CG_DEV_READ), ALLOW('c', 1, 7, CG_DEV_RWM) };
        CHECK_OK(cg_create(l, path, &e_));
        CHECK_OK(cg_apply_devices(l, path, rules, 4, &e_));
        CHECK_INT(prog_count(dir), 1);
        probe(l, path, nodes, out, sizeof out);
        fprintf(stderr, "test-cgdevices: real v2 filter at %s: %s\n", dir, out);
        CHECK_STR(out, "enter=0 null=0 zero-r=0 zero-w=1 full=1 mknod=1");
        /* An update: allowed now, and still exactly one program. */
        CHECK_OK(cg_apply_devices(l, path, rules, 5, &e_));
        CHECK_INT(prog_count(dir), 1);
        probe(l, path, nodes, out, sizeof out);
        CHECK_STR(out, "enter=0 null=0 zero-r=0 zero-w=1 full=0 mknod=1");
        char top[64];
        snprintf(top, sizeof top, "deckhand-devtest-%d", (int)getpid());
        CHECK_OK(cg_remove(l, top, &e_));
        cg_layout_free(l);
        test_rmtree(nodes);
}

TEST_MAIN()
