/* lib/sha256: FIPS 180-2 test vectors, streaming equals one call, hex. */
#include "lib/sha256.h"
#include "tests/unit/test.h"

static void hex_of(const void *data, size_t len, char out[DH_SHA256_HEX_LEN + 1])
{
        unsigned char sum[DH_SHA256_LEN];
        dh_sha256(data, len, sum);
        dh_sha256_hex(sum, out);
}

TEST(known_vectors)
{
        char hex[DH_SHA256_HEX_LEN + 1];
        hex_of("", 0, hex);
        CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        hex_of("abc", 3, hex);
        CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        hex_of(two, strlen(two), hex);
        CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(streaming_equals_one_call)
{
        static char million[1000000];
        memset(million, 'a', sizeof million);
        struct dh_sha256 s;
        dh_sha256_init(&s);
        for (size_t off = 0; off < sizeof million; off += 999)
                dh_sha256_update(&s, million + off, sizeof million - off < 999 ? sizeof million - off : 999);
        unsigned char sum[DH_SHA256_LEN];
        dh_sha256_final(&s, sum);
        char hex[DH_SHA256_HEX_LEN + 1];
        dh_sha256_hex(sum, hex);
        CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        char one[DH_SHA256_HEX_LEN + 1];
        hex_of(million, sizeof million, one);
        CHECK_STR(one, hex);
}

TEST_MAIN()
