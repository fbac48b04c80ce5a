/* Bounded whole-file reads. */
#include "lib/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"

int dh_read_fd(int fd, const char *name, size_t max, char **out, size_t *out_len,
               struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, max);
        char chunk[65536];
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        dh_buf_free(&b);
                        return dh_err_errno(err, errno, "%s: read", name);
                }
                if (n == 0)
                        break;
                if (dh_buf_append(&b, chunk, (size_t)n, NULL) < 0) {
                        dh_buf_free(&b);
                        return dh_err_set(err, DH_ELIMIT, "%s: file is larger than the limit of %zu bytes",
                                          name, max);
                }
        }
        if (out_len)
                *out_len = b.len;
        *out = dh_buf_steal(&b);
        return *out ? 0 : dh_err_set(err, ENOMEM, "%s: out of memory", name);
}

int dh_read_file(const char *path, size_t max, char **out, size_t *out_len,
                 struct dh_err **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return dh_err_errno(err, errno, "%s: open", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "%s: stat", path);
        if (!S_ISREG(st.st_mode))
                return dh_err_set(err, EINVAL, "%s: not a regular file", path);
        if ((size_t)st.st_size > max)
                return dh_err_set(err, DH_ELIMIT, "%s: file is %lld bytes, larger than the limit of %zu bytes",
                                  path, (long long)st.st_size, max);
        return dh_read_fd(fd, path, max, out, out_len, err);
}

char *dh_exe_sibling(const char *name)
{
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
                return NULL;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        char *p = NULL;
        if (!slash || asprintf(&p, "%.*s/%s", (int)(slash - exe), exe, name) < 0)
                return NULL;
        return p;
}

int dh_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}
