/* klog's lines: the header (Lmmdd hh:mm:ss.uuuuuu threadid file:line]),
 * then the structured part ("msg" err="..." key="value" key=3), quoted as
 * Go's strconv.Quote quotes, and bounded. */
#include "lib/log.h"

#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int dh_log_verbosity;

/* Room kept for a cut value's closing marker and quote. */
#define TRUNC_RESERVE 48

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

static size_t room(const struct out *o)
{
        return (size_t)(o->end - o->p);
}

static void put(struct out *o, const char *s, size_t n)
{
        if (n > room(o))
                n = room(o);
        memcpy(o->p, s, n);
        o->p += n;
}

static void puts_(struct out *o, const char *s)
{
        put(o, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
        size_t len = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
        if (len == 0 || len > n)
                return 0;
        for (size_t i = 1; i < len; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        /* overlong three-byte forms, surrogates, past U+10FFFF */
        if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
            (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
                return 0;
        return len;
}

/* How Go's %q writes the byte c outside a valid UTF-8 sequence. */
static size_t escape_byte(unsigned char c, char esc[8])
{
        char letter = 0;
        switch (c) {
        case '\a': letter = 'a'; break;
        case '\b': letter = 'b'; break;
        case '\f': letter = 'f'; break;
        case '\n': letter = 'n'; break;
        case '\r': letter = 'r'; break;
        case '\t': letter = 't'; break;
        case '\v': letter = 'v'; break;
        case '"': letter = '"'; break;
        case '\\': letter = '\\'; break;
        default: break;
        }
        if (letter) {
                esc[0] = '\\';
                esc[1] = letter;
                return 2;
        }
        if (c < 0x20 || c >= 0x7f)
                return (size_t)snprintf(esc, 8, "\\x%02x", c);
        esc[0] = (char)c;
        return 1;
}

/* s quoted as Go's strconv.Quote does (valid UTF-8 passes through; Go's
 * \u escapes for unprintable runes are not made), showing at most max
 * bytes of s and what fits; a cut value ends in "[truncated N bytes]". */
static void quote(struct out *o, const char *s, size_t max)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t n = strlen(s), i = 0;
        put(o, "\"", 1);
        while (i < n) {
                char esc[8];
                const char *w = esc;
                size_t len = utf8_seq(u + i, n - i), wn = len;
                if (len)
                        w = s + i;
                else
                        len = 1, wn = escape_byte(u[i], esc);
                bool last = i + len == n;
                if (i + len > max || wn + 1 + (last ? 0 : TRUNC_RESERVE) > room(o))
                        break;
                put(o, w, wn);
                i += len;
        }
        if (i < n) {
                char mark[TRUNC_RESERVE];
                int k = snprintf(mark, sizeof mark, "[truncated %zu bytes]", n - i);
                put(o, mark, k > 0 ? (size_t)k : 0);
        }
        put(o, "\"", 1);
}

/* A DH_LOG_BARE value: bare if it is printable ASCII without spaces. */
static bool bare_ok(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s >= 0x7f)
                        return false;
        return true;
}

static void value(struct out *o, const char *v)
{
        size_t bn = sizeof DH_LOG_BARE - 1;
        if (!v) {
                puts_(o, "<nil>");
        } else if (strncmp(v, DH_LOG_BARE, bn) == 0 && bare_ok(v + bn) &&
                   strlen(v + bn) < room(o)) {
                puts_(o, v + bn);
        } else {
                if (strncmp(v, DH_LOG_BARE, bn) == 0)
                        v += bn;
                quote(o, v, DH_LOG_VALUE_MAX);
        }
}

void dh_logs_format(char *buf, size_t size, const char *err, const char *const *msgkv, size_t n)
{
        if (!size)
                return;
        struct out o = { buf, buf + size - 1 };
        quote(&o, n && msgkv[0] ? msgkv[0] : "", DH_LOG_VALUE_MAX);
        if (err) {
                puts_(&o, " err=");
                quote(&o, err, DH_LOG_ERR_MAX); /* room left for the keys */
        }
        for (size_t i = 1; i < n; i += 2) {
                const char *key = msgkv[i] ? msgkv[i] : "<nil>";
                size_t klen = strlen(key);
                if (klen + 4 + TRUNC_RESERVE > room(&o)) {
                        puts_(&o, " [truncated]");
                        break;
                }
                put(&o, " ", 1);
                put(&o, key, klen);
                put(&o, "=", 1);
                if (i + 1 < n)
                        value(&o, msgkv[i + 1]);
                else /* an odd list ends in a key without its value */
                        puts_(&o, "\"(MISSING)\"");
        }
        *o.p = '\0';
}

void dh_logs(enum dh_log_sev sev, const char *file, int line, const char *err,
             const char *const *msgkv, size_t n)
{
        char buf[DH_LOG_LINE_MAX];
        dh_logs_format(buf, sizeof buf, err, msgkv, n);
        emit(sev, file, line, buf);
}

