/* The shim's control socket: accepts clients (the agent, deckctl), reads
 * framed requests and dispatches them. Replies to stop and exec are sent
 * later, when the process has exited; if the client went away by then the
 * reply is dropped. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cri/builtin/shim.h"
#include "lib/cleanup.h"

/* Bounds the clients served at once; more wait in the listen backlog. */
#define SHIM_MAX_CONNS 64
/* A client that stops reading its replies is not allowed to stall the shim
 * for longer than this. */
#define SHIM_SEND_TIMEOUT_S 5

static void conn_close(struct shim_conn *c)
{
        if (c->dead)
                return;
        c->dead = true;
        dh_watch_remove(c->w);
        close(c->fd);
        c->fd = -1;
        rt_proto_reader_free(&c->reader);
        for (struct shim_container *k = c->shim->containers; k; k = k->next)
                for (struct shim_waiter *w = k->stop_waiters; w; w = w->next)
                        if (w->conn == c)
                                w->conn = NULL;
        shim_exec_conn_gone(c->shim, c);
}

static void conns_sweep(struct shim *s)
{
        for (struct shim_conn **pc = &s->conns; *pc;) {
                struct shim_conn *c = *pc;
                if (c->dead) {
                        *pc = c->next;
                        free(c);
                } else {
                        pc = &c->next;
                }
        }
}

void shim_conns_free(struct shim *s)
{
        for (struct shim_conn *c = s->conns; c; c = c->next)
                conn_close(c);
        conns_sweep(s);
}

void shim_reply(struct shim_conn *c, json_t *reply)
{
        if (c && !c->dead && reply)
                if (rt_proto_send(c->fd, reply, NULL, 0, NULL) < 0)
                        conn_close(c);
        json_decref(reply);
}

void shim_reply_err(struct shim_conn *c, struct dh_err *err)
{
        shim_reply(c, rt_proto_error_reply(err));
        dh_err_free(err);
}

void shim_reply_ok(struct shim_conn *c)
{
        shim_reply(c, json_pack("{sb}", "ok", 1));
}

static void stop_sandbox(struct shim *s)
{
        for (struct shim_container *c = s->containers; c; c = c->next) {
                if (c->pid <= 0)
                        continue;
                pid_t pid = c->pid;
                shim_container_kill_all(c);
                shim_reap_until(s, pid);
        }
        s->status.state = RT_SANDBOX_NOTREADY;
        shim_save_sandbox(s, NULL);
}

static int remove_sandbox(struct shim *s, struct dh_err **err)
{
        stop_sandbox(s);
        while (s->containers) {
                char *id = strdup(s->containers->id);
                int r = id ? shim_container_remove(s, id, err) : -ENOMEM;
                free(id);
                if (r < 0)
                        return r;
        }
        /* Everything goes before the reply, so RemovePodSandbox returns
         * only when nothing of the sandbox is left but this process. */
        s->removing = true;
        return shim_sandbox_teardown(s, err);
}

/* Requests answered at once. Returns 1 when the reply was deferred. */
static int dispatch(struct shim_conn *c, json_t *req, const int *fds, int nfds, json_t **reply,
                    struct dh_err **err)
{
        struct shim *s = c->shim;
        const char *op = json_string_value(json_object_get(req, "op"));
        const char *id = json_string_value(json_object_get(req, "id"));
        if (!op)
                return dh_err_set(err, EPROTO, "request without op");
        if (strcmp(op, "ping") == 0)
                return 0;
        if (strcmp(op, "create") == 0) {
                _cleanup_free_ char *cid = NULL;
                int r = shim_container_create(s, req, &cid, err);
                if (r == 0)
                        *reply = json_pack("{sbss}", "ok", 1, "id", cid);
                return r;
        }
        if (strcmp(op, "exec") == 0)
                return shim_exec_begin(s, c, req, fds, nfds, err) < 0 ? -1 : 1;
        if (strcmp(op, "stop_sandbox") == 0) {
                stop_sandbox(s);
                return 0;
        }
        if (strcmp(op, "remove_sandbox") == 0)
                return remove_sandbox(s, err);
        if (!id)
                return dh_err_set(err, EINVAL, "%s: request without id", op);
        if (strcmp(op, "start") == 0)
                return shim_container_start(s, id, err);
        if (strcmp(op, "stop") == 0)
                return shim_container_stop(s, id, json_integer_value(json_object_get(req, "timeout")), c, err);
        if (strcmp(op, "remove") == 0)
                return shim_container_remove(s, id, err);
        if (strcmp(op, "reopen_log") == 0)
                return shim_container_reopen_log(s, id, err);
        return dh_err_set(err, ENOTSUP, "unknown op \"%s\"", op);
}

static void handle(struct shim_conn *c, json_t *req, const int *fds, int nfds)
{
        struct dh_err *err = NULL;
        json_t *reply = NULL;
        int r = dispatch(c, req, fds, nfds, &reply, &err);
        for (int i = 0; i < nfds; i++)
                close(fds[i]); /* exec dup'ed what it keeps */
        if (r < 0)
                shim_reply_err(c, err);
        else if (r == 0)
                shim_reply(c, reply ? reply : json_pack("{sb}", "ok", 1));
        else
                json_decref(reply);
        if (c->shim->removing)
                dh_loop_quit(c->shim->loop, 0);
}

static void on_conn(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)fd;
        (void)events;
        struct shim_conn *c = ud;
        for (int i = 0; i < 8 && !c->dead; i++) {
                json_t *msg = NULL;
                int fds[RT_PROTO_MAX_FDS], nfds = 0;
                int r = rt_proto_reader_feed(&c->reader, c->fd, &msg, fds, &nfds, NULL);
                if (r < 0) {
                        conn_close(c);
                        break;
                }
                if (r == 0)
                        break;
                handle(c, msg, fds, nfds);
                json_decref(msg);
        }
        conns_sweep(c->shim);
}

static void on_accept(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)events;
        struct shim *s = ud;
        int n = 0;
        for (struct shim_conn *c = s->conns; c; c = c->next)
                n++;
        if (n >= SHIM_MAX_CONNS)
                return;
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0)
                return;
        struct timeval tv = { .tv_sec = SHIM_SEND_TIMEOUT_S };
        setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        struct shim_conn *c = calloc(1, sizeof *c);
        if (!c) {
                close(cfd);
                return;
        }
        *c = (struct shim_conn){ .shim = s, .fd = cfd, .next = s->conns };
        rt_proto_reader_init(&c->reader);
        c->w = dh_loop_watch(l, cfd, EPOLLIN, on_conn, c, NULL);
        if (!c->w) {
                rt_proto_reader_free(&c->reader);
                close(cfd);
                free(c);
                return;
        }
        s->conns = c;
}

int shim_listen(struct shim *s, struct dh_err **err)
{
        /* Addressed through our dir fd: short whatever the state dir's length. */
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d/shim.sock", s->dirfd);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        memcpy(sa.sun_path, path, strlen(path) + 1);
        s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->listen_fd < 0)
                return dh_err_errno(err, errno, "socket");
        unlink(path);
        mode_t old = umask(0077); /* root-only socket from birth */
        int r = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa);
        umask(old);
        if (r < 0)
                return dh_err_errno(err, errno, "bind %s", path);
        if (listen(s->listen_fd, 16) < 0)
                return dh_err_errno(err, errno, "listen %s", path);
        return dh_loop_watch(s->loop, s->listen_fd, EPOLLIN, on_accept, s, err) ? 0 : -EIO;
}
