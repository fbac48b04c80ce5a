/* Kubernetes resource quantities: a byte-for-byte port of the grammar and
 * error behaviour of apimachinery's parseQuantityString/ParseQuantity, exact
 * nano-unit arithmetic in an __int128 in place of inf.Dec, the rounding
 * accessors, and the canonical text of Quantity.String(). Floating point
 * only appears where a JSON double has to become text. */
#include "pod/quantity.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

#define NANO_PER_UNIT 1000000000u
/* Our magnitude limit, (2^63-1) base units, counted in nano-units. */
#define QTY_MAX_NANO ((u128)INT64_MAX * NANO_PER_UNIT)
/* 10^28 < QTY_MAX_NANO < 10^29: a nonzero digit at 10^29 is always too big. */
#define QTY_MAX_PLACE 28u

/* Upstream's three error texts, verbatim, so messages match kube's. */
static const char err_format[] =
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char err_suffix[] = "unable to parse quantity's suffix";
static const char err_numeric[] = "unable to parse numeric part of quantity";

static const struct {
        const char *name;
        int32_t exponent;
} decimal_si[] = {
        { "n", -9 }, { "u", -6 }, { "m", -3 }, { "", 0 },   { "k", 3 },
        { "M", 6 },  { "G", 9 },  { "T", 12 }, { "P", 15 }, { "E", 18 },
};

/* binary_si[i] is 2^(10*(i+1)). */
static const char *const binary_si[] = { "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };

/* The pieces of a quantity string, as parseQuantityString splits it. */
struct qty_scan {
        bool negative;
        bool has_digits;   /* the number part holds at least one digit */
        const char *num;   /* integer digits, leading zeros stripped */
        size_t num_len;
        const char *denom; /* fraction digits */
        size_t denom_len;
        const char *suffix;
        size_t suffix_len;
};

struct qty_suffix {
        int base;         /* 10 or 2 */
        int32_t exponent; /* power of base */
        enum pod_quantity_format format;
};

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static size_t skip_digits(const char *s, size_t pos, size_t end)
{
        while (pos < end && is_digit(s[pos]))
                pos++;
        return pos;
}

static bool is_suffix_letter(char c)
{
        /* memchr, not strchr: strchr would also "find" the terminator. */
        static const char letters[] = "eEinumkKMGTP";
        return memchr(letters, c, sizeof letters - 1) != NULL;
}

/* Splits s[0..end) into sign, number and suffix; -1 where upstream returns
 * ErrFormatWrong. The suffix is letters, an optional sign, then only digits,
 * which is why "1e3M" is malformed while "1Mi2" only has a bad suffix. */
static int scan_quantity(const char *s, size_t end, struct qty_scan *sc)
{
        size_t pos = 0, start;

        *sc = (struct qty_scan){ .negative = false };
        if (pos < end && (s[pos] == '-' || s[pos] == '+'))
                sc->negative = s[pos++] == '-';
        start = pos;
        while (pos < end && s[pos] == '0')
                pos++;
        sc->num = s + pos;
        pos = skip_digits(s, pos, end);
        sc->num_len = (size_t)(s + pos - sc->num);
        sc->has_digits = pos > start;
        if (pos < end && s[pos] == '.') {
                pos++;
                sc->denom = s + pos;
                pos = skip_digits(s, pos, end);
                sc->denom_len = (size_t)(s + pos - sc->denom);
                sc->has_digits |= sc->denom_len > 0;
        }
        sc->suffix = s + pos;
        while (pos < end && is_suffix_letter(s[pos]))
                pos++;
        if (pos < end && (s[pos] == '-' || s[pos] == '+'))
                pos++;
        if (skip_digits(s, pos, end) != end)
                return -1;
        sc->suffix_len = (size_t)(s + end - sc->suffix);
        return 0;
}

/* strconv.ParseInt semantics (optional sign, then one or more digits),
 * limited to +-(2^31-1) so that negating the exponent can never wrap. */
static bool parse_exponent(const char *s, size_t len, int32_t *out)
{
        size_t i = 0;
        bool negative = false;
        int64_t v = 0;

        if (i < len && (s[i] == '+' || s[i] == '-'))
                negative = s[i++] == '-';
        if (i == len)
                return false;
        for (; i < len; i++) {
                if (!is_digit(s[i]))
                        return false;
                v = v * 10 + (s[i] - '0');
                if (v > INT32_MAX)
                        return false;
        }
        *out = (int32_t)(negative ? -v : v);
        return true;
}

static bool suffix_is(const char *s, size_t len, const char *name)
{
        return strlen(name) == len && memcmp(s, name, len) == 0;
}

/* suffixer.interpret: exact table names first, then e/E<int>. */
static bool interpret_suffix(const char *s, size_t len, struct qty_suffix *out)
{
        int32_t exponent;

        for (size_t i = 0; i < DH_ARRAY_SIZE(decimal_si); i++)
                if (suffix_is(s, len, decimal_si[i].name)) {
                        *out = (struct qty_suffix){
                                10, decimal_si[i].exponent, POD_QTY_DECIMAL_SI
                        };
                        return true;
                }
        for (size_t i = 0; i < DH_ARRAY_SIZE(binary_si); i++)
                if (suffix_is(s, len, binary_si[i])) {
                        *out = (struct qty_suffix){
                                2, (int32_t)(10 * (i + 1)), POD_QTY_BINARY_SI
                        };
                        return true;
                }
        if (len < 2 || (s[0] != 'e' && s[0] != 'E') ||
            !parse_exponent(s + 1, len - 1, &exponent))
                return false;
        *out = (struct qty_suffix){ 10, exponent, POD_QTY_DECIMAL_EXPONENT };
        return true;
}

/* Whether upstream's int64 fast path takes this input. It matters only for
 * a number part with no digits at all ("-", ".", "Mi"): the fast path reads
 * that as 0, the inf.Dec slow path fails with ErrNumeric. */
static bool upstream_fast_path(const struct qty_scan *sc,
                               const struct qty_suffix *suf)
{
        size_t num_len = sc->num_len ? sc->num_len : 1; /* "" counts as "0" */

        if (suf->base == 2)
                /* precision = 15 - len(num) - exponent*3/10 - 1 >= 0 */
                return sc->denom_len == 0 &&
                       num_len + (size_t)(suf->exponent / 10) * 3 <= 14;
        return num_len + sc->denom_len <= 18 &&
               (int64_t)suf->exponent - (int64_t)sc->denom_len >= -9;
}

static u128 pow10_u128(unsigned n)
{
        u128 v = 1;

        while (n--)
                v *= 10;
        return v;
}

/* Collects the decimal digits of (digits * mult) from the lowest up; the
 * lowest `skip` of them are below 1n and only decide the rounding. */
struct nano_acc {
        u128 value;    /* the nano-units so far */
        uint64_t skip; /* output digits that fall below 1n */
        uint64_t pos;  /* output digits seen */
        bool inexact;  /* a nonzero digit fell below 1n */
        bool too_large;
};

static void emit_digit(struct nano_acc *a, unsigned d)
{
        if (a->pos < a->skip) {
                a->inexact |= d != 0;
        } else if (d != 0) {
                uint64_t place = a->pos - a->skip;

                if (place > QTY_MAX_PLACE)
                        a->too_large = true;
                else
                        a->value += (u128)d * pow10_u128((unsigned)place);
        }
        a->pos++;
}

/* Long multiplication of the digit string num||denom by mult (<= 2^60),
 * streamed so that inputs of any length need no memory and cannot overflow:
 * the carry stays below mult, so digit*mult+carry < 10*2^60. */
static void stream_product(const struct qty_scan *sc, uint64_t mult,
                           struct nano_acc *a)
{
        size_t n = sc->num_len + sc->denom_len;
        u128 carry = 0;

        for (size_t i = n; i-- > 0;) {
                char c = i < sc->num_len ? sc->num[i]
                                         : sc->denom[i - sc->num_len];
                u128 x = (u128)(unsigned)(c - '0') * mult + carry;

                emit_digit(a, (unsigned)(x % 10));
                carry = x / 10;
        }
        for (; carry; carry /= 10)
                emit_digit(a, (unsigned)(carry % 10));
}

/* |value| in nano-units, rounded up as upstream rounds the magnitude
 * (inf.RoundUp on the absolute value); -ERANGE past our limit. */
static int magnitude_nano(const struct qty_scan *sc,
                          const struct qty_suffix *suf, u128 *out)
{
        /* i128 so that no exponent/length combination can overflow. */
        i128 p10 = (i128)(suf->base == 10 ? suf->exponent : 0) + 9 -
                   (i128)sc->denom_len;
        uint64_t mult = suf->base == 2 ? UINT64_C(1) << suf->exponent : 1;
        struct nano_acc a = { .skip = 0 };

        if (p10 < 0)
                a.skip = -p10 > (i128)UINT64_MAX ? UINT64_MAX : (uint64_t)-p10;
        stream_product(sc, mult, &a);
        if (a.too_large)
                return -ERANGE;
        if (p10 > 0 && a.value != 0) {
                if (p10 > QTY_MAX_PLACE)
                        return -ERANGE;
                u128 scale = pow10_u128((unsigned)p10);
                if (a.value > QTY_MAX_NANO / scale)
                        return -ERANGE;
                a.value *= scale;
        }
        a.value += a.inexact;
        if (a.value > QTY_MAX_NANO)
                return -ERANGE;
        *out = a.value;
        return 0;
}

int pod_quantity_parse(const char *s, struct pod_quantity *out,
                       struct dh_err **err)
{
        struct qty_scan sc;
        struct qty_suffix suf;
        u128 mag;
        size_t len = s ? strlen(s) : 0;

        if (len == 0 || scan_quantity(s, len, &sc) < 0)
                return dh_err_set(err, EINVAL, "%s", err_format);
        if (!interpret_suffix(sc.suffix, sc.suffix_len, &suf))
                return dh_err_set(err, EINVAL, "%s", err_suffix);
        if (!sc.has_digits && !upstream_fast_path(&sc, &suf))
                return dh_err_set(err, EINVAL, "%s", err_numeric);
        if (magnitude_nano(&sc, &suf, &mag) < 0)
                return dh_err_set(err, ERANGE,
                                  "quantity too large: deckhand accepts "
                                  "magnitudes up to 2^63-1 (%" PRId64 ")",
                                  INT64_MAX);
        *out = (struct pod_quantity){
                .set = true,
                .nano = sc.negative ? -(i128)mag : (i128)mag,
                .format = suf.format,
        };
        /* Upstream turns a BinarySI value strictly between 0 and 1 into
         * DecimalSI once rounded, "to avoid rounding and confusion". */
        if (suf.base == 2 && mag > 0 && mag < NANO_PER_UNIT)
                out->format = POD_QTY_DECIMAL_SI;
        return 0;
}

int pod_quantity_from_int(int64_t v, struct pod_quantity *out)
{
        if (v == INT64_MIN)
                return -ERANGE;
        *out = (struct pod_quantity){
                .set = true,
                .nano = (i128)v * NANO_PER_UNIT,
                .format = POD_QTY_DECIMAL_SI,
        };
        return 0;
}

/* The shortest decimal digits that read back as a double, and the power of
 * ten of the first one: v = d[0].d[1]d[2]... * 10^exp10. */
struct dec_digits {
        bool negative;
        char d[18];
        size_t n;
        int exp10;
};

/* Reads printf's "%e" output. Any non-digit before the 'e' is skipped, so
 * a locale's decimal comma does no harm. */
static int split_e_notation(const char *t, struct dec_digits *out)
{
        const char *e = strchr(t, 'e');
        bool neg_exp;
        int exp10 = 0;

        *out = (struct dec_digits){ .negative = *t == '-' };
        if (!e)
                return -1;
        for (const char *p = t; p < e; p++)
                if (is_digit(*p) && out->n < sizeof out->d)
                        out->d[out->n++] = *p;
        e++;
        neg_exp = *e == '-';
        if (*e == '-' || *e == '+')
                e++;
        /* A double's decimal exponent is at most 3 digits; 5 bounds it. */
        for (int i = 0; is_digit(*e) && i < 5; e++, i++)
                exp10 = exp10 * 10 + (*e - '0');
        out->exp10 = neg_exp ? -exp10 : exp10;
        while (out->n > 1 && out->d[out->n - 1] == '0')
                out->n--;
        return out->n ? 0 : -1;
}

static int shortest_digits(double v, struct dec_digits *out)
{
        char tmp[48];

        for (int prec = 1; prec <= 17; prec++) {
                int n = snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);

                if (n < 0 || (size_t)n >= sizeof tmp)
                        return -1;
                /* 17 significant digits always round-trip a double. */
                if (prec == 17 || strtod(tmp, NULL) == v)
                        return split_e_notation(tmp, out);
        }
        return -1;
}

/* A bounded text builder; an overflow is remembered, never silent. */
struct qbuf {
        char b[POD_QTY_FORMAT_MAX];
        size_t len;
        bool overflow;
};

static void put_char(struct qbuf *o, char c)
{
        if (o->len + 1 >= sizeof o->b) {
                o->overflow = true;
                return;
        }
        o->b[o->len++] = c;
        o->b[o->len] = '\0';
}

static void put_str(struct qbuf *o, const char *s)
{
        while (*s)
                put_char(o, *s++);
}

static void put_u128(struct qbuf *o, u128 v)
{
        char digits[40];
        size_t n = 0;

        do {
                digits[n++] = (char)('0' + (int)(v % 10));
                v /= 10;
        } while (v && n < sizeof digits);
        while (n)
                put_char(o, digits[--n]);
}

static void put_exponent(struct qbuf *o, int e)
{
        put_char(o, 'e');
        if (e < 0)
                put_char(o, '-');
        put_u128(o, (u128)(e < 0 ? -(int64_t)e : (int64_t)e));
}

/* The text encoding/json gives a float64: 'f' notation with the shortest
 * digits, or 'e' notation (exponent without padding) when |v| < 1e-6 or
 * |v| >= 1e21. */
static int json_float_text(double v, struct qbuf *o)
{
        struct dec_digits dd;
        double mag = fabs(v);

        if (mag == 0.0) {
                put_char(o, '0');
                return 0;
        }
        if (shortest_digits(v, &dd) < 0)
                return -1;
        if (dd.negative)
                put_char(o, '-');
        if (mag < 1e-6 || mag >= 1e21) {
                put_char(o, dd.d[0]);
                if (dd.n > 1)
                        put_char(o, '.');
                for (size_t i = 1; i < dd.n; i++)
                        put_char(o, dd.d[i]);
                put_exponent(o, dd.exp10);
                return o->overflow ? -1 : 0;
        }
        if (dd.exp10 < 0) {
                put_str(o, "0.");
                for (int i = -1; i > dd.exp10; i--)
                        put_char(o, '0');
        }
        for (int i = 0; i <= dd.exp10; i++) /* the integer part */
                put_char(o, (size_t)i < dd.n ? dd.d[i] : '0');
        size_t frac = dd.exp10 < 0 ? 0 : (size_t)dd.exp10 + 1;
        if (dd.exp10 >= 0 && frac < dd.n)
                put_char(o, '.');
        for (size_t i = frac; i < dd.n; i++)
                put_char(o, dd.d[i]);
        return o->overflow ? -1 : 0;
}

int pod_quantity_from_double(double v, struct pod_quantity *out,
                             struct dh_err **err)
{
        struct qbuf text = { .len = 0 };

        if (!isfinite(v))
                return dh_err_set(err, EINVAL,
                                  "quantity must be a finite number");
        if (json_float_text(v, &text) < 0)
                return dh_err_set(err, EINVAL,
                                  "cannot format %g as a quantity", v);
        return pod_quantity_parse(text.b, out, err);
}

static i128 nano_of(const struct pod_quantity *q)
{
        return q && q->set ? q->nano : 0;
}

/* ceil(|nano| / unit) carrying the sign, i.e. rounded away from zero, then
 * clamped to int64 where upstream would overflow. */
static int64_t scaled_away_from_zero(i128 nano, i128 unit)
{
        i128 quot = nano / unit, rem = nano % unit;

        if (rem > 0)
                quot++;
        else if (rem < 0)
                quot--;
        if (quot > INT64_MAX)
                return INT64_MAX;
        if (quot < INT64_MIN)
                return INT64_MIN;
        return (int64_t)quot;
}

int64_t pod_quantity_value(const struct pod_quantity *q)
{
        return scaled_away_from_zero(nano_of(q), NANO_PER_UNIT);
}

int64_t pod_quantity_milli(const struct pod_quantity *q)
{
        return scaled_away_from_zero(nano_of(q), 1000000);
}

int pod_quantity_cmp(const struct pod_quantity *a, const struct pod_quantity *b)
{
        i128 x = nano_of(a), y = nano_of(b);

        return (x > y) - (x < y);
}

bool pod_quantity_is_zero(const struct pod_quantity *q)
{
        return nano_of(q) == 0;
}

/* AsCanonicalBytes: move every factor of ten into the exponent, then lower
 * the exponent to a multiple of three. DecimalSI names it with a suffix
 * (falling back to e-notation, as current upstream does, past n..E; only a
 * hand-built struct gets there), DecimalExponent writes e<exp>. */
static void format_decimal(struct qbuf *o, u128 mag, bool exponent_form)
{
        int e = -9;

        while (mag >= 10 && mag % 10 == 0) {
                mag /= 10;
                e++;
        }
        /* Cannot overflow: each step undoes a division made above. */
        while (e % 3 != 0) {
                mag *= 10;
                e--;
        }
        put_u128(o, mag);
        if (!exponent_form)
                for (size_t i = 0; i < DH_ARRAY_SIZE(decimal_si); i++)
                        if (decimal_si[i].exponent == e) {
                                put_str(o, decimal_si[i].name);
                                return;
                        }
        if (e != 0)
                put_exponent(o, e);
}

/* BinarySI is used only for whole values of at least 1024; anything else
 * falls back to DecimalSI so that nothing is rounded (CanonicalizeBytes). */
static bool format_binary(struct qbuf *o, u128 mag)
{
        u128 v;
        size_t times = 0;

        if (mag < (u128)1024 * NANO_PER_UNIT || mag % NANO_PER_UNIT != 0)
                return false;
        v = mag / NANO_PER_UNIT;
        while (v >= 1024 && v % 1024 == 0 && times < DH_ARRAY_SIZE(binary_si)) {
                v /= 1024;
                times++;
        }
        put_u128(o, v);
        if (times)
                put_str(o, binary_si[times - 1]);
        return true;
}

int pod_quantity_format(const struct pod_quantity *q, char *buf, size_t size)
{
        struct qbuf o = { .len = 0 };
        i128 nano = nano_of(q);
        /* Unsigned negation: defined even for a hand-built INT128_MIN. */
        u128 mag = nano < 0 ? (u128)0 - (u128)nano : (u128)nano;
        enum pod_quantity_format fmt = q ? q->format : POD_QTY_DECIMAL_SI;

        if (nano == 0) {
                put_char(&o, '0');
        } else {
                if (nano < 0)
                        put_char(&o, '-');
                if (fmt != POD_QTY_BINARY_SI || !format_binary(&o, mag))
                        /* Unknown formats print as DecimalExponent, as
                         * upstream's default case does. */
                        format_decimal(&o, mag,
                                       fmt != POD_QTY_DECIMAL_SI &&
                                               fmt != POD_QTY_BINARY_SI);
        }
        if (o.overflow || o.len + 1 > size) {
                if (size > 0)
                        buf[0] = '\0';
                return -1;
        }
        memcpy(buf, o.b, o.len + 1);
        return (int)o.len;
}
