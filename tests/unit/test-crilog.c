/* Tests for cri/builtin/crilog.c: exact records as containerd writes them,
 * Go RFC3339Nano times, kubelet-strict parsing, and log reading with
 * tail/since/timestamps/streams/limit and a follow cursor. */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/builtin/crilog.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "test.h"

/* 2023-11-14T22:13:20Z */
#define T0 (1700000000LL * 1000000000LL)

struct fake_clock {
        int64_t ns, step;
};

static int64_t fake_now(void *ctx)
{
        struct fake_clock *c = ctx;
        int64_t v = c->ns;
        c->ns += c->step;
        return v;
}

struct fixture {
        char *dir, *path;
        struct rt_log_writer w;
        struct fake_clock clock;
};

static void fx_open(struct fixture *fx, int64_t start, int64_t step)
{
        char tmpl[] = "/tmp/dh-test-crilog-XXXXXX";
        fx->dir = strdup(mkdtemp(tmpl) ? tmpl : "/nonexistent");
        if (asprintf(&fx->path, "%s/0.log", fx->dir) < 0)
                fx->path = NULL;
        struct dh_err *e = NULL;
        CHECK_INT(rt_log_open(&fx->w, fx->path, &e), 0);
        dh_err_free(e);
        fx->clock = (struct fake_clock){ start, step };
        fx->w.now = fake_now;
        fx->w.now_ctx = &fx->clock;
}

static void fx_close(struct fixture *fx)
{
        rt_log_close(&fx->w);
        dh_rm_rf_at(AT_FDCWD, fx->dir, NULL);
        free(fx->dir);
        free(fx->path);
}

static char *slurp(const char *path, size_t *len)
{
        char *data = NULL;
        if (dh_read_file(path, 64u << 20, &data, len, NULL) < 0)
                return NULL;
        return data;
}

static void feed(struct fixture *fx, enum rt_log_stream s, const char *str)
{
        struct dh_err *e = NULL;
        CHECK_INT(rt_log_feed(&fx->w, s, str, strlen(str), &e), 0);
        dh_err_free(e);
}

/* Reads fx's log with o into a string. */
static char *read_log(const char *path, const struct rt_log_read_opts *o,
                      struct rt_log_cursor *cur, int *ret)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct dh_err *e = NULL;
        int r = rt_log_read(path, o, f, cur, &e);
        if (r < 0)
                fprintf(stderr, "  rt_log_read: %s\n", e->msg);
        if (ret)
                *ret = r;
        dh_err_free(e);
        fclose(f);
        return buf;
}

TEST(time_format_matches_go_rfc3339nano)
{
        char b[RT_LOG_TIME_MAX];
        rt_log_format_time(T0, b, sizeof b);
        CHECK_STR(b, "2023-11-14T22:13:20Z");
        rt_log_format_time(T0 + 500000000, b, sizeof b);
        CHECK_STR(b, "2023-11-14T22:13:20.5Z");
        rt_log_format_time(T0 + 1, b, sizeof b);
        CHECK_STR(b, "2023-11-14T22:13:20.000000001Z");
        rt_log_format_time(T0 + 123456780, b, sizeof b);
        CHECK_STR(b, "2023-11-14T22:13:20.12345678Z");
        rt_log_format_time(T0 + 100, b, sizeof b);
        CHECK_STR(b, "2023-11-14T22:13:20.0000001Z");
        rt_log_format_time(0, b, sizeof b);
        CHECK_STR(b, "1970-01-01T00:00:00Z");
        rt_log_format_time(-1, b, sizeof b);
        CHECK_STR(b, "1969-12-31T23:59:59.999999999Z");
        rt_log_format_time(951782400LL * 1000000000LL, b, sizeof b);
        CHECK_STR(b, "2000-02-29T00:00:00Z");
        rt_log_format_time(INT64_MAX, b, sizeof b);
        CHECK_STR(b, "2262-04-11T23:47:16.854775807Z");
        rt_log_format_time(INT64_MIN, b, sizeof b);
        CHECK_STR(b, "1677-09-21T00:12:43.145224192Z");
        /* kubelet's --timestamps form keeps the zone and all 9 digits. */
        rt_log_format_time_fixed(T0 + 500000000, 0, b, sizeof b);
        CHECK_STR(b, "2023-11-14T22:13:20.500000000Z");
        rt_log_format_time_fixed(T0, 2 * 3600, b, sizeof b);
        CHECK_STR(b, "2023-11-15T00:13:20.000000000+02:00");
        rt_log_format_time_fixed(T0, -(5 * 3600 + 30 * 60), b, sizeof b);
        CHECK_STR(b, "2023-11-14T16:43:20.000000000-05:30");
}

TEST(time_parse_like_go)
{
        int64_t ns = 0;
        int32_t off = 7;
        struct dh_err *e = NULL;
        CHECK_INT(rt_log_parse_time("2023-11-14T22:13:20Z", 20, &ns, &off, &e), 0);
        CHECK_INT(ns, T0);
        CHECK_INT(off, 0);
        const char *s = "2023-11-15T00:13:20.5+02:00";
        CHECK_INT(rt_log_parse_time(s, strlen(s), &ns, &off, &e), 0);
        CHECK_INT(ns, T0 + 500000000);
        CHECK_INT(off, 7200);
        s = "2023-11-14T22:13:20,1234567891234Z"; /* comma; digits past 9 ignored */
        CHECK_INT(rt_log_parse_time(s, strlen(s), &ns, NULL, &e), 0);
        CHECK_INT(ns, T0 + 123456789);
        s = "2023-11-14T2:13:20Z"; /* Go's "15" takes a single digit too */
        CHECK_INT(rt_log_parse_time(s, strlen(s), &ns, NULL, &e), 0);
        CHECK_INT(ns, T0 - 20LL * 3600 * 1000000000LL);
        CHECK(e == NULL);
        const char *bad[] = {
                "2023-11-14 22:13:20Z", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z",
                "2023-02-29T22:13:20Z", "2023-11-14T24:00:00Z", "2023-11-14T22:60:00Z",
                "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20+0200", "2023-11-14T22:13:20+25:00",
                "2023-11-14T22:13:20ZZ", "23-11-14T22:13:20Z", "3000-01-01T00:00:00Z",
                "2023-11-14t22:13:20Z", "",
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(bad); i++) {
                ns = 42;
                if (rt_log_parse_time(bad[i], strlen(bad[i]), &ns, NULL, &e) == 0)
                        TEST_FAIL_("parsed bad time \"%s\"", bad[i]);
                CHECK_INT(ns, 42);
                dh_err_clear(&e);
        }
        CHECK_INT(rt_log_parse_time("2024-02-29T00:00:00Z", 20, &ns, NULL, &e), 0);
}

TEST(parse_line_fields)
{
        struct rt_log_record r;
        struct dh_err *e = NULL;
        const char *l = "2016-10-06T00:17:09.669794202Z stdout P log content 1\n";
        CHECK_INT(rt_log_parse_line(l, strlen(l), &r, &e), 0);
        CHECK_INT(r.stream, RT_LOG_STDOUT);
        CHECK(r.partial);
        CHECK_INT(r.content_len, 13);
        CHECK(memcmp(r.content, "log content 1", 13) == 0);
        CHECK_INT(r.time_ns, 1475713029669794202LL);
        l = "2016-10-06T00:17:09.669794203Z stderr F:x:y  two spaces";
        CHECK_INT(rt_log_parse_line(l, strlen(l), &r, &e), 0);
        CHECK_INT(r.stream, RT_LOG_STDERR);
        CHECK(!r.partial);
        CHECK_INT(r.content_len, 11);
        l = "2016-10-06T00:17:09Z stdout F ";
        CHECK_INT(rt_log_parse_line(l, strlen(l), &r, &e), 0);
        CHECK_INT(r.content_len, 0);
        l = "2016-10-06T00:17:09Z stdout P:more x"; /* tags: only the first counts */
        CHECK_INT(rt_log_parse_line(l, strlen(l), &r, &e), 0);
        CHECK(r.partial);
        l = "2016-10-06T00:17:09Z stdout X x"; /* unknown tag: full, like kubelet */
        CHECK_INT(rt_log_parse_line(l, strlen(l), &r, &e), 0);
        CHECK(!r.partial);
        CHECK(e == NULL);
}

TEST(parse_line_errors)
{
        static const struct {
                const char *line, *msg;
        } cases[] = {
                { "nospace", "timestamp is not found" },
                { "2016-10-06T00:17:09 stdout F x", "unexpected timestamp \"2016-10-06T00:17:09\"" },
                { "yesterday stdout F x", "unexpected timestamp" },
                { "2016-10-06T00:17:09Z stdout", "stream type is not found" },
                { "2016-10-06T00:17:09Z stdin F x", "unexpected stream type \"stdin\"" },
                { "2016-10-06T00:17:09Z STDOUT F x", "unexpected stream type" },
                { "2016-10-06T00:17:09Z stdout F", "log tag is not found" },
                { "2016-10-06T00:17:09Z stdout Fx\n", "log tag is not found" },
                { "", "timestamp is not found" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct rt_log_record r = { .content_len = 99 };
                struct dh_err *e = NULL;
                CHECK(rt_log_parse_line(cases[i].line, strlen(cases[i].line), &r, &e) < 0);
                CHECK_INT(r.content_len, 99);
                CHECK_INT(e ? e->code : 0, DH_EINVAL_INPUT);
                if (e)
                        CHECK_CONTAINS(e->msg, cases[i].msg);
                dh_err_free(e);
        }
}

TEST(write_short_lines_exact_bytes)
{
        struct fixture fx;
        fx_open(&fx, T0, 500000000);
        feed(&fx, RT_LOG_STDOUT, "hello\n");
        feed(&fx, RT_LOG_STDERR, "oops\n\n");
        _cleanup_free_ char *got = slurp(fx.path, NULL);
        CHECK_STR(got, "2023-11-14T22:13:20Z stdout F hello\n"
                       "2023-11-14T22:13:20.5Z stderr F oops\n"
                       "2023-11-14T22:13:21Z stderr F \n");
        struct stat st;
        CHECK_INT(stat(fx.path, &st), 0);
        mode_t mask = umask(0);
        umask(mask);
        CHECK_INT(st.st_mode & 0777, 0640 & ~mask);
        fx_close(&fx);
}

TEST(write_multiple_and_split_lines)
{
        struct fixture fx;
        fx_open(&fx, T0, 0);
        feed(&fx, RT_LOG_STDOUT, "a\nb\nc\n");
        feed(&fx, RT_LOG_STDOUT, "hel");
        feed(&fx, RT_LOG_STDOUT, "lo\nwor");
        feed(&fx, RT_LOG_STDOUT, "");
        feed(&fx, RT_LOG_STDOUT, "ld\n");
        /* CRLF is one line end, even split across reads; a lone CR is content. */
        feed(&fx, RT_LOG_STDOUT, "dos\r");
        feed(&fx, RT_LOG_STDOUT, "\nmac\rx\r\r\n");
        _cleanup_free_ char *got = slurp(fx.path, NULL);
        CHECK_STR(got, "2023-11-14T22:13:20Z stdout F a\n"
                       "2023-11-14T22:13:20Z stdout F b\n"
                       "2023-11-14T22:13:20Z stdout F c\n"
                       "2023-11-14T22:13:20Z stdout F hello\n"
                       "2023-11-14T22:13:20Z stdout F world\n"
                       "2023-11-14T22:13:20Z stdout F dos\n"
                       "2023-11-14T22:13:20Z stdout F mac\rx\r\n");
        fx_close(&fx);
}

/* Checks that buf holds records with these tags and content sizes. */
static void check_records(const char *buf, size_t len, const char *tags, const size_t *sizes)
{
        size_t i = 0;
        const char *p = buf, *end = buf + len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                CHECK(nl != NULL);
                if (!nl)
                        return;
                struct rt_log_record r;
                CHECK_INT(rt_log_parse_line(p, (size_t)(nl - p), &r, NULL), 0);
                CHECK(tags[i] != '\0');
                if (!tags[i])
                        return;
                CHECK_INT(r.partial, tags[i] == 'P');
                CHECK_INT(r.content_len, sizes[i]);
                i++;
                p = nl + 1;
        }
        CHECK_INT(tags[i], '\0');
}

TEST(write_long_line_is_cut_into_partials)
{
        struct fixture fx;
        fx_open(&fx, T0, 0);
        size_t n = 40 * 1024;
        char *big = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
                big[i] = (char)('a' + i % 26);
        big[n] = '\n';
        struct dh_err *e = NULL;
        /* Fed in odd-sized pieces, as a pipe would deliver it. */
        for (size_t off = 0; off <= n; off += 4093)
                CHECK_INT(rt_log_feed(&fx.w, RT_LOG_STDOUT, big + off,
                                      off + 4093 > n + 1 ? n + 1 - off : 4093, &e), 0);
        size_t len = 0;
        char *got = slurp(fx.path, &len);
        check_records(got, len, "PPF", (size_t[]){ 16384, 16384, 8192 });
        free(got);
        /* Reading joins the pieces back into one line. */
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK(got && strlen(got) == n + 1 && memcmp(got, big, n + 1) == 0);
        free(got);
        free(big);
        fx_close(&fx);
}

TEST(write_line_of_exactly_max_stays_whole)
{
        struct fixture fx;
        fx_open(&fx, T0, 0);
        char *buf = malloc(RT_LOG_MAX_LINE + 2);
        memset(buf, 'x', RT_LOG_MAX_LINE + 1);
        struct dh_err *e = NULL;
        /* containerd cuts only once a line grows past the maximum. */
        CHECK_INT(rt_log_feed(&fx.w, RT_LOG_STDOUT, buf, RT_LOG_MAX_LINE, &e), 0);
        CHECK_INT(rt_log_feed(&fx.w, RT_LOG_STDOUT, "\r\n", 2, &e), 0);
        CHECK_INT(rt_log_feed(&fx.w, RT_LOG_STDOUT, buf, RT_LOG_MAX_LINE + 1, &e), 0);
        CHECK_INT(rt_log_feed(&fx.w, RT_LOG_STDOUT, "\n", 1, &e), 0);
        CHECK_INT(rt_log_feed(&fx.w, RT_LOG_STDOUT, buf, RT_LOG_MAX_LINE, &e), 0);
        CHECK_INT(rt_log_flush(&fx.w, RT_LOG_STDOUT, &e), 0);
        size_t len = 0;
        _cleanup_free_ char *got = slurp(fx.path, &len);
        check_records(got, len, "FPFP",
                      (size_t[]){ RT_LOG_MAX_LINE, RT_LOG_MAX_LINE, 1, RT_LOG_MAX_LINE });
        free(buf);
        fx_close(&fx);
}

TEST(flush_writes_unterminated_line_as_partial)
{
        struct fixture fx;
        fx_open(&fx, T0, 0);
        struct dh_err *e = NULL;
        CHECK_INT(rt_log_flush(&fx.w, RT_LOG_STDOUT, &e), 0); /* nothing pending */
        feed(&fx, RT_LOG_STDOUT, "done\nno newline");
        CHECK_INT(rt_log_flush(&fx.w, RT_LOG_STDOUT, &e), 0);
        CHECK_INT(rt_log_flush(&fx.w, RT_LOG_STDOUT, &e), 0); /* idempotent */
        feed(&fx, RT_LOG_STDERR, "cr\r");
        CHECK_INT(rt_log_flush(&fx.w, RT_LOG_STDERR, &e), 0);
        _cleanup_free_ char *got = slurp(fx.path, NULL);
        CHECK_STR(got, "2023-11-14T22:13:20Z stdout F done\n"
                       "2023-11-14T22:13:20Z stdout P no newline\n"
                       "2023-11-14T22:13:20Z stderr P cr\r\n");
        CHECK(rt_log_feed(&fx.w, (enum rt_log_stream)2, "x", 1, &e) < 0);
        dh_err_free(e);
        fx_close(&fx);
}

TEST(write_streams_interleaved)
{
        struct fixture fx;
        fx_open(&fx, T0, 1000);
        feed(&fx, RT_LOG_STDOUT, "out one ");
        feed(&fx, RT_LOG_STDERR, "err one\nerr ");
        feed(&fx, RT_LOG_STDOUT, "continued\n");
        feed(&fx, RT_LOG_STDERR, "two\n");
        _cleanup_free_ char *got = slurp(fx.path, NULL);
        CHECK_STR(got, "2023-11-14T22:13:20Z stderr F err one\n"
                       "2023-11-14T22:13:20.000001Z stdout F out one continued\n"
                       "2023-11-14T22:13:20.000002Z stderr F err two\n");
        fx_close(&fx);
}

TEST(reopen_after_rename)
{
        struct fixture fx;
        fx_open(&fx, T0, 0);
        feed(&fx, RT_LOG_STDOUT, "before\npart");
        _cleanup_free_ char *rotated = NULL;
        CHECK(asprintf(&rotated, "%s.20231114-221320", fx.path) > 0);
        CHECK_INT(rename(fx.path, rotated), 0);
        struct dh_err *e = NULL;
        CHECK_INT(rt_log_reopen(&fx.w, &e), 0);
        feed(&fx, RT_LOG_STDOUT, "ial\nafter\n");
        _cleanup_free_ char *old = slurp(rotated, NULL);
        _cleanup_free_ char *cur = slurp(fx.path, NULL);
        CHECK_STR(old, "2023-11-14T22:13:20Z stdout F before\n");
        CHECK_STR(cur, "2023-11-14T22:13:20Z stdout F partial\n"
                       "2023-11-14T22:13:20Z stdout F after\n");
        /* A failed reopen keeps writing to the old file. */
        free(fx.w.path);
        fx.w.path = strdup("/nonexistent/dir/0.log");
        CHECK(rt_log_reopen(&fx.w, &e) < 0);
        if (e)
                CHECK_CONTAINS(e->msg, "/nonexistent/dir/0.log: reopen");
        dh_err_clear(&e);
        feed(&fx, RT_LOG_STDOUT, "still\n");
        free(cur);
        cur = slurp(fx.path, NULL);
        CHECK(cur && strstr(cur, "stdout F still\n"));
        fx_close(&fx);
}

TEST(write_error_is_returned_not_fatal)
{
        struct rt_log_writer w;
        struct dh_err *e = NULL;
        CHECK(rt_log_open(&w, "/nonexistent/dir/0.log", &e) < 0);
        if (e)
                CHECK_CONTAINS(e->msg, "log /nonexistent/dir/0.log: open");
        dh_err_clear(&e);
        rt_log_close(&w);
        if (access("/dev/full", W_OK) != 0) {
                fprintf(stderr, "  SKIP: /dev/full is not writable here\n");
                return;
        }
        CHECK_INT(rt_log_open(&w, "/dev/full", &e), 0);
        CHECK(rt_log_feed(&w, RT_LOG_STDOUT, "a\nb\n", 4, &e) < 0);
        CHECK_INT(e ? e->code : 0, ENOSPC);
        if (e)
                CHECK_CONTAINS(e->msg, "log /dev/full: write");
        dh_err_clear(&e);
        CHECK_INT(w.line[RT_LOG_STDOUT].len, 0); /* the failed records were dropped */
        rt_log_close(&w);
}

/* A log with known records: lines at T0 + i seconds. */
static void write_sample(struct fixture *fx)
{
        fx_open(fx, T0, 1000000000);
        feed(fx, RT_LOG_STDOUT, "one\n");            /* T0 */
        feed(fx, RT_LOG_STDERR, "two\n");            /* +1 */
        feed(fx, RT_LOG_STDOUT, "three\nfour\n");    /* +2 +3 */
        feed(fx, RT_LOG_STDERR, "five\n");           /* +4 */
        feed(fx, RT_LOG_STDOUT, "six\n");            /* +5 */
}

TEST(read_selects_tail_since_streams)
{
        struct fixture fx;
        write_sample(&fx);
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        char *got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "one\ntwo\nthree\nfour\nfive\nsix\n");
        free(got);
        o.tail_lines = 2;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "five\nsix\n");
        free(got);
        o.tail_lines = 100;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "one\ntwo\nthree\nfour\nfive\nsix\n");
        free(got);
        o.tail_lines = 0;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "");
        free(got);
        o = (struct rt_log_read_opts)RT_LOG_READ_OPTS_INIT;
        o.streams = RT_LOG_WANT_STDERR;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "two\nfive\n");
        free(got);
        o.streams = RT_LOG_WANT_STDOUT;
        o.tail_lines = 2;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "four\nsix\n");
        free(got);
        o = (struct rt_log_read_opts)RT_LOG_READ_OPTS_INIT;
        o.since_ns = T0 + 3000000000LL;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "four\nfive\nsix\n");
        free(got);
        o.tail_lines = 1; /* tail counts among lines after since */
        o.streams = RT_LOG_WANT_STDERR;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "five\n");
        free(got);
        fx_close(&fx);
}

TEST(read_timestamps_and_limit)
{
        struct fixture fx;
        write_sample(&fx);
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        o.timestamps = true;
        o.tail_lines = 2;
        char *got = read_log(fx.path, &o, NULL, NULL);
        CHECK_STR(got, "2023-11-14T22:13:24.000000000Z five\n"
                       "2023-11-14T22:13:25.000000000Z six\n");
        free(got);
        o = (struct rt_log_read_opts)RT_LOG_READ_OPTS_INIT;
        o.limit_bytes = 10;
        int r = 0;
        got = read_log(fx.path, &o, NULL, &r);
        CHECK_STR(got, "one\ntwo\nth");
        CHECK_INT(r, 1);
        free(got);
        o.limit_bytes = 0;
        got = read_log(fx.path, &o, NULL, &r);
        CHECK_STR(got, "");
        CHECK_INT(r, 1);
        free(got);
        o.limit_bytes = 1000;
        got = read_log(fx.path, &o, NULL, &r);
        CHECK_INT(r, 0);
        free(got);
        fx_close(&fx);
}

TEST(read_joins_partials_per_stream)
{
        struct fixture fx;
        fx_open(&fx, T0, 1000000000);
        struct dh_err *e = NULL;
        char *big = malloc(20000);
        memset(big, 'o', 20000);
        CHECK_INT(rt_log_feed(&fx.w, RT_LOG_STDOUT, big, 20000, &e), 0); /* P at +0 */
        feed(&fx, RT_LOG_STDERR, "err\n");                               /* F at +1 */
        feed(&fx, RT_LOG_STDOUT, "!\n");                                 /* F at +2 */
        feed(&fx, RT_LOG_STDERR, "last\n");                              /* F at +3 */
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        o.tail_lines = 2;
        o.timestamps = true;
        /* Lines count in the order they end: the stdout line ends after
         * "err"; its timestamp is its first record's. */
        char *got = read_log(fx.path, &o, NULL, NULL);
        const char *head = "2023-11-14T22:13:20.000000000Z ";
        CHECK(got && strncmp(got, head, strlen(head)) == 0);
        CHECK(got && strlen(got) == strlen(head) + 20000 + 2 + 36);
        CHECK(got && strcmp(got + strlen(head) + 20000,
                            "!\n2023-11-14T22:13:23.000000000Z last\n") == 0);
        free(got);
        o.tail_lines = 1;
        o.streams = RT_LOG_WANT_STDOUT;
        o.timestamps = false;
        got = read_log(fx.path, &o, NULL, NULL);
        CHECK(got && strlen(got) == 20002 && got[0] == 'o' && got[20000] == '!');
        free(got);
        free(big);
        dh_err_free(e);
        fx_close(&fx);
}

TEST(read_follow_with_cursor)
{
        struct fixture fx;
        fx_open(&fx, T0, 0);
        feed(&fx, RT_LOG_STDOUT, "a\nhalf ");
        struct dh_err *e = NULL;
        CHECK_INT(rt_log_flush(&fx.w, RT_LOG_STDOUT, &e), 0);
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        o.timestamps = true;
        struct rt_log_cursor cur = { 0 };
        char *got = read_log(fx.path, &o, &cur, NULL);
        CHECK_STR(got, "2023-11-14T22:13:20.000000000Z a\n"
                       "2023-11-14T22:13:20.000000000Z half ");
        CHECK_INT(cur.open[RT_LOG_STDOUT], RT_LOG_LINE_SHOWN);
        free(got);
        got = read_log(fx.path, &o, &cur, NULL); /* nothing new */
        CHECK_STR(got, "");
        free(got);
        feed(&fx, RT_LOG_STDOUT, "done\nnext\n");
        /* An incomplete record (a write in flight) waits for the next call. */
        int fd = open(fx.path, O_WRONLY | O_APPEND | O_CLOEXEC);
        CHECK_INT(write(fd, "2023-11-14T22:13:20Z stdout F tor", 33), 33);
        got = read_log(fx.path, &o, &cur, NULL);
        CHECK_STR(got, "done\n2023-11-14T22:13:20.000000000Z next\n");
        CHECK_INT(cur.open[RT_LOG_STDOUT], RT_LOG_LINE_NONE);
        free(got);
        CHECK_INT(write(fd, "n\n", 2), 2);
        close(fd);
        got = read_log(fx.path, &o, &cur, NULL);
        CHECK_STR(got, "2023-11-14T22:13:20.000000000Z torn\n");
        free(got);
        struct stat st;
        CHECK_INT(stat(fx.path, &st), 0);
        CHECK_INT(cur.offset, st.st_size);
        /* After a truncation the cursor is past the end: an error. */
        CHECK_INT(truncate(fx.path, 10), 0);
        FILE *f = fopen("/dev/null", "we");
        CHECK(rt_log_read(fx.path, &o, f, &cur, &e) < 0);
        if (e)
                CHECK_CONTAINS(e->msg, "past the end");
        fclose(f);
        dh_err_free(e);
        fx_close(&fx);
}

TEST(read_skips_bad_records)
{
        struct fixture fx;
        fx_open(&fx, T0, 0);
        feed(&fx, RT_LOG_STDOUT, "good\n");
        int fd = open(fx.path, O_WRONLY | O_APPEND | O_CLOEXEC);
        const char *junk = "garbage line\n2023-11-14T22:13:20Z stdin F x\n";
        CHECK_INT(write(fd, junk, strlen(junk)), (long long)strlen(junk));
        /* A record longer than the reader's bound is skipped whole. */
        size_t n = RT_LOG_READ_MAX_RECORD + 100;
        char *huge = malloc(n);
        memset(huge, 'h', n);
        huge[n - 1] = '\n';
        CHECK_INT(write(fd, huge, n), (long long)n);
        free(huge);
        close(fd);
        feed(&fx, RT_LOG_STDOUT, "also good\n");
        struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
        struct rt_log_cursor cur = { 0 };
        char *got = read_log(fx.path, &o, &cur, NULL);
        CHECK_STR(got, "good\nalso good\n");
        CHECK_INT(cur.skipped, 3);
        free(got);
        o.tail_lines = 1;
        cur = (struct rt_log_cursor){ 0 };
        got = read_log(fx.path, &o, &cur, NULL);
        CHECK_STR(got, "also good\n");
        CHECK_INT(cur.skipped, 3);
        free(got);
        struct dh_err *e = NULL;
        FILE *f = fopen("/dev/null", "we");
        CHECK(rt_log_read(fx.dir, &o, f, NULL, &e) < 0);
        if (e)
                CHECK_CONTAINS(e->msg, "not a regular file");
        dh_err_clear(&e);
        fclose(f);
        dh_err_free(e);
        fx_close(&fx);
}

/* Reads a 5 MB log with tail 3 in a child, whose peak RSS must not grow
 * by anything near the file size. */
TEST(read_tail_of_large_file_in_bounded_memory)
{
        struct fixture fx;
        fx_open(&fx, T0, 1);
        char chunk[64 * 1024];
        size_t line = 0;
        struct stat st = { 0 };
        while (st.st_size < 5 * 1024 * 1024) {
                size_t len = 0;
                for (int i = 0; i < 1000; i++) {
                        int k = snprintf(chunk + len, sizeof chunk - len,
                                         "line %zu with some padding text\n", line++);
                        len += (size_t)k;
                }
                struct dh_err *e = NULL;
                CHECK_INT(rt_log_feed(&fx.w, RT_LOG_STDOUT, chunk, len, &e), 0);
                dh_err_free(e);
                CHECK_INT(fstat(fx.w.fd, &st), 0);
        }
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
                struct rusage before, after;
                getrusage(RUSAGE_SELF, &before);
                struct rt_log_read_opts o = RT_LOG_READ_OPTS_INIT;
                o.tail_lines = 3;
                char out[256];
                FILE *f = fmemopen(out, sizeof out, "w");
                int r = rt_log_read(fx.path, &o, f, NULL, NULL);
                fclose(f);
                getrusage(RUSAGE_SELF, &after);
                char want[256];
                snprintf(want, sizeof want, "line %zu with some padding text\n"
                                            "line %zu with some padding text\n"
                                            "line %zu with some padding text\n",
                         line - 3, line - 2, line - 1);
                long grew_kb = after.ru_maxrss - before.ru_maxrss;
                if (r != 0 || strcmp(out, want) != 0)
                        _exit(2);
                _exit(grew_kb < 2048 ? 0 : 3);
        }
        int status = 0;
        CHECK_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status));
        CHECK_INT(WEXITSTATUS(status), 0);
        fx_close(&fx);
}

TEST_MAIN()
