/* Image manifests and indexes: decoding, validation, limits, layer media
 * types and platform selection. */
#include <errno.h>

#include "cri/image/manifest.h"
#include "test.h"

#define D1 "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
#define D2 "sha256:a2abf6c4d29d43a4bf9fbb769f524d0fb36a2edab49819c1bf3e76f409f953ea"
#define D3 "sha256:e1f8a3e2b9d96d1b6d7f4a2c6b0e8c3d9a7b5f1e2d4c6a8b0f3e5d7c9a1b3d5f"
#define D4 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define OCI_MAN "application/vnd.oci.image.manifest.v1+json"
#define OCI_IDX "application/vnd.oci.image.index.v1+json"
#define DK_MAN "application/vnd.docker.distribution.manifest.v2+json"
#define DK_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

static const char *oci_manifest =
        "{\"schemaVersion\": 2, \"mediaType\": \"" OCI_MAN "\","
        " \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"" D1 "\", \"size\": 7023},"
        " \"layers\": [{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"" D2 "\", \"size\": 32654},"
        " {\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+zstd\", \"digest\": \"" D3 "\", \"size\": 16724}],"
        " \"annotations\": {\"com.example.key1\": \"value1\"}}";

static const char *docker_manifest =
        "{\"schemaVersion\": 2, \"mediaType\": \"" DK_MAN "\","
        " \"config\": {\"mediaType\": \"application/vnd.docker.container.image.v1+json\", \"size\": 1472, \"digest\": \"" D1 "\"},"
        " \"layers\": [{\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\", \"size\": 3370706, \"digest\": \"" D2 "\"}]}";

#define ENTRY(d, os, arch, var) \
        "{\"mediaType\": \"" OCI_MAN "\", \"digest\": \"" d "\", \"size\": 1000, \"platform\": " \
        "{\"os\": \"" os "\", \"architecture\": \"" arch "\"" var "}}"

static const char *oci_index =
        "{\"schemaVersion\": 2, \"mediaType\": \"" OCI_IDX "\", \"manifests\": ["
        ENTRY(D1, "windows", "amd64", ", \"os.version\": \"10.0.17763.1\"") ", "
        ENTRY(D2, "linux", "arm64", ", \"variant\": \"v8\"") ", "
        ENTRY(D3, "linux", "amd64", "") "]}";

static const char *windows_only =
        "{\"schemaVersion\": 2, \"mediaType\": \"" DK_LIST "\", \"manifests\": ["
        ENTRY(D1, "windows", "amd64", ", \"os.version\": \"10.0.17763.1\"") ", "
        ENTRY(D2, "windows", "amd64", ", \"os.version\": \"10.0.20348.1\"") ", "
        ENTRY(D3, "windows", "arm64", "") "]}";

static int parse(const char *s, const char *ct, struct img_manifest *m, struct dh_err **e)
{
        return img_manifest_parse(s, strlen(s), ct, m, e);
}

TEST(decodes_an_oci_manifest)
{
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(oci_manifest, OCI_MAN, &m, &e), 0);
        CHECK_INT(m.kind, IMG_MEDIA_OCI_MANIFEST);
        CHECK_INT(m.schema_version, 2);
        CHECK_STR(m.config.digest, D1);
        CHECK_INT(m.config.size, 7023);
        CHECK_INT(m.layers.n, 2);
        CHECK_STR(m.layers.v[1].digest, D3);
        CHECK_INT(m.layers.v[0].size, 32654);
        CHECK_INT(img_layer_compression(m.layers.v[0].media_type), 1);
        CHECK_INT(img_layer_compression(m.layers.v[1].media_type), 2);
        CHECK_INT(m.manifests.n, 0);
        img_manifest_free(&m);
        CHECK(m.layers.v == NULL);
        img_manifest_free(NULL);
        dh_err_free(e);
}

TEST(decodes_a_docker_manifest_without_content_type)
{
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(docker_manifest, NULL, &m, &e), 0);
        CHECK_INT(m.kind, IMG_MEDIA_DOCKER_MANIFEST);
        CHECK_STR(m.media_type, DK_MAN);
        CHECK_INT(m.layers.n, 1);
        CHECK_INT(img_layer_compression(m.layers.v[0].media_type), 1);
        img_manifest_free(&m);
        dh_err_free(e);
}

TEST(infers_the_kind_from_the_shape)
{
        static const char *man = "{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"x\", \"digest\": \"" D1 "\", \"size\": 1}, \"layers\": []}";
        static const char *idx = "{\"schemaVersion\": 2, \"manifests\": [" ENTRY(D1, "linux", "amd64", "") "]}";
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(man, NULL, &m, &e), 0);
        CHECK_INT(m.kind, IMG_MEDIA_OCI_MANIFEST);
        CHECK_INT(m.layers.n, 0);
        img_manifest_free(&m);
        CHECK_INT(parse(idx, "application/octet-stream", &m, &e), 0);
        CHECK_INT(m.kind, IMG_MEDIA_OCI_INDEX);
        img_manifest_free(&m);
        CHECK_INT(parse("{\"schemaVersion\": 2}", NULL, &m, &e), -EINVAL);
        CHECK_CONTAINS(e ? e->msg : NULL, "mediaType: Required value: cannot tell");
        dh_err_free(e);
}

TEST(media_types_with_parameters)
{
        CHECK_INT(img_media_type(OCI_IDX), IMG_MEDIA_OCI_INDEX);
        CHECK_INT(img_media_type(DK_LIST "; charset=utf-8"), IMG_MEDIA_DOCKER_LIST);
        CHECK_INT(img_media_type("Application/VND.docker.distribution.manifest.v2+json"), IMG_MEDIA_DOCKER_MANIFEST);
        CHECK_INT(img_media_type(OCI_MAN "x"), IMG_MEDIA_UNKNOWN);
        CHECK_INT(img_media_type("application/vnd.docker.distribution.manifest.v1+prettyjws"), IMG_MEDIA_UNKNOWN);
        CHECK_INT(img_media_type(""), IMG_MEDIA_UNKNOWN);
        CHECK_INT(img_media_type(NULL), IMG_MEDIA_UNKNOWN);
}

TEST(selects_from_an_oci_index)
{
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        size_t i = 99;
        CHECK_INT(parse(oci_index, OCI_IDX, &m, &e), 0);
        CHECK_INT(m.manifests.n, 3);
        CHECK_STR(m.manifests.v[0].platform->os_version, "10.0.17763.1");
        CHECK_INT(img_manifest_select(&m, NULL, NULL, NULL, &i, &e), 0);
        CHECK_INT(i, 2);
        CHECK_INT(img_manifest_select(&m, "linux", "amd64", "v3", &i, &e), 0);
        CHECK_INT(i, 2);
        CHECK_INT(img_manifest_select(&m, "linux", "x86_64", NULL, &i, &e), 0);
        CHECK_INT(i, 2);
        CHECK_INT(img_manifest_select(&m, "linux", "arm64", NULL, &i, &e), 0);
        CHECK_INT(i, 1);
        CHECK_INT(img_manifest_select(&m, "linux", "aarch64", "8", &i, &e), 0);
        CHECK_INT(i, 1);
        CHECK_INT(img_manifest_select(&m, "windows", "amd64", NULL, &i, &e), 0);
        CHECK_INT(i, 0);
        CHECK_INT(img_manifest_select(&m, "linux", "s390x", NULL, &i, &e), -ENOENT);
        CHECK_STR(e ? e->msg : NULL, "no matching manifest for linux/s390x in the manifest list entries "
                                     "(available: windows/amd64, linux/arm64/v8, linux/amd64)");
        img_manifest_free(&m);
        dh_err_free(e);
}

TEST(arm_variants_follow_containerd)
{
        static const char *list =
                "{\"schemaVersion\": 2, \"mediaType\": \"" DK_LIST "\", \"manifests\": ["
                ENTRY(D1, "linux", "arm", ", \"variant\": \"v6\"") ", "
                ENTRY(D2, "linux", "arm64", "") ", "
                ENTRY(D3, "linux", "arm", ", \"variant\": \"v7\"") ", "
                ENTRY(D4, "linux", "amd64", ", \"variant\": \"v2\"") "]}";
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        size_t i = 99;
        CHECK_INT(parse(list, DK_LIST, &m, &e), 0);
        CHECK_INT(m.kind, IMG_MEDIA_DOCKER_LIST);
        CHECK_INT(img_manifest_select(&m, "linux", "arm64", "v8", &i, &e), 0);
        CHECK_INT(i, 1); /* no variant counts as v8 */
        CHECK_INT(img_manifest_select(&m, "linux", "arm", NULL, &i, &e), 0);
        CHECK_INT(i, 2); /* v7 by default */
        CHECK_INT(img_manifest_select(&m, "linux", "arm", "v6", &i, &e), 0);
        CHECK_INT(i, 0);
        CHECK_INT(img_manifest_select(&m, "linux", "arm", "v8", &i, &e), 0);
        CHECK_INT(i, 2); /* the closest lower variant */
        CHECK_INT(img_manifest_select(&m, "linux", "amd64", NULL, &i, &e), 0);
        CHECK_INT(i, 3); /* amd64 ignores variants */
        CHECK_INT(img_manifest_select(&m, "linux", "arm", "v5", &i, &e), -ENOENT);
        CHECK_CONTAINS(e ? e->msg : NULL, "no matching manifest for linux/arm/v5 in");
        img_manifest_free(&m);
        dh_err_free(e);
}

TEST(windows_only_lists_give_a_clear_error)
{
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        size_t i = 99;
        CHECK_INT(parse(windows_only, NULL, &m, &e), 0);
        CHECK_INT(img_manifest_select(&m, "linux", "amd64", NULL, &i, &e), -ENOENT);
        CHECK_INT(e ? e->code : 0, ENOENT);
        CHECK_STR(e ? e->msg : NULL, "no matching manifest for linux/amd64 in the manifest list entries "
                                     "(available: windows/amd64, windows/arm64)");
        CHECK_INT(i, 99);
        img_manifest_free(&m);
        dh_err_free(e);
}

TEST(select_refuses_a_manifest)
{
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        size_t i;
        CHECK_INT(parse(oci_manifest, NULL, &m, &e), 0);
        CHECK_INT(img_manifest_select(&m, "linux", "amd64", NULL, &i, &e), -EINVAL);
        img_manifest_free(&m);
        dh_err_free(e);
}

TEST(platformless_entries_match_last)
{
        static const char *idx = "{\"schemaVersion\": 2, \"manifests\": ["
                                 "{\"mediaType\": \"" OCI_MAN "\", \"digest\": \"" D1 "\", \"size\": 5}, "
                                 ENTRY(D2, "linux", "amd64", "") "]}";
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        size_t i = 99;
        CHECK_INT(parse(idx, NULL, &m, &e), 0);
        CHECK_INT(img_manifest_select(&m, "linux", "amd64", NULL, &i, &e), 0);
        CHECK_INT(i, 1);
        CHECK_INT(img_manifest_select(&m, "linux", "riscv64", NULL, &i, &e), 0);
        CHECK_INT(i, 0);
        img_manifest_free(&m);
        dh_err_free(e);
}

static void check_error(const char *in, const char *ct, int code, const char *want)
{
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        int r = img_manifest_parse(in, strlen(in), ct, &m, &e);
        CHECK_INT(r, -code);
        CHECK_INT(e ? e->code : 0, code);
        CHECK_CONTAINS(e ? e->msg : NULL, want);
        CHECK(m.layers.v == NULL && m.config.digest == NULL);
        dh_err_free(e);
}

#define CFG "\"config\": {\"mediaType\": \"c\", \"digest\": \"" D1 "\", \"size\": 1}"
#define LAYER(d, sz) "{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar\", \"digest\": " d ", \"size\": " sz "}"

TEST(bad_digests_and_sizes_name_the_field)
{
        check_error("{\"schemaVersion\": 2, " CFG ", \"layers\": [" LAYER("\"" D2 "\"", "1") ", " LAYER("\"" D2 "\"", "1") ", "
                    LAYER("\"sha256:zz\"", "1") "]}", OCI_MAN, EINVAL,
                    "image manifest: layers[2].digest: Invalid value: \"sha256:zz\": must be sha256:");
        check_error("{\"schemaVersion\": 2, " CFG ", \"layers\": [" LAYER("\"sha512:" "abcd\"", "1") "]}", NULL, EINVAL,
                    "layers[0].digest: Invalid value");
        check_error("{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"c\", \"digest\": \"" D1 "\", \"size\": -1}}",
                    NULL, EINVAL, "config.size: Invalid value: -1: must be non-negative");
        check_error("{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"c\", \"size\": 1}}", NULL, EINVAL,
                    "config.digest: Required value");
        check_error("{\"schemaVersion\": 2, \"layers\": []}", NULL, EINVAL, "image manifest: config: Required value");
        check_error("{\"schemaVersion\": 2, \"manifests\": [{\"digest\": \"" D1 "\", \"size\": 1}]}", NULL, EINVAL,
                    "manifests[0].mediaType: Required value");
        check_error("{\"schemaVersion\": 2, \"manifests\": []}", OCI_IDX, EINVAL, "manifests: Required value");
}

TEST(wrong_schema_version)
{
        check_error("{\"schemaVersion\": 1, " CFG "}", NULL, EINVAL, "schemaVersion: Invalid value: 1: must be 2");
        check_error("{" CFG "}", NULL, EINVAL, "schemaVersion: Invalid value: 0: must be 2");
        check_error("{\"schemaVersion\": 1, \"name\": \"x\", \"fsLayers\": []}",
                    "application/vnd.docker.distribution.manifest.v1+prettyjws", EINVAL, "mediaType: Required value");
}

TEST(type_errors_name_the_field)
{
        check_error("{\"schemaVersion\": \"2\", " CFG "}", NULL, EINVAL, "image manifest: schemaVersion: Invalid value: \"2\"");
        check_error("{\"schemaVersion\": 2, " CFG ", \"layers\": [" LAYER("\"" D2 "\"", "1") ", " LAYER("\"" D2 "\"", "1")
                    ", " LAYER("12", "1") "]}", NULL, EINVAL, "image manifest: layers[2].digest: Invalid value: 12");
        check_error("{\"schemaVersion\": 2, " CFG ", \"layers\": {}}", NULL, EINVAL, "layers: Invalid value: {...}");
        check_error("{\"schemaVersion\": 2, \"manifests\": [" ENTRY(D1, "linux", "amd64", "") ", 7]}", NULL, EINVAL,
                    "manifests[1]: Invalid value: 7");
        check_error("{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"m\", \"digest\": \"" D1
                    "\", \"size\": 1, \"platform\": {\"os\": []}}]}", NULL, EINVAL, "manifests[0].platform.os: Invalid value");
        check_error("{\"schemaVersion\": 2, " CFG ", \"layers\": [" LAYER("\"" D2 "\"", "1.5") "]}", NULL, EINVAL,
                    "layers[0].size: Invalid value: 1.5");
        check_error("[1, 2]", NULL, EINVAL, "image manifest: must be a JSON object");
        check_error("{\"schemaVersion\": 2,", NULL, EINVAL, "image manifest: line 1");
        check_error("{\"schemaVersion\": 2, \"schemaVersion\": 2}", NULL, EINVAL, "duplicate");
}

TEST(kind_mismatches_are_refused)
{
        check_error(oci_manifest, OCI_IDX, EINVAL, "mediaType: Invalid value: \"" OCI_MAN "\": does not match");
        check_error("{\"schemaVersion\": 2, \"mediaType\": \"" OCI_IDX "\", " CFG ", \"manifests\": ["
                    ENTRY(D1, "linux", "amd64", "") "]}", NULL, EINVAL, "config: Forbidden: not allowed in an image index");
        check_error("{\"schemaVersion\": 2, " CFG ", \"manifests\": [" ENTRY(D1, "linux", "amd64", "") "]}", OCI_MAN,
                    EINVAL, "manifests: Forbidden");
        check_error("{\"schemaVersion\": 2, " CFG ", \"manifests\": [" ENTRY(D1, "linux", "amd64", "") "]}", NULL,
                    EINVAL, "cannot tell");
}

/* A body with n layers (or manifests); caller frees. */
static char *many(const char *key, size_t n)
{
        static const char *entry = ENTRY(D1, "linux", "amd64", "");
        size_t cap = 512 + n * (strlen(entry) + 2);
        char *s = malloc(cap);
        size_t len = (size_t)snprintf(s, cap, "{\"schemaVersion\": 2, " CFG ", \"%s\": [", key);
        if (!strcmp(key, "manifests"))
                len = (size_t)snprintf(s, cap, "{\"schemaVersion\": 2, \"%s\": [", key);
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? ", " : "", entry);
        snprintf(s + len, cap - len, "]}");
        return s;
}

TEST(limits)
{
        struct img_manifest m = { 0 };
        struct dh_err *e = NULL;
        char *s = many("layers", IMG_MANIFEST_ENTRIES_MAX);
        CHECK_INT(parse(s, NULL, &m, &e), 0);
        CHECK_INT(m.layers.n, IMG_MANIFEST_ENTRIES_MAX);
        img_manifest_free(&m);
        free(s);
        s = many("layers", IMG_MANIFEST_ENTRIES_MAX + 1);
        check_error(s, NULL, DH_ELIMIT, "image manifest: layers: 1001 entries exceed 1000");
        free(s);
        s = many("manifests", IMG_MANIFEST_ENTRIES_MAX + 1);
        check_error(s, NULL, DH_ELIMIT, "manifests: 1001 entries exceed 1000");
        free(s);
        size_t big = IMG_MANIFEST_MAX + 1;
        s = malloc(big);
        memset(s, ' ', big);
        CHECK_INT(img_manifest_parse(s, big, NULL, &m, &e), -DH_ELIMIT);
        CHECK_INT(e ? e->code : 0, DH_ELIMIT);
        free(s);
        dh_err_free(e);
}

TEST(layer_media_types)
{
        static const struct { const char *t; int want; } cases[] = {
                { "application/vnd.oci.image.layer.v1.tar", 0 },
                { "application/vnd.oci.image.layer.v1.tar+gzip", 1 },
                { "application/vnd.oci.image.layer.v1.tar+zstd", 2 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar", 0 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", 1 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", 2 },
                { "application/vnd.docker.image.rootfs.diff.tar.gzip", 1 },
                { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", 1 },
                { "application/vnd.oci.image.config.v1+json", -1 },
                { "application/vnd.oci.image.layer.v1.tar+bzip2", -1 },
                { "", -1 },
                { NULL, -1 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                CHECK_INT(img_layer_compression(cases[i].t), cases[i].want);
}

TEST_MAIN()
