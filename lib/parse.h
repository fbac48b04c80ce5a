/* Checked number and boolean parsing: whole string, range-checked, no
 * silent truncation (never atoi); and Go-style duration strings. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"

/* Decimal integer in [min, max]; "what" names the thing for the message. */
int dh_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out,
                 const char *what, struct dh_err **err);
int dh_parse_bool(const char *s, bool *out, const char *what, struct dh_err **err);
/* Go-style durations as kubelet flags take them: "10s", "1m30s", "250ms", "0". */
int dh_parse_duration_ms(const char *s, int64_t *out_ms, const char *what,
                         struct dh_err **err);
/* Formats a duration as Go's time.Duration.String does ("0s", "1.5µs",
 * "250ms", "1.2s", "1m0s", "1h30m0s", "-2s") into buf; returns buf. A
 * buffer of DH_DURATION_STR_MAX bytes always suffices. */
#define DH_DURATION_STR_MAX 40
const char *dh_format_duration_ns(int64_t ns, char *buf, size_t size);
