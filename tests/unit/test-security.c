/* Container process security, the pure parts: capability arithmetic and
 * names, signal names, /etc/passwd and /etc/group resolution on crafted
 * files, and seccomp filter building (RuntimeDefault contents, Localhost
 * profile errors) without loading anything. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/builtin/plan.h"
#include "cri/builtin/security.h"
#include "lib/cleanup.h"
#include "test.h"

#define DEFAULT_CAPS UINT64_C(0x00000000a80425fb)
#define ALL_CAPS UINT64_C(0x000001ffffffffff)
#define BIT(c) (UINT64_C(1) << (c))

/* ---- temp dirs ---- */

static char *tmp_dir(void)
{
        char tmpl[] = "/tmp/dh-test-security-XXXXXX";
        char *d = mkdtemp(tmpl);
        if (!d) {
                TEST_FAIL_("mkdtemp: %s", strerror(errno));
                return NULL;
        }
        return strdup(d);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
        (void)st, (void)flag, (void)f;
        return remove(p);
}

static void tmp_free(char *root)
{
        if (root)
                nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}

static void put(const char *root, const char *rel, const char *content, size_t len)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/etc", root);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/%s", root, rel);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, content, len) != (ssize_t)len)
                TEST_FAIL_("write %s: %s", p, strerror(errno));
        if (fd >= 0)
                close(fd);
}

static void puts_file(const char *root, const char *rel, const char *content)
{
        put(root, rel, content, strlen(content));
}

static int open_root(const char *root)
{
        return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* ---- capabilities ---- */

TEST(default_caps_are_containerds_fourteen)
{
        CHECK_INT(rt_default_caps(), DEFAULT_CAPS);
        CHECK_INT(__builtin_popcountll(rt_default_caps()), 14);
}

TEST(capability_names)
{
        CHECK_INT(rt_cap_from_name("CAP_NET_ADMIN"), 12);
        CHECK_INT(rt_cap_from_name("net_admin"), 12);
        CHECK_INT(rt_cap_from_name("Cap_Sys_Admin"), 21);
        CHECK_INT(rt_cap_from_name("CHECKPOINT_RESTORE"), 40);
        CHECK_INT(rt_cap_from_name("ALL"), -1);
        CHECK_INT(rt_cap_from_name(""), -1);
        CHECK_INT(rt_cap_from_name("CAP_"), -1);
        CHECK_INT(rt_cap_from_name("CAP_CAP_CHOWN"), -1);
        CHECK_INT(rt_cap_from_name("NET_ADMINX"), -1);
        CHECK_INT(rt_cap_from_name(NULL), -1);
        CHECK_STR(rt_cap_name(0), "CAP_CHOWN");
        CHECK_STR(rt_cap_name(RT_CAP_LAST), "CAP_CHECKPOINT_RESTORE");
        CHECK(rt_cap_name(RT_CAP_LAST + 1) == NULL);
        CHECK(rt_cap_name(-1) == NULL);
        for (int c = 0; c <= RT_CAP_LAST; c++)
                CHECK_INT(rt_cap_from_name(rt_cap_name(c)), c);
}

struct caps_case {
        const char *add[4], *drop[4];
        bool privileged;
        uint64_t want;
};

static struct dh_strv strv_of(const char *const *a)
{
        size_t n = 0;
        while (n < 4 && a[n])
                n++;
        return (struct dh_strv){ .v = (char **)a, .n = n };
}

TEST(caps_compute_follows_containerd)
{
        static const struct caps_case cases[] = {
                { { 0 }, { 0 }, false, DEFAULT_CAPS },
                { { "NET_ADMIN" }, { 0 }, false, DEFAULT_CAPS | BIT(12) },
                { { "cap_sys_time", "Kill" }, { 0 }, false, DEFAULT_CAPS | BIT(25) },
                { { 0 }, { "CHOWN" }, false, DEFAULT_CAPS & ~BIT(0) },
                { { "ALL" }, { 0 }, false, ALL_CAPS },
                { { "all" }, { "CHOWN" }, false, ALL_CAPS & ~BIT(0) },
                { { 0 }, { "ALL" }, false, 0 },
                { { "NET_BIND_SERVICE" }, { "all" }, false, BIT(10) },
                { { "ALL" }, { "ALL" }, false, 0 },
                { { "SYS_ADMIN" }, { "SYS_ADMIN" }, false, DEFAULT_CAPS },
                { { "CAP_SYS_ADMIN" }, { "cap_chown", "MKNOD" }, false,
                  (DEFAULT_CAPS | BIT(21)) & ~BIT(0) & ~BIT(27) },
                { { "BOGUS" }, { "ALL" }, true, ALL_CAPS }, /* privileged ignores add/drop */
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                struct dh_strv add = strv_of(cases[i].add), drop = strv_of(cases[i].drop);
                struct dh_err *e = NULL;
                uint64_t got = rt_caps_compute(DEFAULT_CAPS, &add, &drop, cases[i].privileged, &e);
                if (got != cases[i].want || e)
                        TEST_FAIL_("case %zu: got %#llx want %#llx (%s)", i, (unsigned long long)got,
                                   (unsigned long long)cases[i].want, e ? e->msg : "no error");
                dh_err_free(e);
        }
        CHECK_INT(rt_caps_compute(DEFAULT_CAPS, NULL, NULL, false, NULL), DEFAULT_CAPS);
}

TEST(caps_compute_names_unknown_capabilities)
{
        const char *add[] = { "NET_ADMIN", "NET_FOO", NULL, NULL };
        const char *drop[] = { "CHOWN", "cap_nope", NULL, NULL };
        struct dh_strv a = strv_of(add), d = strv_of(drop), none = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(rt_caps_compute(DEFAULT_CAPS, &a, &none, false, &e), 0);
        CHECK(e != NULL);
        CHECK_CONTAINS(e ? e->msg : NULL, "add_capabilities[1]: unknown capability \"NET_FOO\"");
        dh_err_clear(&e);
        CHECK_INT(rt_caps_compute(DEFAULT_CAPS, &none, &d, false, &e), 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "drop_capabilities[1]: unknown capability \"cap_nope\"");
        dh_err_free(e);
}

/* ---- signals ---- */

TEST(signal_names)
{
        static const struct {
                const char *s;
                int want;
        } cases[] = {
                { "SIGTERM", 15 }, { "TERM", 15 },      { "15", 15 },       { "sigkill", 9 },
                { "SIGWINCH", 28 }, { "SIGIOT", 6 },    { "QUIT", 3 },      { "SIGRTMIN", 34 },
                { "RTMIN+3", 37 },  { "SIGRTMAX-2", 62 }, { "SIGRTMAX", 64 }, { "64", 64 },
                { "0", -1 },        { "65", -1 },       { "-15", -1 },      { "15x", -1 },
                { "SIGFOO", -1 },   { "", -1 },         { "SIG", -1 },      { "SIGRTMIN+16", -1 },
                { "RTMIN+", -1 },   { "RTMAX+1", -1 },  { " 15", -1 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
                if (rt_signal_from_name(cases[i].s) != cases[i].want)
                        TEST_FAIL_("\"%s\" → %d, want %d", cases[i].s, rt_signal_from_name(cases[i].s),
                                   cases[i].want);
        CHECK_INT(rt_signal_from_name(NULL), -1);
}

/* ---- /etc/passwd and /etc/group ---- */

static const char passwd_text[] =
        "root:x:0:0:root:/root:/bin/sh\n"
        "# a comment\n"
        "\n"
        "   app:x:1000:1000::/home/app:/bin/sh  \r\n"
        "broken:x:notanumber:0::/:/bin/sh\n"
        "neg:x:-1:0::/:/bin/sh\n"
        "short:x:1001\n"
        "dup:x:1002:1002::/:/bin/sh\n"
        "dup:x:1003:1003::/:/bin/sh\n"
        "big:x:4294967295:0::/:/bin/sh\n"
        "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin";
static const char group_text[] =
        "root:x:0:\n"
        "app:x:1000:app\n"
        "wheel:x:10:root,app\n"
        "audio:x:29:bob, app\n"
        "video:x:44:bob,app\n"
        "badgid:x:abc:app\n"
        "staff:x:50:\n"
        "video2:x:44:app\n";

struct user_case {
        const char *lookup;
        uint32_t uid, gid;
        bool gid_set;
        uint32_t want_uid, want_gid;
        uint32_t want_gids[6];
        size_t n_gids;
};

static void check_user(int root, const struct user_case *c, const uint32_t *extra, size_t n_extra)
{
        struct rt_plan_user u = { .uid = c->uid, .gid = c->gid, .gid_set = c->gid_set,
                                  .lookup = (char *)c->lookup };
        u.additional_gids.v = (uint32_t *)extra;
        u.additional_gids.n = n_extra;
        struct rt_user_ids ids = { 0 };
        struct dh_err *e = NULL;
        if (rt_user_resolve(root, &u, &ids, &e) < 0) {
                TEST_FAIL_("\"%s\": %s", c->lookup ? c->lookup : "(numeric)", e ? e->msg : "?");
                dh_err_free(e);
                return;
        }
        if (ids.uid != c->want_uid || ids.gid != c->want_gid || ids.n_gids != c->n_gids ||
            memcmp(ids.gids, c->want_gids, c->n_gids * sizeof(uint32_t)) != 0)
                TEST_FAIL_("\"%s\": got %u:%u with %zu groups (first %u), want %u:%u with %zu",
                           c->lookup ? c->lookup : "(numeric)", ids.uid, ids.gid, ids.n_gids,
                           ids.n_gids ? ids.gids[0] : 0, c->want_uid, c->want_gid, c->n_gids);
        rt_user_ids_free(&ids);
}

TEST(users_resolve_like_runc_with_containerds_groups)
{
        char *dir = tmp_dir();
        if (!dir)
                return;
        puts_file(dir, "etc/passwd", passwd_text);
        puts_file(dir, "etc/group", group_text);
        _cleanup_close_ int root = open_root(dir);
        static const struct user_case cases[] = {
                /* supplementary: every group listing "app" but the one named "app";
                 * " app" (with a space) is not "app", as in runc */
                { "app", 0, 0, false, 1000, 1000, { 1000, 10, 44 }, 3 },
                { "1000", 0, 0, false, 1000, 1000, { 1000, 10, 44 }, 3 },
                { "app:staff", 0, 0, false, 1000, 50, { 50, 10, 44 }, 3 },
                { "app:4242", 0, 0, false, 1000, 4242, { 4242, 10, 44 }, 3 },
                { "app:", 0, 0, false, 1000, 1000, { 1000, 10, 44 }, 3 },
                { "app", 0, 7, true, 1000, 7, { 7, 10, 44 }, 3 },
                { "root", 0, 0, false, 0, 0, { 0, 10 }, 2 },
                { "5000", 0, 0, false, 5000, 0, { 0 }, 1 },
                { "5000:5000", 0, 0, false, 5000, 5000, { 5000 }, 1 },
                { "5000:wheel", 0, 0, false, 5000, 10, { 10 }, 1 },
                { "dup", 0, 0, false, 1002, 1002, { 1002 }, 1 },
                { "nobody", 0, 0, false, 65534, 65534, { 65534 }, 1 },
                { NULL, 33, 33, false, 33, 33, { 33 }, 1 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
                check_user(root, &cases[i], NULL, 0);
        static const uint32_t extra[] = { 2000, 10, 2000 };
        static const struct user_case with_extra = { "app", 0, 0, false, 1000, 1000,
                                                     { 1000, 2000, 10, 44 }, 4 };
        check_user(root, &with_extra, extra, 3);
        static const struct user_case numeric_extra = { NULL, 33, 34, false, 33, 34, { 34, 2000, 10 }, 3 };
        check_user(root, &numeric_extra, extra, 3);
        tmp_free(dir);
}

static void check_user_err(int root, const char *lookup, const char *want)
{
        struct rt_plan_user u = { .lookup = (char *)lookup };
        struct rt_user_ids ids = { .uid = 42 };
        struct dh_err *e = NULL;
        CHECK(rt_user_resolve(root, &u, &ids, &e) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, want);
        CHECK_INT(ids.uid, 42); /* untouched on failure */
        dh_err_free(e);
}

TEST(user_errors)
{
        char *dir = tmp_dir();
        if (!dir)
                return;
        puts_file(dir, "etc/passwd", passwd_text);
        puts_file(dir, "etc/group", group_text);
        _cleanup_close_ int root = open_root(dir);
        check_user_err(root, "ghost", "unable to find user ghost: no matching entries in passwd file");
        /* malformed entries are skipped, never read as uid 0 */
        check_user_err(root, "broken", "unable to find user broken: no matching entries in passwd file");
        check_user_err(root, "neg", "unable to find user neg");
        check_user_err(root, "short", "unable to find user short");
        check_user_err(root, "big", "unable to find user big");
        check_user_err(root, "app:nogroup", "unable to find group nogroup: no matching entries in group file");
        /* an overlong number is an id out of range, not a user name */
        check_user_err(root, "99999999999", "uids and gids must be in range 0-2147483647");
        check_user_err(root, "2147483648", "uids and gids must be in range");
        check_user_err(root, "app:4294967296", "uids and gids must be in range");
        check_user_err(root, "a:b:c", "invalid user \"a:b:c\"");
        check_user_err(root, ":1000", "invalid user");
        check_user_err(root, "", "invalid user");
        tmp_free(dir);
}

TEST(users_without_passwd_or_group_files)
{
        char *dir = tmp_dir();
        if (!dir)
                return;
        _cleanup_close_ int root = open_root(dir);
        static const struct user_case cases[] = {
                { "1000", 0, 0, false, 1000, 0, { 0 }, 1 },
                { "1000:1000", 0, 0, false, 1000, 1000, { 1000 }, 1 },
                { "0", 0, 0, false, 0, 0, { 0 }, 1 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
                check_user(root, &cases[i], NULL, 0);
        check_user_err(root, "app", "unable to find user app: no matching entries in passwd file");
        check_user_err(root, "1000:app", "unable to find group app: no matching entries in group file");
        /* passwd present, group missing: numeric groups still work */
        puts_file(dir, "etc/passwd", passwd_text);
        static const struct user_case app = { "app:77", 0, 0, false, 1000, 77, { 77 }, 1 };
        check_user(root, &app, NULL, 0);
        tmp_free(dir);
}

TEST(hostile_passwd_files)
{
        char *dir = tmp_dir();
        if (!dir)
                return;
        char p[4096];
        _cleanup_close_ int root = open_root(dir);
        /* a directory, then a FIFO (must not block), where passwd should be */
        snprintf(p, sizeof p, "%s/etc", dir);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/etc/passwd", dir);
        mkdir(p, 0755);
        check_user_err(root, "app", "/etc/passwd is not a regular file");
        rmdir(p);
        CHECK_INT(mkfifo(p, 0644), 0);
        check_user_err(root, "app", "/etc/passwd is not a regular file");
        unlink(p);
        /* a line longer than 64 KiB */
        size_t n = 70000;
        char *big = malloc(n + 64);
        memset(big, 'a', n);
        memcpy(big + n, ":x:1:1::/:/bin/sh\n", 19);
        put(dir, "etc/passwd", big, strlen(big));
        check_user_err(root, "app", "/etc/passwd: line 1 is longer than 65536 bytes");
        free(big);
        /* more than 1 MiB */
        size_t total = 1024 * 1024 + 1;
        char *huge = malloc(total);
        memset(huge, '#', total);
        for (size_t i = 100; i < total; i += 100)
                huge[i] = '\n';
        put(dir, "etc/passwd", huge, total);
        check_user_err(root, "app", "larger than the limit");
        free(huge);
        /* an absolute symlink stays inside the root: it names <root>/realpw */
        unlink(p);
        puts_file(dir, "realpw", "x:x:777:778::/:/bin/sh\n");
        CHECK_INT(symlink("/realpw", p), 0);
        static const struct user_case x = { "x", 0, 0, false, 777, 778, { 778 }, 1 };
        check_user(root, &x, NULL, 0);
        /* ".." can't climb out either */
        unlink(p);
        CHECK_INT(symlink("../../../../../../realpw", p), 0);
        check_user(root, &x, NULL, 0);
        tmp_free(dir);
}

/* ---- seccomp ---- */

/* The filter as libseccomp's pseudo filter code, for inspection. */
static char *pfc_of(scmp_filter_ctx ctx)
{
        int fd = memfd_create("pfc", MFD_CLOEXEC);
        if (fd < 0 || seccomp_export_pfc(ctx, fd) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
                TEST_FAIL_("export pfc: %s", strerror(errno));
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        struct stat st;
        fstat(fd, &st);
        char *s = calloc(1, (size_t)st.st_size + 1);
        if (s && read(fd, s, (size_t)st.st_size) != st.st_size)
                TEST_FAIL_("read pfc: %s", strerror(errno));
        close(fd);
        return s;
}

static char *default_pfc(uint64_t caps)
{
        scmp_filter_ctx ctx = NULL;
        struct dh_err *e = NULL;
        if (rt_seccomp_build(RT_PLAN_SECCOMP_RUNTIME_DEFAULT, NULL, caps, &ctx, &e) < 0 || !ctx) {
                TEST_FAIL_("build: %s", e ? e->msg : "no filter");
                dh_err_free(e);
                return NULL;
        }
        char *s = pfc_of(ctx);
        seccomp_release(ctx);
        return s;
}

static bool has_syscall(const char *pfc, const char *name)
{
        char q[64];
        snprintf(q, sizeof q, "\"%s\"", name);
        return pfc && strstr(pfc, q);
}

TEST(runtime_default_profile_contents)
{
        char *plain = default_pfc(DEFAULT_CAPS);
        char *admin = default_pfc(DEFAULT_CAPS | BIT(21) | BIT(19));
        CHECK(plain && admin);
        static const char *const always[] = { "read", "execve", "mkdir", "setresuid", "capset",
                                              "close_range", "personality", "socket", "arch_prctl",
                                              "chroot" /* SYS_CHROOT is a default cap */ };
        for (size_t i = 0; i < sizeof always / sizeof *always; i++)
                if (!has_syscall(plain, always[i]))
                        TEST_FAIL_("\"%s\" missing from RuntimeDefault", always[i]);
        static const char *const never[] = { "keyctl", "add_key", "request_key", "kexec_load",
                                             "mount", "unshare", "setns", "bpf", "reboot", "kcmp",
                                             "open_by_handle_at", "syslog" };
        for (size_t i = 0; i < sizeof never / sizeof *never; i++)
                if (has_syscall(plain, never[i]))
                        TEST_FAIL_("\"%s\" allowed without its capability", never[i]);
        CHECK(has_syscall(plain, "ptrace")); /* kernel >= 4.8: allowed for everyone */
        CHECK(has_syscall(plain, "clone") && has_syscall(plain, "clone3"));
        CHECK(plain && strstr(plain, "ERRNO(38)")); /* clone3 → ENOSYS */
        CHECK(has_syscall(admin, "mount") && has_syscall(admin, "unshare") && has_syscall(admin, "kcmp"));
        CHECK(!has_syscall(admin, "keyctl") && !has_syscall(admin, "reboot"));
#if defined(__x86_64__)
        /* amd64 filters also cover i386 and x32 binaries, as containerd's */
        CHECK(plain && strstr(plain, "filter for arch x86_64"));
        CHECK(plain && strstr(plain, "filter for arch x86 "));
        CHECK(plain && strstr(plain, "filter for arch x32"));
#endif
        free(plain);
        free(admin);
}

static void profile_err(const char *json, const char *want)
{
        char *dir = tmp_dir();
        if (!dir)
                return;
        puts_file(dir, "etc/profile.json", json);
        char path[4096];
        snprintf(path, sizeof path, "%s/etc/profile.json", dir);
        scmp_filter_ctx ctx = (scmp_filter_ctx)&ctx; /* must stay untouched */
        struct dh_err *e = NULL;
        CHECK(rt_seccomp_build(RT_PLAN_SECCOMP_LOCALHOST, path, DEFAULT_CAPS, &ctx, &e) < 0);
        CHECK(ctx == (scmp_filter_ctx)&ctx);
        CHECK_CONTAINS(e ? e->msg : NULL, want);
        CHECK_CONTAINS(e ? e->msg : NULL, path);
        dh_err_free(e);
        tmp_free(dir);
}

TEST(localhost_profile_errors_name_the_field)
{
        profile_err("{", "line 1 column 1");
        profile_err("[]", "not a JSON object");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultAction\": \"SCMP_ACT_ERRNO\"}",
                    "duplicate");
        profile_err("{}", "defaultAction: Required value");
        profile_err("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "defaultAction: Unsupported value: \"SCMP_ACT_NOTIFY\"");
        profile_err("{\"defaultAction\": 3}", "defaultAction: Invalid value: 3: must be a string");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}",
                    "defaultErrnoRet: Forbidden");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}",
                    "syscalls: Invalid value: {...}: must be a list");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                    "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                    "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_FOO\"}]}",
                    "syscalls[1].action: Unsupported value: \"SCMP_ACT_FOO\"");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}",
                    "syscalls[0].names: Required value");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"]}]}",
                    "syscalls[0].action: Required value");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                    " \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
                    "syscalls[0].errnoRet: Forbidden");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                    " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 9, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                    "syscalls[0].args[0].index: Invalid value: 9");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                    " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"op\": \"EQ\"}]}]}",
                    "syscalls[0].args[0].op: Unsupported value: \"EQ\"");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                    " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"op\": \"SCMP_CMP_EQ\"}]}]}",
                    "syscalls[0].args[0].index: Required value");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                    " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                    "syscalls[0].args[0].value: Invalid value: -1");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                    " \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_NOPE\"]}}]}",
                    "syscalls[0].includes.caps[0]: Invalid value: \"CAP_NOPE\": unknown capability");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_NOPE\"]}",
                    "architectures[1]: Invalid value: \"SCMP_ARCH_NOPE\": unknown architecture");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_NOPE\"]}",
                    "flags[0]: Unsupported value: \"SECCOMP_FILTER_FLAG_NOPE\"");
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"listenerPath\": \"/run/agent.sock\"}",
                    "listenerPath: Forbidden");
        /* every problem is reported at once */
        profile_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"X\"},"
                    "{\"names\": [\"write\"], \"action\": \"Y\"}]}",
                    "syscalls[0].action: Unsupported value: \"X\": supported values: ");
}

TEST(localhost_profile_file_limits)
{
        struct dh_err *e = NULL;
        scmp_filter_ctx ctx = NULL;
        CHECK(rt_seccomp_build(RT_PLAN_SECCOMP_LOCALHOST, "/nonexistent/profile.json", 0, &ctx, &e) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "/nonexistent/profile.json");
        dh_err_clear(&e);
        CHECK(rt_seccomp_build(RT_PLAN_SECCOMP_LOCALHOST, NULL, 0, &ctx, &e) < 0);
        dh_err_clear(&e);
        char *dir = tmp_dir();
        if (!dir)
                return;
        size_t n = 1024 * 1024 + 10;
        char *big = malloc(n);
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        put(dir, "etc/big.json", big, n);
        free(big);
        char path[4096];
        snprintf(path, sizeof path, "%s/etc/big.json", dir);
        CHECK(rt_seccomp_build(RT_PLAN_SECCOMP_LOCALHOST, path, 0, &ctx, &e) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "larger than the limit");
        dh_err_free(e);
        tmp_free(dir);
}

TEST(localhost_profile_builds)
{
        char *dir = tmp_dir();
        if (!dir)
                return;
        /* unknown syscall names are skipped; a rule equal to the default is
         * dropped; a repeated argument index becomes ORed rules; includes/
         * excludes pick rules by capability */
        puts_file(dir, "etc/p.json",
                  "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
                  " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],"
                  " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], \"unknownKey\": true,"
                  " \"syscalls\": ["
                  "  {\"names\": [\"read\", \"not_a_syscall\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                  "  {\"names\": [\"write\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1},"
                  "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 122},"
                  "  {\"name\": \"close\", \"action\": \"SCMP_ACT_LOG\"},"
                  "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
                  "    {\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"},"
                  "    {\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]},"
                  "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
                  "    {\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
                  "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
                  "  {\"names\": [\"chroot\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
                  "  {\"names\": [\"uname\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"arches\": [\"" "amd64" "\", \"arm64\"]}}"
                  " ]}");
        char path[4096];
        snprintf(path, sizeof path, "%s/etc/p.json", dir);
        scmp_filter_ctx ctx = NULL;
        struct dh_err *e = NULL;
        CHECK_INT(rt_seccomp_build(RT_PLAN_SECCOMP_LOCALHOST, path, DEFAULT_CAPS, &ctx, &e), 0);
        if (e)
                TEST_FAIL_("%s", e->msg);
        char *pfc = ctx ? pfc_of(ctx) : NULL;
        CHECK(has_syscall(pfc, "read") && has_syscall(pfc, "mkdir") && has_syscall(pfc, "close"));
        CHECK(!has_syscall(pfc, "write")); /* same as the default action */
        CHECK(pfc && strstr(pfc, "ERRNO(122)"));
        CHECK(!has_syscall(pfc, "mount") && has_syscall(pfc, "chroot"));
#if defined(__x86_64__) || defined(__aarch64__)
        CHECK(!has_syscall(pfc, "uname"));
#endif
        free(pfc);
        if (ctx)
                seccomp_release(ctx);
        ctx = NULL;
        CHECK_INT(rt_seccomp_build(RT_PLAN_SECCOMP_LOCALHOST, path, DEFAULT_CAPS | BIT(21), &ctx, &e), 0);
        pfc = ctx ? pfc_of(ctx) : NULL;
        CHECK(has_syscall(pfc, "mount") && !has_syscall(pfc, "chroot"));
        free(pfc);
        if (ctx)
                seccomp_release(ctx);
        dh_err_free(e);
        /* Unconfined builds nothing */
        ctx = (scmp_filter_ctx)&ctx;
        CHECK_INT(rt_seccomp_build(RT_PLAN_SECCOMP_UNCONFINED, NULL, 0, &ctx, NULL), 0);
        CHECK(ctx == NULL);
        tmp_free(dir);
}

TEST_MAIN()
