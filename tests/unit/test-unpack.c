/* Tests for cri/image/unpack.c: tar streams are built by hand here (ustar
 * headers, PAX records, GNU long names) and unpacked into a temp dir; the
 * hostile corpus checks that nothing lands outside it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cri/image/unpack.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "test.h"

#include "tarbuild.h"

/* ---- fixture: <tmp>/dest is unpacked into, <tmp>/outside must stay empty ---- */

struct fx {
        char *tmp;
        char outside[PATH_MAX];
        int dest;
        struct img_unpack_stats st;
};

static void fx_init(struct fx *f)
{
        char tmpl[] = "/tmp/dh-test-unpack-XXXXXX";
        memset(f, 0, sizeof(*f));
        if (!mkdtemp(tmpl))
                abort();
        f->tmp = strdup(tmpl);
        snprintf(f->outside, sizeof(f->outside), "%s/outside", tmpl);
        int tfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (!f->tmp || tfd < 0 || mkdirat(tfd, "dest", 0755) || mkdirat(tfd, "outside", 0755))
                abort();
        f->dest = openat(tfd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(tfd);
}

static int count_dir(const char *path)
{
        DIR *d = opendir(path);
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

/* Nothing escaped: outside/ is empty and tmp/ holds only dest/ and outside/. */
static bool fx_contained(const struct fx *f)
{
        return count_dir(f->outside) == 0 && count_dir(f->tmp) == 2;
}

static void fx_done(struct fx *f)
{
        struct dh_err *e = NULL;
        close(f->dest);
        if (dh_rm_rf_at(AT_FDCWD, f->tmp, &e) < 0) {
                fprintf(stderr, "  cleanup %s: %s\n", f->tmp, e->msg);
                dh_err_free(e);
        }
        free(f->tmp);
}

static int fx_unpack(struct fx *f, struct tb *t, const struct img_unpack_limits *lim,
                     struct dh_err **err)
{
        _cleanup_close_ int fd = tb_fd(t);
        int r = img_unpack_tar(fd, f->dest, lim, &f->st, err);
        free(t->d);
        *t = (struct tb){ 0 }; /* ready to build the next archive */
        return r;
}

static bool is_mode(int dfd, const char *p, mode_t fmt, mode_t perm)
{
        struct stat st;
        return fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == fmt &&
               (perm == (mode_t)-1 || (st.st_mode & 07777) == perm);
}

static bool has_content(int dfd, const char *p, const char *want)
{
        char buf[256] = { 0 };
        int fd = openat(dfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        return n >= 0 && strcmp(buf, want) == 0;
}

/* ---- well-formed layers ---- */

TEST(files_dirs_symlinks_hardlinks)
{
        struct fx f;
        struct tb t = { 0 };
        struct dh_err *e = NULL;
        fx_init(&f);
        tb_hdr(&t, "./", 0755, 0, '5', NULL);
        tb_hdr(&t, "./etc/", 0750, 0, '5', NULL);
        tb_file(&t, "./etc/hosts", 0640, "127.0.0.1 localhost\n");
        tb_file(&t, "usr/bin/tool", 04755, "#!/bin/sh\n"); /* parents implied */
        tb_hdr(&t, "etc/shadow-link", 0777, 0, '2', "/etc/shadow");
        tb_hdr(&t, "etc/rel-link", 0777, 0, '2', "../../../../x");
        tb_hdr(&t, "etc/hosts.hard", 0640, 0, '1', "etc/hosts");
        tb_hdr(&t, "/abs-hard", 0640, 0, '1', "/usr/bin/tool");
        tb_hdr(&t, "fifo", 0620, 0, '6', NULL);
        tb_end(&t);
        CHECK_INT(fx_unpack(&f, &t, NULL, &e), 0);
        if (e)
                fprintf(stderr, "  %s\n", e->msg);
        CHECK(is_mode(f.dest, "etc", S_IFDIR, 0750));
        CHECK(is_mode(f.dest, "etc/hosts", S_IFREG, 0640));
        CHECK(has_content(f.dest, "etc/hosts", "127.0.0.1 localhost\n"));
        CHECK(is_mode(f.dest, "usr/bin", S_IFDIR, 0755));
        CHECK(is_mode(f.dest, "usr/bin/tool", S_IFREG, 04755));
        char buf[64] = { 0 };
        CHECK_INT(readlinkat(f.dest, "etc/shadow-link", buf, sizeof(buf) - 1), 11);
        CHECK_STR(buf, "/etc/shadow");
        memset(buf, 0, sizeof(buf));
        CHECK(readlinkat(f.dest, "etc/rel-link", buf, sizeof(buf) - 1) > 0);
        CHECK_STR(buf, "../../../../x");
        struct stat a, b;
        CHECK(fstatat(f.dest, "etc/hosts", &a, 0) == 0 &&
              fstatat(f.dest, "etc/hosts.hard", &b, 0) == 0 && a.st_ino == b.st_ino);
        CHECK(fstatat(f.dest, "abs-hard", &b, 0) == 0 && b.st_nlink == 2);
        CHECK(is_mode(f.dest, "fifo", S_IFIFO, 0620));
        CHECK(fstatat(f.dest, "etc/hosts", &a, 0) == 0 && a.st_mtime == 1600000000);
        CHECK_INT(f.st.entries, 9);
        CHECK_INT(f.st.bytes, 30);
        CHECK(fx_contained(&f));
        dh_err_free(e);
        fx_done(&f);
}

TEST(long_names_pax_and_gnu)
{
        struct fx f;
        struct tb t = { 0 };
        struct dh_err *e = NULL;
        char long1[300], long2[300], longlink[300];
        fx_init(&f);
        snprintf(long1, sizeof(long1), "pax/%0150d/file", 7);
        snprintf(long2, sizeof(long2), "gnu/%0150d/file", 8);
        snprintf(longlink, sizeof(longlink), "/target/%0200d", 9);
        tb_pax1(&t, "path", long1, strlen(long1));
        tb_file(&t, "truncated-name-ignored", 0600, "pax");
        tb_meta(&t, 'L', long2, strlen(long2) + 1);
        tb_file(&t, "also-ignored", 0600, "gnu");
        tb_meta(&t, 'K', longlink, strlen(longlink) + 1);
        tb_hdr(&t, "gnu-link", 0777, 0, '2', "short");
        tb_pax1(&t, "linkpath", longlink, strlen(longlink));
        tb_hdr(&t, "pax-link", 0777, 0, '2', "short");
        /* ustar prefix field: prefix "pre/fix" + name "name" */
        tb_hdr(&t, "name", 0644, 0, '0', NULL);
        memcpy(t.d + t.len - 512 + 345, "pre/fix", 7);
        {
                unsigned char *h = t.d + t.len - 512;
                memset(h + 148, ' ', 8);
                unsigned sum = 0;
                for (int i = 0; i < 512; i++)
                        sum += h[i];
                snprintf((char *)h + 148, 8, "%06o", sum);
        }
        tb_end(&t);
        CHECK_INT(fx_unpack(&f, &t, NULL, &e), 0);
        if (e)
                fprintf(stderr, "  %s\n", e->msg);
        CHECK(has_content(f.dest, long1, "pax"));
        CHECK(has_content(f.dest, long2, "gnu"));
        CHECK(faccessat(f.dest, "truncated-name-ignored", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        char buf[400] = { 0 };
        CHECK(readlinkat(f.dest, "gnu-link", buf, sizeof(buf) - 1) > 0);
        CHECK_STR(buf, longlink);
        memset(buf, 0, sizeof(buf));
        CHECK(readlinkat(f.dest, "pax-link", buf, sizeof(buf) - 1) > 0);
        CHECK_STR(buf, longlink);
        CHECK(is_mode(f.dest, "pre/fix/name", S_IFREG, 0644));
        CHECK_INT(f.st.entries, 5);
        CHECK(fx_contained(&f));
        dh_err_free(e);
        fx_done(&f);
}

TEST(pax_numbers_and_xattrs)
{
        struct fx f;
        struct tb t = { 0 };
        struct dh_err *e = NULL;
        fx_init(&f);
        struct tb rec = { 0 };
        pax_rec(&rec, "mtime", "1700000000.5", 12);
        pax_rec(&rec, "uid", "1234", 4);
        pax_rec(&rec, "gid", "5678", 4);
        pax_rec(&rec, "SCHILY.xattr.user.test", "v\0x", 3);
        pax_rec(&rec, "SCHILY.xattr.security.selinux", "evil_t", 6);
        pax_rec(&rec, "SCHILY.xattr.trusted.overlay.redirect", "/x", 2);
        pax_rec(&rec, "comment", "ignored", 7);
        tb_meta(&t, 'x', rec.d, rec.len);
        free(rec.d);
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        CHECK_INT(fx_unpack(&f, &t, NULL, &e), 0);
        struct stat st;
        CHECK(fstatat(f.dest, "f", &st, 0) == 0);
        CHECK_INT(st.st_mtim.tv_sec, 1700000000);
        CHECK_INT(st.st_mtim.tv_nsec, 500000000);
        if (geteuid() == 0) {
                CHECK_INT(st.st_uid, 1234);
                CHECK_INT(st.st_gid, 5678);
        }
        _cleanup_close_ int fd = openat(f.dest, "f", O_RDONLY | O_CLOEXEC);
        char v[8] = { 0 };
        ssize_t n = fgetxattr(fd, "user.test", v, sizeof(v));
        if (n < 0 && errno == ENOTSUP)
                fprintf(stderr, "  note: user xattrs unsupported on /tmp, not checked\n");
        else
                CHECK(n == 3 && memcmp(v, "v\0x", 3) == 0);
        CHECK(fgetxattr(fd, "security.selinux", v, sizeof(v)) < 0 ||
              memcmp(v, "evil_t", 6) != 0);
        /* overlay steering xattrs never come from the archive */
        CHECK(fgetxattr(fd, "trusted.overlay.redirect", v, sizeof(v)) < 0);
        dh_err_free(e);
        fx_done(&f);
}

TEST(large_file_through_pipe)
{
        struct fx f;
        struct tb t = { 0 };
        struct dh_err *e = NULL;
        fx_init(&f);
        size_t n = 300000; /* several 64 KiB buffers, not block aligned */
        char *big = malloc(n);
        for (size_t i = 0; i < n; i++)
                big[i] = (char)(i * 7);
        tb_hdr(&t, "big", 0644, n, '0', NULL);
        tb_put(&t, big, n);
        tb_pad(&t);
        tb_end(&t);
        int p[2];
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                _exit(write(p[1], t.d, t.len) == (ssize_t)t.len ? 0 : 1);
        }
        close(p[1]);
        CHECK_INT(img_unpack_tar(p[0], f.dest, NULL, &f.st, &e), 0);
        close(p[0]);
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
        CHECK_INT(f.st.bytes, n);
        _cleanup_close_ int fd = openat(f.dest, "big", O_RDONLY | O_CLOEXEC);
        char *got = malloc(n + 1);
        CHECK(fd >= 0 && read(fd, got, n + 1) == (ssize_t)n && memcmp(got, big, n) == 0);
        free(got);
        free(big);
        free(t.d);
        dh_err_free(e);
        fx_done(&f);
}

TEST(whiteouts_and_devices)
{
        struct fx f;
        struct tb t = { 0 };
        struct dh_err *e = NULL;
        fx_init(&f);
        tb_file(&t, "dir/gone", 0644, "x");
        tb_hdr(&t, "dir/.wh.gone", 0644, 0, '0', NULL);
        tb_hdr(&t, "dir/.wh.lower", 0644, 0, '0', NULL);
        tb_hdr(&t, "opq/", 0755, 0, '5', NULL);
        tb_hdr(&t, "opq/.wh..wh..opq", 0644, 0, '0', NULL);
        tb_hdr_full(&t, "dev/null", 0666, 0, '3', NULL, 1, 3);
        tb_end(&t);
        int r = fx_unpack(&f, &t, NULL, &e);
        if (geteuid() != 0) {
                fprintf(stderr, "  SKIP whiteout/opaque/device checks: need root (trusted.* xattr)\n");
                CHECK(r < 0 && e);
                dh_err_free(e);
                fx_done(&f);
                return;
        }
        CHECK_INT(r, 0);
        if (e)
                fprintf(stderr, "  %s\n", e->msg);
        struct stat st;
        CHECK(fstatat(f.dest, "dir/gone", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
        CHECK(is_mode(f.dest, "dir/lower", S_IFCHR, (mode_t)-1));
        CHECK(faccessat(f.dest, "dir/.wh.gone", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        CHECK(faccessat(f.dest, "opq/.wh..wh..opq", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        _cleanup_close_ int fd = openat(f.dest, "opq", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char v[4] = { 0 };
        CHECK(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
        CHECK(fstatat(f.dest, "dev/null", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) && (st.st_mode & 0777) == 0666);
        CHECK_INT(f.st.whiteouts, 3);
        CHECK_INT(f.st.skipped_devices, 0);
        CHECK(fx_contained(&f));
        dh_err_free(e);
        fx_done(&f);
}

TEST(devices_skipped_when_not_root)
{
        struct fx f;
        struct tb t = { 0 };
        fx_init(&f);
        tb_hdr_full(&t, "null", 0666, 0, '3', NULL, 1, 3);
        tb_hdr_full(&t, "sda", 0660, 0, '4', NULL, 8, 0);
        tb_file(&t, "f", 0644, "ok");
        tb_end(&t);
        struct dh_err *e = NULL;
        if (geteuid() != 0) {
                CHECK_INT(fx_unpack(&f, &t, NULL, &e), 0);
                CHECK_INT(f.st.skipped_devices, 2);
                dh_err_free(e);
        } else {
                /* Drop to nobody in a child so the test process stays root. */
                CHECK(fchmod(f.dest, 0777) == 0);
                pid_t pid = fork();
                if (pid == 0) {
                        if (setgid(65534) < 0 || setuid(65534) < 0)
                                _exit(2);
                        int r = fx_unpack(&f, &t, NULL, &e);
                        _exit(r == 0 && f.st.skipped_devices == 2 && f.st.entries == 3 ? 0 : 1);
                }
                int status;
                CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
                CHECK_INT(WEXITSTATUS(status), 0);
                free(t.d);
        }
        CHECK(faccessat(f.dest, "null", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        CHECK(faccessat(f.dest, "sda", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        CHECK(has_content(f.dest, "f", "ok"));
        fx_done(&f);
}

/* ---- hostile corpus ---- */

/* Unpacks t expecting failure whose message contains want (and code, when
 * non-zero), and checks nothing escaped the destination. */
/* Unpacks t into f expecting failure whose message contains want (and
 * code, when non-zero), and checks nothing escaped the destination. */
static void expect_refused_in(struct fx *f, struct tb *t, const struct img_unpack_limits *lim,
                              int code, const char *want)
{
        struct dh_err *e = NULL;
        CHECK(fx_unpack(f, t, lim, &e) < 0);
        CHECK(e != NULL);
        if (e) {
                CHECK_CONTAINS(e->msg, want);
                if (code)
                        CHECK_INT(e->code, code);
                if (getenv("TEST_VERBOSE"))
                        fprintf(stderr, "  refused: %s\n", e->msg);
        }
        CHECK(fx_contained(f));
        dh_err_free(e);
}

static void expect_refused(struct tb *t, const struct img_unpack_limits *lim, int code,
                           const char *want)
{
        struct fx f;
        fx_init(&f);
        expect_refused_in(&f, t, lim, code, want);
        fx_done(&f);
}

TEST(hostile_dotdot)
{
        struct tb t = { 0 };
        tb_file(&t, "../evil", 0644, "x");
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "\"../evil\": \"..\" path component");
        tb_file(&t, "a/../../evil", 0644, "x");
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "a/../../evil");
        tb_pax1(&t, "path", "ok/../../../evil", 16);
        tb_file(&t, "ok", 0644, "x");
        tb_end(&t);
        expect_refused(&t, NULL, 0, "..");
        tb_file(&t, "a//b", 0644, "x");
        tb_end(&t);
        expect_refused(&t, NULL, 0, "empty path component");
        tb_hdr(&t, "..", 0755, 0, '5', NULL);
        tb_end(&t);
        expect_refused(&t, NULL, 0, "..");
}

TEST(hostile_absolute_lands_inside)
{
        struct fx f;
        struct tb t = { 0 };
        struct dh_err *e = NULL;
        fx_init(&f);
        tb_file(&t, "/etc/evil", 0644, "x");
        tb_file(&t, "///etc//", 0644, "x"); /* empty component after stripping */
        tb_end(&t);
        CHECK(fx_unpack(&f, &t, NULL, &e) < 0);
        CHECK(has_content(f.dest, "etc/evil", "x"));
        CHECK(fx_contained(&f));
        dh_err_free(e);
        fx_done(&f);
}

TEST(hostile_symlink_parent)
{
        const char *kinds = "0521W"; /* file, dir, symlink, hard link, whiteout */
        for (const char *k = kinds; *k; k++) {
                struct fx f;
                struct tb t = { 0 };
                fx_init(&f);
                tb_file(&t, "real", 0644, "x");
                tb_hdr(&t, "link", 0777, 0, '2', f.outside);
                if (*k == '0')
                        tb_file(&t, "link/pwned", 0644, "x");
                else if (*k == 'W')
                        tb_hdr(&t, "link/.wh.x", 0644, 0, '0', NULL);
                else if (*k == '1')
                        tb_hdr(&t, "link/hard", 0644, 0, '1', "real");
                else
                        tb_hdr(&t, "link/sub", 0755, 0, *k, "x");
                tb_end(&t);
                expect_refused_in(&f, &t, NULL, ENOTDIR, "\"link/");
                tb_hdr(&t, "d", 0777, 0, '2', "..");
                if (*k == '0')
                        tb_file(&t, "d/escape", 0644, "x");
                else
                        tb_hdr(&t, "d/escape", 0755, 0, *k == 'W' ? '0' : *k,
                               *k == '1' ? "real" : "x");
                tb_end(&t);
                expect_refused_in(&f, &t, NULL, ENOTDIR, "\"d/escape\"");
                fx_done(&f);
        }
}

TEST(hostile_existing_symlink_replaced_not_followed)
{
        struct fx f;
        struct tb t = { 0 };
        struct dh_err *e = NULL;
        char target[PATH_MAX + 8];
        fx_init(&f);
        snprintf(target, sizeof(target), "%s/target", f.outside);
        tb_hdr(&t, "f", 0777, 0, '2', target);
        tb_file(&t, "f", 0644, "inside");
        tb_hdr(&t, "dl", 0777, 0, '2', f.outside);
        tb_hdr(&t, "dl", 0700, 0, '5', NULL); /* chmod must not hit outside/ */
        tb_end(&t);
        CHECK_INT(fx_unpack(&f, &t, NULL, &e), 0);
        CHECK(has_content(f.dest, "f", "inside"));
        CHECK(is_mode(f.dest, "dl", S_IFDIR, 0700));
        CHECK(fx_contained(&f));
        struct stat st;
        CHECK(stat(f.outside, &st) == 0 && (st.st_mode & 07777) == 0755);
        dh_err_free(e);
        fx_done(&f);
}

TEST(hostile_hardlinks)
{
        struct tb t = { 0 };
        tb_hdr(&t, "passwd", 0644, 0, '1', "/etc/passwd"); /* etc/passwd: not in the layer */
        tb_end(&t);
        expect_refused(&t, NULL, ENOENT, "hard link target \"/etc/passwd\"");
        tb_hdr(&t, "out", 0644, 0, '1', "../outside");
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "\"..\" path component");
        tb_hdr(&t, "missing", 0644, 0, '1', "nope");
        tb_end(&t);
        expect_refused(&t, NULL, ENOENT, "nope");
        tb_hdr(&t, "l", 0777, 0, '2', "/");
        tb_hdr(&t, "via", 0644, 0, '1', "l/etc/passwd");
        tb_end(&t);
        expect_refused(&t, NULL, 0, "l/etc/passwd");
        tb_hdr(&t, "root", 0644, 0, '1', "./");
        tb_end(&t);
        expect_refused(&t, NULL, 0, "layer root");
}

TEST(hostile_malformed)
{
        struct tb t = { 0 };
        tb_file(&t, "f", 0644, "x");
        t.d[0] ^= 1; /* name changes, checksum no longer matches */
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "checksum");
        tb_file(&t, "f", 0644, "0123456789");
        t.len -= 512 - 5; /* data cut short */
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "truncated");
        tb_file(&t, "f", 0644, "x");
        tb_put(&t, "partial", 7); /* header cut short */
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "truncated");
        tb_file(&t, "f", 0644, "x"); /* no end-of-archive marker */
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "truncated");
        tb_hdr(&t, "f", 0644, 0, 'S', NULL);
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "unsupported entry type");
        tb_meta(&t, 'x', "5 a=b\n", 6);
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "malformed PAX record");
        tb_meta(&t, 'x', "99999999999999999999 a=b\n", 25);
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "malformed PAX record");
        for (int i = 0; i < 20; i++)
                tb_pax1(&t, "comment", "x", 1);
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "metadata headers in a row");
        tb_hdr(&t, ".wh...", 0644, 0, '0', NULL);
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "bad whiteout name");
}

TEST(hostile_nul_in_pax_name)
{
        struct tb t = { 0 };
        tb_pax1(&t, "path", "ok\0/../../evil", 14);
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "NUL");
        tb_pax1(&t, "linkpath", "a\0b", 3);
        tb_hdr(&t, "l", 0777, 0, '2', "x");
        tb_end(&t);
        expect_refused(&t, NULL, DH_EINVAL_INPUT, "NUL");
}

TEST(hostile_limits)
{
        struct img_unpack_limits lim;
        struct tb t = { 0 };
        img_unpack_limits_default(&lim);
        lim.max_entries = 2;
        for (int i = 0; i < 3; i++)
                tb_file(&t, i == 0 ? "a" : i == 1 ? "b" : "c", 0644, "x");
        tb_end(&t);
        expect_refused(&t, &lim, DH_ELIMIT, "max_entries");

        img_unpack_limits_default(&lim);
        lim.max_total_bytes = 100;
        tb_file(&t, "a", 0644, "0123456789012345678901234567890123456789012345678901234567890");
        tb_file(&t, "b", 0644, "0123456789012345678901234567890123456789012345678901234567890");
        tb_end(&t);
        expect_refused(&t, &lim, DH_ELIMIT, "max_total_bytes");

        img_unpack_limits_default(&lim);
        lim.max_file_size = 4;
        tb_file(&t, "big", 0644, "12345");
        tb_end(&t);
        expect_refused(&t, &lim, DH_ELIMIT, "max_file_size");

        /* A header claiming a huge size: refused before reading, not truncated. */
        img_unpack_limits_default(&lim);
        lim.max_total_bytes = 1 << 20;
        tb_hdr(&t, "huge", 0644, (size_t)1 << 30, '0', NULL);
        tb_end(&t);
        expect_refused(&t, &lim, DH_ELIMIT, "max_total_bytes");

        img_unpack_limits_default(&lim);
        lim.max_path = 50;
        char name[80];
        snprintf(name, sizeof(name), "%060d", 1);
        tb_file(&t, name, 0644, "x");
        tb_end(&t);
        expect_refused(&t, &lim, DH_ELIMIT, "max_path");
        tb_pax1(&t, "path", name, strlen(name));
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        expect_refused(&t, &lim, DH_ELIMIT, "max_path");
        tb_meta(&t, 'L', name, strlen(name) + 1);
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        expect_refused(&t, &lim, DH_ELIMIT, "max_path");

        struct tb rec = { 0 }; /* PAX header past IMG_UNPACK_PAX_MAX */
        char *blob = calloc(1, IMG_UNPACK_PAX_MAX);
        memset(blob, 'a', IMG_UNPACK_PAX_MAX - 1);
        pax_rec(&rec, "comment", blob, IMG_UNPACK_PAX_MAX - 1);
        tb_meta(&t, 'x', rec.d, rec.len);
        tb_end(&t);
        free(rec.d);
        free(blob);
        expect_refused(&t, NULL, DH_ELIMIT, "PAX");
}

TEST(hostile_deep_path)
{
        /* 129 one-letter components fit max_path but not the depth limit,
         * which keeps every unpacked tree removable by dh_rm_rf_at(). */
        char deep[2 * IMG_UNPACK_DEPTH_MAX + 8];
        size_t o = 0;
        for (int i = 0; i <= IMG_UNPACK_DEPTH_MAX; i++) {
                deep[o++] = 'd';
                deep[o++] = '/';
        }
        deep[o - 1] = '\0';
        struct tb t = { 0 };
        tb_pax1(&t, "path", deep, strlen(deep));
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        expect_refused(&t, NULL, DH_ELIMIT, "deeper than");
        deep[o - 3] = '\0'; /* exactly IMG_UNPACK_DEPTH_MAX components */
        struct fx f;
        struct dh_err *e = NULL;
        fx_init(&f);
        tb_pax1(&t, "path", deep, strlen(deep));
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        CHECK_INT(fx_unpack(&f, &t, NULL, &e), 0);
        CHECK(has_content(f.dest, deep, "x"));
        dh_err_free(e);
        fx_done(&f);
}

TEST_MAIN()
