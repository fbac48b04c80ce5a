/* Privileged end-to-end tests of rt_rootfs_setup: each test builds a tiny
 * busybox rootfs in a temp dir, forks a child into new mount/PID/UTS/IPC
 * namespaces whose own child (pid 1 there) runs rt_rootfs_setup and execs
 * a shell script that prints facts through a pipe, then asserts on those
 * facts and on the host side (upper dirs, nothing created outside the
 * rootfs, nothing in the host's mount table). Needs root, overlayfs and
 * /bin/busybox (`make deps`); otherwise it says why and skips, or fails
 * when DH_TEST_NO_SKIP is set (CI). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <unistd.h>

#include "cri/builtin/rootfs.h"
#include "lib/cleanup.h"
#include "test.h"

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC)

static char base[64];           /* the temp dir of this run */
static char busybox_root[128];  /* a shared read-only busybox image */

/* --- host-side helpers --- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        remove(path);
        return 0;
}

static void rm_rf(const char *path)
{
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void fmt(char *out, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t n, const char *f, ...)
{
        va_list ap;
        va_start(ap, f);
        int len = vsnprintf(out, n, f, ap);
        va_end(ap);
        if (len < 0 || (size_t)len >= n)
                TEST_FAIL_("formatted text too long: %s", out);
}

static void path_of(char *out, size_t n, const char *a, const char *b)
{
        fmt(out, n, "%s/%s", a, b);
}

static void mkdirs(const char *dir, const char *rel)
{
        char p[PATH_MAX];
        path_of(p, sizeof p, dir, rel);
        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s)
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        TEST_FAIL_("mkdir %s: %s", p, strerror(errno));
                *s = c;
                if (!c)
                        return;
        }
}

static void write_file(const char *dir, const char *rel, const char *text)
{
        char p[PATH_MAX];
        path_of(p, sizeof p, dir, rel);
        FILE *f = fopen(p, "we");
        if (!f) {
                TEST_FAIL_("create %s: %s", p, strerror(errno));
                return;
        }
        fputs(text, f);
        fclose(f);
}

/* The whole small file (or "" when missing). */
static const char *read_small(const char *dir, const char *rel)
{
        static char buf[4096];
        char p[PATH_MAX];
        path_of(p, sizeof p, dir, rel);
        buf[0] = '\0';
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return buf;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        close(fd);
        return buf;
}

static bool exists(const char *dir, const char *rel)
{
        char p[PATH_MAX];
        struct stat st;
        path_of(p, sizeof p, dir, rel);
        return lstat(p, &st) == 0;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (in < 0 || out < 0)
                return -1;
        ssize_t n;
        while ((n = copy_file_range(in, NULL, out, NULL, 1 << 20, 0)) > 0)
                ;
        return n < 0 ? -1 : 0;
}

static const char *const applets[] = {
        "sh", "cat", "ls", "echo", "mount", "grep", "stat", "touch", "mkdir", "readlink", "head", "wc",
        "test", "pwd", "rm", "tr", "cut", "sed", "true", "sort",
};

/* dir: bin/busybox plus applet links, etc/passwd, etc/group, empty mount points. */
static void make_busybox_root(const char *dir)
{
        mkdirs(dir, "bin");
        mkdirs(dir, "etc");
        static const char *const empty[] = { "proc", "sys", "dev", "tmp" };
        for (size_t i = 0; i < DH_ARRAY_SIZE(empty); i++)
                mkdirs(dir, empty[i]);
        char p[PATH_MAX];
        path_of(p, sizeof p, dir, "bin/busybox");
        if (copy_file("/bin/busybox", p, 0755) < 0)
                TEST_FAIL_("copy busybox to %s: %s", p, strerror(errno));
        for (size_t i = 0; i < DH_ARRAY_SIZE(applets); i++) {
                char l[PATH_MAX];
                fmt(p, sizeof p, "%s/bin/%s", dir, applets[i]);
                fmt(l, sizeof l, "busybox");
                if (symlink(l, p) < 0)
                        TEST_FAIL_("symlink %s: %s", p, strerror(errno));
        }
        write_file(dir, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        write_file(dir, "etc/group", "root:x:0:\n");
}

/* A fresh per-test directory base/<name>. */
static void test_dir(char *out, size_t n, const char *name)
{
        path_of(out, n, base, name);
        rm_rf(out);
        mkdirs(out, "");
}

/* Nothing under base ever shows up in the host's mount table. */
static void check_host_mounts(void)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return;
        ssize_t r = getdelim(&text, &len, '\0', f);
        fclose(f);
        if (r > 0 && strstr(text, base))
                TEST_FAIL_("the host's mountinfo mentions %s", base);
        free(text);
}

/* --- the plan --- */

static size_t strv_len(const char *const *v)
{
        size_t n = 0;
        while (v[n])
                n++;
        return n;
}

static void plan_init(struct rt_container_plan *p, const char *image, const char *mountpoint)
{
        memset(p, 0, sizeof *p);
        p->rootfs.dir = (char *)image;
        p->rootfs.mountpoint = (char *)mountpoint;
        struct dh_err *e = NULL;
        CHECK_INT(rt_plan_default_mounts(p, false, NULL, &e), 0);
        p->masked_paths = (struct dh_strv){ (char **)rt_default_masked_paths, strv_len(rt_default_masked_paths) };
        p->readonly_paths = (struct dh_strv){ (char **)rt_default_readonly_paths,
                                              strv_len(rt_default_readonly_paths) };
}

static char *dup_opt(const char *s)
{
        return s ? strdup(s) : NULL;
}

static void plan_add(struct rt_container_plan *p, const char *dest, const char *type, const char *src,
                     const char *data, uint64_t flags, uint64_t propagation)
{
        struct rt_plan_mount *v = realloc(p->mounts.v, (p->mounts.n + 1) * sizeof *v);
        if (!v)
                abort(); /* test harness: out of memory */
        p->mounts.v = v;
        v[p->mounts.n++] = (struct rt_plan_mount){
                .destination = dup_opt(dest), .type = dup_opt(type), .source = dup_opt(src),
                .data = dup_opt(data), .flags = flags, .propagation = propagation, .mkdir_dest = true,
        };
}

static void plan_free(struct rt_container_plan *p)
{
        for (size_t i = 0; i < p->mounts.n; i++) {
                free(p->mounts.v[i].destination);
                free(p->mounts.v[i].type);
                free(p->mounts.v[i].source);
                free(p->mounts.v[i].data);
        }
        free(p->mounts.v);
        p->mounts.v = NULL;
        p->mounts.n = 0;
}

/* --- running a container --- */

struct run {
        const struct rt_container_plan *plan;
        const char *script;
        bool legacy;                      /* mount(2) only */
        void (*prep)(const struct run *); /* in the namespaces, before setup */
        void (*post)(const struct run *); /* in the namespaces, after the container exited */
        const char *arg;                  /* for prep/post */
        char out[65536];
        int status;                       /* the script's exit code; 99 setup failed */
};

static int container_main(const struct run *r, int wfd)
{
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(wfd, 1) < 0 || dup2(wfd, 2) < 0)
                return 97;
        /* The shim clones its child with CLONE_NEWNS: a copy of the "host"
         * namespace the test child made (where prep ran). */
        if (unshare(CLONE_NEWNS) < 0) {
                printf("HARNESS: unshare: %s\n", strerror(errno));
                return 97;
        }
        rt_mnt_force_legacy(r->legacy);
        struct dh_err *e = NULL;
        if (rt_rootfs_setup(r->plan, &e) < 0) {
                printf("SETUP-ERROR: %s\n", e->msg);
                fflush(stdout);
                return 99;
        }
        char *argv[] = { (char *)"sh", (char *)"-c", (char *)r->script, NULL };
        char *envp[] = { (char *)"PATH=/bin", NULL };
        execve("/bin/sh", argv, envp);
        printf("HARNESS: exec /bin/sh: %s\n", strerror(errno));
        fflush(stdout);
        return 98;
}

/* Plays the host, in namespaces of its own so nothing reaches the real
 * host: prep, then the container as pid 1 of a new PID namespace, then post. */
static int child_main(const struct run *r, int wfd)
{
        if (dup2(wfd, 1) < 0 || unshare(NS_FLAGS) < 0) {
                dprintf(wfd, "HARNESS: unshare: %s\n", strerror(errno));
                return 96;
        }
        if (r->prep)
                r->prep(r);
        pid_t pid = fork();
        if (pid == 0)
                _exit(container_main(r, wfd));
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) < 0)
                return 95;
        if (r->post) {
                r->post(r);
                fflush(stdout);
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run(struct run *r)
{
        int pfd[2];
        r->out[0] = '\0';
        r->status = -1;
        if (pipe2(pfd, O_CLOEXEC) < 0) {
                TEST_FAIL_("pipe: %s", strerror(errno));
                return;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                close(pfd[0]);
                _exit(child_main(r, pfd[1]));
        }
        close(pfd[1]);
        size_t len = 0;
        ssize_t n;
        while ((n = read(pfd[0], r->out + len, sizeof r->out - 1 - len)) > 0)
                len += (size_t)n;
        r->out[len] = '\0';
        close(pfd[0]);
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) < 0)
                TEST_FAIL_("fork/wait: %s", strerror(errno));
        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        check_host_mounts();
}

/* The value of the script's "key=value" line, or NULL. */
static const char *fact(const struct run *r, const char *key)
{
        static char val[512];
        size_t klen = strlen(key);
        for (const char *l = r->out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, key, klen) == 0 && l[klen] == '=') {
                        size_t n = strcspn(l + klen + 1, "\n");
                        n = n < sizeof val - 1 ? n : sizeof val - 1;
                        memcpy(val, l + klen + 1, n);
                        val[n] = '\0';
                        return val;
                }
        }
        return NULL;
}

#define CHECK_FACT(r, key, want)                                                        \
        do {                                                                            \
                const char *v_ = fact(r, key);                                          \
                if (!v_ || strcmp(v_, want) != 0)                                       \
                        TEST_FAIL_("%s=%s, expected %s\n--- output ---\n%s", key,       \
                                   v_ ? v_ : "(missing)", want, (r)->out);              \
        } while (0)

#define CHECK_OK(r)                                                                     \
        do {                                                                            \
                if ((r)->status != 0)                                                   \
                        TEST_FAIL_("container exited %d\n--- output ---\n%s",           \
                                   (r)->status, (r)->out);                              \
        } while (0)

/* The container's mountinfo, printed by MOUNTINFO below as "MI ..." lines. */
#define MOUNTINFO "sed 's/^/MI /' /proc/self/mountinfo\n"

struct mi {
        char point[256], opts[128], fstype[32];
};

/* The topmost mount at point (the last line naming it). */
static bool mi_find(const struct run *r, const char *point, struct mi *out)
{
        bool found = false;
        for (const char *l = strstr(r->out, "MI "); l; l = strstr(l + 1, "\nMI ")) {
                if (*l == '\n')
                        l++;
                struct mi m;
                char sep[4];
                if (sscanf(l, "MI %*s %*s %*s %*s %255s %127s", m.point, m.opts) != 2)
                        continue;
                const char *dash = strstr(l, " - ");
                if (!dash || sscanf(dash, " %3s %31s", sep, m.fstype) != 2)
                        continue;
                if (strcmp(m.point, point) == 0) {
                        *out = m;
                        found = true;
                }
        }
        return found;
}

static bool has_opt(const char *opts, const char *opt)
{
        size_t n = strlen(opt);
        for (const char *s = opts; s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL)
                if (strncmp(s, opt, n) == 0 && (s[n] == ',' || s[n] == '\0'))
                        return true;
        return false;
}

static void check_mount(const struct run *r, const char *point, const char *type, bool ro, int line)
{
        struct mi m;
        if (!mi_find(r, point, &m))
                TEST_FAIL_("(line %d) no mount at %s\n--- output ---\n%s", line, point, r->out);
        else if (type && strcmp(m.fstype, type) != 0)
                TEST_FAIL_("(line %d) %s is %s, expected %s", line, point, m.fstype, type);
        else if (has_opt(m.opts, "ro") != ro)
                TEST_FAIL_("(line %d) %s has options %s, expected %s", line, point, m.opts, ro ? "ro" : "rw");
}

#define CHECK_MOUNT(r, point, type, ro) check_mount(r, point, type, ro, __LINE__)

/* A test's directory base/<name>, with a busybox image/ and mnt/. */
struct fx {
        char dir[PATH_MAX], image[PATH_MAX], mnt[PATH_MAX];
};

static void fx_init(struct fx *f, const char *name)
{
        test_dir(f->dir, sizeof f->dir, name);
        path_of(f->image, sizeof f->image, f->dir, "image");
        path_of(f->mnt, sizeof f->mnt, f->dir, "mnt");
        make_busybox_root(f->image);
}

/* rt_rootfs_setup must fail, saying want. */
static void expect_setup_error(struct run *r, const char *want)
{
        char line[512];
        fmt(line, sizeof line, "SETUP-ERROR: %s", want);
        if (!r->script)
                r->script = "true";
        run(r);
        CHECK_INT(r->status, 99);
        CHECK_CONTAINS(r->out, line);
}

/* --- the tests --- */

static const char basic_script[] =
        "echo pid=$$\n"
        "echo cwd=$(pwd)\n"
        "echo init=$(head -c 5 /proc/1/cmdline | tr '\\0' ' ')\n"
        MOUNTINFO
        "echo kcore=$(cat /proc/kcore | wc -c)\n"
        "if cat /proc/sys/kernel/domainname > /proc/sys/kernel/domainname 2>/dev/null;"
        " then echo procsys=rw; else echo procsys=ro; fi\n"
        "for d in null zero full random urandom tty; do echo dev_$d=$(stat -c '%F %t:%T %a' /dev/$d); done\n"
        "echo zero=$(head -c 4 /dev/zero | wc -c)\n"
        "echo urandom=$(head -c 8 /dev/urandom | wc -c)\n"
        "if echo x > /dev/full 2>/dev/null; then echo full=written; else echo full=refused; fi\n"
        "echo null=$(echo hi > /dev/null && cat /dev/null | wc -c)\n"
        "for l in fd stdin stdout stderr ptmx; do echo link_$l=$(readlink /dev/$l); done\n"
        "echo fd0=$(ls /dev/fd/ | grep -c '^0$')\n"
        "echo pts=$(stat -c %F /dev/pts/ptmx)\n"
        "echo shm=$(touch /dev/shm/x && echo ok)\n"
        "echo data=$(cat /data/hello)\n"
        "if touch /data/new 2>/dev/null; then echo data_ro=no; else echo data_ro=yes; fi\n"
        "echo rw=$(touch /rw/fromctr && echo ok)\n"
        "echo cfg=$(cat /etc/app/cfg.txt)\n"
        "if touch /etc/app/cfg.txt 2>/dev/null; then echo cfg_ro=no; else echo cfg_ro=yes; fi\n"
        "echo scratch=$(touch /scratch/x && echo ok)\n"
        "echo mydev=$(stat -c '%F %t:%T %a %u:%g' /dev/dh-null2)\n"
        "echo root=$(touch /rootfile && echo rw)\n"
        "echo cgroup=$(ls /sys/fs/cgroup | wc -l)\n";

static const struct rt_plan_device basic_devices[] = {
        { .path = (char *)"/dev/dh-null2", .type = 'c', .major = 1, .minor = 3, .mode = 0640,
          .uid = 1000, .gid = 1001 },
};

static void check_basic_facts(const struct run *r)
{
        CHECK_FACT(r, "pid", "1");
        CHECK_FACT(r, "init", "sh -c");
        CHECK_FACT(r, "cwd", "/work/here");
        CHECK_FACT(r, "kcore", "0");
        CHECK_FACT(r, "procsys", "ro");
        CHECK_FACT(r, "dev_null", "character special file 1:3 666");
        CHECK_FACT(r, "dev_zero", "character special file 1:5 666");
        CHECK_FACT(r, "dev_full", "character special file 1:7 666");
        CHECK_FACT(r, "dev_random", "character special file 1:8 666");
        CHECK_FACT(r, "dev_urandom", "character special file 1:9 666");
        CHECK_FACT(r, "dev_tty", "character special file 5:0 666");
        CHECK_FACT(r, "zero", "4");
        CHECK_FACT(r, "urandom", "8");
        CHECK_FACT(r, "full", "refused");
        CHECK_FACT(r, "null", "0");
        CHECK_FACT(r, "link_fd", "/proc/self/fd");
        CHECK_FACT(r, "link_stdin", "/proc/self/fd/0");
        CHECK_FACT(r, "link_stdout", "/proc/self/fd/1");
        CHECK_FACT(r, "link_stderr", "/proc/self/fd/2");
        CHECK_FACT(r, "link_ptmx", "pts/ptmx");
        CHECK_FACT(r, "fd0", "1");
        CHECK_FACT(r, "pts", "character special file");
        CHECK_FACT(r, "shm", "ok");
        CHECK_FACT(r, "data", "hi from the host");
        CHECK_FACT(r, "data_ro", "yes");
        CHECK_FACT(r, "rw", "ok");
        CHECK_FACT(r, "cfg", "setting=1");
        CHECK_FACT(r, "cfg_ro", "yes");
        CHECK_FACT(r, "scratch", "ok");
        CHECK_FACT(r, "mydev", "character special file 1:3 640 1000:1001");
        CHECK_FACT(r, "root", "rw");
        const char *cg = fact(r, "cgroup");
        CHECK(cg && strcmp(cg, "0") != 0);

}

static void check_basic_mounts(const struct run *r)
{
        CHECK_MOUNT(r, "/", NULL, false);
        CHECK_MOUNT(r, "/proc", "proc", false);
        CHECK_MOUNT(r, "/dev", "tmpfs", false);
        CHECK_MOUNT(r, "/dev/pts", "devpts", false);
        CHECK_MOUNT(r, "/dev/shm", "tmpfs", false);
        CHECK_MOUNT(r, "/dev/mqueue", "mqueue", false);
        CHECK_MOUNT(r, "/sys", "sysfs", true);
        CHECK_MOUNT(r, "/sys/fs/cgroup", NULL, true);
        CHECK_MOUNT(r, "/data", NULL, true);
        CHECK_MOUNT(r, "/rw", NULL, false);
        CHECK_MOUNT(r, "/etc/app/cfg.txt", NULL, true);
        CHECK_MOUNT(r, "/scratch", "tmpfs", false);
        for (size_t i = 0; rt_default_readonly_paths[i]; i++)
                if (access(rt_default_readonly_paths[i], F_OK) == 0)
                        CHECK_MOUNT(r, rt_default_readonly_paths[i], "proc", true);
        /* every default masked path this host has is covered */
        for (size_t i = 0; rt_default_masked_paths[i]; i++) {
                struct stat st;
                if (stat(rt_default_masked_paths[i], &st) == 0)
                        CHECK_MOUNT(r, rt_default_masked_paths[i], S_ISDIR(st.st_mode) ? "tmpfs" : NULL,
                                    S_ISDIR(st.st_mode));
        }
}

static void basic(bool legacy)
{
        char dir[PATH_MAX], image[PATH_MAX], mnt[PATH_MAX], data[PATH_MAX], rw[PATH_MAX], cfg[PATH_MAX];
        test_dir(dir, sizeof dir, legacy ? "basic-legacy" : "basic");
        path_of(image, sizeof image, dir, "image");
        path_of(mnt, sizeof mnt, dir, "mnt");
        path_of(data, sizeof data, dir, "data");
        path_of(rw, sizeof rw, dir, "rw");
        path_of(cfg, sizeof cfg, dir, "cfg.txt");
        make_busybox_root(image);
        mkdirs(data, "");
        mkdirs(rw, "");
        write_file(data, "hello", "hi from the host\n");
        write_file(dir, "cfg.txt", "setting=1\n");

        struct rt_container_plan p;
        plan_init(&p, image, mnt);
        plan_add(&p, "/data", "bind", data, NULL, MS_BIND | MS_REC | MS_RDONLY, 0);
        plan_add(&p, "/rw", "bind", rw, NULL, MS_BIND | MS_REC, 0);
        plan_add(&p, "/etc/app/cfg.txt", "bind", cfg, NULL, MS_BIND | MS_RDONLY, 0);
        plan_add(&p, "/scratch", "tmpfs", "tmpfs", "size=1m,mode=1777", MS_NOSUID | MS_NODEV, 0);
        p.devices.v = (struct rt_plan_device *)basic_devices;
        p.devices.n = DH_ARRAY_SIZE(basic_devices);
        p.cwd = (char *)"/work/here";
        p.create_cwd = true;

        static struct run r;
        r = (struct run){ .plan = &p, .script = basic_script, .legacy = legacy };
        run(&r);
        CHECK_OK(&r);
        check_basic_facts(&r);
        check_basic_mounts(&r);
        /* host side: created in the image, written through the rw bind only */
        CHECK(exists(image, "work/here"));
        CHECK(exists(image, "rootfile"));
        CHECK(exists(rw, "fromctr"));
        CHECK(!exists(data, "new"));
        plan_free(&p);
}

TEST(dir_rootfs_defaults)
{
        basic(false);
}

TEST(dir_rootfs_defaults_legacy_mount_api)
{
        basic(true);
}

static const char readonly_script[] =
        "if touch /x 2>/dev/null; then echo root=rw; else echo root=ro; fi\n"
        "echo shm=$(touch /dev/shm/x && echo ok)\n"
        "echo cwd=$(pwd)\n" MOUNTINFO;

TEST(readonly_rootfs)
{
        struct fx f;
        fx_init(&f, "readonly");
        struct rt_container_plan p;
        plan_init(&p, f.image, f.mnt);
        p.rootfs.readonly = true;
        p.cwd = (char *)"/newcwd";
        p.create_cwd = true;
        for (int legacy = 0; legacy < 2; legacy++) {
                static struct run r;
                r = (struct run){ .plan = &p, .script = readonly_script, .legacy = legacy };
                run(&r);
                CHECK_OK(&r);
                CHECK_FACT(&r, "root", "ro");
                CHECK_FACT(&r, "shm", "ok");
                CHECK_FACT(&r, "cwd", "/newcwd");
                CHECK_MOUNT(&r, "/", NULL, true);
        }
        CHECK(exists(f.image, "newcwd"));
        CHECK(!exists(f.image, "x"));
        plan_free(&p);
}

static const char overlay_script[] =
        "echo motd=$(cat /etc/motd)\n"
        "echo new > /newfile\n"
        "echo more >> /lowerfile\n"
        "rm /etc/motd\n"
        "echo gone=$(test -e /etc/motd && echo no || echo yes)\n" MOUNTINFO;

/* layer2 over the busybox image, with an upper per container. */
TEST(overlay_writes_go_to_upper)
{
        char dir[PATH_MAX], layer2[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], mnt[PATH_MAX];
        test_dir(dir, sizeof dir, "overlay");
        path_of(layer2, sizeof layer2, dir, "layer2");
        path_of(upper, sizeof upper, dir, "c/upper");
        path_of(work, sizeof work, dir, "c/work");
        path_of(mnt, sizeof mnt, dir, "c/rootfs");
        mkdirs(layer2, "etc");
        write_file(layer2, "etc/motd", "from layer2\n");
        write_file(layer2, "lowerfile", "orig\n");
        char *lowers[] = { layer2, busybox_root };
        struct rt_container_plan p;
        plan_init(&p, NULL, mnt);
        p.rootfs.lower = (struct dh_strv){ lowers, 2 };
        p.rootfs.upper = upper;
        p.rootfs.work = work;
        static struct run r;
        r = (struct run){ .plan = &p, .script = overlay_script };
        run(&r);
        CHECK_OK(&r);
        CHECK_FACT(&r, "motd", "from layer2");
        CHECK_FACT(&r, "gone", "yes");
        CHECK_MOUNT(&r, "/", "overlay", false);
        /* writes landed in the upper dir; the layers are untouched */
        CHECK_STR(read_small(upper, "newfile"), "new\n");
        CHECK_STR(read_small(upper, "lowerfile"), "orig\nmore\n");
        CHECK_STR(read_small(layer2, "lowerfile"), "orig\n");
        CHECK_STR(read_small(layer2, "etc/motd"), "from layer2\n");
        CHECK(!exists(layer2, "newfile"));
        CHECK(!exists(busybox_root, "newfile"));
        struct stat st;
        char wh[PATH_MAX];
        path_of(wh, sizeof wh, upper, "etc/motd");
        CHECK(lstat(wh, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0); /* whiteout */
        plan_free(&p);
}

static const char ro_layers_script[] =
        "echo motd=$(cat /etc/motd)\n"
        "if touch /x 2>/dev/null; then echo root=rw; else echo root=ro; fi\n" MOUNTINFO;

/* Read-only layers without an upper: overlay for two, a bind for one. */
TEST(overlay_readonly_layers)
{
        char dir[PATH_MAX], layer2[PATH_MAX], mnt[PATH_MAX];
        test_dir(dir, sizeof dir, "overlay-ro");
        path_of(layer2, sizeof layer2, dir, "layer2");
        path_of(mnt, sizeof mnt, dir, "rootfs");
        mkdirs(layer2, "etc");
        write_file(layer2, "etc/motd", "ro layer\n");
        char *lowers[] = { layer2, busybox_root };
        struct rt_container_plan p;
        plan_init(&p, NULL, mnt);
        p.rootfs.lower = (struct dh_strv){ lowers, 2 };
        p.rootfs.readonly = true;
        static struct run r;
        r = (struct run){ .plan = &p, .script = ro_layers_script };
        run(&r);
        CHECK_OK(&r);
        CHECK_FACT(&r, "motd", "ro layer");
        CHECK_FACT(&r, "root", "ro");
        CHECK_MOUNT(&r, "/", "overlay", true);

        p.rootfs.lower = (struct dh_strv){ lowers + 1, 1 };
        r = (struct run){ .plan = &p, .script = "touch /x 2>/dev/null && echo root=rw || echo root=ro\n" };
        run(&r);
        CHECK_OK(&r);
        CHECK_FACT(&r, "root", "ro");
        CHECK(!exists(busybox_root, "x"));

        p.rootfs.readonly = false;
        r = (struct run){ .plan = &p };
        expect_setup_error(&r, "rootfs: image layers without an upper directory must be read-only");
        plan_free(&p);
}

/* More layers than fit in mount(2)'s one page of options. */
TEST(overlay_many_layers)
{
        enum { N = 40 };
        char dir[PATH_MAX], mnt[PATH_MAX], upper[PATH_MAX], work[PATH_MAX];
        static char layers[N + 1][PATH_MAX];
        char *lowers[N + 1];
        test_dir(dir, sizeof dir, "overlay-many");
        for (int i = 0; i < N; i++) {
                fmt(layers[i], sizeof layers[i], "%s/layer-%02d-%s", dir, i,
                         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
                mkdirs(layers[i], "");
                lowers[i] = layers[i];
        }
        write_file(layers[7], "seven", "7\n");
        lowers[N] = busybox_root;
        path_of(mnt, sizeof mnt, dir, "rootfs");
        path_of(upper, sizeof upper, dir, "upper");
        path_of(work, sizeof work, dir, "work");
        struct rt_container_plan p;
        plan_init(&p, NULL, mnt);
        p.rootfs.lower = (struct dh_strv){ lowers, N + 1 };
        p.rootfs.upper = upper;
        p.rootfs.work = work;
        static struct run r;
        r = (struct run){ .plan = &p, .script = "echo seven=$(cat /seven)\n" };
        run(&r);
        CHECK_OK(&r);
        CHECK_FACT(&r, "seven", "7");
        r = (struct run){ .plan = &p, .legacy = true };
        expect_setup_error(&r, "rootfs: overlay options are ");
        CHECK_CONTAINS(r.out, "byte page");
        plan_free(&p);
}

/* Symlinks in the image pointing out of it: every mount lands inside. */
TEST(malicious_rootfs_symlinks)
{
        struct fx f;
        char hostdir[PATH_MAX], evil[PATH_MAX], p1[PATH_MAX], etcname[64], inside[PATH_MAX];
        fx_init(&f, "malicious");
        const char *image = f.image;
        path_of(hostdir, sizeof hostdir, f.dir, "hostdir");
        mkdirs(hostdir, "");
        fmt(etcname, sizeof etcname, "dh-evil-%d", (int)getpid());
        path_of(p1, sizeof p1, image, "data");
        CHECK(symlink("/etc", p1) == 0);
        path_of(p1, sizeof p1, image, "evil");
        fmt(evil, sizeof evil, "../../../../%s", hostdir + 1);
        CHECK(symlink(evil, p1) == 0);

        struct rt_container_plan p;
        plan_init(&p, image, f.mnt);
        char dest[PATH_MAX];
        fmt(dest, sizeof dest, "/data/%s", etcname);
        plan_add(&p, dest, "tmpfs", "tmpfs", NULL, 0, 0);
        plan_add(&p, "/evil/y", "tmpfs", "tmpfs", NULL, 0, 0);
        plan_add(&p, "/../../x", "tmpfs", "tmpfs", NULL, 0, 0);
        static struct run r;
        r = (struct run){ .plan = &p, .script = MOUNTINFO };
        run(&r);
        CHECK_OK(&r);
        fmt(inside, sizeof inside, "/etc/%s", etcname);
        CHECK_MOUNT(&r, inside, "tmpfs", false);
        fmt(inside, sizeof inside, "%s/y", hostdir);
        CHECK_MOUNT(&r, inside, "tmpfs", false);
        CHECK_MOUNT(&r, "/x", "tmpfs", false);
        /* on the host: created in the image, nothing outside it */
        CHECK(!exists("/etc", etcname));
        CHECK(!exists(hostdir, "y"));
        fmt(inside, sizeof inside, "etc/%s", etcname);
        CHECK(exists(image, inside));
        fmt(inside, sizeof inside, "%s/y", hostdir + 1);
        CHECK(exists(image, inside));
        CHECK(exists(image, "x"));
        plan_free(&p);

        /* a procfs magic link on the way is refused */
        plan_init(&p, image, f.mnt);
        plan_add(&p, "/proc/self/root/x", "tmpfs", "tmpfs", NULL, 0, 0);
        r = (struct run){ .plan = &p };
        expect_setup_error(&r, "mount \"/proc/self/root/x\": resolve in rootfs: ");
        plan_free(&p);
}

TEST(errors_name_the_mount)
{
        static const struct {
                const char *dest, *type, *source, *data;
                bool mkdir_dest;
                const char *want;
        } cases[] = {
                { "/data", "bind", "/nonexistent/dh-source", NULL, true,
                  "mount \"/data\": source \"/nonexistent/dh-source\": No such file or directory" },
                { "/nodir/sub", "tmpfs", "tmpfs", NULL, false,
                  "mount \"/nodir/sub\": resolve in rootfs: \"/nodir/sub\": No such file or directory" },
                { "/t", "tmpfs", "tmpfs", "nosuchoption=1", true, "mount \"/t\": " },
                { "/etc/..", "tmpfs", "tmpfs", NULL, true,
                  "mount \"/etc/..\": refusing to mount over the container's root" },
                { NULL, NULL, NULL, NULL, false,
                  "working directory \"/missing\": resolve in rootfs: \"/missing\": No such file or directory" },
        };
        struct fx f;
        fx_init(&f, "errors");
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct rt_container_plan p;
                plan_init(&p, f.image, f.mnt);
                if (cases[i].dest) {
                        plan_add(&p, cases[i].dest, cases[i].type, cases[i].source, cases[i].data,
                                 strcmp(cases[i].type, "bind") == 0 ? MS_BIND : 0, 0);
                        p.mounts.v[p.mounts.n - 1].mkdir_dest = cases[i].mkdir_dest;
                } else {
                        p.cwd = (char *)"/missing";
                }
                static struct run r;
                r = (struct run){ .plan = &p };
                expect_setup_error(&r, cases[i].want);
                plan_free(&p);
        }
}

/* In the test's namespaces (never the host's): src/sub is its own mount. */
static void prep_submount(const struct run *r)
{
        char sub[PATH_MAX];
        path_of(sub, sizeof sub, r->arg, "sub");
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
            mount("tmpfs", sub, "tmpfs", 0, "size=1m") < 0)
                dprintf(1, "HARNESS: prep: %s\n", strerror(errno));
}

static const char rro_script[] =
        "for d in rec top; do\n"
        "  if touch /ro-$d/sub/x 2>/dev/null; then echo ${d}_sub=rw; else echo ${d}_sub=ro; fi\n"
        "  if touch /ro-$d/y 2>/dev/null; then echo ${d}_top=rw; else echo ${d}_top=ro; fi\n"
        "done\n";

TEST(recursive_readonly_bind)
{
        struct fx f;
        char src[PATH_MAX];
        fx_init(&f, "rro");
        path_of(src, sizeof src, f.dir, "src");
        mkdirs(src, "sub");
        struct rt_container_plan p;
        plan_init(&p, f.image, f.mnt);
        plan_add(&p, "/ro-rec", "bind", src, NULL, MS_BIND | MS_REC | MS_RDONLY | RT_MOUNT_RRO, 0);
        plan_add(&p, "/ro-top", "bind", src, NULL, MS_BIND | MS_REC | MS_RDONLY, 0);
        static struct run r;
        r = (struct run){ .plan = &p, .script = rro_script, .prep = prep_submount, .arg = src };
        run(&r);
        CHECK_OK(&r);
        CHECK_FACT(&r, "rec_sub", "ro");
        CHECK_FACT(&r, "rec_top", "ro");
        CHECK_FACT(&r, "top_sub", "rw"); /* Kubernetes' readOnly without recursiveReadOnly */
        CHECK_FACT(&r, "top_top", "ro");
        r = (struct run){ .plan = &p, .prep = prep_submount, .arg = src, .legacy = true };
        expect_setup_error(&r, "mount \"/ro-rec\": recursive read-only needs mount_setattr");
        plan_free(&p);
}

/* The test's namespace plays the host: src is a shared mount there. */
static void prep_shared(const struct run *r)
{
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
            mount(r->arg, r->arg, NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, r->arg, NULL, MS_SHARED, NULL) < 0)
                dprintf(1, "HARNESS: prep: %s\n", strerror(errno));
}

static void post_shared(const struct run *r)
{
        static const char *const subs[] = { "sub", "sub2" };
        for (size_t i = 0; i < DH_ARRAY_SIZE(subs); i++) {
                char p[PATH_MAX];
                struct statfs sfs;
                path_of(p, sizeof p, r->arg, subs[i]);
                bool tmpfs = statfs(p, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
                printf("host_%s=%s\n", subs[i], tmpfs ? "tmpfs" : "plain");
        }
}

TEST(bidirectional_propagation)
{
        struct fx f;
        char src[PATH_MAX];
        fx_init(&f, "bidir");
        path_of(src, sizeof src, f.dir, "src");
        mkdirs(src, "sub");
        mkdirs(src, "sub2");
        struct rt_container_plan p;
        plan_init(&p, f.image, f.mnt);
        plan_add(&p, "/shared", "bind", src, NULL, MS_BIND | MS_REC, MS_SHARED | MS_REC);
        plan_add(&p, "/private", "bind", src, NULL, MS_BIND | MS_REC, 0);
        static struct run r;
        r = (struct run){
                .plan = &p, .prep = prep_shared, .post = post_shared, .arg = src,
                .script = "mount -t tmpfs none /shared/sub && mount -t tmpfs none /private/sub2 &&"
                          " echo mounted=yes\n" MOUNTINFO,
        };
        run(&r);
        CHECK_OK(&r);
        CHECK_FACT(&r, "mounted", "yes");
        CHECK_FACT(&r, "host_sub", "tmpfs");   /* Bidirectional: reached the "host" */
        CHECK_FACT(&r, "host_sub2", "plain");  /* private: did not */
        plan_free(&p);
}

/* --- main: skip loudly when this machine cannot run these --- */

static const char *skip_reason(void)
{
        if (geteuid() != 0)
                return "not root (these tests mount filesystems and create namespaces)";
        if (access("/bin/busybox", X_OK) != 0)
                return "no /bin/busybox (`make deps` installs busybox-static)";
        FILE *f = fopen("/proc/filesystems", "re");
        char line[128];
        bool overlay = false;
        while (f && fgets(line, sizeof line, f))
                overlay |= strstr(line, "\toverlay\n") != NULL;
        if (f)
                fclose(f);
        if (!overlay)
                return "overlayfs is not available (modprobe overlay)";
        pid_t pid = fork();
        if (pid == 0)
                _exit(unshare(NS_FLAGS) < 0 ? 1 : 0);
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return "cannot create mount/PID/UTS/IPC namespaces here";
        return NULL;
}

int main(int argc, char **argv)
{
        (void)argc;
        const char *why = skip_reason();
        if (why) {
                bool strict = getenv("DH_TEST_NO_SKIP") != NULL;
                fprintf(stderr, "test-rootfs-live: SKIPPED: %s\n", why);
                printf("test-rootfs-live: 0 passed, %d failed\n", strict ? 1 : 0);
                return strict ? 1 : 0;
        }
        fmt(base, sizeof base, "/tmp/dh-test-rootfs-live-XXXXXX");
        if (!mkdtemp(base)) {
                perror("mkdtemp");
                return 1;
        }
        path_of(busybox_root, sizeof busybox_root, base, "busybox");
        make_busybox_root(busybox_root);
        int rc = test_run_all(argv[0]);
        rm_rf(base);
        return rc;
}
