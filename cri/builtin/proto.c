/* Framing, fd passing and reply conventions of the shim protocol. */
#include "cri/builtin/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"

static int send_all(int sock, const char *p, size_t len, const int *fds, int nfds,
                    struct dh_err **err)
{
        char cbuf[CMSG_SPACE(sizeof(int) * RT_PROTO_MAX_FDS)] = { 0 };
        while (len) {
                struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                if (nfds > 0) {
                        mh.msg_control = cbuf;
                        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
                        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                        c->cmsg_level = SOL_SOCKET;
                        c->cmsg_type = SCM_RIGHTS;
                        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
                        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
                }
                ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return dh_err_errno(err, errno, "send");
                p += n;
                len -= (size_t)n;
                nfds = 0; /* the fds went with the first byte */
        }
        return 0;
}

int rt_proto_send(int sock, json_t *msg, const int *fds, int nfds, struct dh_err **err)
{
        if (nfds > RT_PROTO_MAX_FDS)
                return dh_err_set(err, EINVAL, "too many fds for one frame");
        _cleanup_free_ char *body = json_dumps(msg, JSON_COMPACT);
        if (!body)
                return dh_err_set(err, ENOMEM, "cannot encode message");
        size_t len = strlen(body);
        if (len > RT_PROTO_MAX_FRAME)
                return dh_err_set(err, DH_ELIMIT, "message of %zu bytes exceeds the %u byte limit",
                                  len, RT_PROTO_MAX_FRAME);
        unsigned char hdr[4] = { (unsigned char)len, (unsigned char)(len >> 8),
                                 (unsigned char)(len >> 16), (unsigned char)(len >> 24) };
        int r = send_all(sock, (const char *)hdr, sizeof hdr, fds, nfds, err);
        return r < 0 ? r : send_all(sock, body, len, NULL, 0, err);
}

/* Takes the fds out of a received control message. */
static void take_fds(struct msghdr *mh, int *fds, int *nfds)
{
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *in = (int *)CMSG_DATA(c);
                for (size_t i = 0; i < n; i++) {
                        if (*nfds < RT_PROTO_MAX_FDS)
                                fds[(*nfds)++] = in[i];
                        else
                                close(in[i]);
                }
        }
}

void rt_proto_reader_init(struct rt_proto_reader *r)
{
        *r = (struct rt_proto_reader){ 0 };
        /* Room for a whole frame plus one read's worth of the next one. */
        dh_buf_init(&r->buf, RT_PROTO_MAX_FRAME + 4 + 65536);
}

void rt_proto_reader_free(struct rt_proto_reader *r)
{
        for (int i = 0; i < r->nfds; i++)
                close(r->fds[i]);
        dh_buf_free(&r->buf);
        r->nfds = 0;
}

/* Pops a complete frame from the buffer, if there is one. */
static int pop_frame(struct rt_proto_reader *r, json_t **msg, int *fds, int *nfds,
                     struct dh_err **err)
{
        if (r->buf.len < 4)
                return 0;
        const unsigned char *h = (const unsigned char *)r->buf.data;
        uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
        if (len > RT_PROTO_MAX_FRAME)
                return dh_err_set(err, DH_ELIMIT, "frame of %u bytes exceeds the limit", len);
        if (r->buf.len < 4 + (size_t)len)
                return 0;
        json_error_t je;
        *msg = json_loadb(r->buf.data + 4, len, 0, &je);
        memmove(r->buf.data, r->buf.data + 4 + len, r->buf.len - 4 - len);
        r->buf.len -= 4 + len;
        *nfds = r->nfds;
        memcpy(fds, r->fds, sizeof(int) * (size_t)r->nfds);
        r->nfds = 0;
        if (!*msg || !json_is_object(*msg)) {
                json_decref(*msg);
                *msg = NULL;
                /* fds are handed over only with a message (proto.h). */
                for (int i = 0; i < *nfds; i++)
                        close(fds[i]);
                *nfds = 0;
                return dh_err_set(err, EPROTO, "malformed message: %s", je.text);
        }
        return 1;
}

int rt_proto_reader_feed(struct rt_proto_reader *r, int sock, json_t **msg, int *fds, int *nfds,
                         struct dh_err **err)
{
        int got = pop_frame(r, msg, fds, nfds, err);
        if (got != 0)
                return got;
        char chunk[65536];
        char cbuf[CMSG_SPACE(sizeof(int) * RT_PROTO_MAX_FDS)];
        struct iovec iov = { .iov_base = chunk, .iov_len = sizeof chunk };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                             .msg_controllen = sizeof cbuf };
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n < 0)
                return dh_err_errno(err, errno, "recv");
        take_fds(&mh, r->fds, &r->nfds);
        if (n == 0)
                return -EPIPE;
        int rr = dh_buf_append(&r->buf, chunk, (size_t)n, err);
        return rr < 0 ? rr : pop_frame(r, msg, fds, nfds, err);
}

int rt_proto_recv(int sock, int timeout_ms, json_t **msg, int *fds, int *nfds,
                  struct dh_err **err)
{
        struct rt_proto_reader r;
        rt_proto_reader_init(&r);
        *nfds = 0;
        int rc;
        for (;;) {
                rc = rt_proto_reader_feed(&r, sock, msg, fds, nfds, err);
                if (rc != 0)
                        break;
                struct pollfd p = { .fd = sock, .events = POLLIN };
                int pr = poll(&p, 1, timeout_ms);
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr <= 0) {
                        rc = pr == 0 ? dh_err_set(err, ETIMEDOUT, "no reply within %d ms", timeout_ms)
                                     : dh_err_errno(err, errno, "poll");
                        break;
                }
        }
        rt_proto_reader_free(&r);
        if (rc == -EPIPE)
                return dh_err_set(err, EPIPE, "connection closed before a reply");
        return rc < 0 ? rc : 0;
}

json_t *rt_proto_error_reply(const struct dh_err *err)
{
        return json_pack("{sbsiss}", "ok", 0, "errno", err ? err->code : EIO, "error",
                         err && err->msg ? err->msg : "unknown error");
}

int rt_proto_check_reply(json_t *reply, struct dh_err **err)
{
        if (json_is_true(json_object_get(reply, "ok")))
                return 0;
        json_t *code = json_object_get(reply, "errno");
        const char *msg = json_string_value(json_object_get(reply, "error"));
        return dh_err_set(err, json_is_integer(code) ? (int)json_integer_value(code) : EIO, "%s",
                          msg ? msg : "request failed");
}

int rt_proto_connect(const char *path, struct dh_err **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return dh_err_set(err, ENAMETOOLONG, "%s: socket path too long", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return dh_err_errno(err, errno, "socket");
        if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
                int e = errno;
                close(s);
                return dh_err_errno(err, e, "connect %s", path);
        }
        return s;
}

int rt_proto_connect_in(const char *dir, const char *name, struct dh_err **err)
{
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return dh_err_errno(err, errno, "open %s", dir);
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d/%.32s", dfd, name);
        int s = rt_proto_connect(path, err);
        return s < 0 ? dh_err_prefix(err, "%s/%s", dir, name) : s;
}
