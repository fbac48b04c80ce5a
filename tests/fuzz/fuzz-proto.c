/* Fuzz target: the shim protocol's incremental frame reader
 * (cri/builtin/proto.c) on an arbitrary byte stream. A socketpair is made
 * once per process; each input is written into one end in up to three
 * chunks (the cut points come from the input size) and the reader is fed
 * from the other until it wants more, fails, or the stream is drained.
 * Inputs of size % 3 == 1 or 2 also pass that many fds with the first
 * chunk, so the fd hand-over is exercised too. The reader's documented
 * contract is followed exactly (fds are ours only when it returns 1), and
 * the lowest free fd must be where it was afterwards: nothing leaks. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cri/builtin/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Broken properties name themselves, so a failing replay says what broke. */
static _Noreturn void fail(const char *why)
{
        fprintf(stderr, "fuzz-proto: %s\n", why);
        abort();
}

#define CHUNK_MAX (64u * 1024)

static int sv[2] = { -1, -1 };

static int lowest_free_fd(void)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
                close(fd);
        return fd;
}

/* Sends p[0..n) (at most CHUNK_MAX, so it fits the socket buffer), with
 * nfds fresh fds on the first byte. */
static void send_chunk(const uint8_t *p, size_t n, int nfds)
{
        int fds[2] = { -1, -1 };
        char cbuf[CMSG_SPACE(sizeof fds)] = { 0 };
        struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        for (int i = 0; i < nfds; i++)
                fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (nfds > 0) {
                mh.msg_control = cbuf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
        }
        while (iov.iov_len) {
                ssize_t w = sendmsg(sv[0], &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        abort(); /* CHUNK_MAX always fits an empty socket */
                iov.iov_base = (char *)iov.iov_base + w;
                iov.iov_len -= (size_t)w;
                mh.msg_control = NULL;
                mh.msg_controllen = 0;
        }
        for (int i = 0; i < nfds; i++)
                close(fds[i]); /* the receiver has its own copies now */
}

/* Feeds until the reader needs more (0) and the socket is empty, or the
 * reader fails (< 0: returns false). One recv may stop short of what is
 * queued (at an fd-carrying boundary), hence the FIONREAD check. */
static bool feed(struct rt_proto_reader *r)
{
        for (;;) {
                json_t *msg = NULL;
                int fds[RT_PROTO_MAX_FDS], nfds = 0, queued = 0;
                struct dh_err *err = NULL;
                int rc = rt_proto_reader_feed(r, sv[1], &msg, fds, &nfds, &err);
                if (rc == 0 && ioctl(sv[1], FIONREAD, &queued) == 0 && queued > 0)
                        continue;
                if (rc == 0)
                        return true;
                if (rc < 0) {
                        if (!err || !err->msg || msg)
                                fail("a failure without an error message, or with a frame");
                        dh_err_free(err);
                        return false;
                }
                if (!json_is_object(msg) || nfds < 0 || nfds > RT_PROTO_MAX_FDS)
                        fail("a frame that is not an object, or a bad fd count");
                for (int i = 0; i < nfds; i++)
                        close(fds[i]);
                json_decref(msg);
        }
}

/* Empties the socket whatever the reader left in it. */
static void drain(void)
{
        char buf[4096];
        char cbuf[CMSG_SPACE(sizeof(int) * 8)];
        for (;;) {
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                                     .msg_controllen = sizeof cbuf };
                if (recvmsg(sv[1], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
                        return;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        for (size_t i = 0; c->cmsg_type == SCM_RIGHTS &&
                                           i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                                close(((int *)CMSG_DATA(c))[i]);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > (1u << 20))
                return 0;
        if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        int fd_mark = lowest_free_fd();
        struct rt_proto_reader r;
        rt_proto_reader_init(&r);
        /* Up to three pieces: cut at size/3 and 2*size/3, each sent in
         * CHUNK_MAX slices with the reader fed in between. */
        size_t cuts[4] = { 0, size / 3, 2 * size / 3, size };
        int nfds = (int)(size % 3);
        bool ok = true;
        for (int k = 0; ok && k < 3; k++) {
                for (size_t off = cuts[k]; ok && off < cuts[k + 1];) {
                        size_t n = cuts[k + 1] - off < CHUNK_MAX ? cuts[k + 1] - off : CHUNK_MAX;
                        send_chunk(data + off, n, off == 0 ? nfds : 0);
                        off += n;
                        ok = feed(&r);
                }
        }
        rt_proto_reader_free(&r);
        drain();
        if (lowest_free_fd() != fd_mark)
                fail("an fd leaked");
        return 0;
}
