/* CRI container log files, as containerd writes them and kubelet reads
 * them: one record per line,
 *
 *     <RFC3339Nano time> <stdout|stderr> <P|F> <content>\n
 *
 * where P marks a piece of a longer line and F the piece that ends it.
 * The writer follows containerd pkg/cri/io/logger.go (redirectLogs), the
 * reader kubelet pkg/kubelet/kuberuntime/logs/logs.go (parseCRILog,
 * ReadLogs). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"

/* containerd's default max_container_log_line_size: longer lines are cut
 * into P records of exactly this much content. */
#define RT_LOG_MAX_LINE 16384
/* Room for a formatted time, with zone offset and NUL. */
#define RT_LOG_TIME_MAX 40
/* Room for "<time> <stream> <tag> ". */
#define RT_LOG_HEADER_MAX 48
/* The reader skips records longer than this (ours are at most
 * RT_LOG_HEADER_MAX + RT_LOG_MAX_LINE + 1). */
#define RT_LOG_READ_MAX_RECORD (256 * 1024)

enum rt_log_stream { RT_LOG_STDOUT = 0, RT_LOG_STDERR = 1 };

/* --- writer --- */

struct rt_log_line_buf {
        size_t len; /* content bytes pending */
        bool cr;    /* a trailing '\r' held back: dropped if '\n' follows */
        /* header room, content, '\n': a record is built in place and
         * written with one write(). */
        char data[RT_LOG_HEADER_MAX + RT_LOG_MAX_LINE + 1];
};

/* About 33 KiB (two line buffers): embed it in a heap object. */
struct rt_log_writer {
        int fd; /* O_WRONLY|O_APPEND, or -1 */
        char *path;
        /* Clock for record times (ns since the epoch); NULL means
         * CLOCK_REALTIME. Tests set it for exact bytes. */
        int64_t (*now)(void *ctx);
        void *now_ctx;
        struct rt_log_line_buf line[2]; /* per stream */
};

/* Opens (creating, mode 0640) path for appending; w must not be open. On
 * failure w is left closed (rt_log_close is still fine). */
int rt_log_open(struct rt_log_writer *w, const char *path, struct dh_err **err);
/* Consumes bytes a pipe read returned: every '\n' ends an F record ("\r\n"
 * too, the '\r' dropped, as containerd does); content beyond
 * RT_LOG_MAX_LINE without a newline goes out as P records; the rest waits
 * for more. A failed write (ENOSPC, EIO) drops that record, the remaining
 * input is still consumed, and the first error is returned. */
int rt_log_feed(struct rt_log_writer *w, enum rt_log_stream stream, const char *data,
                size_t len, struct dh_err **err);
/* At EOF of a stream: the pending unterminated line is written as a P
 * record (containerd does the same), nothing if none is pending. */
int rt_log_flush(struct rt_log_writer *w, enum rt_log_stream stream, struct dh_err **err);
/* CRI ReopenContainerLog: after the file was renamed for rotation, opens
 * the path anew. On failure writes keep going to the old file. */
int rt_log_reopen(struct rt_log_writer *w, struct dh_err **err);
/* Closes the file; pending partial lines are dropped (flush first). */
void rt_log_close(struct rt_log_writer *w);

/* Go's time.RFC3339Nano in UTC: "2006-01-02T15:04:05.999999999Z", the
 * fraction's trailing zeros trimmed and no '.' for whole seconds. size must
 * be at least RT_LOG_TIME_MAX. Returns the length. */
size_t rt_log_format_time(int64_t ns, char *buf, size_t size);
/* kubelet's RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00") in
 * the zone offset_s seconds east of UTC ("Z" for 0), for --timestamps. */
size_t rt_log_format_time_fixed(int64_t ns, int32_t offset_s, char *buf, size_t size);
/* Parses a time the way Go's time.Parse(time.RFC3339Nano) does (kubelet's
 * RFC3339NanoLenient): optional fraction with '.' or ',' and any number of
 * digits (beyond 9 ignored), "Z" or "+hh:mm"/"-hh:mm". Times outside the
 * int64 nanosecond range (1677..2262) are refused. */
int rt_log_parse_time(const char *s, size_t len, int64_t *ns, int32_t *offset_s,
                      struct dh_err **err);

/* --- reader --- */

struct rt_log_record {
        int64_t time_ns;
        int32_t offset_s; /* zone offset the writer used */
        enum rt_log_stream stream;
        bool partial;        /* tag P: the line continues in a later record */
        const char *content; /* into the parsed line; not NUL-terminated */
        size_t content_len;
};

/* Parses one record (a trailing '\n' is allowed and not part of content),
 * as strictly as kubelet's parseCRILog: the tag is the first
 * ':'-separated part of the third field, "P" meaning partial and anything
 * else full. out is untouched on error. */
int rt_log_parse_line(const char *line, size_t len, struct rt_log_record *out,
                      struct dh_err **err);

enum {
        RT_LOG_WANT_STDOUT = 1,
        RT_LOG_WANT_STDERR = 2,
        RT_LOG_WANT_BOTH = 3,
};

/* A line is a run of P records of one stream ended by its F record. */
struct rt_log_read_opts {
        int64_t tail_lines;  /* the last N selected lines; < 0: all */
        int64_t since_ns;    /* skip lines whose first record is older; 0: none */
        int64_t limit_bytes; /* stop after this many output bytes; < 0: none */
        bool timestamps;     /* prefix each line with its first record's time */
        unsigned streams;    /* RT_LOG_WANT_*; 0 means both */
};
#define RT_LOG_READ_OPTS_INIT                                                  \
        {                                                                      \
                .tail_lines = -1, .since_ns = 0, .limit_bytes = -1,            \
                .timestamps = false, .streams = RT_LOG_WANT_BOTH,              \
        }

enum rt_log_line_state { RT_LOG_LINE_NONE = 0, RT_LOG_LINE_SHOWN, RT_LOG_LINE_HIDDEN };

/* Where a read stopped, for the next call of a follower (-f). Zeroed: from
 * the start of the file. */
struct rt_log_cursor {
        uint64_t offset; /* after the last complete record read */
        /* Per stream: a line whose start was before offset is still open,
         * and whether its beginning was shown (so its rest is too). */
        enum rt_log_line_state open[2];
        uint64_t skipped; /* records that did not parse or were too long */
};

/* Writes the selected log lines of path to out, starting at cur->offset
 * (cur may be NULL: from the start) and updating *cur to where it stopped.
 * Unparsable records are skipped (counted in cur->skipped), as kubelet
 * does; an incomplete last record (no '\n' yet) is left for the next call.
 * With tail_lines, lines are counted whole: a line continued from before
 * cur->offset is not shown.
 * Memory stays bounded whatever the file size: a read buffer plus, for
 * tail_lines, one small entry per line kept. Returns 1 when limit_bytes was
 * reached, 0 otherwise, < 0 on error. */
int rt_log_read(const char *path, const struct rt_log_read_opts *o, FILE *out,
                struct rt_log_cursor *cur, struct dh_err **err);
