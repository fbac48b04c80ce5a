/* klog header format: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg */
#include "lib/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int dh_log_verbosity;

void dh_log(enum dh_log_sev sev, const char *file, int line, const char *fmt, ...)
{
        static const char sev_char[] = { 'I', 'W', 'E' };
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        char msg[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fprintf(stderr, "%c%02d%02d %02d:%02d:%02d.%06ld %7d %s:%d] %s\n",
                sev_char[sev], tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, (long)tv.tv_usec, (int)getpid(), base, line, msg);
}
