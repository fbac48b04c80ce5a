/* Tests for the shim's error exits (cri/builtin/shim-main.c): a shim that
 * cannot set its sandbox up reports why on the ready fd and exits 1 having
 * closed every fd it opened and freed everything it allocated (in the
 * sanitizer build LeakSanitizer checks the child at its exit). Each
 * shim runs in a forked child, which stops before any namespace or cgroup
 * is touched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/builtin/shim.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "test.h"

#define SID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        int n = 0;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* Runs the shim on `state` in a child and returns the child's exit status
 * (or -1), with what the shim wrote on the ready fd: 0 when shim_main
 * returned 1 (an error exit) having closed every fd it opened; 3 when it
 * left an fd open, 4 when it returned something else. In the sanitizer
 * build a leak makes LeakSanitizer end the child with status 1 instead of 0. */
static int run_shim(const char *state, const char *root, char *msg, size_t msg_size)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                int before = count_fds(); /* the ready fd is the shim's to close */
                char fdarg[16];
                snprintf(fdarg, sizeof fdarg, "%d", p[1]);
                char *argv[] = { (char *)"deckhand-shim", (char *)"--id", (char *)SID,
                                 (char *)"--state-dir", (char *)state, (char *)"--root-dir",
                                 (char *)root, (char *)"--ready-fd", fdarg, NULL };
                optind = 0;
                int r = shim_main(9, argv);
                int fds_left = count_fds() - (before - 1);
                exit(fds_left ? 3 : r == 1 ? 0 : 4); /* exit(): LeakSanitizer checks */
        }
        close(p[1]);
        size_t len = 0;
        ssize_t n;
        while (len + 1 < msg_size && (n = read(p[0], msg + len, msg_size - 1 - len)) > 0)
                len += (size_t)n;
        msg[len] = '\0';
        close(p[0]);
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* <dir>/state/sandboxes/SID/containers, with config.json holding `config`
 * (none when NULL). */
static char *make_state(const char *dir, const char *config)
{
        char *state = NULL, *sdir = NULL;
        if (asprintf(&state, "%s/state", dir) < 0 || asprintf(&sdir, "%s/sandboxes/" SID "/containers", state) < 0)
                return NULL;
        const char *argv[] = { "mkdir", "-p", sdir, NULL };
        bool ok = test_spawn(argv);
        free(sdir);
        if (ok && config) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/sandboxes/" SID "/config.json", state) < 0)
                        return NULL;
                FILE *f = fopen(path, "we");
                ok = f && fputs(config, f) >= 0;
                if (f)
                        fclose(f);
        }
        if (!ok) {
                free(state);
                return NULL;
        }
        return state;
}

static void expect_error_exit(const char *config, const char *want)
{
        char *dir = test_mkdtemp("shim");
        _cleanup_free_ char *state = dir ? make_state(dir, config) : NULL;
        _cleanup_free_ char *root = NULL;
        CHECK(state && asprintf(&root, "%s/root", dir) > 0);
        if (state && root) {
                char msg[1024];
                CHECK_INT(run_shim(state, root, msg, sizeof msg), 0);
                if (!strstr(msg, want))
                        TEST_FAIL_("ready message \"%s\" lacks \"%s\"", msg, want);
        }
        test_rmtree(dir);
}

TEST(missing_sandbox_dir)
{
        char *dir = test_mkdtemp("shim");
        _cleanup_free_ char *state = NULL;
        CHECK(dir && asprintf(&state, "%s/nothing", dir) > 0);
        char msg[1024];
        if (state) {
                CHECK_INT(run_shim(state, state, msg, sizeof msg), 0);
                CHECK(strstr(msg, "No such file or directory") != NULL);
        }
        test_rmtree(dir);
}

TEST(no_config)
{
        expect_error_exit(NULL, "config.json");
}

TEST(config_not_json)
{
        expect_error_exit("{\"metadata\": ", "config.json");
}

/* Decoded in part before the type error: what was decoded is freed. */
TEST(config_wrong_type)
{
        expect_error_exit("{\"metadata\": {\"name\": \"p\", \"uid\": \"u\", \"namespace\": 5},"
                          " \"hostname\": \"h\", \"labels\": {\"a\": \"b\"}}",
                          "pod sandbox config");
}

TEST_MAIN()
