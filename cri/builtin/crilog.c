/* CRI container log writer (containerd's redirectLogs) and reader
 * (kubelet's parseCRILog/ReadLogs): record framing, Go-compatible
 * RFC3339Nano times, tail/since/limit selection with bounded memory. */
#include "cri/builtin/crilog.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"

#define NS_PER_S 1000000000LL
#define LOG_OPEN_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY)
#define LOG_MODE 0640

static const char *const stream_names[2] = { "stdout", "stderr" };

/* ---- time ---- */

/* Days since 1970-01-01 <-> proleptic Gregorian date (H. Hinnant's
 * algorithms), valid far beyond the int64 nanosecond range. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
        z += 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;
        *d = doy - (153 * mp + 2) / 5 + 1;
        *m = mp < 10 ? mp + 3 : mp - 9;
        *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned)(y - era * 400);
        unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
        static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return days[m - 1] + (m == 2 && leap);
}

static size_t format_time(int64_t ns, int32_t offset_s, bool fixed, char *buf, size_t size)
{
        assert(size >= RT_LOG_TIME_MAX);
        int64_t sec = ns / NS_PER_S, frac = ns % NS_PER_S;
        if (frac < 0) {
                frac += NS_PER_S;
                sec--;
        }
        sec += offset_s;
        int64_t days = sec / 86400, rem = sec % 86400;
        if (rem < 0) {
                rem += 86400;
                days--;
        }
        int64_t y;
        unsigned mo, d;
        civil_from_days(days, &y, &mo, &d);
        int n = snprintf(buf, size, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, mo, d,
                         (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
        size_t len = n > 0 ? (size_t)n : 0;
        if (fixed || frac) {
                char f[16];
                snprintf(f, sizeof f, "%09u", (unsigned)frac);
                size_t fl = 9;
                /* Go's ".999999999" drops trailing zeros; ".000000000" keeps them. */
                while (!fixed && f[fl - 1] == '0')
                        fl--;
                buf[len++] = '.';
                memcpy(buf + len, f, fl);
                len += fl;
        }
        if (offset_s == 0) {
                buf[len++] = 'Z';
                buf[len] = '\0';
                return len;
        }
        unsigned a = (unsigned)(offset_s < 0 ? -(int64_t)offset_s : offset_s);
        n = snprintf(buf + len, size - len, "%c%02u:%02u", offset_s < 0 ? '-' : '+',
                     a / 3600, a / 60 % 60);
        return len + (n > 0 ? (size_t)n : 0);
}

size_t rt_log_format_time(int64_t ns, char *buf, size_t size)
{
        return format_time(ns, 0, false, buf, size);
}

size_t rt_log_format_time_fixed(int64_t ns, int32_t offset_s, char *buf, size_t size)
{
        return format_time(ns, offset_s, true, buf, size);
}

struct tparse {
        const char *s;
        size_t len, i;
        const char *why;
};

static bool tp_digits(struct tparse *p, size_t n, unsigned *out, const char *what)
{
        unsigned v = 0;
        for (size_t k = 0; k < n; k++) {
                if (p->i >= p->len || p->s[p->i] < '0' || p->s[p->i] > '9') {
                        p->why = what;
                        return false;
                }
                v = v * 10 + (unsigned)(p->s[p->i++] - '0');
        }
        *out = v;
        return true;
}

static bool tp_lit(struct tparse *p, char c)
{
        if (p->i < p->len && p->s[p->i] == c) {
                p->i++;
                return true;
        }
        p->why = "unexpected character";
        return false;
}

static bool tp_is_digit(const struct tparse *p, size_t i)
{
        return i < p->len && p->s[i] >= '0' && p->s[i] <= '9';
}

/* Optional fraction: Go takes any number of digits, using the first 9. */
static unsigned tp_fraction(struct tparse *p)
{
        if (!(p->i < p->len && (p->s[p->i] == '.' || p->s[p->i] == ',') && tp_is_digit(p, p->i + 1)))
                return 0;
        p->i++;
        unsigned v = 0, n = 0;
        for (; tp_is_digit(p, p->i); p->i++)
                if (n < 9) {
                        v = v * 10 + (unsigned)(p->s[p->i] - '0');
                        n++;
                }
        for (; n < 9; n++)
                v *= 10;
        return v;
}

/* "Z" or +hh:mm; like Go, hours up to 24 and minutes up to 60 pass. */
static bool tp_zone(struct tparse *p, int32_t *off)
{
        if (p->i < p->len && p->s[p->i] == 'Z') {
                p->i++;
                *off = 0;
                return true;
        }
        if (p->i >= p->len || (p->s[p->i] != '+' && p->s[p->i] != '-')) {
                p->why = "missing time zone";
                return false;
        }
        bool neg = p->s[p->i++] == '-';
        unsigned hh, mm;
        if (!tp_digits(p, 2, &hh, "bad zone hour") || !tp_lit(p, ':') ||
            !tp_digits(p, 2, &mm, "bad zone minute"))
                return false;
        if (hh > 24 || mm > 60) {
                p->why = "zone offset out of range";
                return false;
        }
        *off = (int32_t)((hh * 60 + mm) * 60) * (neg ? -1 : 1);
        return true;
}

struct civil {
        unsigned year, month, day, hour, min, sec, nsec;
};

static bool tp_civil(struct tparse *p, struct civil *c)
{
        if (!tp_digits(p, 4, &c->year, "bad year") || !tp_lit(p, '-') ||
            !tp_digits(p, 2, &c->month, "bad month") || !tp_lit(p, '-') ||
            !tp_digits(p, 2, &c->day, "bad day") || !tp_lit(p, 'T'))
                return false;
        /* Go's "15" takes one or two digits; the rest are fixed width. */
        if (!tp_digits(p, 1, &c->hour, "bad hour"))
                return false;
        if (tp_is_digit(p, p->i))
                c->hour = c->hour * 10 + (unsigned)(p->s[p->i++] - '0');
        if (!tp_lit(p, ':') || !tp_digits(p, 2, &c->min, "bad minute") || !tp_lit(p, ':') ||
            !tp_digits(p, 2, &c->sec, "bad second"))
                return false;
        c->nsec = tp_fraction(p);
        if (c->month < 1 || c->month > 12)
                p->why = "month out of range";
        else if (c->day < 1 || c->day > days_in_month(c->year, c->month))
                p->why = "day out of range";
        else if (c->hour > 23 || c->min > 59 || c->sec > 59)
                p->why = "time of day out of range";
        return p->why == NULL;
}

int rt_log_parse_time(const char *s, size_t len, int64_t *ns, int32_t *offset_s,
                      struct dh_err **err)
{
        struct tparse p = { .s = s, .len = len };
        struct civil c = { 0 };
        int32_t off = 0;
        if (tp_civil(&p, &c) && tp_zone(&p, &off) && p.i != len)
                p.why = "extra text after the time";
        int shown = len > 64 ? 64 : (int)len;
        if (p.why)
                return dh_err_set(err, DH_EINVAL_INPUT, "unexpected timestamp \"%.*s\": %s "
                                  "(want RFC3339Nano)", shown, s, p.why);
        int64_t sec = days_from_civil(c.year, c.month, c.day) * 86400 +
                      (int64_t)(c.hour * 3600 + c.min * 60 + c.sec) - off;
        int64_t v;
        if (__builtin_mul_overflow(sec, NS_PER_S, &v) || __builtin_add_overflow(v, c.nsec, &v))
                return dh_err_set(err, DH_EINVAL_INPUT,
                                  "timestamp \"%.*s\": outside 1677-09-21..2262-04-11",
                                  shown, s);
        *ns = v;
        if (offset_s)
                *offset_s = off;
        return 0;
}

/* ---- writer ---- */

static int64_t clock_now(const struct rt_log_writer *w)
{
        if (w->now)
                return w->now(w->now_ctx);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int rt_log_open(struct rt_log_writer *w, const char *path, struct dh_err **err)
{
        *w = (struct rt_log_writer){ .fd = -1 };
        w->path = strdup(path);
        if (!w->path)
                return dh_err_set(err, ENOMEM, "log %s: out of memory", path);
        w->fd = open(path, LOG_OPEN_FLAGS, LOG_MODE);
        if (w->fd < 0) {
                int r = dh_err_errno(err, errno, "log %s: open", path);
                free(w->path);
                w->path = NULL;
                return r;
        }
        return 0;
}

/* Builds "<time> <stream> <tag> <content>\n" in place in front of the
 * pending content and writes it with one write(): with O_APPEND a record
 * lands whole or (on a torn write) at the very end, never interleaved. */
static int emit(struct rt_log_writer *w, enum rt_log_stream s, bool partial,
                struct dh_err **err)
{
        struct rt_log_line_buf *l = &w->line[s];
        char hdr[RT_LOG_HEADER_MAX];
        size_t hl = rt_log_format_time(clock_now(w), hdr, sizeof hdr);
        int n = snprintf(hdr + hl, sizeof hdr - hl, " %s %c ", stream_names[s],
                         partial ? 'P' : 'F');
        hl += n > 0 ? (size_t)n : 0;
        char *rec = l->data + RT_LOG_HEADER_MAX - hl;
        memcpy(rec, hdr, hl);
        l->data[RT_LOG_HEADER_MAX + l->len] = '\n';
        size_t total = hl + l->len + 1;
        /* Whatever happens, this record is done: never wedge the stream. */
        l->len = 0;
        if (w->fd < 0)
                return dh_err_set(err, EBADF, "log %s: not open", w->path ? w->path : "(none)");
        while (total > 0) {
                ssize_t k = write(w->fd, rec, total);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return dh_err_errno(err, k < 0 ? errno : EIO, "log %s: write", w->path);
                rec += k;
                total -= (size_t)k;
        }
        return 0;
}

/* Appends content without '\n'. containerd cuts a P record only once the
 * line grows past the maximum, so a line of exactly RT_LOG_MAX_LINE bytes
 * stays one F record. */
static int put(struct rt_log_writer *w, enum rt_log_stream s, const char *p, size_t n,
               struct dh_err **err)
{
        struct rt_log_line_buf *l = &w->line[s];
        int ret = 0;
        while (n > 0) {
                if (l->len == RT_LOG_MAX_LINE) {
                        int r = emit(w, s, true, err);
                        ret = ret ? ret : r;
                }
                size_t k = RT_LOG_MAX_LINE - l->len;
                if (k > n)
                        k = n;
                memcpy(l->data + RT_LOG_HEADER_MAX + l->len, p, k);
                l->len += k;
                p += k;
                n -= k;
        }
        return ret;
}

/* A segment between newlines. A trailing '\r' is held back: "\r\n" ends a
 * line without the '\r' (containerd's readLine), even across reads. */
static int append(struct rt_log_writer *w, enum rt_log_stream s, const char *p, size_t n,
                  struct dh_err **err)
{
        struct rt_log_line_buf *l = &w->line[s];
        if (n == 0)
                return 0;
        int ret = 0;
        if (l->cr) {
                l->cr = false;
                ret = put(w, s, "\r", 1, err);
        }
        if (p[n - 1] == '\r') {
                n--;
                l->cr = true;
        }
        int r = put(w, s, p, n, err);
        return ret ? ret : r;
}

static bool valid_stream(enum rt_log_stream s)
{
        return s == RT_LOG_STDOUT || s == RT_LOG_STDERR;
}

int rt_log_feed(struct rt_log_writer *w, enum rt_log_stream stream, const char *data,
                size_t len, struct dh_err **err)
{
        if (!valid_stream(stream))
                return dh_err_set(err, EINVAL, "log: bad stream %d", (int)stream);
        const char *p = data, *end = data + len;
        int ret = 0, r;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                r = append(w, stream, p, (size_t)((nl ? nl : end) - p), err);
                ret = ret ? ret : r;
                if (!nl)
                        break;
                w->line[stream].cr = false; /* the '\r' of "\r\n" is dropped */
                r = emit(w, stream, false, err);
                ret = ret ? ret : r;
                p = nl + 1;
        }
        return ret;
}

int rt_log_flush(struct rt_log_writer *w, enum rt_log_stream stream, struct dh_err **err)
{
        if (!valid_stream(stream))
                return dh_err_set(err, EINVAL, "log: bad stream %d", (int)stream);
        struct rt_log_line_buf *l = &w->line[stream];
        int ret = 0;
        if (l->cr) {
                l->cr = false;
                ret = put(w, stream, "\r", 1, err);
        }
        /* containerd: content left at EOF without a newline is a P record. */
        if (l->len > 0) {
                int r = emit(w, stream, true, err);
                ret = ret ? ret : r;
        }
        return ret;
}

int rt_log_reopen(struct rt_log_writer *w, struct dh_err **err)
{
        if (!w->path)
                return dh_err_set(err, EBADF, "log: reopen of a log that was never opened");
        int fd = open(w->path, LOG_OPEN_FLAGS, LOG_MODE);
        if (fd < 0)
                return dh_err_errno(err, errno, "log %s: reopen", w->path);
        if (w->fd >= 0)
                close(w->fd);
        w->fd = fd;
        return 0;
}

void rt_log_close(struct rt_log_writer *w)
{
        if (!w)
                return;
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        free(w->path);
        w->path = NULL;
        w->line[0].len = w->line[1].len = 0;
        w->line[0].cr = w->line[1].cr = false;
}

/* ---- parser ---- */

int rt_log_parse_line(const char *line, size_t len, struct rt_log_record *out,
                      struct dh_err **err)
{
        if (len > 0 && line[len - 1] == '\n')
                len--;
        const char *end = line + len;
        const char *sp = memchr(line, ' ', len);
        if (!sp)
                return dh_err_set(err, DH_EINVAL_INPUT, "log record: timestamp is not found");
        struct rt_log_record r = { 0 };
        if (rt_log_parse_time(line, (size_t)(sp - line), &r.time_ns, &r.offset_s, err) < 0)
                return dh_err_prefix(err, "log record");
        const char *p = sp + 1;
        sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp)
                return dh_err_set(err, DH_EINVAL_INPUT, "log record: stream type is not found");
        size_t sl = (size_t)(sp - p);
        if (sl == 6 && memcmp(p, "stdout", 6) == 0)
                r.stream = RT_LOG_STDOUT;
        else if (sl == 6 && memcmp(p, "stderr", 6) == 0)
                r.stream = RT_LOG_STDERR;
        else
                return dh_err_set(err, DH_EINVAL_INPUT, "log record: unexpected stream type \"%.*s\"",
                                  sl > 32 ? 32 : (int)sl, p);
        p = sp + 1;
        sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp)
                return dh_err_set(err, DH_EINVAL_INPUT, "log record: log tag is not found");
        /* kubelet: tags are ':'-separated for forward compatibility; only
         * the first matters and only "P" means partial. */
        const char *colon = memchr(p, ':', (size_t)(sp - p));
        size_t tl = (size_t)((colon ? colon : sp) - p);
        r.partial = tl == 1 && p[0] == 'P';
        r.content = sp + 1;
        r.content_len = (size_t)(end - r.content);
        *out = r;
        return 0;
}

/* ---- reader ---- */

/* Bounded record reader over an fd with pread. */
struct rd {
        int fd;
        char *buf; /* RT_LOG_READ_MAX_RECORD bytes */
        size_t start, end;
        uint64_t pos;  /* file offset of buf[start] */
        uint64_t done; /* file offset after the last complete record */
        bool eof, skipping;
        uint64_t too_long;
};

struct rd_rec {
        const char *line; /* without the '\n' */
        size_t len;
        uint64_t off;
};

static int rd_fill(struct rd *r, struct dh_err **err)
{
        if (r->skipping) {
                r->pos += r->end - r->start;
                r->start = r->end = 0;
        } else if (r->start > 0) {
                memmove(r->buf, r->buf + r->start, r->end - r->start);
                r->end -= r->start;
                r->start = 0;
        } else if (r->end == RT_LOG_READ_MAX_RECORD) {
                /* A record longer than the buffer: drop it up to its '\n'. */
                r->skipping = true;
                r->pos += r->end;
                r->end = 0;
        }
        for (;;) {
                ssize_t n = pread(r->fd, r->buf + r->end, RT_LOG_READ_MAX_RECORD - r->end,
                                  (off_t)(r->pos + (r->end - r->start)));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return dh_err_errno(err, errno, "read");
                r->eof = n == 0;
                r->end += (size_t)n;
                return 0;
        }
}

/* 1 with a record, 0 at the end (an incomplete record stays unread). */
static int rd_next(struct rd *r, struct rd_rec *rec, struct dh_err **err)
{
        for (;;) {
                char *s = r->buf + r->start;
                char *nl = memchr(s, '\n', r->end - r->start);
                if (nl) {
                        size_t n = (size_t)(nl - s);
                        *rec = (struct rd_rec){ .line = s, .len = n, .off = r->pos };
                        r->start += n + 1;
                        r->pos += n + 1;
                        r->done = r->pos;
                        if (!r->skipping)
                                return 1;
                        r->skipping = false;
                        r->too_long++;
                        continue;
                }
                if (r->eof)
                        return 0;
                int e = rd_fill(r, err);
                if (e < 0)
                        return e;
        }
}

/* What tail keeps per line: where it starts and whether the other stream
 * had a line open there, so a second pass can start right at it. */
struct tail_ent {
        uint64_t start;
        uint8_t stream;
        bool other_open;
};

struct ring {
        struct tail_ent *v;
        size_t n, cap, head, max;
};

static int ring_push(struct ring *rg, struct tail_ent e)
{
        if (rg->n == rg->max) {
                rg->v[rg->head] = e;
                rg->head = (rg->head + 1) % rg->max;
                return 0;
        }
        if (rg->n == rg->cap) {
                size_t cap = rg->cap ? rg->cap * 2 : 64;
                cap = cap > rg->max ? rg->max : cap;
                struct tail_ent *v = realloc(rg->v, cap * sizeof *v);
                if (!v)
                        return -ENOMEM;
                rg->v = v;
                rg->cap = cap;
        }
        rg->v[rg->n++] = e;
        return 0;
}

static int ent_cmp(const void *a, const void *b)
{
        uint64_t x = ((const struct tail_ent *)a)->start, y = ((const struct tail_ent *)b)->start;
        return x < y ? -1 : x > y;
}

#define START_BEFORE UINT64_MAX /* line began before where the scan began */

struct scan_line {
        bool open, show, other_open;
        uint64_t start;
};

struct scan {
        const struct rt_log_read_opts *o;
        struct rd rd;
        struct scan_line line[2];
        uint64_t skipped;
        struct ring *ring;          /* pass 1 of a tail: collect lines */
        bool use_set;               /* pass 2 of a tail: show only these */
        const struct tail_ent *set; /* sorted by start */
        size_t set_n, set_pos;
        FILE *out;
        int64_t remain; /* output bytes left, < 0: no limit */
        bool limit_hit;
};

static bool wants(const struct rt_log_read_opts *o, int stream)
{
        unsigned want = o->streams ? o->streams : RT_LOG_WANT_BOTH;
        return want & (stream == RT_LOG_STDOUT ? RT_LOG_WANT_STDOUT : RT_LOG_WANT_STDERR);
}

static bool selected(const struct scan *sc, const struct rt_log_record *r)
{
        return wants(sc->o, r->stream) && (sc->o->since_ns == 0 || r->time_ns >= sc->o->since_ns);
}

static bool in_set(struct scan *sc, uint64_t off)
{
        while (sc->set_pos < sc->set_n && sc->set[sc->set_pos].start < off)
                sc->set_pos++;
        return sc->set_pos < sc->set_n && sc->set[sc->set_pos].start == off;
}

static int out_write(struct scan *sc, const char *p, size_t n, struct dh_err **err)
{
        if (sc->remain >= 0 && (uint64_t)n >= (uint64_t)sc->remain) {
                n = (size_t)sc->remain;
                sc->limit_hit = true;
        }
        if (n > 0 && fwrite(p, 1, n, sc->out) != n)
                return dh_err_errno(err, errno ? errno : EIO, "write log output");
        if (sc->remain >= 0)
                sc->remain -= (int64_t)n;
        return 0;
}

static int print_record(struct scan *sc, const struct rt_log_record *r, bool first,
                        struct dh_err **err)
{
        int e = 0;
        if (first && sc->o->timestamps) {
                char ts[RT_LOG_TIME_MAX + 1];
                size_t n = rt_log_format_time_fixed(r->time_ns, r->offset_s, ts, sizeof ts);
                ts[n++] = ' ';
                e = out_write(sc, ts, n, err);
        }
        if (e == 0 && !sc->limit_hit)
                e = out_write(sc, r->content, r->content_len, err);
        if (e == 0 && !sc->limit_hit && !r->partial)
                e = out_write(sc, "\n", 1, err);
        return e;
}

static int scan_record(struct scan *sc, const struct rd_rec *rec, struct dh_err **err)
{
        struct rt_log_record r;
        if (rt_log_parse_line(rec->line, rec->len, &r, NULL) < 0) {
                sc->skipped++;
                return 0;
        }
        struct scan_line *l = &sc->line[r.stream];
        bool first = !l->open;
        if (first) {
                l->open = true;
                l->start = rec->off;
                l->other_open = sc->line[!r.stream].open;
                l->show = sc->use_set ? in_set(sc, rec->off) : selected(sc, &r);
        }
        l->open = r.partial;
        if (sc->ring) {
                if (!r.partial && l->show && l->start != START_BEFORE)
                        return ring_push(sc->ring, (struct tail_ent){ l->start, (uint8_t)r.stream,
                                                                      l->other_open });
                return 0;
        }
        return l->show ? print_record(sc, &r, first, err) : 0;
}

static int scan_run(struct scan *sc, struct dh_err **err)
{
        for (;;) {
                struct rd_rec rec;
                int r = rd_next(&sc->rd, &rec, err);
                if (r <= 0)
                        return r;
                r = scan_record(sc, &rec, err);
                if (r == -ENOMEM)
                        return dh_err_set(err, ENOMEM, "out of memory keeping the tail");
                if (r < 0)
                        return r;
                if (sc->limit_hit)
                        return 0;
        }
}

/* Lines still open at the end count for tail: their P content is shown. */
static int ring_finish(struct scan *sc, struct dh_err **err)
{
        int later_first = sc->line[1].start < sc->line[0].start;
        for (int i = 0; i < 2; i++) {
                int s = i ^ later_first;
                struct scan_line *l = &sc->line[s];
                if (!l->open || !l->show || l->start == START_BEFORE)
                        continue;
                struct tail_ent e = { l->start, (uint8_t)s, l->other_open };
                if (ring_push(sc->ring, e) < 0)
                        return dh_err_set(err, ENOMEM, "out of memory keeping the tail");
        }
        if (sc->ring->n > 1)
                qsort(sc->ring->v, sc->ring->n, sizeof *sc->ring->v, ent_cmp);
        return 0;
}

static void scan_init(struct scan *sc, const struct rt_log_read_opts *o, int fd, char *buf,
                      const struct rt_log_cursor *cur, FILE *out)
{
        *sc = (struct scan){ .o = o, .out = out, .remain = o->limit_bytes };
        sc->rd = (struct rd){ .fd = fd, .buf = buf, .pos = cur->offset, .done = cur->offset };
        for (int s = 0; s < 2; s++) {
                sc->line[s].open = cur->open[s] != RT_LOG_LINE_NONE;
                sc->line[s].start = START_BEFORE;
                /* Under a tail, lines are whole: a continued line is not shown. */
                sc->line[s].show = cur->open[s] == RT_LOG_LINE_SHOWN && o->tail_lines < 0 &&
                                   wants(o, s);
        }
}

/* Restarts the scan at the first tail line, in the line state it had. */
static void scan_restart(struct scan *sc, const struct tail_ent *first)
{
        sc->rd.start = sc->rd.end = 0;
        sc->rd.pos = sc->rd.done = first->start;
        sc->rd.eof = sc->rd.skipping = false;
        sc->rd.too_long = 0;
        sc->line[first->stream] = (struct scan_line){ .open = false };
        sc->line[!first->stream] = (struct scan_line){ .open = first->other_open,
                                                       .start = START_BEFORE };
}

/* Tail: pass 1 finds the last tail_lines selected lines, keeping only
 * their offsets; pass 2 shows them, starting at the earliest. */
static int read_tail(struct scan *sc, struct dh_err **err)
{
        struct ring ring = { .max = (size_t)sc->o->tail_lines };
        int r = 0;
        if (ring.max > 0) {
                sc->ring = &ring;
                r = scan_run(sc, err);
                if (r == 0)
                        r = ring_finish(sc, err);
                sc->ring = NULL;
        }
        /* With nothing to show, pass 2 still walks to the end (from where
         * pass 1 stopped) so the cursor lands there. */
        sc->use_set = true;
        sc->set = ring.v;
        sc->set_n = ring.n;
        if (r == 0 && ring.n > 0) {
                uint64_t skipped = sc->skipped, too_long = sc->rd.too_long;
                scan_restart(sc, &ring.v[0]);
                r = scan_run(sc, err);
                /* Pass 1 counted every bad record; pass 2 sees a subset. */
                sc->skipped = skipped;
                sc->rd.too_long = too_long;
        } else if (r == 0) {
                r = scan_run(sc, err);
        }
        free(ring.v);
        return r;
}

static int open_log(const char *path, uint64_t offset, struct dh_err **err)
{
        /* O_NONBLOCK: a FIFO planted at the path must not hang the reader. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return dh_err_errno(err, errno, "open");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "stat");
        if (!S_ISREG(st.st_mode))
                return dh_err_set(err, EINVAL, "not a regular file");
        if (offset > (uint64_t)st.st_size)
                return dh_err_set(err, ERANGE, "offset %llu is past the end (%lld bytes): "
                                  "truncated or replaced?", (unsigned long long)offset,
                                  (long long)st.st_size);
        return TAKE_FD(fd);
}

int rt_log_read(const char *path, const struct rt_log_read_opts *o, FILE *out,
                struct rt_log_cursor *cur, struct dh_err **err)
{
        static const struct rt_log_cursor zero;
        const struct rt_log_cursor *c = cur ? cur : &zero;
        _cleanup_close_ int fd = open_log(path, c->offset, err);
        if (fd < 0)
                return dh_err_prefix(err, "log %s", path);
        _cleanup_free_ char *buf = malloc(RT_LOG_READ_MAX_RECORD);
        if (!buf)
                return dh_err_set(err, ENOMEM, "log %s: out of memory", path);
        struct scan sc;
        scan_init(&sc, o, fd, buf, c, out);
        errno = 0;
        int r = o->tail_lines >= 0 ? read_tail(&sc, err) : scan_run(&sc, err);
        if (r == 0 && fflush(out) != 0)
                r = dh_err_errno(err, errno ? errno : EIO, "write log output");
        if (r < 0)
                return dh_err_prefix(err, "log %s", path);
        if (cur) {
                cur->offset = sc.rd.done;
                for (int s = 0; s < 2; s++)
                        cur->open[s] = !sc.line[s].open ? RT_LOG_LINE_NONE
                                       : sc.line[s].show ? RT_LOG_LINE_SHOWN
                                                         : RT_LOG_LINE_HIDDEN;
                cur->skipped += sc.skipped + sc.rd.too_long;
        }
        return sc.limit_hit ? 1 : 0;
}
