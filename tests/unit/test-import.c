/* Tests for cri/image/import*.c: OCI layouts (directory, tar, tar.gz,
 * skopeo's oci-archive) and docker save archives (made by skopeo) built
 * from scripts/build-test-image, names, name_override, and the failures:
 * tampered and missing blobs, malformed index.json and manifest.json,
 * hostile archive entries, diffIDs that do not match. Needs jq, tar and
 * skopeo (installed by `make deps`). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/image/config.h"
#include "cri/image/import.h"
#include "cri/image/manifest.h"
#include "cri/image/store.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "test.h"

/* ---- helpers ---- */

/* A shell command (fixed strings built by the tests themselves). */
static bool sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool sh(const char *fmt, ...)
{
        char *cmd = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        if (n < 0)
                return false;
        const char *argv[] = { "/bin/sh", "-ec", cmd, NULL };
        bool ok = test_spawn(argv);
        if (!ok)
                fprintf(stderr, "  command: %s\n", cmd);
        free(cmd);
        return ok;
}

static char *path_in(const char *dir, const char *name)
{
        char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort(); /* test binary: out of memory is fatal */
        return p;
}

/* Layouts built once per run: "one" holds tag 1.0, "two" tags 1.0 and
 * 2.0 (different configs, so different manifests). */
static char *fixtures;
static char *layout_one, *layout_two;

__attribute__((destructor)) static void fixtures_cleanup(void)
{
        free(layout_one);
        free(layout_two);
        test_rmtree(fixtures);
}

static bool build_layout(const char *dir, const char *tag, const char *env)
{
        const char *argv[] = { "scripts/build-test-image", dir, "--tag", tag, "--env", env, NULL };
        return test_spawn(argv);
}

static bool have_fixtures(void)
{
        if (layout_two)
                return true;
        if (access("scripts/build-test-image", X_OK) != 0) {
                TEST_FAIL_("%s", "scripts/build-test-image not found: run from the source tree");
                return false;
        }
        fixtures = test_mkdtemp("import-fixtures");
        char *one = path_in(fixtures, "one"), *two = path_in(fixtures, "two");
        if (!build_layout(one, "1.0", "V=1") || !build_layout(two, "1.0", "V=1") ||
            !build_layout(two, "2.0", "V=2")) {
                TEST_FAIL_("%s", "scripts/build-test-image failed");
                free(one);
                free(two);
                return false;
        }
        layout_one = one;
        layout_two = two;
        return true;
}

struct env {
        char *dir;             /* scratch */
        struct img_store *st;  /* <dir>/store */
};

static bool env_init(struct env *e)
{
        memset(e, 0, sizeof *e);
        if (!have_fixtures())
                return false;
        e->dir = test_mkdtemp("import");
        _cleanup_free_ char *root = path_in(e->dir, "store");
        _cleanup_err_ struct dh_err *err = NULL;
        if (img_store_open(root, &e->st, &err) < 0) {
                TEST_FAIL_("img_store_open: %s", err->msg);
                return false;
        }
        return true;
}

static void env_done(struct env *e)
{
        img_store_close(e->st);
        test_rmtree(e->dir);
}

/* The digest index.json gives manifests[i] in layout dir. */
static char *index_digest(const char *dir, size_t i)
{
        _cleanup_free_ char *p = path_in(dir, "index.json");
        json_t *j = json_load_file(p, 0, NULL);
        const char *d = json_string_value(json_object_get(json_array_get(json_object_get(j, "manifests"), i), "digest"));
        char *s = d ? strdup(d) : NULL;
        json_decref(j);
        return s;
}

static int import(struct env *e, const char *path, const char *override, struct img_import_list *l,
                  struct dh_err **err)
{
        int r = img_import_path(e->st, path, override, l, err);
        if (r < 0 && getenv("TEST_VERBOSE"))
                fprintf(stderr, "  import: %s\n", (*err)->msg);
        return r;
}

static bool has_name(const struct img_import_entry *en, const char *name)
{
        for (size_t i = 0; i < en->names.n; i++)
                if (strcmp(en->names.v[i], name) == 0)
                        return true;
        return false;
}

/* Every blob a manifest names is in the store. */
static void check_complete(struct img_store *st, const char *digest, struct img_manifest *out)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        _cleanup_err_ struct dh_err *err = NULL;
        if (img_store_read_blob(st, digest, IMG_MANIFEST_MAX, &data, &len, &err) < 0) {
                TEST_FAIL_("read %s: %s", digest, err->msg);
                return;
        }
        struct img_manifest m = { 0 };
        if (img_manifest_parse(data, len, NULL, &m, &err) < 0) {
                TEST_FAIL_("parse %s: %s", digest, err->msg);
                return;
        }
        CHECK(img_store_has(st, m.config.digest));
        for (size_t i = 0; i < m.layers.n; i++)
                CHECK(img_store_has(st, m.layers.v[i].digest));
        if (out)
                *out = m;
        else
                img_manifest_free(&m);
}

/* ---- OCI layouts ---- */

TEST(oci_dir_bare_tag_without_override_has_no_names)
{
        struct env e;
        if (!env_init(&e))
                return;
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        _cleanup_free_ char *want = index_digest(layout_one, 0);
        CHECK_INT(import(&e, layout_one, NULL, &l, &err), 0);
        CHECK_INT(l.n, 1);
        if (l.n == 1) {
                CHECK_STR(l.v[0].manifest_digest, want);
                CHECK_INT(l.v[0].names.n, 0);
                check_complete(e.st, l.v[0].manifest_digest, NULL);
        }
        img_import_list_free(&l);
        env_done(&e);
}

TEST(oci_dir_name_override_names)
{
        struct env e;
        if (!env_init(&e))
                return;
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        /* A bare repository keeps the layout's own tag... */
        CHECK_INT(import(&e, layout_one, "example.com/app", &l, &err), 0);
        CHECK_INT(l.n, 1);
        if (l.n == 1) {
                CHECK_INT(l.v[0].names.n, 1);
                CHECK(has_name(&l.v[0], "example.com/app:1.0"));
        }
        img_import_list_free(&l);
        /* ... a tagged override replaces every name. */
        CHECK_INT(import(&e, layout_one, "example.com/app:2", &l, &err), 0);
        CHECK_INT(l.n, 1);
        if (l.n == 1) {
                CHECK_INT(l.v[0].names.n, 1);
                CHECK(has_name(&l.v[0], "example.com/app:2"));
        }
        img_import_list_free(&l);
        env_done(&e);
}

/* Rewrites manifests[0]'s annotations in dir's index.json. */
static bool set_annotation(const char *dir, const char *key, const char *value)
{
        _cleanup_free_ char *p = path_in(dir, "index.json");
        json_t *j = json_load_file(p, 0, NULL);
        json_t *ann = json_object_get(json_array_get(json_object_get(j, "manifests"), 0), "annotations");
        bool ok = ann && json_object_set_new(ann, key, json_string(value)) == 0 &&
                  json_dump_file(j, p, JSON_COMPACT) == 0;
        json_decref(j);
        return ok;
}

TEST(oci_dir_full_ref_and_containerd_annotations)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *copy = path_in(e.dir, "layout");
        CHECK(sh("cp -a '%s' '%s'", layout_one, copy));
        CHECK(set_annotation(copy, IMG_ANNOTATION_REF_NAME, "busybox:1.36"));
        CHECK(set_annotation(copy, IMG_ANNOTATION_CONTAINERD_NAME, "registry.local:5000/tools/bb:v1"));
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(import(&e, copy, NULL, &l, &err), 0);
        CHECK_INT(l.n, 1);
        if (l.n == 1) {
                CHECK_INT(l.v[0].names.n, 2);
                CHECK(has_name(&l.v[0], "docker.io/library/busybox:1.36"));
                CHECK(has_name(&l.v[0], "registry.local:5000/tools/bb:v1"));
        }
        img_import_list_free(&l);
        env_done(&e);
}

TEST(oci_dir_two_images_bare_tags_take_override_repo)
{
        struct env e;
        if (!env_init(&e))
                return;
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(import(&e, layout_two, "example.com/app:ignored", &l, &err), 0);
        CHECK_INT(l.n, 2);
        if (l.n == 2) {
                CHECK(strcmp(l.v[0].manifest_digest, l.v[1].manifest_digest) != 0);
                CHECK(has_name(&l.v[0], "example.com/app:1.0"));
                CHECK(has_name(&l.v[1], "example.com/app:2.0"));
                check_complete(e.st, l.v[0].manifest_digest, NULL);
                check_complete(e.st, l.v[1].manifest_digest, NULL);
        }
        img_import_list_free(&l);
        env_done(&e);
}

enum archive { TAR, TAR_GZ, SKOPEO_OCI };

static bool make_archive(enum archive kind, const char *layout, const char *file)
{
        switch (kind) {
        case TAR: return sh("tar -C '%s' -cf '%s' .", layout, file);
        case TAR_GZ: return sh("tar -C '%s' -czf '%s' .", layout, file);
        case SKOPEO_OCI: return sh("skopeo --insecure-policy copy -q oci:'%s':1.0 oci-archive:'%s'", layout, file);
        }
        return false;
}

static void import_one_archive(const char *tag, enum archive kind, size_t want_images)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *file = path_in(e.dir, tag);
        if (!make_archive(kind, want_images == 2 ? layout_two : layout_one, file)) {
                TEST_FAIL_("%s: could not build the archive", tag);
                env_done(&e);
                return;
        }
        /* Extract into this test's directory, to check nothing is left. */
        _cleanup_free_ char *old_tmp = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
        setenv("TMPDIR", e.dir, 1);
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(import(&e, file, "example.com/app", &l, &err), 0);
        if (old_tmp)
                setenv("TMPDIR", old_tmp, 1);
        else
                unsetenv("TMPDIR");
        if (err)
                fprintf(stderr, "  %s\n", err->msg);
        CHECK_INT(l.n, want_images);
        for (size_t i = 0; i < l.n; i++)
                check_complete(e.st, l.v[i].manifest_digest, NULL);
        /* The layout's bare tag goes into the override's repository; a
         * skopeo oci-archive keeps no tag, so the override's own ":latest". */
        if (l.n == 1 && want_images == 1)
                CHECK(has_name(&l.v[0], kind == SKOPEO_OCI ? "example.com/app:latest" : "example.com/app:1.0"));
        img_import_list_free(&l);
        /* Nothing of the extraction is left behind. */
        CHECK(sh("! ls -d '%s'/deckhand-import-* 2>/dev/null | grep -q .", e.dir));
        env_done(&e);
}

TEST(oci_tar)
{
        import_one_archive("oci.tar", TAR, 1);
}

TEST(oci_tar_gz)
{
        import_one_archive("oci.tar.gz", TAR_GZ, 1);
}

TEST(oci_tar_two_images)
{
        import_one_archive("oci2.tar", TAR, 2);
}

TEST(skopeo_oci_archive)
{
        import_one_archive("oci-archive.tar", SKOPEO_OCI, 1);
}

/* ---- docker save ---- */

static bool docker_archive(const char *layout, const char *tag, const char *file, const char *name)
{
        return sh("skopeo --insecure-policy copy -q oci:'%s':%s docker-archive:'%s':%s", layout, tag, file, name);
}

/* The synthesized manifest is a schema 2 manifest of rootfs.diff.tar
 * layers whose digests are the config's diffIDs. */
static void check_synthesized(struct img_store *st, const char *digest)
{
        struct img_manifest m = { 0 };
        check_complete(st, digest, &m);
        CHECK_INT(m.kind, IMG_MEDIA_DOCKER_MANIFEST);
        CHECK_INT(m.layers.n, 2);
        _cleanup_free_ char *cfgdata = NULL;
        size_t len = 0;
        _cleanup_err_ struct dh_err *err = NULL;
        struct img_config cfg = { 0 };
        if (m.config.digest && img_store_read_blob(st, m.config.digest, IMG_CONFIG_MAX, &cfgdata, &len, &err) == 0 &&
            img_config_parse(cfgdata, len, &cfg, &err) == 0) {
                CHECK_INT(cfg.diff_ids.n, m.layers.n);
                for (size_t i = 0; i < m.layers.n && i < cfg.diff_ids.n; i++) {
                        CHECK_STR(m.layers.v[i].digest, cfg.diff_ids.v[i]);
                        CHECK_STR(m.layers.v[i].media_type, "application/vnd.docker.image.rootfs.diff.tar");
                        CHECK_INT(img_layer_compression(m.layers.v[i].media_type), 0);
                }
        } else {
                TEST_FAIL_("config: %s", err ? err->msg : "missing");
        }
        img_config_free(&cfg);
        img_manifest_free(&m);
}

TEST(docker_save_archive_names_from_repotags)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *file = path_in(e.dir, "docker.tar");
        CHECK(docker_archive(layout_one, "1.0", file, "example.com/app:1.0"));
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(import(&e, file, NULL, &l, &err), 0);
        CHECK_INT(l.n, 1);
        if (l.n == 1) {
                CHECK_INT(l.v[0].names.n, 1);
                CHECK(has_name(&l.v[0], "example.com/app:1.0"));
                check_synthesized(e.st, l.v[0].manifest_digest);
        }
        /* Importing again yields the same manifest. */
        struct img_import_list again = { 0 };
        CHECK_INT(import(&e, file, "other/name:x", &again, &err), 0);
        if (l.n == 1 && again.n == 1) {
                CHECK_STR(again.v[0].manifest_digest, l.v[0].manifest_digest);
                CHECK_INT(again.v[0].names.n, 1);
                CHECK(has_name(&again.v[0], "docker.io/other/name:x"));
        }
        img_import_list_free(&again);
        img_import_list_free(&l);
        env_done(&e);
}

TEST(docker_save_gzip_and_directory)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *file = path_in(e.dir, "docker.tar");
        _cleanup_free_ char *dir = path_in(e.dir, "extracted");
        CHECK(docker_archive(layout_one, "1.0", file, "busybox:test"));
        CHECK(sh("mkdir '%s' && tar -C '%s' -xf '%s' && gzip -k '%s'", dir, dir, file, file));
        const char *paths[] = { dir, NULL };
        _cleanup_free_ char *gz = path_in(e.dir, "docker.tar.gz");
        paths[1] = gz;
        for (size_t k = 0; k < 2; k++) {
                struct img_import_list l = { 0 };
                _cleanup_err_ struct dh_err *err = NULL;
                CHECK_INT(import(&e, paths[k], NULL, &l, &err), 0);
                CHECK_INT(l.n, 1);
                if (l.n == 1) {
                        CHECK(has_name(&l.v[0], "docker.io/library/busybox:test"));
                        check_synthesized(e.st, l.v[0].manifest_digest);
                }
                img_import_list_free(&l);
        }
        env_done(&e);
}

TEST(docker_save_two_images)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *a = path_in(e.dir, "a.tar"), *b = path_in(e.dir, "b.tar");
        _cleanup_free_ char *da = path_in(e.dir, "a"), *db = path_in(e.dir, "b"), *out = path_in(e.dir, "ab.tar");
        CHECK(docker_archive(layout_two, "1.0", a, "example.com/app:1.0"));
        CHECK(docker_archive(layout_two, "2.0", b, "example.com/app:2.0"));
        CHECK(sh("mkdir '%1$s' '%2$s' && tar -C '%1$s' -xf '%3$s' && tar -C '%2$s' -xf '%4$s' && "
                 "jq -s add '%1$s/manifest.json' '%2$s/manifest.json' >'%1$s/m' && mv -f '%1$s/m' '%1$s/manifest.json' && "
                 "cp -n '%2$s'/*.tar '%2$s'/*.json '%1$s/' 2>/dev/null || true; tar -C '%1$s' -cf '%5$s' .",
                 da, db, a, b, out));
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(import(&e, out, "ignored.example/x", &l, &err), 0);
        CHECK_INT(l.n, 2);
        if (l.n == 2) {
                CHECK(has_name(&l.v[0], "example.com/app:1.0"));
                CHECK(has_name(&l.v[1], "example.com/app:2.0"));
                check_synthesized(e.st, l.v[0].manifest_digest);
                check_synthesized(e.st, l.v[1].manifest_digest);
        }
        img_import_list_free(&l);
        env_done(&e);
}

TEST(docker_save_layers_out_of_order_fail_diffid_check)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *file = path_in(e.dir, "docker.tar"), *dir = path_in(e.dir, "d");
        CHECK(docker_archive(layout_one, "1.0", file, "example.com/app:1.0"));
        CHECK(sh("mkdir '%1$s' && tar -C '%1$s' -xf '%2$s' && "
                 "jq -c '.[0].Layers |= reverse' '%1$s/manifest.json' >'%1$s/m' && mv -f '%1$s/m' '%1$s/manifest.json'",
                 dir, file));
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK(import(&e, dir, NULL, &l, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "manifest.json: [0].Layers[0]: digest sha256:");
        CHECK_CONTAINS(err ? err->msg : NULL, "rootfs.diff_ids[0]");
        env_done(&e);
}

/* ---- failures ---- */

/* The hex of layers[i] of the single manifest of layout dir. */
static char *layer_hex(const char *dir, size_t i)
{
        _cleanup_free_ char *md = index_digest(dir, 0);
        if (!md)
                return NULL;
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/blobs/sha256/%s", dir, md + 7) < 0)
                return NULL;
        json_t *j = json_load_file(p, 0, NULL);
        const char *d = json_string_value(json_object_get(json_array_get(json_object_get(j, "layers"), i), "digest"));
        char *s = d ? strdup(d + 7) : NULL;
        json_decref(j);
        return s;
}

TEST(tampered_blob_is_a_digest_mismatch_naming_it)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *copy = path_in(e.dir, "layout");
        CHECK(sh("cp -a '%s' '%s'", layout_one, copy));
        _cleanup_free_ char *hex = layer_hex(copy, 1);
        /* Same size, one byte changed. */
        CHECK(hex && sh("printf X | dd of='%s/blobs/sha256/%s' bs=1 seek=100 conv=notrunc status=none", copy, hex));
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK(import(&e, copy, NULL, &l, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "index.json: manifests[0]: manifest sha256:");
        CHECK_CONTAINS(err ? err->msg : NULL, "layers[1]");
        CHECK_CONTAINS(err ? err->msg : NULL, hex);
        CHECK_CONTAINS(err ? err->msg : NULL, "digest mismatch");
        _cleanup_free_ char *digest = NULL;
        CHECK(hex && asprintf(&digest, "sha256:%s", hex) > 0);
        CHECK(!digest || !img_store_has(e.st, digest));
        env_done(&e);
}

TEST(missing_blob_fails_naming_it)
{
        struct env e;
        if (!env_init(&e))
                return;
        /* The manifest missing is named from index.json. */
        _cleanup_free_ char *copy = path_in(e.dir, "layout"), *nomanifest = path_in(e.dir, "layout2");
        CHECK(sh("cp -a '%s' '%s' && cp -a '%s' '%s'", layout_one, copy, layout_one, nomanifest));
        _cleanup_free_ char *md = index_digest(nomanifest, 0);
        CHECK(md && sh("rm '%s/blobs/sha256/%s'", nomanifest, md + 7));
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK(import(&e, nomanifest, NULL, &l, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "index.json: manifests[0].digest: blobs/sha256/");
        CHECK_CONTAINS(err ? err->msg : NULL, ": missing");
        /* A layer missing is named from its manifest. */
        _cleanup_free_ char *hex = layer_hex(copy, 0);
        CHECK(hex && sh("rm '%s/blobs/sha256/%s'", copy, hex));
        dh_err_clear(&err);
        CHECK(import(&e, copy, NULL, &l, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "layers[0]");
        CHECK_CONTAINS(err ? err->msg : NULL, hex);
        CHECK_CONTAINS(err ? err->msg : NULL, "missing");
        CHECK_INT(err ? err->code : 0, ENOENT);
        env_done(&e);
}

TEST(symlinked_blob_is_refused)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *copy = path_in(e.dir, "layout");
        CHECK(sh("cp -a '%s' '%s'", layout_one, copy));
        _cleanup_free_ char *hex = layer_hex(copy, 0);
        CHECK(hex && sh("cd '%1$s/blobs/sha256' && mv %2$s ../../real && ln -s ../../real %2$s", copy, hex));
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK(import(&e, copy, NULL, &l, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "symlink");
        env_done(&e);
}

static void write_file(const char *dir, const char *name, const char *body)
{
        _cleanup_free_ char *p = path_in(dir, name);
        FILE *f = fopen(p, "we");
        if (!f) {
                TEST_FAIL_("fopen %s", p);
                return;
        }
        fputs(body, f);
        fclose(f);
}

static void expect_error(struct env *e, const char *dir, const char *want)
{
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK(import(e, dir, NULL, &l, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, want);
}

TEST(malformed_index_json)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *dir = path_in(e.dir, "bad");
        CHECK(mkdir(dir, 0700) == 0);
        write_file(dir, "index.json",
                   "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                   "\"digest\":\"sha256:abc\",\"size\":10}]}");
        _cleanup_free_ char *want = NULL;
        CHECK(asprintf(&want, "import %s: index.json: manifests[0].digest: Invalid value: \"sha256:abc\"", dir) > 0);
        expect_error(&e, dir, want);
        write_file(dir, "index.json", "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":5}]}");
        expect_error(&e, dir, "index.json: manifests[0].mediaType: Invalid value: 5");
        write_file(dir, "index.json", "{\"schemaVersion\":2,\"manifests\":[]}");
        expect_error(&e, dir, "index.json: manifests: Required value");
        write_file(dir, "index.json", "{\"schemaVersion\":2,");
        expect_error(&e, dir, "index.json: line 1");
        env_done(&e);
}

TEST(malformed_manifest_json)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *dir = path_in(e.dir, "bad");
        CHECK(mkdir(dir, 0700) == 0);
        write_file(dir, "manifest.json", "[{\"Config\":\"c.json\",\"Layers\":[\"a.tar\",\"b.tar\",5]}]");
        _cleanup_free_ char *want = NULL;
        CHECK(asprintf(&want, "import %s: manifest.json: [0].Layers[2]: Invalid value: 5", dir) > 0);
        expect_error(&e, dir, want);
        write_file(dir, "manifest.json", "[{\"Config\":\"c.json\",\"Layers\":[\"../../etc/passwd\"]}]");
        expect_error(&e, dir, "manifest.json: [0].Layers[0]: Invalid value: \"../../etc/passwd\"");
        write_file(dir, "manifest.json", "[{\"Layers\":[]}]");
        expect_error(&e, dir, "manifest.json: [0].Config: Required value");
        write_file(dir, "manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"UPPER/Case\"]}]");
        expect_error(&e, dir, "manifest.json: [0].RepoTags[0]: Invalid value");
        write_file(dir, "manifest.json", "{}");
        expect_error(&e, dir, "manifest.json: must be a JSON list");
        write_file(dir, "manifest.json", "[{\"Config\":\"c.json\",\"Layers\":[]}]");
        expect_error(&e, dir, "manifest.json: [0].Config: c.json: missing");
        env_done(&e);
}

/* A one-entry ustar archive whose entry is named "../escaped". */
static bool write_hostile_tar(const char *path)
{
        unsigned char h[512] = { 0 };
        memcpy(h, "../escaped", 10);
        snprintf((char *)h + 100, 8, "%07o", 0644);
        snprintf((char *)h + 108, 8, "%07o", 0);
        snprintf((char *)h + 116, 8, "%07o", 0);
        snprintf((char *)h + 124, 12, "%011o", 3);
        snprintf((char *)h + 136, 12, "%011o", 0);
        h[156] = '0';
        memcpy(h + 257, "ustar\0" "00", 8);
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += h[i];
        snprintf((char *)h + 148, 8, "%06o", sum);
        unsigned char data[512] = "hi\n", end[1024] = { 0 };
        FILE *f = fopen(path, "we");
        if (!f)
                return false;
        bool ok = fwrite(h, 1, 512, f) == 512 && fwrite(data, 1, 512, f) == 512 && fwrite(end, 1, 1024, f) == 1024;
        return fclose(f) == 0 && ok;
}

TEST(hostile_archive_entry_is_refused)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *file = path_in(e.dir, "evil.tar");
        CHECK(write_hostile_tar(file));
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK(import(&e, file, NULL, &l, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "extract");
        CHECK_CONTAINS(err ? err->msg : NULL, "..");
        CHECK(access("/tmp/escaped", F_OK) != 0);
        env_done(&e);
}

TEST(not_an_image)
{
        struct env e;
        if (!env_init(&e))
                return;
        _cleanup_free_ char *dir = path_in(e.dir, "empty");
        CHECK(mkdir(dir, 0700) == 0);
        expect_error(&e, dir, "neither an OCI image layout");
        _cleanup_free_ char *gz = path_in(e.dir, "cut.tar.gz");
        CHECK(sh("tar -C '%s' -czf - . 2>/dev/null | head -c 2000 >'%s'", layout_one, gz));
        expect_error(&e, gz, "gzip");
        _cleanup_free_ char *missing = path_in(e.dir, "nope");
        expect_error(&e, missing, "No such file");
        env_done(&e);
}

TEST_MAIN()
