/* The agent's local API socket: accept, read one bounded request line,
 * write one bounded response without blocking, close. See localapi.h. */
#include "agent/localapi.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"

struct la_conn {
        struct agent_localapi *api;
        struct la_conn *next;
        int fd;
        struct dh_watch *watch;
        struct dh_timer *timer;
        char in[AGENT_LOCALAPI_REQUEST_MAX + 1];
        size_t in_len;
        char *out; /* NULL while reading the request */
        size_t out_len, out_off;
        bool unread;   /* the request was cut short: drain what the peer still sends */
        bool draining; /* response sent: discarding input until EOF */
};

struct agent_localapi {
        struct agent_localapi_options o;
        char *path;
        int fd;
        struct dh_watch *watch;
        struct la_conn *conns;
        unsigned n_conns;
};

/* j (consumed) as one compact JSON line; NULL on OOM, or with *len set
 * to SIZE_MAX when the line would be longer than max bytes. */
static char *json_line(json_t *j, size_t max, size_t *len)
{
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        *len = 0;
        if (!s)
                return NULL;
        size_t n = strlen(s);
        if (n + 1 > max) {
                free(s);
                *len = SIZE_MAX;
                return NULL;
        }
        char *r = realloc(s, n + 2);
        if (!r) {
                free(s);
                return NULL;
        }
        memcpy(r + n, "\n", 2);
        *len = n + 1;
        return r;
}

static char *status_failure(const char *reason, int code, const char *message, size_t *len)
{
        json_t *j = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion",
                              "v1", "metadata", "status", "Failure", "message", message, "reason",
                              reason, "code", code);
        return json_line(j, SIZE_MAX, len);
}

char *agent_localapi_respond(const struct agent_localapi_options *o, const char *line,
                             size_t *len)
{
        if (strcmp(line, "pods") != 0)
                return status_failure("BadRequest", 400, "unknown request (known: pods)", len);
        size_t max = o->response_max ? o->response_max : AGENT_LOCALAPI_RESPONSE_MAX;
        char *r = json_line(o->pods(o->ud), max, len);
        if (!r && *len == SIZE_MAX)
                return status_failure("InternalError", 500, "response too large", len);
        return r;
}

static void conn_close(struct la_conn *c)
{
        struct agent_localapi *a = c->api;
        for (struct la_conn **pp = &a->conns; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        a->n_conns--;
        dh_watch_remove(c->watch);
        dh_timer_cancel(c->timer);
        close(c->fd);
        free(c->out);
        free(c);
}

/* Discards input until EOF; the connection's timer bounds it. */
static void conn_drain(struct la_conn *c)
{
        char junk[4096];
        for (;;) {
                ssize_t n = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n <= 0)
                        break;
        }
        conn_close(c);
}

/* After the response to a cut-short request: closing with unread input
 * would reset the connection and lose the response, so half-close and
 * drain first (a lingering close). */
static void conn_linger(struct la_conn *c)
{
        c->draining = true;
        if (shutdown(c->fd, SHUT_WR) < 0 || dh_watch_events(c->watch, EPOLLIN, NULL) < 0)
                conn_close(c);
        else
                conn_drain(c);
}

/* Writes what the socket takes; closes the connection once all is sent
 * or on an error. */
static void conn_flush(struct la_conn *c)
{
        while (c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n <= 0)
                        break;
                c->out_off += (size_t)n;
        }
        if (c->out_off == c->out_len && c->unread)
                conn_linger(c);
        else
                conn_close(c);
}

static void conn_respond(struct la_conn *c)
{
        c->in[c->in_len] = '\0';
        char *nl = strchr(c->in, '\n');
        if (nl)
                *nl = '\0';
        if (nl && nl > c->in && nl[-1] == '\r')
                nl[-1] = '\0';
        c->out = agent_localapi_respond(&c->api->o, c->in, &c->out_len);
        /* A PodList is built as a JSON tree of many small blocks, freed by
         * now: their pages go back at once, not at the next relist. */
        malloc_trim(0);
        if (!c->out || dh_watch_events(c->watch, EPOLLOUT, NULL) < 0) {
                conn_close(c);
                return;
        }
        conn_flush(c);
}

static void conn_read(struct la_conn *c)
{
        for (;;) {
                size_t room = AGENT_LOCALAPI_REQUEST_MAX - c->in_len;
                if (room == 0) {
                        size_t len = 0;
                        c->out = status_failure("BadRequest", 400, "request line too long", &len);
                        c->out_len = len;
                        c->unread = true;
                        if (!c->out || dh_watch_events(c->watch, EPOLLOUT, NULL) < 0)
                                conn_close(c);
                        else
                                conn_flush(c);
                        return;
                }
                ssize_t n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n < 0) {
                        conn_close(c);
                        return;
                }
                c->in_len += (size_t)n;
                /* A newline ends the request; so does EOF (half-close). */
                if (n == 0 || memchr(c->in + c->in_len - (size_t)n, '\n', (size_t)n)) {
                        conn_respond(c);
                        return;
                }
        }
}

static void on_conn(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)fd;
        struct la_conn *c = ud;
        if (c->draining)
                conn_drain(c);
        else if (c->out)
                conn_flush(c);
        else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                conn_read(c);
}

static void on_timeout(struct dh_loop *l, void *ud)
{
        (void)l;
        struct la_conn *c = ud;
        c->timer = NULL; /* fired: nothing to cancel */
        conn_close(c);
}

/* Only the agent's own user (root) may talk to it; the socket's mode says
 * the same, this holds even if the mode is changed behind our back. */
static bool peer_allowed(int fd)
{
        struct ucred cr;
        socklen_t len = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
                return false;
        return cr.uid == geteuid();
}

static void conn_new(struct agent_localapi *a, int fd)
{
        struct la_conn *c = calloc(1, sizeof *c);
        if (!c) {
                close(fd);
                return;
        }
        *c = (struct la_conn){ .api = a, .fd = fd };
        uint64_t ms = a->o.timeout_ms ? a->o.timeout_ms : AGENT_LOCALAPI_TIMEOUT_MS;
        c->watch = dh_loop_watch(a->o.loop, fd, EPOLLIN, on_conn, c, NULL);
        c->timer = c->watch ? dh_loop_timer(a->o.loop, ms, on_timeout, c, NULL) : NULL;
        if (!c->timer) {
                dh_watch_remove(c->watch);
                close(fd);
                free(c);
                return;
        }
        c->next = a->conns;
        a->conns = c;
        a->n_conns++;
}

static void on_accept(struct dh_loop *l, int lfd, uint32_t events, void *ud)
{
        (void)l;
        (void)events;
        struct agent_localapi *a = ud;
        unsigned max = a->o.max_conns ? a->o.max_conns : AGENT_LOCALAPI_MAX_CONNS;
        for (;;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                            errno != ECONNABORTED)
                                log_warns("Local API: accept failed", "err", strerror(errno));
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        return;
                }
                /* Over the cap or not ours: closed at once, never queued. */
                if (a->n_conns >= max || !peer_allowed(fd))
                        close(fd);
                else
                        conn_new(a, fd);
        }
}

static int listen_at(const char *path, int *out, struct dh_err **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return dh_err_set(err, DH_ELIMIT, "socket path %s is too long", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return dh_err_errno(err, errno, "socket");
        /* A stale socket from an agent that died; anything else is kept. */
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path);
        /* The umask makes the socket 0600 from birth (single-threaded:
         * the process-wide umask is restored before anything else runs). */
        mode_t old = umask(0177);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
        umask(old);
        if (r < 0)
                return dh_err_errno(err, errno, "bind %s", path);
        if (listen(fd, AGENT_LOCALAPI_MAX_CONNS) < 0)
                return dh_err_errno(err, errno, "listen %s", path);
        *out = TAKE_FD(fd);
        return 0;
}

int agent_localapi_open(const struct agent_localapi_options *o, struct agent_localapi **out,
                        struct dh_err **err)
{
        struct agent_localapi *a = calloc(1, sizeof *a);
        if (!a)
                return dh_err_errno(err, ENOMEM, "local API");
        a->o = *o;
        a->fd = -1;
        a->path = strdup(o->path);
        if (!a->path) {
                free(a);
                return dh_err_errno(err, ENOMEM, "local API");
        }
        if (listen_at(a->path, &a->fd, err) < 0) {
                agent_localapi_close(a);
                return -1;
        }
        a->watch = dh_loop_watch(o->loop, a->fd, EPOLLIN, on_accept, a, err);
        if (!a->watch) {
                agent_localapi_close(a);
                return -1;
        }
        a->o.path = a->path;
        *out = a;
        return 0;
}

void agent_localapi_close(struct agent_localapi *a)
{
        if (!a)
                return;
        while (a->conns)
                conn_close(a->conns);
        dh_watch_remove(a->watch);
        if (a->fd >= 0) {
                close(a->fd);
                unlink(a->path);
        }
        free(a->path);
        free(a);
}
