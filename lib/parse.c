/* Checked number, boolean and duration parsing. */
#include "lib/parse.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dh_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out,
                 const char *what, struct dh_err **err)
{
        if (!s || !*s || isspace((unsigned char)*s))
                return dh_err_set(err, EINVAL, "%s: invalid number \"%s\"", what, s ? s : "");
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno == ERANGE || (end && *end) || end == s)
                return dh_err_set(err, EINVAL, "%s: invalid number \"%s\"", what, s);
        if (v < min || v > max)
                return dh_err_set(err, ERANGE, "%s: %lld is out of range [%lld, %lld]", what,
                                  v, (long long)min, (long long)max);
        *out = v;
        return 0;
}

int dh_parse_bool(const char *s, bool *out, const char *what, struct dh_err **err)
{
        /* The spellings Go's strconv.ParseBool accepts, as kubelet flags do. */
        static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
        static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
        for (size_t i = 0; s && i < sizeof yes / sizeof *yes; i++) {
                if (strcmp(s, yes[i]) == 0) {
                        *out = true;
                        return 0;
                }
                if (strcmp(s, no[i]) == 0) {
                        *out = false;
                        return 0;
                }
        }
        return dh_err_set(err, EINVAL, "%s: invalid boolean \"%s\"", what, s ? s : "");
}

/* Units as Go's time.ParseDuration knows them, in nanoseconds. */
static int64_t duration_unit_ns(const char *u, size_t n)
{
        static const struct { const char *name; int64_t ns; } units[] = {
                { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
                { "ms", 1000000 }, { "s", 1000000000 }, { "m", 60 * INT64_C(1000000000) },
                { "h", 3600 * INT64_C(1000000000) },
        };
        for (size_t i = 0; i < sizeof units / sizeof *units; i++)
                if (strlen(units[i].name) == n && memcmp(u, units[i].name, n) == 0)
                        return units[i].ns;
        return -1;
}

/* One "<digits>[.<digits>]<unit>" element, added to *total_ns. Returns 0,
 * or -1 with *why set. Fractions follow Go: digits beyond int64 precision
 * are dropped, the fraction is scaled by the unit in floating point. */
static int duration_element(const char **pp, int64_t *total_ns, const char **why)
{
        const char *p = *pp;
        int64_t v = 0, f = 0;
        double scale = 1;
        bool pre = false, post = false, fover = false;
        for (; isdigit((unsigned char)*p); p++, pre = true) {
                if (v > (INT64_MAX - 9) / 10)
                        return *why = "too large", -1;
                v = v * 10 + (*p - '0');
        }
        if (*p == '.') {
                for (p++; isdigit((unsigned char)*p); p++, post = true) {
                        if (fover || f > (INT64_MAX - 9) / 10) {
                                fover = true;
                                continue;
                        }
                        f = f * 10 + (*p - '0');
                        scale *= 10;
                }
        }
        if (!pre && !post)
                return *why = "expected a number", -1;
        const char *u = p;
        while (*p && *p != '.' && !isdigit((unsigned char)*p))
                p++;
        if (p == u)
                return *why = "missing unit (ns, us, ms, s, m or h)", -1;
        int64_t unit = duration_unit_ns(u, (size_t)(p - u));
        if (unit < 0)
                return *why = "unknown unit (expected ns, us, ms, s, m or h)", -1;
        if (v > INT64_MAX / unit)
                return *why = "too large", -1;
        v *= unit;
        if (f > 0) {
                double add = (double)f * ((double)unit / scale);
                if (add >= 9.2e18 || v > INT64_MAX - (int64_t)add)
                        return *why = "too large", -1;
                v += (int64_t)add;
        }
        if (v > INT64_MAX - *total_ns)
                return *why = "too large", -1;
        *total_ns += v;
        *pp = p;
        return 0;
}

/* Go's time.ParseDuration grammar ("1h30m", "1.5s", "250ms", "100us",
 * "0"); the result is truncated to milliseconds. Negative durations are
 * refused: nothing deckhand configures can go backwards in time. */
int dh_parse_duration_ms(const char *s, int64_t *out_ms, const char *what,
                         struct dh_err **err)
{
        if (!s || !*s)
                return dh_err_set(err, EINVAL, "%s: invalid duration \"\"", what);
        const char *p = s;
        if (*p == '-')
                return dh_err_set(err, ERANGE, "%s: invalid duration \"%s\": must not be negative",
                                  what, s);
        if (*p == '+')
                p++;
        if (strcmp(p, "0") == 0) {
                *out_ms = 0;
                return 0;
        }
        if (!*p)
                return dh_err_set(err, EINVAL, "%s: invalid duration \"%s\"", what, s);
        int64_t total_ns = 0;
        while (*p) {
                const char *why = NULL;
                if (duration_element(&p, &total_ns, &why) < 0)
                        return dh_err_set(err, EINVAL, "%s: invalid duration \"%s\": %s", what, s, why);
        }
        *out_ms = total_ns / 1000000;
        return 0;
}

/* "<whole>[.<frac without trailing zeros>]<unit>": frac has digits places. */
static void put_decimal(char *buf, size_t size, uint64_t whole, uint64_t frac, int digits,
                        const char *unit)
{
        char f[16] = "";
        if (frac) {
                snprintf(f, sizeof f, ".%0*" PRIu64, digits, frac);
                for (size_t n = strlen(f); f[n - 1] == '0'; n--)
                        f[n - 1] = '\0';
        }
        snprintf(buf, size, "%" PRIu64 "%s%s", whole, f, unit);
}

const char *dh_format_duration_ns(int64_t ns, char *buf, size_t size)
{
        /* The magnitude as unsigned, so INT64_MIN needs no special case. */
        uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
        const char *sign = ns < 0 ? "-" : "";
        char tmp[96]; /* generous, so the compiler can prove no truncation */
        if (u == 0) {
                snprintf(buf, size, "0s");
                return buf;
        }
        if (u < 1000u)
                put_decimal(tmp, sizeof tmp, u, 0, 0, "ns");
        else if (u < 1000000u)
                put_decimal(tmp, sizeof tmp, u / 1000u, u % 1000u, 3, "\u00b5s");
        else if (u < 1000000000u)
                put_decimal(tmp, sizeof tmp, u / 1000000u, u % 1000000u, 6, "ms");
        else {
                uint64_t secs = u / 1000000000u, h = secs / 3600, m = secs / 60 % 60;
                char hm[48] = "", s[40];
                if (h)
                        snprintf(hm, sizeof hm, "%" PRIu64 "h%" PRIu64 "m", h, m);
                else if (m)
                        snprintf(hm, sizeof hm, "%" PRIu64 "m", m);
                put_decimal(s, sizeof s, secs % 60, u % 1000000000u, 9, "s");
                snprintf(tmp, sizeof tmp, "%s%s", hm, s);
        }
        snprintf(buf, size, "%s%s", sign, tmp);
        return buf;
}
