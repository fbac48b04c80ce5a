/* Tests for agent/termmsg.c: the termination message from the file at
 * terminationMessagePath (its last 4 KiB), the FallbackToLogsOnError
 * policy reading the CRI log, and the cases the kubelet leaves empty. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/podruntime.h"
#include "agent/termmsg.h"
#include "lib/cleanup.h"
#include "test.h"

struct fx {
        char *dir;
        char msg_path[256], log_path[256];
        struct rt_mount mount;
        struct rt_kv ann[2];
        struct rt_container_status c;
};

static void fx_init(struct fx *f, const char *policy, int exit_code)
{
        memset(f, 0, sizeof *f);
        f->dir = test_mkdtemp("termmsg");
        snprintf(f->msg_path, sizeof f->msg_path, "%s/termination-log", f->dir);
        snprintf(f->log_path, sizeof f->log_path, "%s/0.log", f->dir);
        f->mount = (struct rt_mount){ .container_path = (char *)"/dev/termination-log",
                                      .host_path = f->msg_path };
        f->ann[0] = (struct rt_kv){ (char *)AGENT_ANN_TERMINATION_MESSAGE_PATH, (char *)"/dev/termination-log" };
        f->ann[1] = (struct rt_kv){ (char *)AGENT_ANN_TERMINATION_MESSAGE_POLICY, (char *)policy };
        f->c.state = RT_CONTAINER_EXITED;
        f->c.exit_code = exit_code;
        f->c.reason = (char *)(exit_code ? "Error" : "Completed");
        f->c.annotations = (struct rt_kvs){ f->ann, 2 };
        f->c.mounts.v = &f->mount;
        f->c.mounts.n = 1;
        f->c.log_path = f->log_path;
}

static void put(const char *path, const char *data, size_t len)
{
        FILE *fp = fopen(path, "we");
        CHECK(fp != NULL);
        if (!fp)
                return;
        CHECK_INT(fwrite(data, 1, len, fp), len);
        fclose(fp);
}

static char *message(struct fx *f)
{
        char *msg = (char *)"unset";
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(agent_termination_message(&f->c, &msg, &err), 0);
        return msg;
}

TEST(file_content_is_the_message)
{
        struct fx f;
        fx_init(&f, "File", 3);
        put(f.msg_path, "bye\n", 4);
        _cleanup_free_ char *m = message(&f);
        CHECK_STR(m, "bye\n");
        test_rmtree(f.dir);
}

TEST(only_the_last_4k_of_a_big_file)
{
        struct fx f;
        fx_init(&f, "File", 0);
        static char big[10000];
        memset(big, 'a', sizeof big);
        memcpy(big + sizeof big - 3, "END", 3);
        put(f.msg_path, big, sizeof big);
        _cleanup_free_ char *m = message(&f);
        CHECK(m != NULL);
        CHECK_INT(m ? strlen(m) : 0, AGENT_TERMINATION_MESSAGE_MAX);
        CHECK(m && strcmp(m + strlen(m) - 3, "END") == 0);
        test_rmtree(f.dir);
}

TEST(no_file_and_no_fallback_is_no_message)
{
        struct fx f;
        fx_init(&f, "File", 1);
        put(f.log_path, "2024-01-01T00:00:00.000000000Z stdout F hello\n", 46);
        _cleanup_free_ char *m = message(&f);
        CHECK(m == NULL);
        test_rmtree(f.dir);
}

TEST(running_container_has_none)
{
        struct fx f;
        fx_init(&f, "File", 0);
        f.c.state = RT_CONTAINER_RUNNING;
        put(f.msg_path, "bye", 3);
        _cleanup_free_ char *m = message(&f);
        CHECK(m == NULL);
        test_rmtree(f.dir);
}

static const char log_lines[] =
        "2024-01-01T00:00:00.000000000Z stdout F first\n"
        "2024-01-01T00:00:00.100000000Z stderr P part\n"
        "2024-01-01T00:00:00.200000000Z stderr F ial\n"
        "2024-01-01T00:00:00.300000000Z stdout F last\n";

TEST(fallback_reads_the_log_on_failure)
{
        struct fx f;
        fx_init(&f, "FallbackToLogsOnError", 1);
        put(f.log_path, log_lines, sizeof log_lines - 1);
        _cleanup_free_ char *m = message(&f);
        CHECK_STR(m, "first\npartial\nlast\n");
        test_rmtree(f.dir);
}

TEST(fallback_not_on_success_nor_when_it_could_not_run)
{
        struct fx f;
        fx_init(&f, "FallbackToLogsOnError", 0);
        put(f.log_path, log_lines, sizeof log_lines - 1);
        _cleanup_free_ char *m = message(&f);
        CHECK(m == NULL);
        f.c.exit_code = 128;
        f.c.reason = (char *)"ContainerCannotRun";
        _cleanup_free_ char *m2 = message(&f);
        CHECK(m2 == NULL);
        test_rmtree(f.dir);
}

TEST(fallback_prefers_the_file)
{
        struct fx f;
        fx_init(&f, "FallbackToLogsOnError", 2);
        put(f.log_path, log_lines, sizeof log_lines - 1);
        put(f.msg_path, "from file", 9);
        _cleanup_free_ char *m = message(&f);
        CHECK_STR(m, "from file");
        test_rmtree(f.dir);
}

TEST(fallback_keeps_the_last_80_lines_and_2k)
{
        struct fx f;
        fx_init(&f, "FallbackToLogsOnError", 1);
        FILE *fp = fopen(f.log_path, "we");
        CHECK(fp != NULL);
        for (int i = 0; fp && i < 200; i++)
                fprintf(fp, "2024-01-01T00:00:00.000000000Z stdout F line %03d\n", i);
        if (fp)
                fclose(fp);
        _cleanup_free_ char *m = message(&f);
        CHECK(m != NULL);
        CHECK(m && strncmp(m, "line 120\n", 9) == 0);
        CHECK(m && strstr(m, "line 199\n") != NULL);
        CHECK(m && strlen(m) <= AGENT_TERMINATION_LOG_MAX);
        test_rmtree(f.dir);
}

TEST(unreadable_file_is_reported_in_the_message)
{
        struct fx f;
        fx_init(&f, "FallbackToLogsOnError", 1);
        CHECK_INT(mkfifo(f.msg_path, 0600), 0);
        _cleanup_free_ char *m = message(&f);
        CHECK(m && strncmp(m, "Error on reading termination log ", 33) == 0);
        test_rmtree(f.dir);
}

TEST_MAIN()
