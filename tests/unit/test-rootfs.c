/* Unprivileged tests for the rootfs code: path resolution confined to a
 * crafted temporary tree (symlink and ".." escapes, creation, limits, both
 * openat2 and the fd walk) and containerd's default tables and mounts.
 * The privileged end-to-end tests are in test-rootfs-live.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/builtin/resolve.h"
#include "cri/builtin/rootfs.h"
#include "lib/cleanup.h"
#include "test.h"

static const int modes[] = { 0, RT_RESOLVE_NO_OPENAT2 };

struct tree {
        char base[64];       /* the temp dir */
        char root[96];       /* base/root: the container root */
        char outside[96];    /* base/outside: must stay untouched */
        int rootfd;
};

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

static void mk(const struct tree *t, const char *rel, bool dir)
{
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", t->root, rel);
        if (dir) {
                if (mkdir(p, 0755) < 0)
                        TEST_FAIL_("mkdir %s: %s", p, strerror(errno));
        } else {
                int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                if (fd < 0)
                        TEST_FAIL_("create %s: %s", p, strerror(errno));
                else
                        close(fd);
        }
}

static void ln(const struct tree *t, const char *target, const char *rel)
{
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", t->root, rel);
        if (symlink(target, p) < 0)
                TEST_FAIL_("symlink %s: %s", p, strerror(errno));
}

/* root/{a/b/c,file,etc,x/y} plus symlinks that try to get out. */
static void tree_make(struct tree *t)
{
        snprintf(t->base, sizeof t->base, "/tmp/dh-test-rootfs-XXXXXX");
        CHECK(mkdtemp(t->base) != NULL);
        snprintf(t->root, sizeof t->root, "%s/root", t->base);
        snprintf(t->outside, sizeof t->outside, "%s/outside", t->base);
        CHECK(mkdir(t->root, 0755) == 0);
        CHECK(mkdir(t->outside, 0755) == 0);
        mk(t, "a", true);
        mk(t, "a/b", true);
        mk(t, "a/b/c", true);
        mk(t, "file", false);
        mk(t, "etc", true);
        ln(t, "/a/b", "abs");
        ln(t, "../../../../a", "up");
        ln(t, "../../..", "a/b/back");
        ln(t, "/etc", "etclink");
        ln(t, "../outside", "esc");
        ln(t, "loop", "loop");
        ln(t, "l2", "l1");
        ln(t, "a", "l2");
        ln(t, "/newdir/sub", "dangling");
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s", t->outside);
        ln(t, p, "hostabs"); /* the host path of outside: resolves to root/<that path> */
        t->rootfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(t->rootfd >= 0);
}

static void tree_free(struct tree *t)
{
        if (t->rootfd >= 0)
                close(t->rootfd);
        rm_rf(t->base);
}

/* fd and root/rel are the same inode. */
static bool same(const struct tree *t, int fd, const char *rel)
{
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", t->root, rel);
        struct stat a, b;
        return fd >= 0 && fstat(fd, &a) == 0 && lstat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool exists(const char *dir, const char *rel)
{
        char p[PATH_MAX];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, rel);
        return lstat(p, &st) == 0;
}

static int resolve(const struct tree *t, const char *path, int flags, int *fd, struct dh_err **err)
{
        *fd = -1;
        return rt_resolve_in_root(t->rootfd, path, flags, fd, err);
}

#define EXPECT_AT(t, path, flags, rel)                                                  \
        do {                                                                            \
                _cleanup_err_ struct dh_err *e_ = NULL;                                 \
                _cleanup_close_ int fd_ = -1;                                           \
                int r_ = resolve(t, path, flags, &fd_, &e_);                            \
                if (r_ != 0 || !same(t, fd_, rel))                                      \
                        TEST_FAIL_("resolve \"%s\" (flags %d): r=%d %s, expected root/%s", \
                                   path, flags, r_, e_ ? e_->msg : "", rel);            \
        } while (0)

#define EXPECT_ERR(t, path, flags, want)                                                \
        do {                                                                            \
                _cleanup_err_ struct dh_err *e_ = NULL;                                 \
                _cleanup_close_ int fd_ = -1;                                           \
                int r_ = resolve(t, path, flags, &fd_, &e_);                            \
                if (r_ != -(want) || !e_ || e_->code != (want) || fd_ != -1)             \
                        TEST_FAIL_("resolve \"%s\" (flags %d): r=%d (%s), expected -%s", \
                                   path, flags, r_, e_ ? e_->msg : "no error", #want);  \
                else                                                                    \
                        CHECK_CONTAINS(e_->msg, "resolve in rootfs: ");                 \
        } while (0)

TEST(resolve_plain_paths)
{
        struct tree t;
        tree_make(&t);
        for (size_t i = 0; i < DH_ARRAY_SIZE(modes); i++) {
                int m = modes[i];
                EXPECT_AT(&t, "/a/b/c", m, "a/b/c");
                EXPECT_AT(&t, "a/b/c", m, "a/b/c");
                EXPECT_AT(&t, "//a/./b//c/", m, "a/b/c");
                EXPECT_AT(&t, "/", m, ".");
                EXPECT_AT(&t, "/file", m, "file");
                EXPECT_AT(&t, "/a/b/..", m, "a");
                EXPECT_ERR(&t, "/missing", m, ENOENT);
                EXPECT_ERR(&t, "/file/x", m, ENOTDIR);
                EXPECT_ERR(&t, "", m, EINVAL);
        }
        tree_free(&t);
}

TEST(resolve_dotdot_stays_inside)
{
        struct tree t;
        tree_make(&t);
        for (size_t i = 0; i < DH_ARRAY_SIZE(modes); i++) {
                int m = modes[i];
                EXPECT_AT(&t, "/../../a", m, "a");
                EXPECT_AT(&t, "../../../..", m, ".");
                EXPECT_AT(&t, "/a/../../../a/b", m, "a/b");
                /* root/outside does not exist: ".." from the root stays at the root */
                EXPECT_ERR(&t, "/../outside", m, ENOENT);
        }
        tree_free(&t);
}

TEST(resolve_symlinks_stay_inside)
{
        struct tree t;
        tree_make(&t);
        for (size_t i = 0; i < DH_ARRAY_SIZE(modes); i++) {
                int m = modes[i];
                EXPECT_AT(&t, "/abs/c", m, "a/b/c");
                EXPECT_AT(&t, "/abs", m, "a/b");
                EXPECT_AT(&t, "/up/b", m, "a/b");
                EXPECT_AT(&t, "/a/b/back/file", m, "file");
                EXPECT_AT(&t, "/etclink", m, "etc");
                EXPECT_AT(&t, "/l1/b/c", m, "a/b/c");
                EXPECT_ERR(&t, "/esc", m, ENOENT);
                EXPECT_ERR(&t, "/hostabs", m, ENOENT);
                EXPECT_ERR(&t, "/loop", m, ELOOP);
                EXPECT_ERR(&t, "/dangling", m, ENOENT);
        }
        tree_free(&t);
}

TEST(resolve_create_stays_inside)
{
        struct tree t;
        tree_make(&t);
        char hostname[64];
        snprintf(hostname, sizeof hostname, "dh-rootfs-test-%d", (int)getpid());
        for (size_t i = 0; i < DH_ARRAY_SIZE(modes); i++) {
                int m = modes[i];
                char path[128], rel[128];
                snprintf(path, sizeof path, "/etclink/%s-%zu", hostname, i);
                snprintf(rel, sizeof rel, "etc/%s-%zu", hostname, i);
                EXPECT_AT(&t, path, m | RT_RESOLVE_CREATE_DIR, rel);
                CHECK(!exists("/etc", rel + 4));
                snprintf(path, sizeof path, "/esc/made%zu", i);
                snprintf(rel, sizeof rel, "outside/made%zu", i);
                EXPECT_AT(&t, path, m | RT_RESOLVE_CREATE_DIR, rel);
                snprintf(path, sizeof path, "/hostabs/made%zu", i);
                snprintf(rel, sizeof rel, "%s/made%zu", t.outside + 1, i);
                EXPECT_AT(&t, path, m | RT_RESOLVE_CREATE_DIR, rel);
                snprintf(path, sizeof path, "/../../x%zu/../y%zu", i, i);
                snprintf(rel, sizeof rel, "y%zu", i);
                EXPECT_AT(&t, path, m | RT_RESOLVE_CREATE_DIR, rel);
                snprintf(path, sizeof path, "/new%zu/sub/file.txt", i);
                snprintf(rel, sizeof rel, "new%zu/sub/file.txt", i);
                EXPECT_AT(&t, path, m | RT_RESOLVE_CREATE_FILE, rel);
                struct stat st;
                char p[PATH_MAX];
                snprintf(p, sizeof p, "%s/%s", t.root, rel);
                CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
        }
        /* a dangling absolute link is created at its target, inside */
        EXPECT_AT(&t, "/dangling", RT_RESOLVE_CREATE_DIR, "newdir/sub");
        /* an existing directory is returned as it is even when asked for a file */
        EXPECT_AT(&t, "/a/b", RT_RESOLVE_CREATE_FILE, "a/b");
        /* nothing appeared outside the root */
        DIR *d = opendir(t.outside);
        int n = 0;
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        CHECK_INT(n, 0);
        tree_free(&t);
}

TEST(resolve_limits)
{
        struct tree t;
        tree_make(&t);
        /* 41 links in a chain: one more than the kernel's MAXSYMLINKS */
        for (int i = 0; i <= RT_RESOLVE_MAX_LINKS; i++) {
                char name[32], target[32];
                snprintf(name, sizeof name, "chain%d", i);
                snprintf(target, sizeof target, i == RT_RESOLVE_MAX_LINKS ? "a" : "chain%d", i + 1);
                ln(&t, target, name);
        }
        for (size_t i = 0; i < DH_ARRAY_SIZE(modes); i++) {
                EXPECT_ERR(&t, "/chain0", modes[i], ELOOP);
                EXPECT_AT(&t, "/chain1", modes[i], "a");
        }
        /* deeper than the walk keeps fds for */
        static char deep[PATH_MAX];
        size_t len = 0;
        for (int i = 0; i < RT_RESOLVE_MAX_DEPTH + 5; i++)
                len += (size_t)snprintf(deep + len, sizeof deep - len, "/d");
        EXPECT_ERR(&t, deep, RT_RESOLVE_NO_OPENAT2 | RT_RESOLVE_CREATE_DIR, DH_ELIMIT);
        /* longer than PATH_MAX */
        static char huge[PATH_MAX + 16];
        memset(huge, 'a', sizeof huge - 1);
        EXPECT_ERR(&t, huge, 0, ENAMETOOLONG);
        tree_free(&t);
}

/* procfs magic links are refused in both modes; ordinary procfs symlinks
 * (/proc/self) are followed. */
TEST(resolve_refuses_magic_links)
{
        struct tree t = { .rootfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC) };
        CHECK(t.rootfd >= 0);
        snprintf(t.root, sizeof t.root, "/proc");
        for (size_t i = 0; i < DH_ARRAY_SIZE(modes); i++) {
                EXPECT_AT(&t, "/self/status", modes[i], "self/status");
                EXPECT_ERR(&t, "/self/root/etc", modes[i], ELOOP);
                EXPECT_ERR(&t, "/self/cwd", modes[i], ELOOP);
        }
        close(t.rootfd);
}

TEST(resolve_parent)
{
        struct tree t;
        tree_make(&t);
        for (size_t i = 0; i < DH_ARRAY_SIZE(modes); i++) {
                int m = modes[i];
                char leaf[NAME_MAX + 1] = "";
                int dir = -1;
                struct dh_err *e = NULL;
                CHECK_INT(rt_resolve_parent(t.rootfd, "/dev/null", m | RT_RESOLVE_CREATE_DIR, &dir, leaf,
                                            sizeof leaf, &e), 0);
                CHECK(same(&t, dir, "dev"));
                CHECK_STR(leaf, "null");
                close(dir);
                CHECK_INT(rt_resolve_parent(t.rootfd, "/abs/c//", m, &dir, leaf, sizeof leaf, &e), 0);
                CHECK(same(&t, dir, "a/b"));
                CHECK_STR(leaf, "c");
                close(dir);
                CHECK_INT(rt_resolve_parent(t.rootfd, "top", m, &dir, leaf, sizeof leaf, &e), 0);
                CHECK(same(&t, dir, "."));
                CHECK_STR(leaf, "top");
                close(dir);
                static const char *const bad[] = { "/", "/a/..", "/a/.", "" };
                for (size_t j = 0; j < DH_ARRAY_SIZE(bad); j++) {
                        dir = -7;
                        CHECK_INT(rt_resolve_parent(t.rootfd, bad[j], m, &dir, leaf, sizeof leaf, &e), -EINVAL);
                        CHECK_INT(dir, -7);
                        dh_err_clear(&e);
                }
                char small[3];
                CHECK_INT(rt_resolve_parent(t.rootfd, "/a/long", m, &dir, small, sizeof small, &e),
                          -ENAMETOOLONG);
                dh_err_clear(&e);
        }
        tree_free(&t);
}

TEST(default_path_tables)
{
        static const char *const masked[] = {
                "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                "/sys/devices/virtual/powercap",
        };
        static const char *const ro[] = {
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
        };
        size_t n = 0;
        while (rt_default_masked_paths[n])
                n++;
        CHECK_INT(n, DH_ARRAY_SIZE(masked));
        for (size_t i = 0; i < n && i < DH_ARRAY_SIZE(masked); i++)
                CHECK_STR(rt_default_masked_paths[i], masked[i]);
        n = 0;
        while (rt_default_readonly_paths[n])
                n++;
        CHECK_INT(n, DH_ARRAY_SIZE(ro));
        for (size_t i = 0; i < n && i < DH_ARRAY_SIZE(ro); i++)
                CHECK_STR(rt_default_readonly_paths[i], ro[i]);
}

static void mounts_free(struct rt_container_plan *p)
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

/* The mount at dest; a failure and an empty mount when there is none. */
static const struct rt_plan_mount *find(const struct rt_container_plan *p, const char *dest)
{
        static const struct rt_plan_mount none = { .destination = (char *)"", .type = (char *)"" };
        for (size_t i = 0; i < p->mounts.n; i++)
                if (strcmp(p->mounts.v[i].destination, dest) == 0)
                        return &p->mounts.v[i];
        TEST_FAIL_("no mount at %s", dest);
        return &none;
}

TEST(default_mounts)
{
        struct rt_container_plan p = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(rt_plan_default_mounts(&p, false, NULL, &e), 0);
        static const char *const order[][2] = {
                { "/proc", "proc" },     { "/dev", "tmpfs" },       { "/dev/pts", "devpts" },
                { "/dev/shm", "tmpfs" }, { "/dev/mqueue", "mqueue" }, { "/sys", "sysfs" },
                { "/sys/fs/cgroup", "cgroup" },
        };
        CHECK_INT(p.mounts.n, DH_ARRAY_SIZE(order));
        for (size_t i = 0; i < p.mounts.n && i < DH_ARRAY_SIZE(order); i++) {
                CHECK_STR(p.mounts.v[i].destination, order[i][0]);
                CHECK_STR(p.mounts.v[i].type, order[i][1]);
                CHECK(p.mounts.v[i].mkdir_dest);
                CHECK_INT(p.mounts.v[i].propagation, 0);
                CHECK(p.mounts.v[i].flags & MS_NOSUID);
        }
        const struct rt_plan_mount *m = find(&p, "/proc");
        CHECK(m->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV) && !m->data);
        m = find(&p, "/dev");
        CHECK(m->flags == (MS_NOSUID | MS_STRICTATIME));
        CHECK_STR(m->data, "mode=755,size=65536k");
        m = find(&p, "/dev/pts");
        CHECK(m->flags == (MS_NOSUID | MS_NOEXEC));
        CHECK_STR(m->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        m = find(&p, "/dev/shm");
        CHECK(m->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
        CHECK_STR(m->data, "mode=1777,size=65536k");
        CHECK_STR(m->source, "shm");
        CHECK(find(&p, "/sys")->flags & MS_RDONLY);
        CHECK(find(&p, "/sys/fs/cgroup")->flags & MS_RDONLY);
        CHECK(!(find(&p, "/proc")->flags & MS_RDONLY));
        mounts_free(&p);
        CHECK(e == NULL);
}

TEST(default_mounts_privileged_and_shm)
{
        struct rt_container_plan p = { 0 };
        struct dh_err *e = NULL;
        /* appended after what is there */
        p.mounts.v = calloc(1, sizeof *p.mounts.v);
        p.mounts.v[0].destination = strdup("/data");
        p.mounts.n = 1;
        CHECK_INT(rt_plan_default_mounts(&p, true, "/run/deckhand/sb/shm", &e), 0);
        CHECK_INT(p.mounts.n, 8);
        CHECK_STR(p.mounts.v[0].destination, "/data");
        CHECK_STR(p.mounts.v[1].destination, "/proc");
        CHECK(!(find(&p, "/sys")->flags & MS_RDONLY));
        CHECK(!(find(&p, "/sys/fs/cgroup")->flags & MS_RDONLY));
        const struct rt_plan_mount *m = find(&p, "/dev/shm");
        CHECK_STR(m->type, "bind");
        CHECK_STR(m->source, "/run/deckhand/sb/shm");
        CHECK(m->data == NULL);
        CHECK_INT(m->flags, MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV);
        mounts_free(&p);
        CHECK(e == NULL);
}

TEST_MAIN()
