/* A small loopback HTTP server for unit tests: a forked process listening
 * on 127.0.0.1 (a kernel-chosen port) that forks once per connection, reads
 * the request head (and a Content-Length body) and hands it to the test's
 * handler, which writes whatever response it likes. Every process it makes
 * dies with the test (PR_SET_PDEATHSIG), and testhttpd_stop() kills it. */
#pragma once
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TESTHTTPD_REQ_MAX (256 * 1024)

struct testhttpd_req {
        char *head;           /* request line and headers, NUL-terminated */
        char method[16];
        char path[1024];
        const char *body;     /* after the head; body_len bytes */
        size_t body_len;
};

/* Runs in the per-connection child; writes the response to fd. */
typedef void (*testhttpd_fn)(int fd, const struct testhttpd_req *req);

struct testhttpd {
        pid_t pid;
        int port;
};

static inline void testhttpd_write(int fd, const void *p, size_t n)
{
        const char *c = p;
        while (n > 0) {
                ssize_t k = write(fd, c, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
                c += k;
                n -= (size_t)k;
        }
}

static inline __attribute__((format(printf, 2, 3))) void testhttpd_printf(int fd, const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n > 0)
                testhttpd_write(fd, s, (size_t)n);
        free(s);
}

/* A complete response with a body and Content-Length. */
static inline void testhttpd_respond(int fd, int status, const char *extra_headers, const char *body)
{
        testhttpd_printf(fd, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s", status,
                         strlen(body), extra_headers ? extra_headers : "", body);
}

static inline const char *testhttpd_find_head_end(const char *p, size_t n)
{
        for (size_t i = 0; i + 3 < n; i++)
                if (memcmp(p + i, "\r\n\r\n", 4) == 0)
                        return p + i + 4;
        return NULL;
}

static inline void __attribute__((noreturn)) testhttpd_conn(int fd, testhttpd_fn fn)
{
        static char buf[TESTHTTPD_REQ_MAX + 1];
        size_t n = 0;
        const char *end = NULL;
        while (!end && n < TESTHTTPD_REQ_MAX) {
                ssize_t k = read(fd, buf + n, TESTHTTPD_REQ_MAX - n);
                if (k <= 0)
                        _exit(0);
                n += (size_t)k;
                end = testhttpd_find_head_end(buf, n);
        }
        if (!end)
                _exit(0);
        size_t head_len = (size_t)(end - buf);
        size_t want = 0;
        for (const char *h = buf; h && h < end; h = strstr(h, "\r\n"), h = h ? h + 2 : NULL)
                if (strncasecmp(h, "Content-Length:", 15) == 0)
                        want = strtoul(h + 15, NULL, 10);
        while (n - head_len < want && n < TESTHTTPD_REQ_MAX) {
                ssize_t k = read(fd, buf + n, TESTHTTPD_REQ_MAX - n);
                if (k <= 0)
                        break;
                n += (size_t)k;
        }
        buf[n] = '\0';
        struct testhttpd_req r = { .body = end, .body_len = n - head_len };
        r.head = strndup(buf, head_len);
        if (!r.head || sscanf(buf, "%15s %1023s", r.method, r.path) != 2)
                _exit(0);
        fn(fd, &r);
        shutdown(fd, SHUT_WR);
        /* Let the client read to EOF before the socket goes away. */
        char sink[4096];
        while (read(fd, sink, sizeof sink) > 0)
                ;
        _exit(0);
}

/* Starts the server; returns 0, or -1 with a message on stderr. */
static inline int testhttpd_start(struct testhttpd *s, testhttpd_fn fn)
{
        int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 64) < 0 ||
            getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
                perror("testhttpd: listen");
                if (lfd >= 0)
                        close(lfd);
                return -1;
        }
        s->port = ntohs(a.sin_port);
        pid_t parent = getpid();
        s->pid = fork();
        if (s->pid < 0) {
                perror("testhttpd: fork");
                close(lfd);
                return -1;
        }
        if (s->pid == 0) {
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(1);
                sigset_t all;
                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                signal(SIGCHLD, SIG_IGN); /* connection children reap themselves */
                signal(SIGPIPE, SIG_IGN);
                pid_t server = getpid();
                for (;;) {
                        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        if (c < 0) {
                                if (errno == EINTR)
                                        continue;
                                _exit(1);
                        }
                        pid_t k = fork();
                        if (k == 0) {
                                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != server)
                                        _exit(1);
                                close(lfd);
                                testhttpd_conn(c, fn);
                        }
                        close(c);
                }
        }
        close(lfd);
        return 0;
}

static inline void testhttpd_stop(struct testhttpd *s)
{
        if (s->pid > 0) {
                kill(s->pid, SIGKILL);
                while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                s->pid = 0;
        }
}
