/* Checked number and boolean parsing: whole string, range-checked, no
 * silent truncation (never atoi). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/err.h"

/* Decimal integer in [min, max]; "what" names the thing for the message. */
int dh_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out,
                 const char *what, struct dh_err **err);
int dh_parse_bool(const char *s, bool *out, const char *what, struct dh_err **err);
/* Go-style durations as kubelet flags take them: "10s", "1m30s", "250ms", "0". */
int dh_parse_duration_ms(const char *s, int64_t *out_ms, const char *what,
                         struct dh_err **err);
