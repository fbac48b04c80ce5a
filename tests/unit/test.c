/* Runner for the unit-test harness in test.h. */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/atomicfile.h"

#define TEST_MAX 512

static struct test_case tests[TEST_MAX];
static int n_tests;
int test_failures_in_case;

void test_register(const char *name, void (*fn)(void))
{
        if (n_tests >= TEST_MAX) {
                fprintf(stderr, "too many tests, raise TEST_MAX\n");
                exit(2);
        }
        tests[n_tests++] = (struct test_case){ name, fn };
}

const char *test_data(const char *rel)
{
        static char buf[4096];
        const char *dir = getenv("TEST_DATA_DIR");
        snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/data", rel);
        return buf;
}

int test_run_all(const char *prog)
{
        const char *base = strrchr(prog, '/');
        base = base ? base + 1 : prog;
        const char *only = getenv("TEST_ONLY");
        int passed = 0, failed = 0;
        for (int i = 0; i < n_tests; i++) {
                if (only && strcmp(only, tests[i].name) != 0)
                        continue;
                test_failures_in_case = 0;
                tests[i].fn();
                if (test_failures_in_case) {
                        fprintf(stderr, "%s: %s FAILED\n", base, tests[i].name);
                        failed++;
                } else {
                        passed++;
                }
        }
        printf("%s: %d passed, %d failed\n", base, passed, failed);
        return failed ? 1 : 0;
}

char *test_mkdtemp(const char *tag)
{
        char tmpl[256];
        snprintf(tmpl, sizeof tmpl, "/tmp/dh-test-%s-XXXXXX", tag);
        return mkdtemp(tmpl) ? strdup(tmpl) : NULL;
}

void test_rmtree(char *dir)
{
        if (!dir)
                return;
        struct dh_err *e = NULL;
        if (dh_rm_rf_at(AT_FDCWD, dir, &e) < 0) {
                fprintf(stderr, "  cleanup %s: %s\n", dir, e->msg);
                dh_err_free(e);
        }
        free(dir);
}

bool test_spawn(const char *const argv[])
{
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        int r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                fprintf(stderr, "  spawn %s: %s\n", argv[0], strerror(r));
                return false;
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "  %s failed (status %d)\n", argv[0], status);
                return false;
        }
        return true;
}
