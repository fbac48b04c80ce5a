/* SHA-256 on libcrypto's direct routines (see lib/sha256.h for why not
 * EVP). OpenSSL 3 marks them deprecated in favour of EVP; they remain
 * part of its API and compute the same digest. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lib/sha256.h"

void dh_sha256_init(struct dh_sha256 *s)
{
        SHA256_Init(&s->ctx);
}

void dh_sha256_update(struct dh_sha256 *s, const void *data, size_t len)
{
        SHA256_Update(&s->ctx, data, len);
}

void dh_sha256_final(struct dh_sha256 *s, unsigned char out[DH_SHA256_LEN])
{
        SHA256_Final(out, &s->ctx);
}

void dh_sha256(const void *data, size_t len, unsigned char out[DH_SHA256_LEN])
{
        struct dh_sha256 s;
        dh_sha256_init(&s);
        dh_sha256_update(&s, data, len);
        dh_sha256_final(&s, out);
}

void dh_sha256_hex(const unsigned char sum[DH_SHA256_LEN], char out[DH_SHA256_HEX_LEN + 1])
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < DH_SHA256_LEN; i++) {
                out[2 * i] = digits[sum[i] >> 4];
                out[2 * i + 1] = digits[sum[i] & 15];
        }
        out[DH_SHA256_HEX_LEN] = '\0';
}
