/* Base library: errors, bounded buffers, checked parsing, field errors,
 * table-driven JSON decoding, bounded file reads. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/jsondec.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "test.h"

TEST(errors_carry_context_up)
{
        struct dh_err *e = NULL;
        CHECK_INT(dh_err_set(&e, ENOENT, "exec \"%s\"", "/bin/srv"), -ENOENT);
        CHECK_INT(dh_err_set(&e, EPERM, "second error is ignored"), -EPERM);
        dh_err_prefix(&e, "container \"%s\"", "web");
        dh_err_prefix(&e, "pod \"%s\"", "default/x");
        CHECK_STR(e->msg, "pod \"default/x\": container \"web\": exec \"/bin/srv\"");
        CHECK_INT(e->code, ENOENT);
        dh_err_clear(&e);
        CHECK(e == NULL);
        dh_err_errno(&e, ENOENT, "open %s", "/x");
        CHECK_STR(e->msg, "open /x: No such file or directory");
        dh_err_free(e);
}

TEST(buffers_are_bounded)
{
        struct dh_buf b;
        struct dh_err *e = NULL;
        dh_buf_init(&b, 10);
        CHECK_INT(dh_buf_puts(&b, "12345", &e), 0);
        CHECK_INT(dh_buf_printf(&b, &e, "%d", 6789), 0);
        CHECK_STR(b.data, "123456789");
        CHECK(dh_buf_puts(&b, "ab", &e) < 0);
        CHECK_CONTAINS(e->msg, "limit of 10 bytes");
        CHECK_INT(b.len, 9);
        dh_err_free(e);
        dh_buf_free(&b);
}

TEST(numbers_are_checked)
{
        int64_t v = 7;
        struct dh_err *e = NULL;
        CHECK_INT(dh_parse_i64("110", 0, 1000, &v, "--max-pods", &e), 0);
        CHECK_INT(v, 110);
        CHECK(dh_parse_i64("12x", 0, 1000, &v, "--max-pods", &e) < 0);
        CHECK_CONTAINS(e->msg, "--max-pods: invalid number \"12x\"");
        dh_err_clear(&e);
        CHECK(dh_parse_i64("-1", 0, 1000, &v, "n", &e) < 0);
        CHECK_CONTAINS(e->msg, "out of range");
        dh_err_clear(&e);
        CHECK(dh_parse_i64("99999999999999999999", 0, INT64_MAX, &v, "n", &e) < 0);
        dh_err_clear(&e);
        CHECK(dh_parse_i64(" 1", 0, 10, &v, "n", &e) < 0);
        dh_err_clear(&e);
        CHECK_INT(v, 110);
        bool b = false;
        CHECK_INT(dh_parse_bool("true", &b, "x", &e), 0);
        CHECK(b);
        CHECK(dh_parse_bool("yes", &b, "x", &e) < 0);
        dh_err_clear(&e);
        int64_t ms = 0;
        CHECK_INT(dh_parse_duration_ms("1m30s", &ms, "d", &e), 0);
        CHECK_INT(ms, 90000);
        CHECK_INT(dh_parse_duration_ms("250ms", &ms, "d", &e), 0);
        CHECK_INT(ms, 250);
        CHECK(dh_parse_duration_ms("10 s", &ms, "d", &e) < 0);
        dh_err_clear(&e);
        CHECK(dh_parse_duration_ms("5y", &ms, "d", &e) < 0);
        dh_err_free(e);
}

TEST(field_errors_format_like_the_api_server)
{
        struct dh_ferrs errs = { 0 };
        struct dh_path p = { 0 };
        size_t m0 = dh_path_field(&p, "spec");
        dh_path_field(&p, "containers");
        dh_path_index(&p, 1);
        dh_path_field(&p, "ports");
        dh_path_index(&p, 0);
        size_t m1 = dh_path_field(&p, "containerPort");
        dh_ferr_invalid_int(&errs, &p, 70000, "must be between 1 and 65535, inclusive");
        dh_path_pop(&p, m1);
        dh_path_field(&p, "protocol");
        static const char *const protos[] = { "SCTP", "TCP", "UDP", NULL };
        dh_ferr_not_supported(&errs, &p, "tcp", protos);
        dh_path_pop(&p, m0);
        dh_path_field(&p, "metadata");
        dh_path_field(&p, "labels");
        dh_path_key(&p, "app");
        dh_ferr_invalid_str(&errs, &p, "a\"b\n", "bad");
        dh_ferr_required(&errs, &p, NULL);
        CHECK_INT(errs.n, 4);
        const char *want[] = {
                "spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.containers[1].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "metadata.labels[app]: Invalid value: \"a\\\"b\\n\": bad",
                "metadata.labels[app]: Required value",
        };
        for (size_t i = 0; i < errs.n && i < 4; i++) {
                _cleanup_free_ char *s = dh_ferr_format(&errs.v[i]);
                CHECK_STR(s, want[i]);
        }
        dh_ferrs_free(&errs);
}

TEST(field_error_lists_are_bounded)
{
        struct dh_ferrs errs = { 0 };
        struct dh_path p = { 0 };
        dh_path_field(&p, "x");
        for (int i = 0; i < DH_FERRS_MAX + 50; i++)
                dh_ferr_required(&errs, &p, NULL);
        CHECK_INT(errs.n, DH_FERRS_MAX);
        CHECK_INT(errs.dropped, 50);
        dh_ferrs_free(&errs);
        struct dh_path deep = { 0 };
        for (int i = 0; i < 1000; i++)
                dh_path_field(&deep, "segment");
        CHECK(deep.truncated);
        CHECK(strlen(dh_path_str(&deep)) < DH_PATH_MAX);
}

struct sample_item {
        char *name;
        struct dh_opt_i64 port;
};
struct sample {
        char *title;
        struct dh_opt_bool on;
        struct dh_opt_i64 count;
        struct dh_strmap labels;
        struct dh_strv words;
        struct dh_intstr port;
        DH_VEC(struct sample_item) items;
        struct sample_item *one;
};
static const struct jd_type t_port = JD_INT(1, 65535);
static const struct jd_field item_fields[] = {
        { "name", &jd_string, offsetof(struct sample_item, name) },
        { "port", &t_port, offsetof(struct sample_item, port) },
        { NULL, NULL, 0 },
};
static const struct jd_type t_item = JD_OBJECT(struct sample_item, item_fields);
static const struct jd_type t_items = JD_ARRAY(&t_item);
static const struct jd_type t_item_p = JD_PTR(&t_item);
static const struct jd_field sample_fields[] = {
        { "title", &jd_string, offsetof(struct sample, title) },
        { "on", &jd_bool, offsetof(struct sample, on) },
        { "count", &jd_int32, offsetof(struct sample, count) },
        { "labels", &jd_strmap, offsetof(struct sample, labels) },
        { "words", &jd_strv, offsetof(struct sample, words) },
        { "port", &jd_intstr, offsetof(struct sample, port) },
        { "items", &t_items, offsetof(struct sample, items) },
        { "one", &t_item_p, offsetof(struct sample, one) },
        { NULL, NULL, 0 },
};
static const struct jd_type t_sample = JD_OBJECT(struct sample, sample_fields);

TEST(table_decoding_fills_structs_and_ignores_unknown_keys)
{
        json_t *j = json_loads("{\"title\":\"t\",\"on\":true,\"count\":3,\"labels\":{\"a\":\"b\"},"
                               "\"words\":[\"x\",\"y\"],\"port\":\"http\",\"unknown\":[1,2],"
                               "\"items\":[{\"name\":\"i\",\"port\":80}],\"one\":{\"name\":\"o\"}}", 0, NULL);
        struct sample s = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx c = { .errs = &errs };
        jd_decode_object(&c, j, &s, &t_sample);
        CHECK_INT(errs.n, 0);
        CHECK_STR(s.title, "t");
        CHECK(s.on.set && s.on.v);
        CHECK_INT(s.count.v, 3);
        CHECK_STR(dh_strmap_get(&s.labels, "a"), "b");
        CHECK_INT(s.words.n, 2);
        CHECK_STR(s.words.v[1], "y");
        CHECK_INT(s.port.kind, DH_INTSTR_STR);
        CHECK_INT(s.items.n, 1);
        CHECK_INT(s.items.v[0].port.v, 80);
        CHECK(s.one && strcmp(s.one->name, "o") == 0);
        jd_free_object(&s, &t_sample);
        dh_ferrs_free(&errs);
        json_decref(j);
}

TEST(table_decoding_reports_every_type_error_with_its_path)
{
        json_t *j = json_loads("{\"title\":5,\"on\":\"yes\",\"count\":1.5,\"labels\":{\"a\":1},"
                               "\"words\":\"x\",\"port\":true,\"items\":[{\"port\":70000},7],"
                               "\"one\":[]}", 0, NULL);
        struct sample s = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx c = { .errs = &errs };
        jd_decode_object(&c, j, &s, &t_sample);
        const char *want[] = {
                "title: Invalid value: 5: must be a string",
                "on: Invalid value: \"yes\": must be a boolean",
                "count: Invalid value: 1.5: must be an integer",
                "labels[a]: Invalid value: 1: must be a string",
                "words: Invalid value: \"x\": must be a list",
                "port: Invalid value: true: must be an integer or a string",
                "items[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "items[1]: Invalid value: 7: must be an object",
                "one: Invalid value: [...]: must be an object",
        };
        CHECK_INT(errs.n, DH_ARRAY_SIZE(want));
        for (size_t i = 0; i < errs.n && i < DH_ARRAY_SIZE(want); i++) {
                _cleanup_free_ char *line = dh_ferr_format(&errs.v[i]);
                CHECK_STR(line, want[i]);
        }
        jd_free_object(&s, &t_sample);
        dh_ferrs_free(&errs);
        json_decref(j);
}

TEST(strings_with_nul_are_refused_not_cut_short)
{
        json_t *j = json_loads("{\"title\": \"/var/log/x\\u0000/../../etc\"}", JSON_ALLOW_NUL, NULL);
        struct sample s = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx c = { .errs = &errs };
        jd_decode_object(&c, j, &s, &t_sample);
        CHECK_INT(errs.n, 1);
        CHECK(s.title == NULL);
        jd_free_object(&s, &t_sample);
        dh_ferrs_free(&errs);
        json_decref(j);
}

TEST(file_reads_are_bounded_and_refuse_non_files)
{
        char path[] = "/tmp/dh-test-XXXXXX";
        int fd = mkostemp(path, O_CLOEXEC);
        CHECK(fd >= 0);
        CHECK_INT(write(fd, "hello world", 11), 11);
        close(fd);
        char *data = NULL;
        size_t len = 0;
        struct dh_err *e = NULL;
        CHECK_INT(dh_read_file(path, 100, &data, &len, &e), 0);
        CHECK_STR(data, "hello world");
        free(data);
        data = NULL;
        CHECK(dh_read_file(path, 5, &data, &len, &e) < 0);
        CHECK_CONTAINS(e->msg, "larger than the limit of 5 bytes");
        CHECK_CONTAINS(e->msg, path);
        dh_err_clear(&e);
        CHECK(dh_read_file("/tmp", 100, &data, &len, &e) < 0);
        CHECK_CONTAINS(e->msg, "not a regular file");
        dh_err_clear(&e);
        CHECK(dh_read_file("/nonexistent/x.yaml", 100, &data, &len, &e) < 0);
        CHECK_CONTAINS(e->msg, "/nonexistent/x.yaml: open: No such file or directory");
        dh_err_free(e);
        unlink(path);
}

TEST(durations_format_as_go_does)
{
        char b[DH_DURATION_STR_MAX];
        const struct {
                int64_t ns;
                const char *want;
        } cases[] = {
                { 0, "0s" },
                { 1, "1ns" },
                { 1100, "1.1\u00b5s" },
                { 2200000, "2.2ms" },
                { 1200000000, "1.2s" },
                { 1234000000, "1.234s" },
                { 60000000000, "1m0s" },
                { 90500000000, "1m30.5s" },
                { 3600000000000, "1h0m0s" },
                { 4500000000000 + 1, "1h15m0.000000001s" },
                { -2000000000, "-2s" },
                { INT64_MAX, "2562047h47m16.854775807s" },
                { INT64_MIN, "-2562047h47m16.854775808s" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++)
                CHECK_STR(dh_format_duration_ns(cases[i].ns, b, sizeof b), cases[i].want);
}

#define FMT_LOGS(buf, err, ...)                                                               \
        dh_logs_format(buf, sizeof buf, err, (const char *const[]){ __VA_ARGS__ },          \
                       sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

/* klog's structured lines: "msg" key="value", values as Go's %q. */
TEST(structured_log_lines)
{
        char buf[256];
        FMT_LOGS(buf, NULL, "Pod phase changed", "pod", "default/web-node1", "phase", "Running");
        CHECK_STR(buf, "\"Pod phase changed\" pod=\"default/web-node1\" phase=\"Running\"");
        FMT_LOGS(buf, NULL, "Probe failed", "output", "a \"b\"\\\n\x01\t\x7f", "err", (const char *)NULL);
        CHECK_STR(buf, "\"Probe failed\" output=\"a \\\"b\\\"\\\\\\n\\x01\\t\\x7f\" err=<nil>");
        /* valid UTF-8 passes; a stray byte is escaped as Go does */
        FMT_LOGS(buf, NULL, "m", "k", "caf\xc3\xa9 \xff\xc3");
        CHECK_STR(buf, "\"m\" k=\"caf\xc3\xa9 \\xff\\xc3\"");
        FMT_LOGS(buf, NULL, "just a message");
        CHECK_STR(buf, "\"just a message\"");
        FMT_LOGS(buf, NULL, "odd", "a", "1", "lonely");
        CHECK_STR(buf, "\"odd\" a=\"1\" lonely=\"(MISSING)\"");
}

/* Numbers and booleans bare, as klog prints them; ErrorS's err first. */
TEST(structured_log_bare_values_and_errors)
{
        char buf[256];
        FMT_LOGS(buf, "exit status 3", "Failed to execute PostStartHook", "pod", "ns/p", "restartCount",
                 LOG_INT(-2), "port", LOG_UINT(10248), "ready", LOG_BOOL(1), "started", LOG_BOOL(0));
        CHECK_STR(buf, "\"Failed to execute PostStartHook\" err=\"exit status 3\" pod=\"ns/p\" "
                       "restartCount=-2 port=10248 ready=true started=false");
        /* a bare-marked value that is not a plain token is quoted after all */
        FMT_LOGS(buf, NULL, "m", "k", DH_LOG_BARE "a b", "e", DH_LOG_BARE);
        CHECK_STR(buf, "\"m\" k=\"a b\" e=\"\"");
}

/* A line is bounded: a long value is cut (inside its quotes, at a
 * character) and says how much was left out; so is a full line. */
TEST(structured_log_lines_are_bounded)
{
        static char big[3000], buf[DH_LOG_LINE_MAX], line[DH_LOG_LINE_MAX];
        memset(big, 'x', sizeof big - 1);
        FMT_LOGS(buf, NULL, "Probe failed", "output", big, "pod", "ns/p");
        char want[1200];
        snprintf(want, sizeof want, "\"Probe failed\" output=\"%.*s[truncated %zu bytes]\" pod=\"ns/p\"",
                 DH_LOG_VALUE_MAX, big, sizeof big - 1 - DH_LOG_VALUE_MAX);
        CHECK_STR(buf, want);
        /* \xc3\xa9 is not split: the cut comes before it */
        char utf[DH_LOG_VALUE_MAX + 2];
        memset(utf, 'y', sizeof utf);
        memcpy(utf + DH_LOG_VALUE_MAX - 1, "\xc3\xa9", 3);
        FMT_LOGS(buf, NULL, "m", "k", utf);
        CHECK(strstr(buf, "y[truncated 2 bytes]\"") != NULL);
        /* a whole line of long values stays within its buffer, quotes closed */
        FMT_LOGS(line, big, big, "a", big, "b", big, "c", big, "d", big, "e", big);
        CHECK(strlen(line) < sizeof line);
        CHECK(strstr(line, " [truncated]") != NULL || strstr(line, "bytes]\"") != NULL);
        char small[40];
        FMT_LOGS(small, "an error that is long", "a long message that does not fit");
        CHECK(strlen(small) < sizeof small);
        CHECK(small[0] == '"');
}

TEST_MAIN()
