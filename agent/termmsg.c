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

/* The last lines of the container's log, both streams, as text. */
static int read_log_tail(const char *log_path, char **out)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        o.tail_lines = AGENT_TERMINATION_LOG_LINES;
        o.limit_bytes = AGENT_TERMINATION_LOG_MAX;
        _cleanup_err_ struct dh_err *err = NULL;
        int r = rt_log_read(log_path, &o, f, NULL, &err);
        if (fclose(f) != 0 || !buf) {
                free(buf);
                return -ENOMEM;
        }
        if (r < 0) { /* kubelet logs the failure and reports no message */
                free(buf);
                return 0;
        }
        if (len > AGENT_TERMINATION_LOG_MAX)
                buf[AGENT_TERMINATION_LOG_MAX] = '\0';
        *out = buf;
        return 0;
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
