/* Unit tests for pod/quantity.c. The expected values come from upstream's
 * apimachinery quantity_test.go (TestQuantityParse, TestQuantityString,
 * TestQuantityParseEmit, TestParseQuantity, TestQuantityCmp,
 * TestNegativeValueRoundsAwayFromZero) unless a row says otherwise; the
 * parse, String() and JSON-double rows were also replayed against
 * apimachinery v0.37.2 itself. */
#include <errno.h>
#include <math.h>

#include "lib/cleanup.h"
#include "pod/quantity.h"
#include "tests/unit/test.h"

#define DSI POD_QTY_DECIMAL_SI
#define BSI POD_QTY_BINARY_SI
#define DEX POD_QTY_DECIMAL_EXPONENT

static const char k8s_format_msg[] =
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/* Names the table row after a failed CHECK, since CHECK can't. */
#define ROW_CONTEXT(before, fmt, ...)                                      \
        do {                                                               \
                if (test_failures_in_case != (before))                     \
                        fprintf(stderr, "    in row " fmt "\n",            \
                                __VA_ARGS__);                              \
        } while (0)

static const struct {
        const char *in;
        const char *canon; /* String() */
        enum pod_quantity_format fmt;
} parse_ok[] = {
        /* zeros keep the suffix's format but always print "0" */
        { "0", "0", DSI }, { "0n", "0", DSI }, { "0Ki", "0", BSI },
        { "0Ti", "0", BSI }, { "-0", "0", DSI }, { "00", "0", DSI },
        /* binary suffixes */
        { "1", "1", DSI }, { "1Ki", "1Ki", BSI }, { "8Ki", "8Ki", BSI },
        { "7Mi", "7Mi", BSI }, { "6Gi", "6Gi", BSI }, { "5Ti", "5Ti", BSI },
        { "4Pi", "4Pi", BSI }, { "3Ei", "3Ei", BSI }, { "100Ti", "100Ti", BSI },
        { "128Mi", "128Mi", BSI }, { "1024Mi", "1Gi", BSI },
        { "307200Ki", "300Mi", BSI }, { "1025024Mi", "1001Gi", BSI },
        { "1024Gi", "1Ti", BSI }, { "1.5Gi", "1536Mi", BSI },
        { "7Ei", "7Ei", BSI }, { "8191Pi", "8191Pi", BSI },
        { "0.5Ki", "512", BSI }, /* < 1024 prints as DecimalSI */
        /* decimal suffixes */
        { "5n", "5n", DSI }, { "4u", "4u", DSI }, { "3m", "3m", DSI },
        { "9", "9", DSI }, { "8k", "8k", DSI }, { "50k", "50k", DSI },
        { "7M", "7M", DSI }, { "6G", "6G", DSI }, { "5T", "5T", DSI },
        { "40T", "40T", DSI }, { "300T", "300T", DSI }, { "2P", "2P", DSI },
        { "1E", "1E", DSI }, { "100m", "100m", DSI }, { "0.25", "250m", DSI },
        { "1.5", "1500m", DSI }, { "1G", "1G", DSI }, { "1000M", "1G", DSI },
        { "0.001T", "1G", DSI }, { "2048k", "2048k", DSI },
        { "5000m", "5", DSI }, { "1000u", "1m", DSI }, { "1.08", "1080m", DSI },
        { "1080000000n", "1080m", DSI },
        /* decimal exponents */
        { "1E-3", "1e-3", DEX }, { "1e3", "1e3", DEX }, { "1E6", "1e6", DEX },
        { "1E18", "1e18", DEX }, { "1e14", "100e12", DEX },
        { "1e13", "10e12", DEX }, { "12e6", "12e6", DEX }, { "2e0", "2", DEX },
        { ".001e12", "1e9", DEX }, { "0.001e0", "1e-3", DEX },
        { "1000e-12", "1e-9", DEX },
        /* things that look like floating point */
        { "100.035k", "100035", DSI }, { "0.0005k", "500m", DSI },
        { "0.00050k", "500m", DSI }, { "0.5e0", "500e-3", DEX },
        { "0.5e-2", "5e-3", DEX }, { "10.035M", "10035k", DSI },
        { "1.2e3", "1200", DEX }, { "1.3E+6", "1300e3", DEX },
        { "1.53E12", "1530e9", DEX }, { "1.7E18", "1700e15", DEX },
        { "9.01", "9010m", DSI }, { "8.1k", "8100", DSI },
        { "6.987654321G", "6987654321", DSI }, { "5.444T", "5444G", DSI },
        { "40.1T", "40100G", DSI }, { "2.5P", "2500T", DSI },
        { "1.01E", "1010P", DSI },
        /* sub-nano input rounds the magnitude up */
        { "3.001n", "4n", DSI }, { "1.1E-9", "2e-9", DEX },
        { "0.0000000001", "1n", DSI }, { "0.5e-9", "1e-9", DEX },
        { "0.9n", "1n", DSI }, { "0.00000012345", "124n", DSI },
        { "-3.001n", "-4n", DSI }, { "-0.0000000001", "-1n", DSI },
        { "1e-2147483647", "1e-9", DEX }, { "0e2147483647", "0", DEX },
        /* fractional binary; below 1 the format becomes DecimalSI */
        { "100.035Ki", "102435840m", BSI }, { "0.5Mi", "512Ki", BSI },
        { "0.05Gi", "53687091200m", BSI }, { ".001Ki", "1024m", BSI },
        { ".000001Ki", "1024u", DSI }, { ".000000001Ki", "1024n", DSI },
        { "0.000000000001Ki", "2n", DSI }, { "-.001Ki", "-1024m", BSI },
        /* "things written by trolls" upstream accepts */
        { ".001", "1m", DSI }, { ".0001k", "100m", DSI }, { "1.", "1", DSI },
        { "1.G", "1G", DSI }, { "5.", "5", DSI }, { ".5", "500m", DSI },
        { "-5", "-5", DSI }, { "-1.5", "-1500m", DSI },
        { "-1024Mi", "-1Gi", BSI },
        /* no digits at all, but upstream's int64 fast path reads 0 */
        { "-", "0", DSI }, { "+", "0", DSI }, { ".", "0", DSI },
        { "-.", "0", DSI }, { "Mi", "0", BSI }, { "Ti", "0", BSI },
        { "m", "0", DSI }, { "e5", "0", DEX },
        /* upstream's String() would echo these inputs verbatim (its parse
         * caches "canonical-looking" text); we always canonicalize */
        { "+1", "1", DSI }, { "01", "1", DSI }, { "1.100", "1100m", DSI },
        { "1E3", "1e3", DEX }, { "1e0", "1", DEX },
        /* TestParseQuantity: near the int64 edge */
        { "999999999999999999.1", "999999999999999999100m", DSI },
        { "-999999999999999999.0", "-999999999999999999", DSI },
        { "1.0E", "1E", DSI }, { "1000000000000000000", "1E", DSI },
        { "1.0000000000000000001E", "1000000000000000000100m", DSI },
        { "1.000000000000000001E", "1000000000000000001", DSI },
        { "9223372036854775807", "9223372036854775807", DSI },
        { "9223372036854775807000m", "9223372036854775807", DSI },
        { "9223372036854775806.1", "9223372036854775806100m", DSI },
        { "-9223372036854775807", "-9223372036854775807", DSI },
};

TEST(parse_valid_and_canonical_string)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(parse_ok); i++) {
                _cleanup_err_ struct dh_err *err = NULL;
                struct pod_quantity q = { .set = false };
                char buf[POD_QTY_FORMAT_MAX];
                int before = test_failures_in_case;

                CHECK_INT(pod_quantity_parse(parse_ok[i].in, &q, &err), 0);
                CHECK(err == NULL);
                CHECK(q.set);
                CHECK_INT(q.format, parse_ok[i].fmt);
                CHECK(pod_quantity_format(&q, buf, sizeof buf) > 0);
                CHECK_STR(buf, parse_ok[i].canon);
                ROW_CONTEXT(before, "\"%s\"%s%s", parse_ok[i].in,
                            err ? ": " : "", err ? err->msg : "");
        }
}

/* Canonical text must read back as the same value and text. */
TEST(canonical_string_round_trips)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(parse_ok); i++) {
                struct pod_quantity a, b;
                char s1[POD_QTY_FORMAT_MAX], s2[POD_QTY_FORMAT_MAX];
                int before = test_failures_in_case;

                CHECK_INT(pod_quantity_parse(parse_ok[i].in, &a, NULL), 0);
                CHECK(pod_quantity_format(&a, s1, sizeof s1) > 0);
                CHECK_INT(pod_quantity_parse(s1, &b, NULL), 0);
                CHECK_INT(pod_quantity_cmp(&a, &b), 0);
                CHECK(pod_quantity_format(&b, s2, sizeof s2) > 0);
                CHECK_STR(s2, s1);
                ROW_CONTEXT(before, "\"%s\"", parse_ok[i].in);
        }
}

static const struct {
        const char *in;
        int code;
        const char *msg; /* substring */
} parse_err[] = {
        /* outside the grammar: upstream's ErrFormatWrong */
        { "", EINVAL, k8s_format_msg },
        { "1e3M", EINVAL, k8s_format_msg }, /* digits end the suffix */
        { "1 Mi", EINVAL, k8s_format_msg }, { " 1", EINVAL, k8s_format_msg },
        { "1 ", EINVAL, k8s_format_msg }, { "1Mi ", EINVAL, k8s_format_msg },
        { "1.2.3", EINVAL, k8s_format_msg }, { "0x10", EINVAL, k8s_format_msg },
        { "1.1.M", EINVAL, k8s_format_msg },
        { "1+1.0M", EINVAL, k8s_format_msg },
        { "0.1am", EINVAL, k8s_format_msg }, { "aoeu", EINVAL, k8s_format_msg },
        { "Non-Numeric", EINVAL, k8s_format_msg },
        { "1KI", EINVAL, k8s_format_msg }, { "1\t", EINVAL, k8s_format_msg },
        { "1\xc3\xa9", EINVAL, k8s_format_msg },
        /* grammatical, unknown suffix: upstream's ErrSuffix */
        { "1Mi2", EINVAL, "unable to parse quantity's suffix" },
        { "1e", EINVAL, "unable to parse quantity's suffix" },
        { "1e+", EINVAL, "unable to parse quantity's suffix" },
        { "1E-", EINVAL, "unable to parse quantity's suffix" },
        { "0.1mi", EINVAL, "unable to parse quantity's suffix" },
        { "1ki", EINVAL, "unable to parse quantity's suffix" },
        { ".5i", EINVAL, "unable to parse quantity's suffix" },
        { "1i", EINVAL, "unable to parse quantity's suffix" },
        { "-3.01i", EINVAL, "unable to parse quantity's suffix" },
        { "-3.01e-", EINVAL, "unable to parse quantity's suffix" },
        { "1ee3", EINVAL, "unable to parse quantity's suffix" },
        { "--1", EINVAL, "unable to parse quantity's suffix" },
        { "1e4294967297", EINVAL, "unable to parse quantity's suffix" },
        { "1e2147483648", EINVAL, "unable to parse quantity's suffix" },
        { "1e-2147483648", EINVAL, "unable to parse quantity's suffix" },
        { "1e99999999999999999999", EINVAL, "unable to parse quantity's suffix" },
        /* no digits and upstream's inf.Dec slow path: ErrNumeric */
        { "Pi", EINVAL, "unable to parse numeric part of quantity" },
        { "Ei", EINVAL, "unable to parse numeric part of quantity" },
        { "-Pi", EINVAL, "unable to parse numeric part of quantity" },
        { "e-10", EINVAL, "unable to parse numeric part of quantity" },
        { ".e-10", EINVAL, "unable to parse numeric part of quantity" },
        /* deckhand's limit, |value| <= 2^63-1; upstream accepts "12E" and
         * "10E" as big decimals and caps "9Ei"/"8Ei" at 2^63-1 */
        { "9223372036854775808", ERANGE, "too large" },
        { "-9223372036854775808", ERANGE, "too large" },
        { "9223372036854775807.1", ERANGE, "too large" },
        { "9223372036854775807.0000000001", ERANGE, "too large" },
        { "9Ei", ERANGE, "too large" }, { "8Ei", ERANGE, "too large" },
        { "8192Pi", ERANGE, "too large" },
        { "9223372036854775807Ki", ERANGE, "too large" },
        { "12E", ERANGE, "too large" }, { "10E", ERANGE, "too large" },
        { "1e19", ERANGE, "too large" }, { "1e2147483647", ERANGE, "too large" },
        { "100000000000000000000000000000000000000000", ERANGE, "too large" },
};

TEST(parse_invalid)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(parse_err); i++) {
                _cleanup_err_ struct dh_err *err = NULL;
                struct pod_quantity q = { .set = false, .nano = 42,
                                          .format = DEX };
                int before = test_failures_in_case;

                CHECK_INT(pod_quantity_parse(parse_err[i].in, &q, &err),
                          -parse_err[i].code);
                CHECK(err != NULL);
                if (err) {
                        CHECK_INT(err->code, parse_err[i].code);
                        CHECK_CONTAINS(err->msg, parse_err[i].msg);
                }
                /* out-parameters are never clobbered on failure */
                CHECK(!q.set && q.nano == 42 && q.format == DEX);
                ROW_CONTEXT(before, "\"%s\"", parse_err[i].in);
        }
}

TEST(error_messages_are_upstreams)
{
        _cleanup_err_ struct dh_err *err = NULL;
        struct pod_quantity q;

        CHECK_INT(pod_quantity_parse("1e3M", &q, &err), -EINVAL);
        CHECK_STR(err ? err->msg : NULL, k8s_format_msg);
        /* a NULL error pointer is allowed, as is a NULL string */
        CHECK_INT(pod_quantity_parse("1Mi2", &q, NULL), -EINVAL);
        CHECK_INT(pod_quantity_parse(NULL, &q, NULL), -EINVAL);
}

/* Inputs far longer than any int type: the parser streams digits. */
TEST(parse_long_inputs)
{
        static char s[6000];
        struct pod_quantity q;
        char buf[POD_QTY_FORMAT_MAX];

        memset(s, '0', sizeof s - 1); /* "0.000...0001" -> 1n */
        s[1] = '.';
        s[sizeof s - 2] = '1';
        CHECK_INT(pod_quantity_parse(s, &q, NULL), 0);
        CHECK(pod_quantity_format(&q, buf, sizeof buf) > 0);
        CHECK_STR(buf, "1n");

        memset(s, '0', sizeof s - 1); /* "1.000...000" -> 1 */
        s[0] = '1';
        s[1] = '.';
        CHECK_INT(pod_quantity_parse(s, &q, NULL), 0);
        CHECK(pod_quantity_format(&q, buf, sizeof buf) > 0);
        CHECK_STR(buf, "1");

        memset(s, '0', sizeof s - 1); /* "000...0005Mi" -> 5Mi */
        memcpy(s + sizeof s - 4, "5Mi", 3);
        CHECK_INT(pod_quantity_parse(s, &q, NULL), 0);
        CHECK(pod_quantity_format(&q, buf, sizeof buf) > 0);
        CHECK_STR(buf, "5Mi");

        memset(s, '0', sizeof s - 1); /* "1000...000" is too large */
        s[0] = '1';
        CHECK_INT(pod_quantity_parse(s, &q, NULL), -ERANGE);

        memset(s, '9', sizeof s - 1); /* "0.999...9Ei": rounds, fits */
        memcpy(s, "0.", 2);
        memcpy(s + sizeof s - 3, "Ei", 2);
        CHECK_INT(pod_quantity_parse(s, &q, NULL), 0);
        CHECK_INT(pod_quantity_value(&q), 1152921504606846976);
}

static const struct {
        const char *in;
        int64_t value, milli;
} rounding[] = {
        /* TestNegativeValueRoundsAwayFromZero */
        { "-.484785E-7466", -1, -1 }, { ".484785E-7466", 1, 1 },
        { "-.484785E-1", -1, -49 }, { ".484785E-1", 1, 49 },
        { "-0.0005", -1, -1 }, { "0.0005", 1, 1 },
        { "-1500m", -2, -1500 }, { "1500m", 2, 1500 },
        { "-9.5000000001Gi", -10200547329, -10200547328108 },
        { "9.5000000001Gi", 10200547329, 10200547328108 },
        { "-1", -1, -1000 }, { "1", 1, 1000 }, { "0", 0, 0 },
        /* ours */
        { "100m", 1, 100 }, { "1n", 1, 1 }, { "-1n", -1, -1 },
        { "128Mi", 134217728, 134217728000 },
        { "9223372036854775.807", 9223372036854776, INT64_MAX },
        /* saturation where upstream's int64 math would wrap */
        { "9223372036854775.8071", 9223372036854776, INT64_MAX },
        { "9223372036854775807", INT64_MAX, INT64_MAX },
        { "9223372036854775806.5", INT64_MAX, INT64_MAX },
        { "-9223372036854775807", -INT64_MAX, INT64_MIN },
};

TEST(value_and_milli_round_away_from_zero)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(rounding); i++) {
                struct pod_quantity q;
                int before = test_failures_in_case;

                CHECK_INT(pod_quantity_parse(rounding[i].in, &q, NULL), 0);
                CHECK_INT(pod_quantity_value(&q), rounding[i].value);
                CHECK_INT(pod_quantity_milli(&q), rounding[i].milli);
                ROW_CONTEXT(before, "\"%s\"", rounding[i].in);
        }
}

TEST(nano_is_exact)
{
        struct pod_quantity q;

        CHECK_INT(pod_quantity_parse("1.5", &q, NULL), 0);
        CHECK(q.nano == 1500000000);
        CHECK_INT(pod_quantity_parse("0.1n", &q, NULL), 0);
        CHECK(q.nano == 1);
        CHECK_INT(pod_quantity_parse("-0.1n", &q, NULL), 0);
        CHECK(q.nano == -1); /* magnitude up, as upstream: not toward +inf */
        CHECK_INT(pod_quantity_parse("7Ei", &q, NULL), 0);
        CHECK(q.nano == (__int128)7 * ((__int128)1 << 60) * 1000000000);
}

static const struct {
        const char *a, *b;
        int cmp;
} cmp_cases[] = {
        { "0", "0", 0 }, { "100m", "50m", 1 }, { "50m", "100m", -1 },
        { "10000T", "100Gi", 1 }, { "1Ki", "1024", 0 }, { "1k", "1Ki", -1 },
        { "-1", "0", -1 }, { "1e3", "1k", 0 }, { "0.1n", "1n", 0 },
        { "-0.1n", "-1n", 0 }, { "1Gi", "1G", 1 }, { "-2", "-1", -1 },
        { "9223372036854775807", "9223372036854775806.9", 1 },
};

TEST(cmp)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(cmp_cases); i++) {
                struct pod_quantity a, b;
                int before = test_failures_in_case;

                CHECK_INT(pod_quantity_parse(cmp_cases[i].a, &a, NULL), 0);
                CHECK_INT(pod_quantity_parse(cmp_cases[i].b, &b, NULL), 0);
                CHECK_INT(pod_quantity_cmp(&a, &b), cmp_cases[i].cmp);
                CHECK_INT(pod_quantity_cmp(&b, &a), -cmp_cases[i].cmp);
                ROW_CONTEXT(before, "%s vs %s", cmp_cases[i].a, cmp_cases[i].b);
        }
}

TEST(absent_and_zero)
{
        struct pod_quantity absent = { .set = false }, zero, one;
        char buf[POD_QTY_FORMAT_MAX];

        CHECK_INT(pod_quantity_parse("0Mi", &zero, NULL), 0);
        CHECK_INT(pod_quantity_parse("1m", &one, NULL), 0);
        CHECK(pod_quantity_is_zero(&absent));
        CHECK(pod_quantity_is_zero(&zero));
        CHECK(!pod_quantity_is_zero(&one));
        CHECK_INT(pod_quantity_cmp(&absent, &zero), 0);
        CHECK_INT(pod_quantity_cmp(&absent, &one), -1);
        CHECK_INT(pod_quantity_value(&absent), 0);
        CHECK_INT(pod_quantity_format(&absent, buf, sizeof buf), 1);
        CHECK_STR(buf, "0");
}

/* TestQuantityString and TestBinarySIZeroExponentString: hand-built values
 * mantissa * 10^exp10, like upstream's decQuantity(). */
static const struct {
        int64_t mantissa;
        int exp10;
        enum pod_quantity_format fmt;
        const char *expect;
} string_cases[] = {
        { 1073741824, 0, BSI, "1Gi" }, { 300 * 1048576, 0, BSI, "300Mi" },
        { 6 * 1024, 0, BSI, "6Ki" }, { 1001 * 1073741824LL, 0, BSI, "1001Gi" },
        { 1099511627776, 0, BSI, "1Ti" }, { 5, 0, BSI, "5" },
        { 500, -3, BSI, "500m" }, { 1, 9, DSI, "1G" }, { 1000, 6, DSI, "1G" },
        { 1000000, 3, DSI, "1G" }, { 1000000000, 0, DSI, "1G" },
        { 1, -3, DSI, "1m" }, { 80, -3, DSI, "80m" }, { 1080, -3, DSI, "1080m" },
        { 108, -2, DSI, "1080m" }, { 10800, -4, DSI, "1080m" },
        { 300, 6, DSI, "300M" }, { 1, 12, DSI, "1T" }, { 1, 18, DSI, "1E" },
        { 1234567, 6, DSI, "1234567M" }, { 1234567, -3, BSI, "1234567m" },
        { 3, 3, DSI, "3k" }, { 1025, 0, BSI, "1025" }, { 0, 0, DSI, "0" },
        { 0, 0, BSI, "0" }, { 1, 9, DEX, "1e9" }, { 1, -3, DEX, "1e-3" },
        { 1, -9, DEX, "1e-9" }, { 80, -3, DEX, "80e-3" },
        { 300, 6, DEX, "300e6" }, { 1, 12, DEX, "1e12" }, { 1, 3, DEX, "1e3" },
        { 3, 3, DEX, "3e3" }, { 0, 0, DEX, "0" }, { 1, -9, DSI, "1n" },
        { 80, -9, DSI, "80n" }, { 1080, -9, DSI, "1080n" },
        { 108, -8, DSI, "1080n" }, { 1, -6, DSI, "1u" }, { 80, -6, DSI, "80u" },
        { 1080, -6, DSI, "1080u" }, { 2000, 0, BSI, "2000" },
        /* past "E" (only a hand-built value gets here): current upstream
         * falls back to exponent notation */
        { 1, 21, DSI, "1e21" }, { 5, 21, DSI, "5e21" },
};

static struct pod_quantity built(int64_t mantissa, int exp10,
                                 enum pod_quantity_format fmt)
{
        __int128 nano = mantissa;

        for (int i = 0; i < exp10 + 9; i++)
                nano *= 10;
        return (struct pod_quantity){ .set = true, .nano = nano, .format = fmt };
}

TEST(canonical_string_of_built_values)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(string_cases); i++) {
                struct pod_quantity q = built(string_cases[i].mantissa,
                                              string_cases[i].exp10,
                                              string_cases[i].fmt);
                char buf[POD_QTY_FORMAT_MAX], neg[POD_QTY_FORMAT_MAX];
                int before = test_failures_in_case;

                CHECK_INT(pod_quantity_format(&q, buf, sizeof buf),
                          strlen(string_cases[i].expect));
                CHECK_STR(buf, string_cases[i].expect);
                if (q.nano != 0) { /* upstream: never "-0" */
                        q.nano = -q.nano;
                        CHECK(pod_quantity_format(&q, neg, sizeof neg) > 0);
                        CHECK(neg[0] == '-');
                        CHECK_STR(neg + 1, string_cases[i].expect);
                }
                ROW_CONTEXT(before, "%s", string_cases[i].expect);
        }
}

TEST(format_buffer_limits)
{
        struct pod_quantity q;
        char buf[POD_QTY_FORMAT_MAX];

        CHECK_INT(pod_quantity_parse("1500m", &q, NULL), 0);
        CHECK_INT(pod_quantity_format(&q, buf, 6), 5);
        CHECK_STR(buf, "1500m");
        memset(buf, 'x', sizeof buf);
        CHECK_INT(pod_quantity_format(&q, buf, 5), -1); /* no room for NUL */
        CHECK_STR(buf, "");
        CHECK_INT(pod_quantity_format(&q, buf, 0), -1);

        /* the longest parseable value still fits the documented size */
        CHECK_INT(pod_quantity_parse("-9223372036854775806.999999999", &q,
                                     NULL), 0);
        CHECK(pod_quantity_format(&q, buf, sizeof buf) > 0);
        CHECK_STR(buf, "-9223372036854775806999999999n");
        /* and so does the widest hand-built one */
        q = (struct pod_quantity){ .set = true, .format = DEX,
                                   .nano = -(__int128)(~(unsigned __int128)0 >> 1) - 1 };
        CHECK(pod_quantity_format(&q, buf, sizeof buf) > 0);
        CHECK(buf[0] == '-');
}

static const struct {
        double v;
        const char *canon;
        enum pod_quantity_format fmt;
} doubles[] = {
        { 0.1, "100m", DSI }, { 0.5, "500m", DSI }, { 1.5, "1500m", DSI },
        { 2.0, "2", DSI }, { 100000.0, "100k", DSI }, { -0.25, "-250m", DSI },
        { 0.0, "0", DSI }, { -0.0, "0", DSI }, { 1e18, "1E", DSI },
        { 123456789.125, "123456789125m", DSI }, { 0.000001, "1u", DSI },
        /* encoding/json switches to 'e' notation below 1e-6 */
        { 1e-7, "100e-9", DEX }, { 3e-10, "1e-9", DEX },
        /* shortest round-trip digits, then rounded up to 1n */
        { 1.0000000000000002, "1000000001n", DSI },
};

TEST(from_double)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(doubles); i++) {
                struct pod_quantity q;
                char buf[POD_QTY_FORMAT_MAX];
                int before = test_failures_in_case;

                CHECK_INT(pod_quantity_from_double(doubles[i].v, &q, NULL), 0);
                CHECK_INT(q.format, doubles[i].fmt);
                CHECK(pod_quantity_format(&q, buf, sizeof buf) > 0);
                CHECK_STR(buf, doubles[i].canon);
                ROW_CONTEXT(before, "%.17g", doubles[i].v);
        }
}

TEST(from_double_rejects)
{
        _cleanup_err_ struct dh_err *err = NULL;
        struct pod_quantity q = { .set = false };

        CHECK_INT(pod_quantity_from_double(NAN, &q, &err), -EINVAL);
        CHECK_CONTAINS(err ? err->msg : NULL, "finite");
        CHECK_INT(pod_quantity_from_double(INFINITY, &q, NULL), -EINVAL);
        CHECK_INT(pod_quantity_from_double(-INFINITY, &q, NULL), -EINVAL);
        CHECK_INT(pod_quantity_from_double(1e20, &q, NULL), -ERANGE);
        CHECK_INT(pod_quantity_from_double(1e300, &q, NULL), -ERANGE);
        CHECK(!q.set);
}

TEST(from_int)
{
        static const struct {
                int64_t v;
                const char *canon;
        } ints[] = {
                { 0, "0" }, { 5, "5" }, { -3, "-3" }, { 1000, "1k" },
                { 1024, "1024" }, { INT64_MAX, "9223372036854775807" },
                { -INT64_MAX, "-9223372036854775807" },
        };
        struct pod_quantity q = { .set = false };
        char buf[POD_QTY_FORMAT_MAX];

        for (size_t i = 0; i < DH_ARRAY_SIZE(ints); i++) {
                CHECK_INT(pod_quantity_from_int(ints[i].v, &q), 0);
                CHECK_INT(q.format, DSI);
                CHECK_INT(pod_quantity_value(&q), ints[i].v);
                CHECK(pod_quantity_format(&q, buf, sizeof buf) > 0);
                CHECK_STR(buf, ints[i].canon);
        }
        q.set = false;
        CHECK_INT(pod_quantity_from_int(INT64_MIN, &q), -ERANGE);
        CHECK(!q.set);
}

TEST_MAIN()
