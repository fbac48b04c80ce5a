/* Kubernetes resource quantities ("100m", "1.5Gi", "12e6"): parsing,
 * comparison, the Value()/MilliValue() accessors and the canonical text of
 * Quantity.String(), following k8s.io/apimachinery/pkg/api/resource
 * (quantity.go, suffix.go, amount.go, scale_int.go).
 *
 * Where deckhand differs from upstream, on purpose:
 *  - Magnitudes above 2^63-1 base units are rejected (ERANGE). Upstream keeps
 *    any size of DecimalSI/DecimalExponent value as an arbitrary-precision
 *    decimal ("12E", "10E" parse there) and silently caps BinarySI at 2^63-1
 *    ("9Ei" becomes 9223372036854775807). No real resource gets near this.
 *  - The decimal exponent of "e<n>" must lie within +-(2^31-1); anything
 *    outside is a suffix error. apimachinery v0.37.2 parses it as an int64
 *    and truncates to int32, so "1e4294967297" means 1e1 there. Any value
 *    with such an exponent is 0, rounds to 1n or exceeds our limit anyway.
 *  - pod_quantity_format() always emits the canonical form. Upstream's
 *    String() hands back the caller's own text when the parser's fast path
 *    thinks it is already canonical, so "+1", "01", "5.", "1E3", "1.100" and
 *    "1e0" come back verbatim there; here they are "1", "1", "5", "1e3",
 *    "1100m" and "1". Value and format are the same either way.
 *  - Value()/MilliValue() round away from zero and saturate for every
 *    value. Upstream does that for values it keeps as int64, but for
 *    negative values it keeps as inf.Dec (e.g. "-1.0001Ki", "-3.0Pi") its
 *    scaledValue() rounds the wrong way or wraps (-1023 for "-1.0001Ki").
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

enum pod_quantity_format {
        POD_QTY_DECIMAL_SI,       /* 12M, 100m, 5 */
        POD_QTY_BINARY_SI,        /* 12Mi */
        POD_QTY_DECIMAL_EXPONENT, /* 12e6 */
};

struct pod_quantity {
        bool set; /* false = absent; the accessors then treat it as zero */
        /* Exact value in units of 1e-9. Finer input is rounded to the next
         * nano-unit away from zero, as upstream rounds the magnitude up
         * (0.1n -> 1n, -0.1n -> -1n). |nano| <= (2^63-1) * 1e9 after a parse. */
        __int128 nano;
        enum pod_quantity_format format; /* from the suffix, as k8s keeps it */
};

/* pod_quantity_format() never needs more than this (including the NUL). */
#define POD_QTY_FORMAT_MAX 64

/* Parses <signedNumber><suffix> exactly as upstream ParseQuantity does,
 * including its permissive corners ("5.", ".5", "+1", "-", ".", "Mi" and
 * "e5" are all valid; the last four are zero). Errors, with upstream's
 * messages and code EINVAL: "quantities must match the regular expression
 * ..." for text outside the grammar (empty, spaces, "1e3M", "1.2.3", "0x10"),
 * "unable to parse quantity's suffix" for a grammatical but unknown suffix
 * ("1Mi2", "1e", "1e+", "1i"), and "unable to parse numeric part of
 * quantity" where upstream's slow path finds no digits ("Pi", "e-10").
 * A value beyond 2^63-1 base units fails with ERANGE. Reads only up to the
 * NUL and never overflows, whatever the input. *out is untouched on error. */
int pod_quantity_parse(const char *s, struct pod_quantity *out,
                       struct dh_err **err);

/* From an integer JSON number, as UnmarshalJSON treats the literal: a
 * DecimalSI quantity. Fails with -ERANGE only for INT64_MIN (|v| > 2^63-1). */
int pod_quantity_from_int(int64_t v, struct pod_quantity *out);

/* From a floating-point JSON number. The double is written the way Go's
 * encoding/json would (shortest round-trip digits; plain notation unless
 * |v| < 1e-6 or |v| >= 1e21), which is the text that kubectl's YAML-to-JSON
 * step hands UnmarshalJSON, and that text is parsed. So 0.1 is "100m" and
 * 1e-7 is DecimalExponent. A literal the document wrote as "1e3" reaches us
 * as 1000.0 and becomes DecimalSI, where upstream, seeing the raw literal,
 * would keep DecimalExponent; the value is the same. NaN and infinities fail
 * with EINVAL. */
int pod_quantity_from_double(double v, struct pod_quantity *out,
                             struct dh_err **err);

/* Value(): the value in base units, rounded to an integer away from zero
 * (1.5 -> 2, -1.5 -> -2) as upstream documents it, and saturated to the
 * int64 range where upstream would overflow. */
int64_t pod_quantity_value(const struct pod_quantity *q);
/* MilliValue(): the value in thousandths, rounded and saturated alike. */
int64_t pod_quantity_milli(const struct pod_quantity *q);

/* Compares exact values: -1, 0 or 1. The format plays no part. */
int pod_quantity_cmp(const struct pod_quantity *a, const struct pod_quantity *b);
bool pod_quantity_is_zero(const struct pod_quantity *q);

/* Writes the canonical text Quantity.String() produces ("1.5" -> "1500m",
 * "1024Mi" -> "1Gi", "1000M" -> "1G", "12e6" -> "12e6", "1e14" -> "100e12",
 * "1.5Gi" -> "1536Mi", zero -> "0"), NUL-terminated. Returns the length, or
 * -1 (with buf set to "" when size > 0) if it does not fit; a buffer of
 * POD_QTY_FORMAT_MAX bytes always fits. */
int pod_quantity_format(const struct pod_quantity *q, char *buf, size_t size);
