/* The built-in runtime's state token (cri/builtin/runtime-token.c): it
 * moves with every change the lists would show (a sandbox directory, a
 * containers directory, a state file renamed in or removed) and stays put
 * while nothing changes. No shim runs here: the directories are made by
 * hand, as the runtime lays them out. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/builtin/runtime.h"
#include "cri/cri.h"
#include "lib/cleanup.h"
#include "tests/unit/test.h"

#define SID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static uint64_t token(struct rt *rt)
{
        uint64_t t = 0;
        struct dh_err *err = NULL;
        if (rt->ops->state_token(rt, &t, &err) < 0) {
                TEST_FAIL_("state_token: %s", err->msg);
                dh_err_free(err);
        }
        return t;
}

/* The token moved since *last, and then stays where it went. */
static bool moved(struct rt *rt, uint64_t *last)
{
        uint64_t t = token(rt);
        bool m = t != *last && token(rt) == t;
        *last = t;
        return m;
}

static char *join(const char *dir, const char *name)
{
        char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        return p;
}

/* Whether this process holds an inotify instance (the watches, not the
 * stat walk that stands in when inotify cannot be had). */
static bool has_inotify_fd(void)
{
        for (int fd = 0; fd < 1024; fd++) {
                char link[64], target[64] = "";
                snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                ssize_t n = readlink(link, target, sizeof target - 1);
                if (n > 0 && strncmp(target, "anon_inode:inotify", (size_t)n) == 0)
                        return true;
        }
        return false;
}

static void put_file(const char *dir, const char *name)
{
        _cleanup_free_ char *path = join(dir, name), *tmp = NULL;
        if (asprintf(&tmp, "%s.tmp", path) < 0)
                abort();
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(fd >= 0 && write(fd, "{}", 2) == 2);
        close(fd);
        CHECK(rename(tmp, path) == 0);
}

TEST(moves_with_every_change_and_only_then)
{
        char *dir = test_mkdtemp("statetoken");
        _cleanup_free_ char *state = join(dir, "state"), *root = join(dir, "root");
        _cleanup_free_ char *sbs = join(state, "sandboxes"), *sb = join(sbs, SID);
        _cleanup_free_ char *ctrs = join(sb, "containers"), *file = join(ctrs, "c1.json");
        struct rt_builtin_options o = { .state_dir = state, .root_dir = root, .shim_path = "/bin/false" };
        struct rt *rt = NULL;
        struct dh_err *err = NULL;
        CHECK(rt_builtin_open(&o, &rt, &err) == 0);
        if (!rt) {
                dh_err_free(err);
                test_rmtree(dir);
                return;
        }
        CHECK(rt->ops->state_token != NULL);
        uint64_t last = token(rt);
        CHECK(token(rt) == last); /* no state dir yet: steady */

        CHECK(mkdir(state, 0700) == 0 && mkdir(sbs, 0700) == 0);
        CHECK(moved(rt, &last));
        CHECK(has_inotify_fd());
        CHECK(mkdir(sb, 0700) == 0);
        CHECK(moved(rt, &last)); /* a sandbox came */
        put_file(sb, "config.json");
        CHECK(moved(rt, &last)); /* its state */
        CHECK(mkdir(ctrs, 0700) == 0);
        CHECK(moved(rt, &last)); /* its containers directory */
        put_file(ctrs, "c1.json");
        CHECK(moved(rt, &last)); /* a container */
        put_file(ctrs, "c1.json");
        CHECK(moved(rt, &last)); /* its state replaced */
        for (int i = 0; i < 3; i++)
                CHECK(token(rt) == last); /* nothing happens: steady */
        CHECK(unlink(file) == 0);
        CHECK(moved(rt, &last)); /* the container removed */
        test_rmtree(strdup(sb));
        CHECK(moved(rt, &last)); /* the sandbox removed */
        CHECK(mkdir(sb, 0700) == 0);
        CHECK(moved(rt, &last)); /* one again, watched again */
        CHECK(mkdir(ctrs, 0700) == 0);
        CHECK(moved(rt, &last));
        put_file(ctrs, "c2.json");
        CHECK(moved(rt, &last));
        test_rmtree(strdup(sbs));
        CHECK(moved(rt, &last)); /* the whole sandboxes directory gone */
        CHECK(mkdir(sbs, 0700) == 0 && mkdir(sb, 0700) == 0);
        CHECK(moved(rt, &last)); /* and back: watched from the start */
        put_file(sb, "config.json");
        CHECK(moved(rt, &last));
        rt->ops->close(rt);
        test_rmtree(dir);
}

TEST_MAIN()
