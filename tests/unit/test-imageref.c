/* Image reference parsing and normalisation, checked against the cases of
 * distribution/reference's normalize_test.go and reference_test.go (as
 * ParseNormalizedNamed + TagNameOnly sees them). */
#include <errno.h>
#include <string.h>

#include "cri/image/ref.h"
#include "lib/cleanup.h"
#include "tests/unit/test.h"

#define H64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define D64 "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
#define SHA "sha256:" D64

struct good {
        const char *in, *domain, *path, *tag, *digest, *string;
};

static const struct good goods[] = {
        { "busybox", "docker.io", "library/busybox", "latest", NULL, "docker.io/library/busybox:latest" },
        { "busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "docker.io/library/busybox:1.36" },
        { "user/app", "docker.io", "user/app", "latest", NULL, "docker.io/user/app:latest" },
        { "docker.io/debian", "docker.io", "library/debian", "latest", NULL, "docker.io/library/debian:latest" },
        { "docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest", NULL, "docker.io/library/foo/bar:latest" },
        { "index.docker.io/debian", "docker.io", "library/debian", "latest", NULL, "docker.io/library/debian:latest" },
        { "index.docker.io/docker/docker", "docker.io", "docker/docker", "latest", NULL, "docker.io/docker/docker:latest" },
        { "localhost/x", "localhost", "x", "latest", NULL, "localhost/x:latest" },
        { "localhost:5000/x", "localhost:5000", "x", "latest", NULL, "localhost:5000/x:latest" },
        { "test_com/foo", "docker.io", "test_com/foo", "latest", NULL, "docker.io/test_com/foo:latest" },
        { "test-com:8080/foo", "test-com:8080", "foo", "latest", NULL, "test-com:8080/foo:latest" },
        { "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "latest", NULL, "xn--n3h.com:18080/foo:latest" },
        { "127.0.0.1:5000/library/debian", "127.0.0.1:5000", "library/debian", "latest", NULL, "127.0.0.1:5000/library/debian:latest" },
        { "192.168.0.1", "docker.io", "library/192.168.0.1", "latest", NULL, "docker.io/library/192.168.0.1:latest" },
        { "192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", NULL, "docker.io/library/192.168.0.1:80" },
        { "localhost:5000", "docker.io", "library/localhost", "5000", NULL, "docker.io/library/localhost:5000" },
        { "[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", "latest", NULL, "[fc00::1]:5000/docker/docker:latest" },
        { "[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", NULL, "[2001:db8::1]/repo:latest" },
        { "Docker/docker", "Docker", "docker", "latest", NULL, "Docker/docker:latest" },
        { "FOO/bar", "FOO", "bar", "latest", NULL, "FOO/bar:latest" },
        { "docker---rules/dock__er", "docker.io", "docker---rules/dock__er", "latest", NULL, "docker.io/docker---rules/dock__er:latest" },
        { "d/t", "docker.io", "d/t", "latest", NULL, "docker.io/d/t:latest" },
        { "lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", NULL, "docker.io/library/lowercase:Uppercase" },
        { "docker.io/" D64, "docker.io", "library/" D64, "latest", NULL, "docker.io/library/" D64 ":latest" },
        { "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io",
          "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "latest", NULL,
          "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest" },
        { "redis@" SHA, "docker.io", "library/redis", NULL, SHA, "docker.io/library/redis@" SHA },
        { "busybox:latest@" SHA, "docker.io", "library/busybox", "latest", SHA, "docker.io/library/busybox:latest@" SHA },
        { "test:5000/repo:tag@sha256:" H64, "test:5000", "repo", "tag", "sha256:" H64, "test:5000/repo:tag@sha256:" H64 },
        { "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" H64 H64, "xn--7o8h.com", "myimage", "xn--7o8h.com",
          "sha512:" H64 H64, "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" H64 H64 },
        { "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
          "test.example.com", NULL, "b.gcr.io/test.example.com/my-app:test.example.com" },
        /* Upstream quirk: a dotted first component that is no valid host
         * but a valid path component leaves the domain empty. */
        { "foo_bar.com/x", "", "foo_bar.com/x", "latest", NULL, "foo_bar.com/x:latest" },
        { "foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", NULL, "docker.io/foo/foo_bar.com:8080" },
};

struct bad {
        const char *in, *msg;
};

static const struct bad bads[] = {
        { "", "invalid reference format: \"\"" },
        { "Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase: \"Busybox\"" },
        { "docker/Docker", "repository name (docker/Docker) must be lowercase" },
        { "test:5000/Uppercase/lowercase:tag", "repository name (Uppercase/lowercase) must be lowercase" },
        { "Foo_x/bar", "repository name must be lowercase: \"Foo_x/bar\"" },
        { D64, "invalid repository name (" D64 "), cannot specify 64-byte hexadecimal strings" },
        { "https://github.com/docker/docker", "invalid reference format" },
        { "-docker", "invalid reference format" },
        { "-docker.io/docker/docker", "invalid reference format" },
        { "docker///docker", "invalid reference format" },
        { "docker-/docker", "invalid reference format" },
        { "____/____", "invalid reference format" },
        { "dock..er/docker", "invalid reference format" },
        { "dock_.er/docker", "invalid reference format" },
        { "docker/", "invalid reference format" },
        { "[fc00::1]", "invalid reference format" },
        { "[fc00::1]:5000", "invalid reference format" },
        { "fc00::1:5000/debian", "invalid reference format" },
        { "[fe80::1%eth0]:5000/debian", "invalid reference format" },
        { "[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid reference format" },
        { ":justtag", "invalid reference format" },
        { "@sha256:" H64, "invalid reference format" },
        { "aa/asdf$$^/aa", "invalid reference format" },
        { "busybox:", "invalid reference format" },
        { "busybox:-tag", "invalid reference format" },
        { "busybox@sha256:abc", "invalid reference format" },
        { "repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length" },
        { "validname@invaliddigest:" H64, "unsupported digest algorithm" },
        { "x.io/validname:t@Invalid:" H64, "invalid checksum digest format" },
        { "repo@sha256:" "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "invalid checksum digest format" },
        { "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
          "repository name must not be more than 255 characters" },
        { "foo\xff", "must be lowercase" },
};

TEST(valid_references)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(goods); i++) {
                const struct good *g = &goods[i];
                struct img_ref r = { 0 };
                struct dh_err *err = NULL;
                int rc = img_ref_parse(g->in, &r, &err);
                if (rc != 0) {
                        fprintf(stderr, "  input %s: %s\n", g->in, err ? err->msg : "?");
                        CHECK_INT(rc, 0);
                        dh_err_free(err);
                        continue;
                }
                CHECK_STR(r.domain, g->domain);
                CHECK_STR(r.path, g->path);
                CHECK(g->tag ? r.tag && strcmp(r.tag, g->tag) == 0 : r.tag == NULL);
                CHECK(g->digest ? r.digest && strcmp(r.digest, g->digest) == 0 : r.digest == NULL);
                _cleanup_free_ char *s = img_ref_string(&r);
                CHECK_STR(s, g->string);
                /* The canonical string is a fixed point. */
                struct img_ref again = { 0 };
                CHECK_INT(img_ref_parse(s, &again, NULL), 0);
                _cleanup_free_ char *s2 = img_ref_string(&again);
                CHECK_STR(s2, g->string);
                img_ref_free(&again);
                img_ref_free(&r);
        }
}

TEST(invalid_references)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(bads); i++) {
                struct img_ref r = { .path = (char *)"untouched" };
                struct dh_err *err = NULL;
                int rc = img_ref_parse(bads[i].in, &r, &err);
                CHECK_INT(rc, -EINVAL);
                if (rc == 0) {
                        fprintf(stderr, "  input %s parsed\n", bads[i].in);
                        img_ref_free(&r);
                        continue;
                }
                CHECK(err && err->code == EINVAL);
                CHECK_CONTAINS(err ? err->msg : NULL, bads[i].msg);
                CHECK_STR(r.path, "untouched");
                dh_err_free(err);
        }
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
        size_t u = strlen(unit), t = strlen(tail);
        char *s = malloc(u * times + t + 1);
        if (!s)
                return NULL;
        for (size_t i = 0; i < times; i++)
                memcpy(s + i * u, unit, u);
        memcpy(s + u * times, tail, t + 1);
        return s;
}

TEST(length_limits)
{
        struct img_ref r = { 0 };
        struct dh_err *err = NULL;
        /* 128 "a/" + "a" is a 257-byte path; 127 is 255 and fine. */
        _cleanup_free_ char *too_long = repeat("a/", 128, "a:tag");
        _cleanup_free_ char *max = repeat("a/", 127, "a:tag-puts-this-over-max");
        CHECK_INT(img_ref_parse(too_long, &r, &err), -EINVAL);
        CHECK_CONTAINS(err ? err->msg : NULL, "must not be more than 255 characters");
        dh_err_clear(&err);
        CHECK_INT(img_ref_parse(max, &r, NULL), 0);
        CHECK_STR(r.domain, "docker.io");
        CHECK_STR(r.tag, "tag-puts-this-over-max");
        CHECK_INT(strlen(r.path), 255);
        img_ref_free(&r);

        _cleanup_free_ char *tag128 = repeat("t", 128, ""), *tag129 = repeat("t", 129, "");
        _cleanup_free_ char *ok = NULL, *bad = NULL;
        CHECK(asprintf(&ok, "x:%s", tag128) > 0 && asprintf(&bad, "x:%s", tag129) > 0);
        CHECK_INT(img_ref_parse(ok, &r, NULL), 0);
        img_ref_free(&r);
        CHECK_INT(img_ref_parse(bad, &r, NULL), -EINVAL);

        /* Over 4096 bytes of input, or of canonical form, is refused:
         * "<n a>.io/x" is n + 5 bytes, its canonical form n + 12. */
        _cleanup_free_ char *in4097 = repeat("a", IMG_REF_MAX - 4, ".io/x");
        _cleanup_free_ char *in4096 = repeat("a", IMG_REF_MAX - 5, ".io/x");
        _cleanup_free_ char *out4096 = repeat("a", IMG_REF_MAX - 12, ".io/x");
        CHECK_INT(img_ref_parse(in4097, &r, &err), -EINVAL);
        CHECK_CONTAINS(err ? err->msg : NULL, "reference longer than 4096 bytes");
        dh_err_clear(&err);
        CHECK_INT(img_ref_parse(in4096, &r, &err), -EINVAL);
        CHECK_CONTAINS(err ? err->msg : NULL, "normalised reference longer than 4096 bytes");
        dh_err_clear(&err);
        CHECK_INT(img_ref_parse(out4096, &r, NULL), 0);
        _cleanup_free_ char *s = img_ref_string(&r);
        CHECK_INT(s ? strlen(s) : 0, IMG_REF_MAX);
        img_ref_free(&r);
}

TEST(name_and_registry_host)
{
        struct img_ref r = { 0 };
        CHECK_INT(img_ref_parse("busybox", &r, NULL), 0);
        _cleanup_free_ char *n1 = img_ref_name(&r);
        CHECK_STR(n1, "docker.io/library/busybox");
        CHECK_STR(img_ref_registry_host(&r), "registry-1.docker.io");
        img_ref_free(&r);

        CHECK_INT(img_ref_parse("quay.io/coreos/etcd:v3.5@" SHA, &r, NULL), 0);
        _cleanup_free_ char *n2 = img_ref_name(&r);
        CHECK_STR(n2, "quay.io/coreos/etcd");
        CHECK_STR(img_ref_registry_host(&r), "quay.io");
        img_ref_free(&r);

        CHECK_INT(img_ref_parse("[::1]:5000/x", &r, NULL), 0);
        CHECK_STR(img_ref_registry_host(&r), "[::1]:5000");
        img_ref_free(&r);
        img_ref_free(NULL);
}

TEST(loopback)
{
        static const struct {
                const char *in;
                bool loop;
        } cases[] = {
                { "localhost/x", true },         { "localhost:5000/x", true },
                { "127.0.0.1/x", true },         { "127.1.2.3:5000/x", true },
                { "[::1]:5000/x", true },        { "[::1]/x", true },
                { "[0:0:0:0:0:0:0:1]/x", true }, { "[::ffff:7f00:1]/x", true },
                { "busybox", false },            { "LOCALHOST/x", false },
                { "localhost.example.com/x", false }, { "128.0.0.1/x", false },
                { "127.0.0.01/x", false },       { "[::2]:5000/x", false },
                { "10.0.0.1:5000/x", false },    { "foo_bar.com/x", false },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct img_ref r = { 0 };
                CHECK_INT(img_ref_parse(cases[i].in, &r, NULL), 0);
                if (img_ref_is_loopback(&r) != cases[i].loop)
                        TEST_FAIL_("loopback(%s) != %d", cases[i].in, cases[i].loop);
                img_ref_free(&r);
        }
}

/* The bare variant gives exactly upstream's text; the usual one adds the
 * quoted input. */
TEST(bare_messages_are_upstreams_alone)
{
        const struct {
                const char *in, *bare;
        } cases[] = {
                { "UPPER", "invalid reference format: repository name (library/UPPER) must be lowercase" },
                { "busybox:", "invalid reference format" },
                { "a@sha256:0123456789abcdef0123456789abcdef", "invalid checksum digest length" },
                { "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                  "invalid repository name (0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef), "
                  "cannot specify 64-byte hexadecimal strings" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct img_ref r = { 0 };
                struct dh_err *err = NULL;
                CHECK_INT(img_ref_parse_bare(cases[i].in, &r, &err), -EINVAL);
                CHECK_STR(err ? err->msg : NULL, cases[i].bare);
                dh_err_clear(&err);
                CHECK_INT(img_ref_parse(cases[i].in, &r, &err), -EINVAL);
                char want[512];
                snprintf(want, sizeof want, "%s: \"%s\"", cases[i].bare, cases[i].in);
                CHECK_STR(err ? err->msg : NULL, want);
                dh_err_free(err);
        }
        struct img_ref r = { 0 };
        CHECK_INT(img_ref_parse_bare("busybox", &r, NULL), 0);
        CHECK_STR(r.tag, "latest");
        img_ref_free(&r);
}

TEST_MAIN()
