/* kubelet-style (klog) structured logging with -v levels. Only agent/ and
 * the binaries' mains log.
 *
 * A line is klog's header, then klog's structured form (InfoS, ErrorS):
 *
 *   I1123 07:38:41.123456   12345 podprobes.c:229] "Probe failed" probeType="Readiness" pod="ns/web"
 *
 * the message quoted, for an error err="..." right after it, then
 * key=value pairs. Values are strings, quoted as Go's %q quotes them;
 * LOG_INT / LOG_UINT / LOG_BOOL make values printed bare, as klog prints
 * numbers and booleans. Call sites give the message then keys and values,
 * all const char *, checked by the compiler:
 *
 *   log_infos("Started container", "pod", p->obj, "restartCount", LOG_INT(n));
 *   log_errors(err->msg, "Failed to create pod sandbox", "pod", p->obj);
 *
 * A line is bounded: one value shows at most DH_LOG_VALUE_MAX bytes (an
 * error DH_LOG_ERR_MAX), the whole structured part at most
 * DH_LOG_LINE_MAX; a cut value ends, inside its quotes, in
 * "[truncated N bytes]", a cut list of keys in " [truncated]". */
#pragma once
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum dh_log_sev { DH_LOG_INFO, DH_LOG_WARN, DH_LOG_ERROR };

#define DH_LOG_LINE_MAX 4096
#define DH_LOG_VALUE_MAX 1024
#define DH_LOG_ERR_MAX 2048

/* Verbosity for log_vs(); set from -v. Process-wide by nature. */
extern int dh_log_verbosity;

/* msgkv: n strings, the message then keys and values (the macros count
 * them). err: the error's text for ErrorS's err="...", or NULL. A NULL
 * value prints as <nil>, a key without a value as "(MISSING)". */
void dh_logs(enum dh_log_sev sev, const char *file, int line, const char *err,
             const char *const *msgkv, size_t n);
/* The structured part of a line into buf (always NUL-terminated, at most
 * size bytes); for dh_logs and its tests. */
void dh_logs_format(char *buf, size_t size, const char *err, const char *const *msgkv, size_t n);

/* A value that starts with DH_LOG_BARE is printed without quotes when the
 * rest is printable ASCII without spaces (a number, true, false), else
 * quoted. */
#define DH_LOG_BARE "\x1f"
/* The buffers live until the end of the enclosing block: the log call. */
#define LOG_INT(v) dh_log_int((char[24]){ 0 }, (int64_t)(v))
#define LOG_UINT(v) dh_log_uint((char[24]){ 0 }, (uint64_t)(v))
#define LOG_BOOL(v) ((v) ? DH_LOG_BARE "true" : DH_LOG_BARE "false")
static inline const char *dh_log_int(char buf[24], int64_t v)
{
        snprintf(buf, 24, DH_LOG_BARE "%" PRId64, v);
        return buf;
}
static inline const char *dh_log_uint(char buf[24], uint64_t v)
{
        snprintf(buf, 24, DH_LOG_BARE "%" PRIu64, v);
        return buf;
}

/* sizeof does not evaluate its operand: the strings are made once. */
#define DH_LOGS_(sev, err, ...)                                                       \
        dh_logs(sev, __FILE__, __LINE__, err, (const char *const[]){ __VA_ARGS__ },   \
                sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))
/* log_infos(msg, key, value, ...): klog.InfoS. */
#define log_infos(...) DH_LOGS_(DH_LOG_INFO, NULL, __VA_ARGS__)
/* log_warns(msg, key, value, ...): a warning (W) in the same form. */
#define log_warns(...) DH_LOGS_(DH_LOG_WARN, NULL, __VA_ARGS__)
/* log_errors(err, msg, key, value, ...): klog.ErrorS; err is the error's
 * text (err->msg) or NULL. */
#define log_errors(err, ...) DH_LOGS_(DH_LOG_ERROR, (err), __VA_ARGS__)
/* log_vs(level, msg, key, value, ...): klog.V(level).InfoS. */
#define log_vs(level, ...)                                              \
        do {                                                            \
                if (dh_log_verbosity >= (level))                        \
                        DH_LOGS_(DH_LOG_INFO, NULL, __VA_ARGS__);       \
        } while (0)

