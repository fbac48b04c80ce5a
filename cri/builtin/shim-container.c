/* Container lifecycle inside the shim: create (clone the child, wait for
 * its filesystem), start (release it, see it exec), stop (signal, then kill
 * the cgroup after the timeout), reap (record the exit, OOM kills
 * included), remove (cgroup, layers, state). Every state change is written
 * to the container's state file before anyone is told. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/builtin/plan-json.h"
#include "cri/builtin/shim.h"
#include "cri/json.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"

/* How long create/start wait for the child's answer. */
#define CHILD_REPLY_MS 30000

struct shim_container *shim_container_find(struct shim *s, const char *id)
{
        for (struct shim_container *c = s->containers; c; c = c->next)
                if (strcmp(c->id, id) == 0 || (strlen(id) >= 6 && strncmp(c->id, id, strlen(id)) == 0))
                        return c;
        return NULL;
}

/* The first save writes "<id>.json" with the status, the plan and the
 * config; later ones only "<id>.status.json" (the relist of every
 * container each second then parses a fifth of the bytes). */
int shim_save_container(struct shim_container *c, struct dh_err **err)
{
        json_t *status = rt_container_status_to_json(&c->status);
        json_t *doc;
        if (c->saved) {
                doc = json_pack("{so}", "status", status ? status : json_object());
        } else {
                json_t *plan = rt_plan_to_json(&c->plan);
                doc = json_pack("{sososO}", "status", status ? status : json_object(), "plan",
                                plan ? plan : json_object(), "config",
                                c->config ? c->config : json_null());
        }
        _cleanup_free_ char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        _cleanup_free_ char *name = NULL;
        if (!text || asprintf(&name, c->saved ? "%s.status.json" : "%s.json", c->id) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = dh_write_file_atomic(c->shim->ctrs_dirfd, name, text, strlen(text), 0600, err);
        if (r == 0)
                c->saved = true;
        return r;
}

void shim_container_free(struct shim_container *c)
{
        if (!c)
                return;
        dh_watch_remove(c->out_w);
        dh_watch_remove(c->err_w);
        dh_timer_cancel(c->kill_timer);
        if (c->ctl_fd >= 0)
                close(c->ctl_fd);
        if (c->out_fd >= 0)
                close(c->out_fd);
        if (c->err_fd >= 0)
                close(c->err_fd);
        if (c->log_open)
                rt_log_close(&c->log);
        for (struct shim_waiter *w = c->stop_waiters, *n; w; w = n) {
                n = w->next;
                free(w);
        }
        rt_plan_free(&c->plan);
        rt_container_status_free(&c->status);
        json_decref(c->config);
        free(c->id);
        free(c);
}

/* --- output: pipes → CRI log file --- */
static void pump(struct shim_container *c, int fd, enum rt_log_stream stream)
{
        char buf[65536];
        for (int i = 0; i < 16; i++) { /* bounded per wakeup: others get their turn */
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN) {
                                if (c->log_open)
                                        rt_log_flush(&c->log, stream, NULL);
                                struct dh_watch **w = stream == RT_LOG_STDOUT ? &c->out_w : &c->err_w;
                                dh_watch_remove(*w);
                                *w = NULL;
                        }
                        return;
                }
                if (c->log_open)
                        rt_log_feed(&c->log, stream, buf, (size_t)n, NULL);
        }
}

static void on_out(struct dh_loop *l, int fd, uint32_t ev, void *ud)
{
        (void)l;
        (void)ev;
        pump(ud, fd, RT_LOG_STDOUT);
}

static void on_err(struct dh_loop *l, int fd, uint32_t ev, void *ud)
{
        (void)l;
        (void)ev;
        pump(ud, fd, RT_LOG_STDERR);
}

/* --- create --- */
struct child_io {
        int stdio[3];   /* the child's ends */
        int ctl[2];     /* [0] shim, [1] child */
};

static void child_io_close(struct child_io *io)
{
        for (int i = 0; i < 3; i++)
                if (io->stdio[i] >= 0)
                        close(io->stdio[i]);
        for (int i = 0; i < 2; i++)
                if (io->ctl[i] >= 0)
                        close(io->ctl[i]);
}

static int open_io(struct shim_container *c, struct child_io *io, struct dh_err **err)
{
        int out[2], errp[2];
        io->stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (io->stdio[0] < 0)
                return dh_err_errno(err, errno, "open /dev/null");
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, io->ctl) < 0)
                return dh_err_errno(err, errno, "socketpair");
        if (pipe2(out, O_CLOEXEC) < 0)
                return dh_err_errno(err, errno, "pipe");
        if (pipe2(errp, O_CLOEXEC) < 0) {
                close(out[0]);
                close(out[1]);
                return dh_err_errno(err, errno, "pipe");
        }
        c->out_fd = out[0];
        c->err_fd = errp[0];
        io->stdio[1] = out[1];
        io->stdio[2] = errp[1];
        fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
        fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
        return 0;
}

/* Reads the child's one-message answer: 'R' (ready), or "E<errno> msg". */
static int child_answer(int fd, bool eof_ok, struct dh_err **err)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int pr;
        do {
                pr = poll(&p, 1, CHILD_REPLY_MS);
        } while (pr < 0 && errno == EINTR);
        if (pr == 0)
                return dh_err_set(err, ETIMEDOUT, "no answer from the container process in %d ms", CHILD_REPLY_MS);
        char buf[4097];
        ssize_t n;
        do {
                n = read(fd, buf, sizeof buf - 1);
        } while (n < 0 && errno == EINTR);
        if (n == 0)
                return eof_ok ? 0 : dh_err_set(err, EIO, "the container process exited during setup");
        if (n < 0)
                return dh_err_errno(err, errno, "read from container process");
        buf[n] = '\0';
        if (buf[0] == 'R' && n == 1)
                return 0;
        if (buf[0] != 'E')
                return dh_err_set(err, EPROTO, "unexpected answer from the container process");
        char *end = NULL;
        long code = strtol(buf + 1, &end, 10);
        return dh_err_set(err, code > 0 && code < 4096 ? (int)code : EIO, "%s", end && *end ? end + 1 : "failed");
}

static void write_oom_score_adj(pid_t pid, int32_t adj)
{
        char path[64], val[16];
        snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
        int n = snprintf(val, sizeof val, "%d", (int)adj);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                if (write(fd, val, (size_t)n) < 0) {
                        /* best effort, as with runc: the container still runs */
                }
                close(fd);
        }
}

static int spawn_child(struct shim_container *c, struct child_io *io, struct dh_err **err)
{
        unsigned long flags = CLONE_NEWNS | (c->plan.new_pid_ns ? CLONE_NEWPID : 0);
        /* Seccomp is compiled here, in the shim (once per profile: cached),
         * from host files, before the child pivots away from them. */
        struct rt_security_prep prep = { 0 };
        if (rt_security_prepare(&c->plan, &prep, err) < 0)
                return dh_err_prefix(err, "seccomp");
        pid_t pid = shim_clone(flags);
        if (pid < 0) {
                rt_security_prep_release(&prep);
                return dh_err_errno(err, errno, "clone container process");
        }
        if (pid == 0) {
                close(io->ctl[0]);
                shim_child_main(&c->plan, c->shim->cg, &prep, io->ctl[1], io->stdio);
        }
        rt_security_prep_release(&prep);
        c->pid = pid;
        close(io->ctl[1]);
        io->ctl[1] = -1;
        c->ctl_fd = io->ctl[0];
        io->ctl[0] = -1;
        if (c->plan.oom_score_adj)
                write_oom_score_adj(pid, c->plan.oom_score_adj);
        return child_answer(c->ctl_fd, false, err);
}

/* SIGKILLs everything of the container. With a PID namespace of its own,
 * killing its init is enough: the kernel kills the rest of the namespace.
 * Otherwise (shared or host PID namespace) the cgroup is swept too. */
void shim_container_kill_all(struct shim_container *c)
{
        if (!c->plan.new_pid_ns)
                cg_kill_all(c->shim->cg, c->plan.cgroup_path, SIGKILL, NULL);
        if (c->pid > 0)
                kill(c->pid, SIGKILL);
}

static void kill_child(struct shim_container *c)
{
        pid_t pid = c->pid;
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        shim_reap_until(c->shim, pid);
        c->pid = 0;
}

static int prepare_container(struct shim *s, struct shim_container *c, struct dh_err **err)
{
        _cleanup_free_ char *dir = rt_container_dir(&s->layout, c->id);
        if (!dir)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = dh_mkdir_p(dir, 0700, err);
        if (r == 0)
                r = cg_create(s->cg, c->plan.cgroup_path, err);
        if (r == 0)
                r = cg_apply(s->cg, c->plan.cgroup_path, &c->plan.resources, err);
        /* Before any process enters: v1 denies everything for a moment. */
        if (r == 0)
                r = cg_apply_devices(s->cg, c->plan.cgroup_path, c->plan.device_rules.v,
                                     c->plan.device_rules.n, err);
        if (r == 0 && c->plan.log_path) {
                r = rt_log_open(&c->log, c->plan.log_path, err);
                c->log_open = r == 0;
        }
        return r;
}

static int create_in(struct shim *s, struct shim_container *c, struct dh_err **err)
{
        struct child_io io = { .stdio = { -1, -1, -1 }, .ctl = { -1, -1 } };
        int r = prepare_container(s, c, err);
        if (r == 0)
                r = open_io(c, &io, err);
        if (r == 0)
                r = spawn_child(c, &io, err);
        child_io_close(&io);
        if (r < 0) {
                kill_child(c);
                cg_remove(s->cg, c->plan.cgroup_path, NULL);
                return r;
        }
        c->out_w = dh_loop_watch(s->loop, c->out_fd, EPOLLIN, on_out, c, err);
        c->err_w = c->out_w ? dh_loop_watch(s->loop, c->err_fd, EPOLLIN, on_err, c, err) : NULL;
        if (!c->err_w)
                return -EIO;
        c->status.state = RT_CONTAINER_CREATED;
        c->status.created_at = dh_realtime_ns();
        c->status.pid = (int)c->pid;
        return shim_save_container(c, err);
}

/* The status starts with what CRI reports back from the config. */
static int status_from_config(struct shim_container *c, struct shim *s, struct dh_err **err)
{
        struct rt_container_config cc = { 0 };
        if (c->config && rt_container_config_from_json(c->config, &cc, err) < 0)
                return -EINVAL;
        struct rt_container_status *st = &c->status;
        st->id = strdup(c->id);
        st->sandbox_id = strdup(s->id);
        st->metadata = cc.metadata;
        cc.metadata = (struct rt_container_metadata){ 0 };
        st->image = TAKE_PTR(cc.image.image);
        st->labels = cc.labels;
        cc.labels = (struct rt_kvs){ 0 };
        st->annotations = cc.annotations;
        cc.annotations = (struct rt_kvs){ 0 };
        st->mounts.v = TAKE_PTR(cc.mounts.v); /* CRI reports the config's mounts */
        st->mounts.n = cc.mounts.n;
        cc.mounts.n = 0;
        st->log_path = c->plan.log_path ? strdup(c->plan.log_path) : NULL;
        rt_container_config_free(&cc);
        return st->id && st->sandbox_id ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static int container_new(struct shim *s, json_t *req, struct shim_container **out, struct dh_err **err)
{
        const char *id = json_string_value(json_object_get(req, "id"));
        if (!rt_id_valid(id))
                return dh_err_set(err, EINVAL, "invalid container id");
        if (shim_container_find(s, id))
                return dh_err_set(err, EEXIST, "container %.12s already exists", id);
        struct shim_container *c = calloc(1, sizeof *c);
        if (!c)
                return dh_err_set(err, ENOMEM, "out of memory");
        *c = (struct shim_container){ .shim = s, .ctl_fd = -1, .out_fd = -1, .err_fd = -1 };
        c->id = strdup(id);
        c->config = json_incref(json_object_get(req, "config"));
        int r = rt_plan_from_json(json_object_get(req, "plan"), &c->plan, err);
        if (r == 0)
                r = status_from_config(c, s, err);
        /* The image id the runtime resolved the config's image to. */
        const char *iref = json_string_value(json_object_get(req, "image_ref"));
        if (r == 0 && iref && !(c->status.image_ref = strdup(iref)))
                r = dh_err_set(err, ENOMEM, "out of memory");
        if (r < 0 || !c->id) {
                shim_container_free(c);
                return r < 0 ? r : dh_err_set(err, ENOMEM, "out of memory");
        }
        *out = c;
        return 0;
}

int shim_container_create(struct shim *s, json_t *req, char **id_out, struct dh_err **err)
{
        struct shim_container *c = NULL;
        int r = container_new(s, req, &c, err);
        if (r < 0 || !c)
                return r < 0 ? r : -ENOMEM;
        r = create_in(s, c, err);
        if (r < 0) {
                shim_container_free(c);
                return r;
        }
        c->next = s->containers;
        s->containers = c;
        *id_out = strdup(c->id);
        return 0;
}

/* --- start --- */
static void set_exited(struct shim_container *c, int32_t code, const char *reason, const char *msg)
{
        c->status.state = RT_CONTAINER_EXITED;
        c->status.exit_code = code;
        c->status.finished_at = dh_realtime_ns();
        c->status.pid = 0;
        free(c->status.reason);
        free(c->status.message);
        c->status.reason = reason ? strdup(reason) : NULL;
        c->status.message = msg ? strdup(msg) : NULL;
}

int shim_container_start(struct shim *s, const char *id, struct dh_err **err)
{
        struct shim_container *c = shim_container_find(s, id);
        if (!c)
                return dh_err_set(err, ENOENT, "container %.12s not found", id);
        if (c->status.state != RT_CONTAINER_CREATED || c->ctl_fd < 0)
                return dh_err_set(err, EINVAL, "container %.12s is %s, not created", id,
                                  rt_container_state_name(c->status.state));
        char go = 'S';
        int r = write(c->ctl_fd, &go, 1) == 1 ? 0 : dh_err_errno(err, errno, "release container process");
        if (r == 0)
                r = child_answer(c->ctl_fd, true, err);
        close(c->ctl_fd);
        c->ctl_fd = -1;
        if (r < 0) {
                /* kubelet's StartError: exit code 128 with the runtime's message. */
                kill_child(c); /* reaped as a plain exit first... */
                /* ...then recorded as kubelet's StartError: exit code 128. */
                set_exited(c, 128, "StartError", err && *err ? (*err)->msg : "start failed");
                shim_save_container(c, NULL);
                return r;
        }
        c->status.state = RT_CONTAINER_RUNNING;
        c->status.started_at = dh_realtime_ns();
        return shim_save_container(c, err);
}

/* --- exit, stop --- */
static void answer_stop_waiters(struct shim_container *c)
{
        struct shim_waiter *w = c->stop_waiters;
        c->stop_waiters = NULL;
        while (w) {
                struct shim_waiter *n = w->next;
                if (w->conn)
                        shim_reply_ok(w->conn);
                free(w);
                w = n;
        }
}

static const char *exit_reason(struct shim_container *c, int32_t code)
{
        struct cg_stats st = { 0 };
        if (cg_stats(c->shim->cg, c->plan.cgroup_path, &st, NULL) == 0 && st.oom_kills > 0)
                return "OOMKilled";
        return code == 0 ? "Completed" : "Error";
}

bool shim_container_reaped(struct shim *s, pid_t pid, int status)
{
        struct shim_container *c = s->containers;
        while (c && c->pid != pid)
                c = c->next;
        if (!c)
                return false;
        int32_t code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        set_exited(c, code, exit_reason(c, code), NULL);
        c->pid = 0;
        dh_timer_cancel(c->kill_timer);
        c->kill_timer = NULL;
        /* In a shared or host PID namespace, processes the init left behind
         * would outlive it; the container is over, so they go too. */
        if (!c->plan.new_pid_ns)
                cg_kill_all(s->cg, c->plan.cgroup_path, SIGKILL, NULL);
        shim_save_container(c, NULL);
        answer_stop_waiters(c);
        return true;
}

static void on_kill_timer(struct dh_loop *l, void *ud)
{
        (void)l;
        struct shim_container *c = ud;
        c->kill_timer = NULL;
        if (c->pid > 0)
                shim_container_kill_all(c);
}

int shim_container_stop(struct shim *s, const char *id, int64_t timeout_s, struct shim_conn *conn,
                        struct dh_err **err)
{
        struct shim_container *c = shim_container_find(s, id);
        if (!c)
                return dh_err_set(err, ENOENT, "container %.12s not found", id);
        if (c->status.state != RT_CONTAINER_RUNNING || c->pid <= 0) {
                if (c->status.state == RT_CONTAINER_CREATED) {
                        kill_child(c);
                        set_exited(c, 128 + SIGKILL, "Error", "stopped before it was started");
                        shim_save_container(c, NULL);
                }
                return 0; /* already stopped: reply now */
        }
        struct shim_waiter *w = calloc(1, sizeof *w);
        if (!w)
                return dh_err_set(err, ENOMEM, "out of memory");
        *w = (struct shim_waiter){ .conn = conn, .next = c->stop_waiters };
        c->stop_waiters = w;
        int sig = timeout_s > 0 ? c->plan.stop_signal : SIGKILL;
        if (kill(c->pid, sig > 0 ? sig : SIGTERM) < 0 && errno != ESRCH)
                return dh_err_errno(err, errno, "signal container");
        if (timeout_s > 0 && !c->kill_timer)
                c->kill_timer = dh_loop_timer(s->loop, (uint64_t)timeout_s * 1000, on_kill_timer, c, NULL);
        else if (timeout_s <= 0)
                shim_container_kill_all(c);
        return 1; /* the reply comes when it exits */
}

/* --- remove --- */
static void unlink_container(struct shim *s, struct shim_container *c)
{
        for (struct shim_container **pc = &s->containers; *pc; pc = &(*pc)->next) {
                if (*pc == c) {
                        *pc = c->next;
                        return;
                }
        }
}

static int remove_files(struct shim *s, struct shim_container *c, struct dh_err **err)
{
        _cleanup_free_ char *parent = NULL, *name = NULL, *status = NULL;
        if (asprintf(&parent, "%s/containers", s->layout.root_dir) < 0 ||
            asprintf(&name, "%s.json", c->id) < 0 || asprintf(&status, "%s.status.json", c->id) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = 0;
        _cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd >= 0)
                r = dh_rm_rf_at(pfd, c->id, err);
        /* The state file last: without it the container is not listed. */
        if (unlinkat(s->ctrs_dirfd, status, 0) < 0 && errno != ENOENT && r == 0)
                r = dh_err_errno(err, errno, "remove status of container %.12s", c->id);
        if (unlinkat(s->ctrs_dirfd, name, 0) < 0 && errno != ENOENT && r == 0)
                r = dh_err_errno(err, errno, "remove state of container %.12s", c->id);
        return r;
}

int shim_container_remove(struct shim *s, const char *id, struct dh_err **err)
{
        struct shim_container *c = shim_container_find(s, id);
        if (!c)
                return 0; /* CRI: removing a missing container succeeds */
        if (c->pid > 0) {
                pid_t pid = c->pid;
                shim_container_kill_all(c);
                shim_reap_until(s, pid);
        }
        int r = cg_remove(s->cg, c->plan.cgroup_path, err);
        int r2 = remove_files(s, c, r < 0 ? NULL : err);
        answer_stop_waiters(c);
        unlink_container(s, c);
        shim_container_free(c);
        return r < 0 ? r : r2;
}

int shim_container_reopen_log(struct shim *s, const char *id, struct dh_err **err)
{
        struct shim_container *c = shim_container_find(s, id);
        if (!c)
                return dh_err_set(err, ENOENT, "container %.12s not found", id);
        if (!c->log_open)
                return dh_err_set(err, EINVAL, "container %.12s has no log file", id);
        if (c->status.state != RT_CONTAINER_RUNNING)
                return dh_err_set(err, EINVAL, "container %.12s is not running", id);
        return rt_log_reopen(&c->log, err);
}
