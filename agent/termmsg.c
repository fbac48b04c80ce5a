/* Termination messages: see agent/termmsg.h. */
#include "agent/termmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/podruntime.h"
#include "cri/builtin/crilog.h"
#include "lib/cleanup.h"

static const char *annotation(const struct rt_container_status *c, const char *key)
{
        for (size_t i = 0; i < c->annotations.n; i++)
                if (strcmp(c->annotations.v[i].key, key) == 0)
                        return c->annotations.v[i].value;
        return NULL;
}

/* The last max bytes of a regular file (tail.ReadAtMost). -errno. */
static int read_tail(const char *path, size_t max, char **out)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        off_t start = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
        char *buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        size_t len = 0;
        while (len < max) {
                ssize_t r = pread(fd, buf + len, max - len, start + (off_t)len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        free(buf);
                        return -e;
                }
                if (r == 0)
                        break;
                len += (size_t)r;
        }
        buf[len] = '\0';
        *out = buf;
        return (int)len;
}

/* The last AGENT_TERMINATION_LOG_MAX bytes written to it (a circular
 * buffer, as the kubelet's circbuf). */
struct ring {
        char buf[AGENT_TERMINATION_LOG_MAX];
        size_t start, len;
};

static ssize_t ring_write(void *cookie, const char *data, size_t n)
{
        struct ring *r = cookie;
        for (size_t i = 0; i < n; i++) {
                size_t at = (r->start + r->len) % sizeof r->buf;
                r->buf[at] = data[i];
                if (r->len < sizeof r->buf)
                        r->len++;
                else
                        r->start = (r->start + 1) % sizeof r->buf;
        }
        return (ssize_t)n;
}

static char *ring_string(const struct ring *r)
{
        char *s = malloc(r->len + 1);
        if (!s)
                return NULL;
        for (size_t i = 0; i < r->len; i++)
                s[i] = r->buf[(r->start + i) % sizeof r->buf];
        s[r->len] = '\0';
        return s;
}

/* The last 80 lines of the container's log, both streams, cut to their
 * last 2 KiB (readLastStringFromContainerLogs). */
static int read_log_tail(const char *log_path, char **out)
{
        struct ring *r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        FILE *f = fopencookie(r, "w", (cookie_io_functions_t){ .write = ring_write });
        if (!f) {
                free(r);
                return -ENOMEM;
        }
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        o.tail_lines = AGENT_TERMINATION_LOG_LINES;
        _cleanup_err_ struct dh_err *err = NULL;
        int ret = rt_log_read(log_path, &o, f, NULL, &err);
        fclose(f);
        if (ret < 0)
                ret = asprintf(out, "Error on reading termination message from logs: %s", err->msg) < 0
                              ? -ENOMEM : 0;
        else
                ret = (*out = ring_string(r)) ? 0 : -ENOMEM;
        free(r);
        return ret;
}

/* The message from the file mounted at path; *fallback says whether the
 * log should be read instead. */
static int from_file(const struct rt_container_status *c, const char *path, bool *fallback,
                     char **out)
{
        for (size_t i = 0; path && *path && i < c->mounts.n; i++) {
                const struct rt_mount *m = &c->mounts.v[i];
                if (strcmp(m->container_path, path) != 0)
                        continue;
                char *data = NULL;
                int r = read_tail(m->host_path, AGENT_TERMINATION_MESSAGE_MAX, &data);
                if (r == -ENOMEM)
                        return r;
                if (r == -ENOENT)
                        return 0;
                if (r < 0) {
                        *fallback = false;
                        return asprintf(out, "Error on reading termination log %s: %s",
                                        m->host_path, strerror(-r)) < 0 ? -ENOMEM : 0;
                }
                if (r > 0)
                        *fallback = false;
                if (r > 0)
                        *out = data;
                else
                        free(data);
                return 0;
        }
        return 0;
}

int agent_termination_message(const struct rt_container_status *c, char **out,
                              struct dh_err **err)
{
        *out = NULL;
        if (c->state != RT_CONTAINER_EXITED)
                return 0;
        const char *policy = annotation(c, AGENT_ANN_TERMINATION_MESSAGE_POLICY);
        bool fallback = policy && strcmp(policy, "FallbackToLogsOnError") == 0 &&
                        c->exit_code != 0 &&
                        !(c->reason && strcmp(c->reason, "ContainerCannotRun") == 0);
        int r = from_file(c, annotation(c, AGENT_ANN_TERMINATION_MESSAGE_PATH), &fallback, out);
        if (r == 0 && fallback && c->log_path && *c->log_path)
                r = read_log_tail(c->log_path, out);
        if (r < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        if (*out && !**out) {
                free(*out);
                *out = NULL;
        }
        return 0;
}
