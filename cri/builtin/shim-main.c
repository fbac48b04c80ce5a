/* deckhand-shim's entry: `deckhand-shim --id SID --state-dir DIR
 * --root-dir DIR --ready-fd N`. The sandbox config was written by the
 * client to <sandbox dir>/config.json. The shim sets the sandbox up, writes
 * "ok" (or the error) to the ready fd, and serves until the sandbox is
 * removed. It runs in its own session so the agent's signals don't reach it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/builtin/shim.h"
#include "cri/json.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

struct shim_args {
        const char *id, *state_dir, *root_dir;
        int ready_fd;
};

static int parse_args(int argc, char **argv, struct shim_args *a)
{
        static const struct option opts[] = {
                { "id", required_argument, NULL, 'i' },
                { "state-dir", required_argument, NULL, 's' },
                { "root-dir", required_argument, NULL, 'r' },
                { "ready-fd", required_argument, NULL, 'f' },
                { NULL, 0, NULL, 0 },
        };
        *a = (struct shim_args){ .ready_fd = -1 };
        int o;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                char *end = NULL;
                switch (o) {
                case 'i': a->id = optarg; break;
                case 's': a->state_dir = optarg; break;
                case 'r': a->root_dir = optarg; break;
                case 'f':
                        a->ready_fd = (int)strtol(optarg, &end, 10);
                        if (!end || *end || a->ready_fd < 0)
                                return -1;
                        break;
                default: return -1;
                }
        }
        return a->id && a->state_dir && a->root_dir && rt_id_valid(a->id) ? 0 : -1;
}

/* Hands one reaped child to whoever owns it. */
static void dispatch_exit(struct shim *s, pid_t pid, int status)
{
        if (pid == s->pause_pid)
                s->pause_pid = 0; /* the pod's PID namespace is gone */
        else if (!shim_container_reaped(s, pid, status))
                shim_exec_reaped(s, pid, status);
}

void shim_reap_until(struct shim *s, pid_t target)
{
        /* Every child is reaped while we wait, never just the target: a
         * container's init blocks in its exit until the other processes of
         * its PID namespace are reaped, and an exec'd process there is our
         * child, not its. */
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, 0);
                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid <= 0)
                        return;
                dispatch_exit(s, pid, status);
                if (pid == target)
                        return;
        }
}

static void on_signal(struct dh_loop *l, int sig, uint32_t ev, void *ud)
{
        (void)l;
        (void)ev;
        struct shim *s = ud;
        if (sig != SIGCHLD)
                return; /* SIGTERM/SIGINT/SIGHUP: the shim outlives its clients */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                dispatch_exit(s, pid, status);
}

static int load_config(struct shim *s, struct dh_err **err)
{
        _cleanup_free_ char *path = rt_sandbox_file(&s->layout, s->id, "config.json");
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (!path)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = dh_read_file(path, 1u << 20, &text, &len, err);
        if (r < 0)
                return r;
        json_error_t je;
        s->config_json = json_loadb(text, len, 0, &je);
        if (!s->config_json)
                return dh_err_set(err, EINVAL, "%s: %s", path, je.text);
        r = rt_sandbox_config_from_json(s->config_json, &s->config, err);
        if (r < 0)
                return r;
        s->status.id = strdup(s->id);
        s->status.metadata = (struct rt_sandbox_metadata){
                .name = s->config.metadata.name ? strdup(s->config.metadata.name) : NULL,
                .uid = s->config.metadata.uid ? strdup(s->config.metadata.uid) : NULL,
                .namespace = s->config.metadata.namespace ? strdup(s->config.metadata.namespace) : NULL,
                .attempt = s->config.metadata.attempt,
        };
        if (rt_kvs_copy(&s->status.labels, &s->config.labels) < 0 ||
            rt_kvs_copy(&s->status.annotations, &s->config.annotations) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        s->status.namespace_options = s->config.linux_cfg.security_context.namespace_options;
        s->status.namespace_options.target_id = NULL;
        s->status.created_at = dh_realtime_ns();
        return 0;
}

static int shim_init(struct shim *s, const struct shim_args *a, struct dh_err **err)
{
        s->id = strdup(a->id);
        s->layout.state_dir = strdup(a->state_dir);
        s->layout.root_dir = strdup(a->root_dir);
        s->dir = rt_sandbox_dir(&s->layout, a->id);
        if (!s->id || !s->layout.state_dir || !s->layout.root_dir || !s->dir)
                return dh_err_set(err, ENOMEM, "out of memory");
        s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->dirfd < 0)
                return dh_err_errno(err, errno, "open %s", s->dir);
        s->ctrs_dirfd = openat(s->dirfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->ctrs_dirfd < 0)
                return dh_err_errno(err, errno, "open %s/containers", s->dir);
        int r = load_config(s, err);
        if (r == 0)
                r = cg_detect(NULL, NULL, &s->cg, err);
        if (r == 0)
                r = dh_loop_new(&s->loop, err);
        static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE };
        if (r == 0)
                r = dh_loop_signals(s->loop, sigs, 5, on_signal, s, err);
        /* Orphans of the pod's processes are reaped here, not by init. */
        if (r == 0 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                r = dh_err_errno(err, errno, "PR_SET_CHILD_SUBREAPER");
        if (r == 0)
                r = shim_sandbox_setup(s, err);
        if (r == 0)
                r = shim_listen(s, err);
        return r;
}

void shim_free(struct shim *s)
{
        shim_conns_free(s);
        shim_exec_free_all(s);
        while (s->containers) {
                struct shim_container *c = s->containers;
                s->containers = c->next;
                shim_container_free(c);
        }
        /* Watches and timers of the above are gone; the loop frees the rest
         * (the listening socket's watch, the signalfd). */
        dh_loop_free(s->loop);
        s->loop = NULL;
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        if (s->ctrs_dirfd >= 0)
                close(s->ctrs_dirfd);
        if (s->dirfd >= 0)
                close(s->dirfd);
        if (s->ready_fd >= 0)
                close(s->ready_fd);
        s->listen_fd = s->ctrs_dirfd = s->dirfd = s->ready_fd = -1;
        rt_sandbox_status_free(&s->status);
        rt_sandbox_config_free(&s->config);
        json_decref(s->config_json);
        s->config_json = NULL;
        cg_layout_free(s->cg);
        s->cg = NULL;
        free(s->cgroup_parent);
        free(s->layout.state_dir);
        free(s->layout.root_dir);
        free(s->layout.shim_path);
        free(s->id);
        free(s->dir);
        s->cgroup_parent = s->layout.state_dir = s->layout.root_dir = s->layout.shim_path = NULL;
        s->id = s->dir = NULL;
}

static void report_ready(int fd, const struct dh_err *err)
{
        if (fd < 0)
                return;
        const char *msg = err ? err->msg : "ok";
        if (write(fd, msg, strlen(msg)) < 0) {
                /* the client is gone; nothing else to tell */
        }
        close(fd);
}

int shim_main(int argc, char **argv)
{
        struct shim_args a;
        if (parse_args(argc, argv, &a) < 0) {
                fprintf(stderr, "usage: deckhand-shim --id SANDBOX_ID --state-dir DIR --root-dir DIR [--ready-fd N]\n");
                return 2;
        }
        /* One owner: everything hanging off s is freed when shim_main
         * returns, on every path (the shim never exits elsewhere). */
        _cleanup_(shim_free) struct shim s = { .dirfd = -1, .ctrs_dirfd = -1, .listen_fd = -1,
                                               .ready_fd = a.ready_fd };
        struct dh_err *err = NULL;
        setsid();
        /* The client waits for EOF on this pipe: no child may keep it. */
        if (s.ready_fd >= 0)
                fcntl(s.ready_fd, F_SETFD, FD_CLOEXEC);
        int r = shim_init(&s, &a, &err);
        report_ready(TAKE_FD(s.ready_fd), r < 0 ? err : NULL);
        dh_err_free(err);
        if (r < 0) {
                if (s.cg && s.cgroup_parent)
                        shim_sandbox_teardown(&s, NULL);
                return 1;
        }
        /* Runs until the sandbox is removed (torn down before the reply). */
        r = dh_loop_run(s.loop);
        return r < 0 ? 1 : 0;
}
