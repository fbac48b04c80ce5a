/* kubelet-style (klog) structured logging with -v levels. Only agent/ and
 * the binaries' mains log. */
#pragma once
#include <stdarg.h>

enum dh_log_sev { DH_LOG_INFO, DH_LOG_WARN, DH_LOG_ERROR };

/* Verbosity for dh_logv(); set from -v. Process-wide by nature. */
extern int dh_log_verbosity;

void dh_log(enum dh_log_sev sev, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define log_info(...) dh_log(DH_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) dh_log(DH_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) dh_log(DH_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define log_v(level, ...)                                                  \
        do {                                                               \
                if (dh_log_verbosity >= (level))                           \
                        dh_log(DH_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__); \
        } while (0)
