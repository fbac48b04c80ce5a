/* Tests for the image service without a registry: images come in through
 * imports of layouts built by scripts/build-test-image, then are looked up,
 * retagged, resolved to a rootfs, removed and pruned; the records file and
 * crash leftovers are checked on disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/image/images-internal.h"
#include "cri/image/import.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "test.h"

static char *fixtures; /* a layout with tags 1.0 and 2.0 (different configs) */

__attribute__((destructor)) static void fixtures_cleanup(void)
{
        test_rmtree(fixtures);
}

static char *layout(void)
{
        static char path[512];
        if (fixtures)
                return path;
        fixtures = test_mkdtemp("imgsvc-fixtures");
        snprintf(path, sizeof path, "%s/oci", fixtures);
        const char *a[] = { "scripts/build-test-image", path, "--tag", "1.0", "--env", "V=1", NULL };
        const char *b[] = { "scripts/build-test-image", path, "--tag", "2.0", "--env", "V=2", NULL };
        if (!test_spawn(a) || !test_spawn(b)) {
                TEST_FAIL_("%s", "scripts/build-test-image failed (run from the source tree)");
                return NULL;
        }
        return path;
}

struct env {
        char *dir, root[512];
        struct img_service *s;
        char *id1, *id2;
};

static bool env_open(struct env *e)
{
        struct img_service_config cfg = { .root = e->root };
        _cleanup_err_ struct dh_err *err = NULL;
        if (img_service_open(&cfg, NULL, &e->s, &err) < 0) {
                TEST_FAIL_("img_service_open: %s", err->msg);
                return false;
        }
        return true;
}

/* Imports the fixture layout as example.test/app:{1.0,2.0}. */
static bool env_init(struct env *e)
{
        memset(e, 0, sizeof *e);
        const char *lay = layout();
        if (!lay)
                return false;
        e->dir = test_mkdtemp("imgsvc");
        snprintf(e->root, sizeof e->root, "%s/images", e->dir);
        if (!env_open(e))
                return false;
        struct img_import_list l = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        if (img_import_path(img_service_store(e->s), lay, "example.test/app", &l, &err) < 0 || l.n != 2) {
                TEST_FAIL_("import: %s", err ? err->msg : "not two images");
                img_import_list_free(&l);
                return false;
        }
        for (size_t i = 0; i < l.n; i++) {
                char *id = NULL;
                if (img_service_add_from_store(e->s, l.v[i].manifest_digest, &l.v[i].names, &id, &err) < 0) {
                        TEST_FAIL_("add: %s", err->msg);
                        break;
                }
                bool first = l.v[i].names.n && strstr(l.v[i].names.v[0], ":1.0");
                if (first)
                        e->id1 = id;
                else
                        e->id2 = id;
        }
        img_import_list_free(&l);
        return e->id1 && e->id2;
}

static void env_fini(struct env *e)
{
        img_service_close(e->s);
        free(e->id1);
        free(e->id2);
        test_rmtree(e->dir);
}

static char *status_id(struct env *e, const char *ref, int *rc)
{
        struct img_record r = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        *rc = img_service_status(e->s, ref, &r, &err);
        char *id = *rc == 0 ? strdup(r.id) : NULL;
        img_record_free(&r);
        return id;
}

#define CHECK_FINDS(e, ref, want)                                              \
        do {                                                                   \
                int rc_;                                                       \
                char *id_ = status_id(e, ref, &rc_);                           \
                if (rc_ != 0 || !id_ || strcmp(id_, want) != 0)                \
                        TEST_FAIL_("%s -> %s (rc %d), want %s", ref,           \
                                   id_ ? id_ : "(none)", rc_, want);           \
                free(id_);                                                     \
        } while (0)

TEST(lookups_by_tag_id_prefix_and_repo_digest)
{
        struct env e;
        if (!env_init(&e))
                goto out;
        CHECK(strcmp(e.id1, e.id2) != 0);
        CHECK_FINDS(&e, "example.test/app:1.0", e.id1);
        CHECK_FINDS(&e, "example.test/app:2.0", e.id2);
        CHECK_FINDS(&e, e.id1, e.id1);
        char prefix[20];
        snprintf(prefix, sizeof prefix, "%.12s", e.id2 + 7);
        CHECK_FINDS(&e, prefix, e.id2);
        struct img_record r = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(img_service_status(e.s, e.id1, &r, &err), 0);
        CHECK_INT(r.repo_digests.n, 1);
        if (r.repo_digests.n == 1)
                CHECK_FINDS(&e, r.repo_digests.v[0], e.id1);
        CHECK_INT(r.layers.n, 2);
        CHECK(r.size > 1000000); /* busybox is in there */
        img_record_free(&r);
        int rc;
        char *none = status_id(&e, "example.test/app:3.0", &rc);
        CHECK(none == NULL);
        CHECK_INT(rc, -ENOENT);
out:
        env_fini(&e);
}

TEST(a_tag_moves_to_the_image_that_takes_it)
{
        struct env e;
        if (!env_init(&e))
                goto out;
        struct img_record r2 = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(img_service_status(e.s, e.id2, &r2, &err), 0);
        char tag[] = "example.test/app:1.0";
        char *names_v[] = { tag };
        struct dh_strv names = { names_v, 1 };
        CHECK_INT(img_service_add_from_store(e.s, r2.manifest_digest, &names, NULL, &err), 0);
        CHECK_FINDS(&e, "example.test/app:1.0", e.id2);
        struct img_record r1 = { 0 };
        CHECK_INT(img_service_status(e.s, e.id1, &r1, &err), 0);
        CHECK_INT(r1.repo_tags.n, 0); /* still there, untagged */
        img_record_free(&r1);
        img_record_free(&r2);
out:
        env_fini(&e);
}

TEST(rootfs_lists_layers_uppermost_first_with_the_config)
{
        struct env e;
        if (!env_init(&e))
                goto out;
        struct img_rootfs fs = { 0 };
        struct img_record r = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(img_service_rootfs(e.s, "example.test/app:2.0", &fs, &err), 0);
        CHECK_INT(img_service_status(e.s, e.id2, &r, &err), 0);
        CHECK_INT(fs.lower_dirs.n, 2);
        if (fs.lower_dirs.n == 2 && r.layers.n == 2) {
                CHECK(strstr(fs.lower_dirs.v[0], r.layers.v[1].diff_id + 7) != NULL);
                CHECK(strstr(fs.lower_dirs.v[1], r.layers.v[0].diff_id + 7) != NULL);
                char path[1024];
                snprintf(path, sizeof path, "%s/bin/busybox", fs.lower_dirs.v[1]);
                CHECK(access(path, X_OK) == 0);
        }
        bool v2 = false;
        for (size_t i = 0; i < fs.config.env.n; i++)
                v2 |= strcmp(fs.config.env.v[i], "V=2") == 0;
        CHECK(v2);
        CHECK(strcmp(fs.image_id, e.id2) == 0);
        img_record_free(&r);
        img_rootfs_free(&fs);
out:
        env_fini(&e);
}

static size_t count_entries(const char *dir)
{
        size_t n = 0;
        DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

TEST(remove_keeps_shared_layers_and_prune_empties_the_store)
{
        struct env e;
        if (!env_init(&e))
                goto out;
        char layers[600], blobs[600];
        snprintf(layers, sizeof layers, "%s/layers", e.root);
        snprintf(blobs, sizeof blobs, "%s/blobs/sha256", e.root);
        /* base layer shared, top layers differ: 3 layers; 2 manifests, 2 configs, 1 index */
        CHECK_INT(count_entries(layers), 3);
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(img_service_remove(e.s, "example.test/app:2.0", &err), 0);
        CHECK_INT(count_entries(layers), 2);
        int rc;
        char *gone = status_id(&e, e.id2, &rc);
        CHECK(!gone);
        free(gone);
        CHECK_FINDS(&e, "example.test/app:1.0", e.id1);
        struct img_rootfs fs = { 0 };
        CHECK_INT(img_service_rootfs(e.s, e.id1, &fs, &err), 0); /* still whole */
        img_rootfs_free(&fs);
        CHECK_INT(img_service_remove(e.s, "example.test/app:2.0", &err), -ENOENT);
        dh_err_free(TAKE_PTR(err));
        CHECK_INT(img_service_remove(e.s, e.id1, &err), 0);
        CHECK_INT(count_entries(layers), 0);
        CHECK_INT(count_entries(blobs), 0); /* manifests and configs went too */
        /* A blob no record names (as a crash between download and record
         * leaves) goes with prune. */
        struct img_writer *w = NULL;
        char *d = NULL;
        CHECK_INT(img_writer_open(img_service_store(e.s), NULL, -1, 100, &w, &err), 0);
        CHECK_INT(img_writer_write(w, "orphan data", 11, &err), 0);
        CHECK_INT(img_writer_commit(w, &d, &err), 0);
        free(d);
        CHECK_INT(count_entries(blobs), 1);
        int64_t freed = -1;
        CHECK_INT(img_service_prune(e.s, &freed, &err), 0);
        CHECK_INT(count_entries(blobs), 0);
        CHECK(freed >= 11); /* bytes on disk: at least its content */
out:
        env_fini(&e);
}

TEST(a_corrupt_records_file_is_an_error_naming_it)
{
        struct env e;
        if (!env_init(&e))
                goto out;
        char path[600];
        snprintf(path, sizeof path, "%s/images.json", e.root);
        _cleanup_err_ struct dh_err *err = NULL;
        CHECK_INT(dh_write_file_atomic_path(path, "{\"images\": [", 12, 0600, &err), 0);
        struct img_record_list l = { 0 };
        CHECK(img_service_list(e.s, &l, &err) < 0);
        CHECK(err && strstr(err->msg, "images.json"));
out:
        env_fini(&e);
}

TEST(reopening_removes_crash_leftovers)
{
        struct env e;
        if (!env_init(&e))
                goto out;
        img_service_close(e.s);
        e.s = NULL;
        char p[700];
        snprintf(p, sizeof p, "%s/layers/.tmp-crashed", e.root);
        CHECK_INT(mkdir(p, 0700), 0);
        snprintf(p, sizeof p, "%s/ingest/crashed-download", e.root);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        if (fd >= 0)
                close(fd);
        if (!env_open(&e))
                goto out;
        snprintf(p, sizeof p, "%s/layers/.tmp-crashed", e.root);
        CHECK(access(p, F_OK) != 0);
        snprintf(p, sizeof p, "%s/ingest", e.root);
        CHECK_INT(count_entries(p), 0);
        CHECK_FINDS(&e, "example.test/app:1.0", e.id1); /* the records are intact */
out:
        env_fini(&e);
}

TEST(pulls_need_a_loop)
{
        struct env e;
        memset(&e, 0, sizeof e);
        e.dir = test_mkdtemp("imgsvc");
        snprintf(e.root, sizeof e.root, "%s/images", e.dir);
        if (env_open(&e)) {
                _cleanup_err_ struct dh_err *err = NULL;
                CHECK(img_service_pull(e.s, "busybox", NULL, NULL, NULL, &err) < 0);
                CHECK(err && strstr(err->msg, "cannot pull"));
        }
        env_fini(&e);
}

TEST_MAIN()
