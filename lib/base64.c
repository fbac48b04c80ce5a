/* base64 encoding and strict decoding. */
#include "lib/base64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *dh_base64_encode(const void *data, size_t len)
{
        const unsigned char *in = data;
        if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
                return NULL;
        char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
                             (i + 2 < len ? in[i + 2] : 0);
                *o++ = alphabet[v >> 18 & 63];
                *o++ = alphabet[v >> 12 & 63];
                *o++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
                *o++ = i + 2 < len ? alphabet[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

static int sextet(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int dh_base64_decode(const char *s, size_t slen, unsigned char **out, size_t *out_len,
                     struct dh_err **err)
{
        if (slen % 4)
                return dh_err_set(err, EINVAL, "base64: length %zu is not a multiple of 4", slen);
        unsigned char *buf = malloc(slen / 4 * 3 + 1);
        if (!buf)
                return dh_err_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        for (size_t i = 0; i < slen; i += 4) {
                int a = sextet(s[i]), b = sextet(s[i + 1]);
                bool last = i + 4 == slen;
                int c = last && s[i + 2] == '=' ? -2 : sextet(s[i + 2]);
                int d = last && s[i + 3] == '=' ? -2 : sextet(s[i + 3]);
                if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2)) {
                        free(buf);
                        return dh_err_set(err, EINVAL, "base64: invalid data at offset %zu", i);
                }
                uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)(c < 0 ? 0 : c) << 6 |
                             (uint32_t)(d < 0 ? 0 : d);
                buf[n++] = (unsigned char)(v >> 16);
                if (c >= 0)
                        buf[n++] = (unsigned char)(v >> 8);
                if (d >= 0)
                        buf[n++] = (unsigned char)v;
        }
        buf[n] = '\0';
        *out = buf;
        *out_len = n;
        return 0;
}
