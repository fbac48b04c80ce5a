/* Starting a sandbox's shim and talking to it. The shim is started as a
 * grandchild (its parent exits at once), in its own session, so it belongs
 * to nobody's process tree: the agent's exit, restart or crash leaves it
 * running. A pipe tells us when the sandbox is ready, or why it failed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/builtin/proto.h"
#include "cri/builtin/runtime-internal.h"
#include "lib/cleanup.h"

#define SHIM_READY_MS 30000

static _Noreturn void exec_shim(struct rtb *b, const char *sid, int ready_fd)
{
        char fdarg[16];
        /* The shim gets the ready pipe and /dev/null for stdio, nothing else. */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
        }
        if (ready_fd != 3) {
                dup2(ready_fd, 3);
                ready_fd = 3;
        }
        close_range(4, ~0U, 0);
        snprintf(fdarg, sizeof fdarg, "%d", ready_fd);
        char *argv[] = { (char *)"deckhand-shim", (char *)"--id", (char *)sid, (char *)"--state-dir",
                         b->layout.state_dir, (char *)"--root-dir", b->layout.root_dir,
                         (char *)"--ready-fd", fdarg, NULL };
        execv(b->layout.shim_path, argv);
        dprintf(3, "exec %s: %s", b->layout.shim_path, strerror(errno));
        _exit(127);
}

/* The pipe carries "<shim pid>\n" from the intermediate child, then the
 * shim's own "ok" or error message, then EOF. */
static int read_ready(int fd, pid_t *shim_pid, struct dh_err **err)
{
        char buf[4096];
        size_t len = 0;
        uint64_t waited = 0;
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int pr = poll(&p, 1, 1000);
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr == 0 && (waited += 1000) >= SHIM_READY_MS) {
                        buf[len] = '\0';
                        long pid = strchr(buf, '\n') ? strtol(buf, NULL, 10) : 0;
                        *shim_pid = pid > 0 ? (pid_t)pid : 0;
                        return dh_err_set(err, ETIMEDOUT, "shim not ready after %d ms", SHIM_READY_MS);
                }
                if (pr <= 0)
                        continue;
                ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || (len += (size_t)n) >= sizeof buf - 1)
                        break;
        }
        buf[len] = '\0';
        char *nl = strchr(buf, '\n'), *end = NULL;
        long pid = nl ? strtol(buf, &end, 10) : 0;
        if (!nl || end != nl || pid <= 0)
                return dh_err_set(err, EIO, "the shim did not start");
        *shim_pid = (pid_t)pid;
        if (strcmp(nl + 1, "ok") == 0)
                return 0;
        return dh_err_set(err, EIO, "%s", nl[1] ? nl + 1 : "the shim exited without a word");
}

int rtb_spawn_shim(struct rtb *b, const char *sid, pid_t *shim_pid, struct dh_err **err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return dh_err_errno(err, errno, "pipe");
        pid_t child = fork();
        if (child < 0) {
                close(p[0]);
                close(p[1]);
                return dh_err_errno(err, errno, "fork");
        }
        if (child == 0) {
                close(p[0]);
                pid_t gc = fork();
                if (gc == 0) {
                        /* The write end must survive exec, once, as fd 3. */
                        int w = fcntl(p[1], F_DUPFD, 3);
                        exec_shim(b, sid, w);
                }
                if (gc > 0)
                        dprintf(p[1], "%d\n", (int)gc);
                _exit(gc < 0 ? 1 : 0);
        }
        close(p[1]);
        int st = 0;
        waitpid(child, &st, 0);
        *shim_pid = 0;
        int r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? read_ready(p[0], shim_pid, err)
                                                      : dh_err_set(err, EIO, "fork shim failed");
        close(p[0]);
        return r;
}

int rtb_call(struct rtb *b, const char *sid, json_t *req, const int *fds, int nfds,
             int64_t extra_timeout_s, json_t **reply, struct dh_err **err)
{
        _cleanup_free_ char *dir = rt_sandbox_dir(&b->layout, sid);
        if (!dir || !req) {
                json_decref(req);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        _cleanup_close_ int fd = rt_proto_connect_in(dir, "shim.sock", err);
        if (fd < 0) {
                json_decref(req);
                return dh_err_prefix(err, "shim of sandbox %.12s", sid);
        }
        int r = rt_proto_send(fd, req, fds, nfds, err);
        json_decref(req);
        if (r < 0)
                return r;
        json_t *rep = NULL;
        int rfds[RT_PROTO_MAX_FDS], nr = 0;
        int64_t ms = RTB_REPLY_MS + (extra_timeout_s > 0 ? extra_timeout_s * 1000 : 0);
        r = rt_proto_recv(fd, (int)(ms > 86400000 ? 86400000 : ms), &rep, rfds, &nr, err);
        for (int i = 0; i < nr; i++)
                close(rfds[i]);
        if (r < 0)
                return r;
        r = rt_proto_check_reply(rep, err);
        if (r == 0 && reply)
                *reply = rep;
        else
                json_decref(rep);
        return r;
}
