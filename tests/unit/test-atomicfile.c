/* Tests for lib/atomicfile.c: atomic replace, mkdir -p, and rm -rf that
 * never follows symlinks nor crosses mounts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "test.h"

static char *path_join(const char *a, const char *b)
{
        char *p = NULL;
        if (asprintf(&p, "%s/%s", a, b) < 0)
                return NULL;
        return p;
}

static int count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static void write_plain(const char *path, const char *s)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        CHECK_INT(write(fd, s, strlen(s)), (long long)strlen(s));
        close(fd);
}

static char *slurp(const char *path)
{
        char *data = NULL;
        if (dh_read_file(path, 1 << 20, &data, NULL, NULL) < 0)
                return NULL;
        return data;
}

TEST(write_atomic_content_and_exact_mode)
{
        char *dir = test_mkdtemp("atomic");
        CHECK(dir != NULL);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dh_err *e = NULL;
        mode_t old = umask(077);
        CHECK_INT(dh_write_file_atomic(dfd, "state.json", "{\"a\":1}", 7, 0644, &e), 0);
        umask(old);
        _cleanup_free_ char *p = path_join(dir, "state.json");
        _cleanup_free_ char *got = slurp(p);
        CHECK_STR(got, "{\"a\":1}");
        struct stat st;
        CHECK_INT(stat(p, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0644); /* not narrowed by the umask */
        /* Replacing keeps exactly the new content, shorter than before. */
        CHECK_INT(dh_write_file_atomic(dfd, "state.json", "{}", 2, 0600, &e), 0);
        free(got);
        got = slurp(p);
        CHECK_STR(got, "{}");
        CHECK_INT(stat(p, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0600);
        CHECK_INT(count_entries(dir), 1); /* no temp file left behind */
        CHECK(e == NULL);
        dh_err_free(e);
        test_rmtree(dir);
}

TEST(write_atomic_empty_and_large)
{
        char *dir = test_mkdtemp("atomic");
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dh_err *e = NULL;
        CHECK_INT(dh_write_file_atomic(dfd, "empty", "", 0, 0600, &e), 0);
        size_t n = 3u << 20;
        char *big = malloc(n);
        for (size_t i = 0; i < n; i++)
                big[i] = (char)('a' + i % 26);
        CHECK_INT(dh_write_file_atomic(dfd, "big", big, n, 0600, &e), 0);
        _cleanup_free_ char *p = path_join(dir, "big");
        char *data = NULL;
        size_t len = 0;
        CHECK_INT(dh_read_file(p, 8u << 20, &data, &len, &e), 0);
        CHECK_INT(len, n);
        CHECK(data && memcmp(data, big, n) == 0);
        free(data);
        free(big);
        CHECK_INT(count_entries(dir), 2);
        dh_err_free(e);
        test_rmtree(dir);
}

TEST(write_atomic_replaces_symlink_without_following)
{
        char *dir = test_mkdtemp("atomic");
        char *outside = test_mkdtemp("atomic");
        _cleanup_free_ char *victim = path_join(outside, "victim");
        write_plain(victim, "precious");
        _cleanup_free_ char *link = path_join(dir, "target");
        CHECK_INT(symlink(victim, link), 0);
        struct dh_err *e = NULL;
        CHECK_INT(dh_write_file_atomic_path(link, "new", 3, 0600, &e), 0);
        struct stat st;
        CHECK_INT(lstat(link, &st), 0);
        CHECK(S_ISREG(st.st_mode));
        _cleanup_free_ char *a = slurp(link);
        _cleanup_free_ char *b = slurp(victim);
        CHECK_STR(a, "new");
        CHECK_STR(b, "precious");
        dh_err_free(e);
        test_rmtree(dir);
        test_rmtree(outside);
}

TEST(write_atomic_failure_cleans_up_and_names_file)
{
        char *dir = test_mkdtemp("atomic");
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* A non-empty directory at the target makes the rename fail. */
        CHECK_INT(mkdirat(dfd, "busy", 0755), 0);
        CHECK_INT(mkdirat(dfd, "busy/x", 0755), 0);
        struct dh_err *e = NULL;
        CHECK(dh_write_file_atomic(dfd, "busy", "x", 1, 0600, &e) < 0);
        CHECK(e != NULL);
        if (e)
                CHECK_CONTAINS(e->msg, "busy: rename into place");
        dh_err_clear(&e);
        CHECK_INT(count_entries(dir), 1); /* only "busy", no temp file */
        CHECK(dh_write_file_atomic(dfd, "a/b", "x", 1, 0600, &e) < 0);
        CHECK_INT(e ? e->code : 0, EINVAL);
        dh_err_clear(&e);
        CHECK(dh_write_file_atomic(dfd, "..", "x", 1, 0600, &e) < 0);
        dh_err_clear(&e);
        _cleanup_free_ char *missing = path_join(dir, "nodir/file");
        CHECK(dh_write_file_atomic_path(missing, "x", 1, 0600, &e) < 0);
        if (e)
                CHECK_CONTAINS(e->msg, "nodir/file: open directory");
        dh_err_free(e);
        test_rmtree(dir);
}

TEST(mkdir_p_creates_parents)
{
        char *dir = test_mkdtemp("atomic");
        _cleanup_free_ char *deep = path_join(dir, "a/b//c/");
        struct dh_err *e = NULL;
        CHECK_INT(dh_mkdir_p(deep, 0755, &e), 0);
        CHECK_INT(dh_mkdir_p(deep, 0755, &e), 0); /* existing is fine */
        _cleanup_free_ char *c = path_join(dir, "a/b/c");
        struct stat st;
        CHECK_INT(stat(c, &st), 0);
        CHECK(S_ISDIR(st.st_mode));
        _cleanup_free_ char *file = path_join(dir, "a/f");
        write_plain(file, "x");
        _cleanup_free_ char *under = path_join(dir, "a/f/g");
        CHECK(dh_mkdir_p(under, 0755, &e) < 0);
        CHECK_INT(e ? e->code : 0, ENOTDIR);
        if (e)
                CHECK_CONTAINS(e->msg, "a/f");
        dh_err_clear(&e);
        CHECK(dh_mkdir_p("", 0755, &e) < 0);
        dh_err_free(e);
        test_rmtree(dir);
}

TEST(rm_rf_nested_and_missing)
{
        char *dir = test_mkdtemp("atomic");
        _cleanup_free_ char *deep = path_join(dir, "t/a/b/c");
        struct dh_err *e = NULL;
        CHECK_INT(dh_mkdir_p(deep, 0755, &e), 0);
        _cleanup_free_ char *f1 = path_join(dir, "t/a/b/c/f");
        _cleanup_free_ char *f2 = path_join(dir, "t/a/g");
        write_plain(f1, "1");
        write_plain(f2, "2");
        _cleanup_free_ char *fifo = path_join(dir, "t/fifo");
        CHECK_INT(mkfifo(fifo, 0600), 0);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK_INT(dh_rm_rf_at(dfd, "t", &e), 0);
        CHECK_INT(count_entries(dir), 0);
        CHECK_INT(dh_rm_rf_at(dfd, "t", &e), 0); /* already gone */
        CHECK(dh_rm_rf_at(dfd, "..", &e) < 0);
        dh_err_clear(&e);
        CHECK(dh_rm_rf_at(dfd, "x/.", &e) < 0);
        dh_err_free(e);
        test_rmtree(dir);
}

TEST(rm_rf_does_not_follow_symlinks)
{
        char *dir = test_mkdtemp("atomic");
        char *outside = test_mkdtemp("atomic");
        _cleanup_free_ char *odir = path_join(outside, "keep");
        _cleanup_free_ char *ofile = path_join(outside, "keep/file");
        _cleanup_free_ char *ofile2 = path_join(outside, "file2");
        CHECK_INT(mkdir(odir, 0755), 0);
        write_plain(ofile, "keep me");
        write_plain(ofile2, "keep me too");
        _cleanup_free_ char *t = path_join(dir, "t/sub");
        struct dh_err *e = NULL;
        CHECK_INT(dh_mkdir_p(t, 0755, &e), 0);
        _cleanup_free_ char *l1 = path_join(dir, "t/sub/to-dir");
        _cleanup_free_ char *l2 = path_join(dir, "t/to-file");
        _cleanup_free_ char *l3 = path_join(dir, "t/dangling");
        CHECK_INT(symlink(odir, l1), 0);
        CHECK_INT(symlink(ofile2, l2), 0);
        CHECK_INT(symlink("/nonexistent/x", l3), 0);
        /* The top itself a symlink to a directory: only the link goes. */
        _cleanup_free_ char *top = path_join(dir, "toplink");
        CHECK_INT(symlink(odir, top), 0);
        CHECK_INT(dh_rm_rf_at(AT_FDCWD, top, &e), 0);
        _cleanup_free_ char *tt = path_join(dir, "t");
        CHECK_INT(dh_rm_rf_at(AT_FDCWD, tt, &e), 0);
        CHECK(e == NULL);
        CHECK_INT(count_entries(dir), 0);
        _cleanup_free_ char *a = slurp(ofile);
        _cleanup_free_ char *b = slurp(ofile2);
        CHECK_STR(a, "keep me");
        CHECK_STR(b, "keep me too");
        dh_err_free(e);
        test_rmtree(dir);
        test_rmtree(outside);
}

TEST(rm_rf_depth_is_bounded)
{
        char *dir = test_mkdtemp("atomic");
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int i = 0; i < DH_RM_RF_MAX_DEPTH + 10 && fd >= 0; i++) {
                CHECK_INT(mkdirat(fd, "d", 0755), 0);
                int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(fd);
                fd = next;
        }
        if (fd >= 0)
                close(fd);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dh_err *e = NULL;
        CHECK(dh_rm_rf_at(dfd, "d", &e) < 0);
        CHECK_INT(e ? e->code : 0, DH_ELIMIT);
        if (e)
                CHECK_CONTAINS(e->msg, "nested deeper than 256");
        dh_err_free(e);
        /* Clean up from the bottom with plain rmdir: the tree is too deep
         * for rm_rf by design. */
        int n = DH_RM_RF_MAX_DEPTH + 10;
        char rel[4096];
        size_t len = 2 * (size_t)n - 1;
        for (int i = 0; i < n; i++) {
                rel[2 * i] = 'd';
                rel[2 * i + 1] = '/';
        }
        rel[len] = '\0';
        for (int i = n; i > 0; i--) {
                CHECK_INT(unlinkat(dfd, rel, AT_REMOVEDIR), 0);
                if (i > 1) {
                        len -= 2;
                        rel[len] = '\0';
                }
        }
        test_rmtree(dir);
}

/* Mounts a tmpfs (or, with bind set, a bind mount of a directory on the
 * same file system) inside a tree; rm_rf must refuse to cross it. */
static void check_mount_refused(bool bind)
{
        if (geteuid() != 0) {
                fprintf(stderr, "  SKIP: mount test needs root (euid %u)\n", geteuid());
                return;
        }
        char *dir = test_mkdtemp("atomic");
        struct dh_err *e = NULL;
        _cleanup_free_ char *mnt = path_join(dir, "t/a/mnt");
        _cleanup_free_ char *src = path_join(dir, "src");
        _cleanup_free_ char *sib = path_join(dir, "t/a/sibling");
        CHECK_INT(dh_mkdir_p(mnt, 0755, &e), 0);
        CHECK_INT(dh_mkdir_p(src, 0755, &e), 0);
        write_plain(sib, "x");
        int r = bind ? mount(src, mnt, NULL, MS_BIND, NULL)
                     : mount("dh-test", mnt, "tmpfs", 0, "size=1m");
        if (r < 0) {
                fprintf(stderr, "  SKIP: mount %s: %s\n", mnt, strerror(errno));
                test_rmtree(dir);
                test_failures_in_case++; /* root but no mount: unexpected */
                return;
        }
        _cleanup_free_ char *inner = path_join(mnt, "host-file");
        write_plain(inner, "on the mount");
        _cleanup_free_ char *tree = path_join(dir, "t");
        CHECK(dh_rm_rf_at(AT_FDCWD, tree, &e) < 0);
        CHECK_INT(e ? e->code : 0, EXDEV);
        if (e)
                CHECK_CONTAINS(e->msg, "t/a/mnt: is a mount point");
        dh_err_clear(&e);
        _cleanup_free_ char *got = slurp(inner);
        CHECK_STR(got, "on the mount");
        CHECK(access(sib, F_OK) < 0); /* the rest was still removed */
        CHECK_INT(umount2(mnt, MNT_DETACH), 0);
        CHECK_INT(dh_rm_rf_at(AT_FDCWD, tree, &e), 0);
        CHECK(access(tree, F_OK) < 0);
        if (bind) {
                _cleanup_free_ char *src_file = path_join(src, "host-file");
                _cleanup_free_ char *s = slurp(src_file);
                CHECK_STR(s, "on the mount");
        }
        dh_err_free(e);
        test_rmtree(dir);
}

TEST(rm_rf_refuses_to_cross_tmpfs_mount)
{
        check_mount_refused(false);
}

TEST(rm_rf_refuses_to_cross_bind_mount_same_fs)
{
        check_mount_refused(true);
}

TEST_MAIN()
