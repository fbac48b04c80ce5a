/* Fuzz target: the container user lookup (cri/builtin/security.c), which
 * parses the image's /etc/passwd and /etc/group itself (the shim is static
 * and the files are untrusted). The input is split at its first NUL byte
 * (else in the middle) into passwd and group; an empty half means the
 * file is missing. Both are written under a temp root created once per
 * process, then a fixed set of user specs (and two taken from the input)
 * are resolved. Results must be consistent and no fd may be left open. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/builtin/security.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Broken properties name themselves, so a failing replay says what broke. */
static _Noreturn void fail(const char *why)
{
        fprintf(stderr, "fuzz-passwd: %s\n", why);
        abort();
}

static int root_fd = -1, etc_fd = -1;
static char dir[] = "/tmp/fuzz-passwd-XXXXXX";

static void remove_root(void)
{
        unlinkat(etc_fd, "passwd", 0);
        unlinkat(etc_fd, "group", 0);
        unlinkat(root_fd, "etc", AT_REMOVEDIR);
        rmdir(dir);
}

/* The temp root lives as long as the process (a fuzzing run is one
 * process) and is removed when it exits. */
static int setup_root(void)
{
        if (!mkdtemp(dir))
                return -1;
        atexit(remove_root);
        root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0 || mkdirat(root_fd, "etc", 0755) < 0)
                return -1;
        etc_fd = openat(root_fd, "etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return etc_fd < 0 ? -1 : 0;
}

/* Replaces etc/<name> with n bytes of p; n == 0 removes it. */
static void put_file(const char *name, const uint8_t *p, size_t n)
{
        unlinkat(etc_fd, name, 0);
        if (n == 0)
                return;
        int fd = openat(etc_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, p, n) != (ssize_t)n)
                abort();
        close(fd);
}

/* The lowest free fd: it moves if anything was left open. */
static int lowest_free_fd(void)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
                close(fd);
        return fd;
}

/* "<first field of the first line>" of a file, bounded, for a spec that
 * matches the fuzzed entries rather than only the fixed names. */
static void first_name(const uint8_t *p, size_t n, char *out, size_t outsz)
{
        size_t k = 0;
        while (k < n && k + 1 < outsz && p[k] != ':' && p[k] != '\n' && p[k] != '\0')
                k++;
        memcpy(out, p, k);
        out[k] = '\0';
}

static void resolve(const char *spec, uint32_t extra_gid, bool gid_set)
{
        struct rt_plan_user u = { .gid = 42, .gid_set = gid_set, .lookup = (char *)spec };
        uint32_t extra[2] = { extra_gid, 42 };
        u.additional_gids.v = extra;
        u.additional_gids.n = 2;
        struct rt_user_ids ids = { 0 };
        struct dh_err *err = NULL;
        if (rt_user_resolve(root_fd, &u, &ids, &err) < 0) {
                if (!err || !err->msg || ids.gids)
                        fail("a failure without a message, or *out touched");
                dh_err_free(err);
                return;
        }
        /* setgroups() list: the primary gid first, no duplicates, then ours. */
        if (ids.n_gids < 2 || ids.gids[0] != ids.gid || (gid_set && ids.gid != 42))
                fail("wrong primary or supplementary gids");
        for (size_t i = 0; i < ids.n_gids; i++)
                for (size_t j = i + 1; j < ids.n_gids; j++)
                        if (ids.gids[i] == ids.gids[j])
                                fail("duplicate supplementary gid");
        /* An all-digits user is that uid, whatever the files say. */
        char *end;
        unsigned long num = strtoul(spec, &end, 10);
        if (spec[0] >= '0' && spec[0] <= '9' && (*end == '\0' || *end == ':') && ids.uid != num)
                fail("a numeric user resolved to another uid");
        rt_user_ids_free(&ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const specs[] = { "root", "app", "1000", "app:staff", "65534:65534",
                                             "nobody", "999", "0:0", "app:100", NULL };
        if (size > (1u << 20))
                return 0;
        if (root_fd < 0 && setup_root() < 0)
                abort();
        int fd_mark = lowest_free_fd();
        const uint8_t *nul = memchr(data, '\0', size);
        size_t pw_len = nul ? (size_t)(nul - data) : size / 2;
        size_t gr_off = nul ? pw_len + 1 : pw_len;
        put_file("passwd", data, pw_len);
        put_file("group", data + gr_off, size - gr_off);

        for (size_t i = 0; specs[i]; i++)
                resolve(specs[i], (uint32_t)i, i % 2);
        char user[64], group[64], both[130];
        first_name(data, pw_len, user, sizeof user);
        first_name(data + gr_off, size - gr_off, group, sizeof group);
        snprintf(both, sizeof both, "%s:%s", user, group);
        resolve(user, 7, false);
        resolve(both, 0, false);
        if (lowest_free_fd() != fd_mark)
                fail("an fd leaked");
        return 0;
}
