/* klog header format: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg */
#include "lib/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int dh_log_verbosity;

static void emit(enum dh_log_sev sev, const char *file, int line, const char *msg)
{
        static const char sev_char[] = { 'I', 'W', 'E' };
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        fprintf(stderr, "%c%02d%02d %02d:%02d:%02d.%06ld %7d %s:%d] %s\n",
                sev_char[sev], tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, (long)tv.tv_usec, (int)getpid(), base, line, msg);
}

struct out {
        char *p, *end; /* end: the last byte, kept for the NUL */
};

static void put(struct out *o, const char *s, size_t n)
{
        size_t room = (size_t)(o->end - o->p);
        if (n > room)
                n = room;
        memcpy(o->p, s, n);
        o->p += n;
}

/* Go's strconv.Quote for the bytes of s (UTF-8 passes through). */
static void quote(struct out *o, const char *s)
{
        put(o, "\"", 1);
        for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
                char esc[8];
                switch (*c) {
                case '"': put(o, "\\\"", 2); break;
                case '\\': put(o, "\\\\", 2); break;
                case '\n': put(o, "\\n", 2); break;
                case '\t': put(o, "\\t", 2); break;
                case '\r': put(o, "\\r", 2); break;
                default:
                        if (*c < 0x20 || *c == 0x7f) {
                                snprintf(esc, sizeof esc, "\\x%02x", *c);
                                put(o, esc, 4);
                        } else {
                                put(o, (const char *)c, 1);
                        }
                }
        }
        put(o, "\"", 1);
}

void dh_logs_format(char *buf, size_t size, const char *msg, va_list ap)
{
        if (!size)
                return;
        struct out o = { buf, buf + size - 1 };
        quote(&o, msg);
        for (;;) {
                const char *key = va_arg(ap, const char *);
                if (!key)
                        break;
                const char *value = va_arg(ap, const char *);
                put(&o, " ", 1);
                put(&o, key, strlen(key));
                put(&o, "=", 1);
                if (value)
                        quote(&o, value);
                else
                        put(&o, "\"<nil>\"", 7);
        }
        *o.p = '\0';
}

void dh_logs(enum dh_log_sev sev, const char *file, int line, const char *msg, ...)
{
        char buf[4096];
        va_list ap;
        va_start(ap, msg);
        dh_logs_format(buf, sizeof buf, msg, ap);
        va_end(ap);
        emit(sev, file, line, buf);
}

void dh_log(enum dh_log_sev sev, const char *file, int line, const char *fmt, ...)
{
        char msg[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        emit(sev, file, line, msg);
}
