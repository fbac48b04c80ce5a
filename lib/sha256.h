/* SHA-256 for content hashes and digest checks (static pod UIDs, image
 * blobs and layers). libcrypto's direct SHA-256 routines rather than the
 * EVP interface: in OpenSSL 3 an EVP digest first loads the default
 * provider and its algorithm tables, about 0.5 MB of resident memory the
 * agent would carry for hashing alone. */
#pragma once
#include <openssl/sha.h>
#include <stddef.h>

#define DH_SHA256_LEN 32
#define DH_SHA256_HEX_LEN 64

struct dh_sha256 {
        SHA256_CTX ctx;
};

void dh_sha256_init(struct dh_sha256 *s);
void dh_sha256_update(struct dh_sha256 *s, const void *data, size_t len);
void dh_sha256_final(struct dh_sha256 *s, unsigned char out[DH_SHA256_LEN]);
/* One call: the digest of data. */
void dh_sha256(const void *data, size_t len, unsigned char out[DH_SHA256_LEN]);
/* Lowercase hex of a digest, NUL-terminated. */
void dh_sha256_hex(const unsigned char sum[DH_SHA256_LEN], char out[DH_SHA256_HEX_LEN + 1]);
