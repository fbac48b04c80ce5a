/* Fuzz target: CRI log records. Every input line goes through the record
 * parser (a parsed time must survive format -> parse unchanged); the input
 * as a log file goes through the reader with tail/timestamps/limit; and the
 * input as container output goes through the writer and back through the
 * reader, which must give back exactly what was written ("\r\n" read as
 * "\n", as containerd does). Files live in memfds, nothing on disk. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cri/builtin/crilog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_lines(const char *s, size_t size)
{
        const char *p = s, *end = s + size;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = (size_t)((nl ? nl + 1 : end) - p);
                struct rt_log_record r;
                struct dh_err *err = NULL;
                if (rt_log_parse_line(p, len, &r, &err) == 0) {
                        if (r.content < p || r.content + r.content_len > p + len)
                                abort();
                        char t[RT_LOG_TIME_MAX];
                        int64_t back = 0;
                        size_t tl = rt_log_format_time(r.time_ns, t, sizeof t);
                        if (tl >= sizeof t || rt_log_parse_time(t, tl, &back, NULL, NULL) < 0 ||
                            back != r.time_ns)
                                abort();
                        tl = rt_log_format_time_fixed(r.time_ns, r.offset_s, t, sizeof t);
                        if (tl >= sizeof t)
                                abort();
                } else if (!err || !err->msg) {
                        abort();
                }
                dh_err_free(err);
                p += len;
        }
}

static int memfd_with(const void *data, size_t size, char *path, size_t psize)
{
        int fd = memfd_create("fuzz-crilog", MFD_CLOEXEC);
        if (fd < 0)
                return -1;
        if (size && write(fd, data, size) != (ssize_t)size) {
                close(fd);
                return -1;
        }
        snprintf(path, psize, "/proc/self/fd/%d", fd);
        return fd;
}

static void read_file(const char *path, size_t size)
{
        FILE *null = fopen("/dev/null", "we");
        if (!null)
                return;
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        struct rt_log_cursor cur = { 0 };
        if (rt_log_read(path, &o, null, &cur, NULL) < 0 || cur.offset > size)
                abort();
        o.tail_lines = (int64_t)(size % 5);
        o.timestamps = true;
        o.limit_bytes = (int64_t)(size % 97);
        o.streams = (unsigned)(size % 4);
        struct rt_log_cursor c2 = { 0 };
        if (rt_log_read(path, &o, null, &c2, NULL) < 0 || c2.offset > size)
                abort();
        fclose(null);
}

/* What the reader gives back for bytes the writer was fed. */
static size_t expected(const char *in, size_t n, char *out)
{
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (!(in[i] == '\r' && i + 1 < n && in[i + 1] == '\n'))
                        out[k++] = in[i];
        return k;
}

static void round_trip(const char *in, size_t size)
{
        char path[64];
        int fd = memfd_with(NULL, 0, path, sizeof path);
        if (fd < 0)
                return;
        struct rt_log_writer w;
        if (rt_log_open(&w, path, NULL) < 0) {
                close(fd);
                return;
        }
        /* Feed in pieces whose sizes come from the input itself. */
        size_t step = size ? (size_t)(unsigned char)in[0] % 61 + 1 : 1;
        for (size_t off = 0; off < size; off += step)
                if (rt_log_feed(&w, RT_LOG_STDOUT, in + off, off + step > size ? size - off : step,
                                NULL) < 0)
                        abort();
        if (rt_log_flush(&w, RT_LOG_STDOUT, NULL) < 0)
                abort();
        rt_log_close(&w);
        char *got = NULL;
        size_t got_len = 0;
        FILE *f = open_memstream(&got, &got_len);
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        if (!f || rt_log_read(path, &o, f, NULL, NULL) < 0)
                abort();
        fclose(f);
        char *want = malloc(size + 1);
        size_t want_len = expected(in, size, want);
        if (got_len != want_len || memcmp(got, want, want_len) != 0)
                abort();
        free(want);
        free(got);
        close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 256 * 1024)
                return 0;
        const char *s = (const char *)data;
        parse_lines(s, size);
        char path[64];
        int fd = memfd_with(data, size, path, sizeof path);
        if (fd >= 0) {
                read_file(path, size);
                close(fd);
        }
        round_trip(s, size);
        return 0;
}
