/* tcpSocket probes (pkg/probe/tcp): success when a TCP connection to the
 * port opens, which is closed at once. A non-blocking connect watched on
 * the loop, with a timer for the probe's timeout. Messages are Go's dial
 * errors: "dial tcp 10.1.2.3:80: connect: connection refused", "... i/o
 * timeout". */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "probes/probe-internal.h"

void probe_tcp_free(struct probe_op *op)
{
        dh_watch_remove(op->watch);
        op->watch = NULL;
        if (op->fd >= 0)
                close(op->fd);
        op->fd = -1;
        free(op->addr);
}

/* Go prints errno texts in lower case. */
static void dial_msg(const struct probe_op *op, int e, char *msg, size_t size)
{
        char reason[128];
        snprintf(reason, sizeof reason, "%s", strerror(e));
        reason[0] = (char)tolower((unsigned char)reason[0]);
        snprintf(msg, size, "dial tcp %s: connect: %s", op->addr, reason);
}

static void on_connect(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)events;
        struct probe_op *op = ud;
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
                e = errno;
        if (e == 0)
                probe_finish(op, PROBE_SUCCESS, "");
        else if (e != EINPROGRESS) {
                char msg[512];
                dial_msg(op, e, msg, sizeof msg);
                probe_finish(op, PROBE_FAILURE, msg);
        }
}

static void on_timeout(struct dh_loop *l, void *ud)
{
        (void)l;
        struct probe_op *op = ud;
        op->timer = NULL;
        char msg[512];
        snprintf(msg, sizeof msg, "dial tcp %s: i/o timeout", op->addr);
        probe_finish(op, PROBE_FAILURE, msg);
}

int probe_tcp_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err)
{
        op->kind = OP_TCP;
        const struct pod_tcp_socket *ts = t->spec->tcpSocket;
        int port = 0;
        _cleanup_err_ struct dh_err *perr = NULL;
        if (probe_resolve_port(&ts->port, t->ports, t->nports, &port, &perr) < 0)
                return probe_finish_later(op, PROBE_UNKNOWN, perr->msg, err);
        const char *host = ts->host && *ts->host ? ts->host : t->pod_ip;
        if (!host || !*host)
                return probe_finish_later(op, PROBE_UNKNOWN, "the pod has no IP address to probe", err);
        op->addr = probe_join_host_port(host, port);
        if (!op->addr)
                return dh_err_set(err, ENOMEM, "out of memory");

        struct sockaddr_storage ss = { 0 };
        socklen_t slen;
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
                a4->sin_family = AF_INET;
                a4->sin_port = htons((uint16_t)port);
                slen = sizeof *a4;
        } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons((uint16_t)port);
                slen = sizeof *a6;
        } else {
                /* Resolving a name would block the loop; the agent's probes
                 * target pod IPs, and a host set in the spec must be one. */
                char msg[512];
                snprintf(msg, sizeof msg, "dial tcp %s: host must be an IP address for tcpSocket probes",
                         op->addr);
                return probe_finish_later(op, PROBE_FAILURE, msg, err);
        }
        op->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (op->fd < 0)
                return dh_err_errno(err, errno, "socket");
        if (connect(op->fd, (struct sockaddr *)&ss, slen) == 0)
                return probe_finish_later(op, PROBE_SUCCESS, "", err);
        if (errno != EINPROGRESS) {
                char msg[512];
                dial_msg(op, errno, msg, sizeof msg);
                return probe_finish_later(op, PROBE_FAILURE, msg, err);
        }
        op->watch = dh_loop_watch(op->ctx->loop, op->fd, EPOLLOUT, on_connect, op, err);
        if (!op->watch)
                return -1;
        op->timer = dh_loop_timer(op->ctx->loop, (uint64_t)op->timeout_ms, on_timeout, op, err);
        return op->timer ? 0 : -1;
}
