/* kubelet-style (klog) structured logging with -v levels. Only agent/ and
 * the binaries' mains log. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

enum dh_log_sev { DH_LOG_INFO, DH_LOG_WARN, DH_LOG_ERROR };

/* Verbosity for dh_logv(); set from -v. Process-wide by nature. */
extern int dh_log_verbosity;

void dh_log(enum dh_log_sev sev, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* klog's structured form (InfoS, ErrorS): the message quoted, then
 * key="value" pairs, values quoted as Go's %q quotes them. The variadic
 * part is const char * keys and values, ended by NULL (the macros add
 * it); a NULL value prints as "<nil>". */
void dh_logs(enum dh_log_sev sev, const char *file, int line, const char *msg, ...)
        __attribute__((sentinel));
/* Formats the structured part into buf (always NUL-terminated, cut at
 * size); for dh_logs and its tests. */
void dh_logs_format(char *buf, size_t size, const char *msg, va_list ap);

#define log_infos(...) dh_logs(DH_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__, (const char *)NULL)
#define log_warns(...) dh_logs(DH_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__, (const char *)NULL)
#define log_errors(...) dh_logs(DH_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__, (const char *)NULL)
#define log_vs(level, ...)                                                                \
        do {                                                                              \
                if (dh_log_verbosity >= (level))                                          \
                        dh_logs(DH_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__, (const char *)NULL); \
        } while (0)

#define log_info(...) dh_log(DH_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) dh_log(DH_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) dh_log(DH_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define log_v(level, ...)                                                  \
        do {                                                               \
                if (dh_log_verbosity >= (level))                           \
                        dh_log(DH_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__); \
        } while (0)
