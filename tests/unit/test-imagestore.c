/* Tests for cri/image/store.c: the content-addressed blob store (digest
 * verification, size limits, crash leftovers, concurrent writers). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/image/store.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "test.h"

/* sha256("hello world") and sha256("") */
#define HELLO_HEX "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
#define HELLO "sha256:" HELLO_HEX
#define EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define OTHER "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static int count_entries(const char *root, const char *sub)
{
        char *path = NULL;
        if (asprintf(&path, "%s/%s", root, sub) < 0)
                return -1;
        DIR *d = opendir(path);
        free(path);
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static struct img_store *open_store(const char *root)
{
        struct img_store *s = NULL;
        _cleanup_err_ struct dh_err *e = NULL;
        if (img_store_open(root, &s, &e) < 0)
                TEST_FAIL_("img_store_open: %s", e->msg);
        return s;
}

/* Writes data in two chunks and commits; returns commit's result. */
static int put(struct img_store *s, const char *digest, int64_t size, int64_t max,
               const char *data, char **out, struct dh_err **e)
{
        struct img_writer *w = NULL;
        int r = img_writer_open(s, digest, size, max, &w, e);
        if (r < 0)
                return r;
        size_t len = strlen(data), half = len / 2;
        r = img_writer_write(w, data, half, e);
        if (r == 0)
                r = img_writer_write(w, data + half, len - half, e);
        if (r < 0) {
                img_writer_abort(w);
                return r;
        }
        return img_writer_commit(w, out, e);
}

TEST(commit_with_correct_digest)
{
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        _cleanup_err_ struct dh_err *e = NULL;
        _cleanup_free_ char *d = NULL, *data = NULL;
        CHECK_INT(put(s, HELLO, 11, 1024, "hello world", &d, &e), 0);
        CHECK_STR(d, HELLO);
        CHECK(img_store_has(s, HELLO));
        size_t len = 0;
        CHECK_INT(img_store_read_blob(s, HELLO, 1024, &data, &len, &e), 0);
        CHECK_INT(len, 11);
        CHECK_STR(data, "hello world");
        char *path = NULL;
        CHECK(asprintf(&path, "%s/blobs/sha256/%s", root, HELLO_HEX) > 0);
        struct stat st;
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0444);
        free(path);
        CHECK_INT(count_entries(root, "ingest"), 0);
        img_store_close(s);
        test_rmtree(root);
}

TEST(wrong_digest_keeps_nothing)
{
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        _cleanup_err_ struct dh_err *e = NULL;
        char *d = NULL;
        CHECK(put(s, OTHER, -1, 1024, "hello world", &d, &e) < 0);
        CHECK(d == NULL);
        CHECK(e != NULL);
        if (e)
                CHECK_CONTAINS(e->msg, "digest mismatch: expected " OTHER ", got " HELLO);
        CHECK(!img_store_has(s, OTHER));
        CHECK(!img_store_has(s, HELLO));
        CHECK_INT(count_entries(root, "blobs/sha256"), 0);
        CHECK_INT(count_entries(root, "ingest"), 0);
        img_store_close(s);
        test_rmtree(root);
}

TEST(size_limits)
{
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        struct dh_err *e = NULL;
        char *d = NULL;
        /* Over max_size with no expected size. */
        CHECK(put(s, NULL, -1, 5, "hello world", &d, &e) < 0);
        CHECK(e && e->code == DH_ELIMIT);
        dh_err_clear(&e);
        /* Over the expected size. */
        CHECK(put(s, HELLO, 4, 1024, "hello world", &d, &e) < 0);
        CHECK(e && e->code == DH_ELIMIT);
        if (e)
                CHECK_CONTAINS(e->msg, HELLO);
        dh_err_clear(&e);
        /* Short of the expected size is refused at commit. */
        CHECK(put(s, HELLO, 12, 1024, "hello world", &d, &e) < 0);
        if (e)
                CHECK_CONTAINS(e->msg, "size mismatch");
        dh_err_clear(&e);
        /* An expected size past the maximum is refused up front. */
        struct img_writer *w = NULL;
        CHECK(img_writer_open(s, HELLO, 2048, 1024, &w, &e) < 0);
        CHECK(w == NULL);
        dh_err_clear(&e);
        CHECK(d == NULL);
        CHECK_INT(count_entries(root, "blobs/sha256"), 0);
        CHECK_INT(count_entries(root, "ingest"), 0);
        img_store_close(s);
        test_rmtree(root);
}

TEST(unknown_digest_is_computed)
{
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        _cleanup_err_ struct dh_err *e = NULL;
        _cleanup_free_ char *d = NULL, *d2 = NULL;
        CHECK_INT(put(s, NULL, -1, 1024, "hello world", &d, &e), 0);
        CHECK_STR(d, HELLO);
        CHECK_INT(put(s, NULL, 0, 0, "", &d2, &e), 0);
        CHECK_STR(d2, EMPTY);
        CHECK(img_store_has(s, EMPTY));
        img_store_close(s);
        test_rmtree(root);
}

TEST(has_delete_list)
{
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        struct dh_err *e = NULL;
        char *d = NULL;
        CHECK_INT(put(s, HELLO, 11, 1024, "hello world", &d, &e), 0);
        free(d);
        CHECK_INT(put(s, EMPTY, 0, 1024, "", &d, &e), 0);
        free(d);
        char **v = NULL;
        size_t n = 0;
        CHECK_INT(img_store_list(s, &v, &n, &e), 0);
        CHECK_INT(n, 2);
        if (n == 2) {
                CHECK_STR(v[0], HELLO);
                CHECK_STR(v[1], EMPTY);
        }
        img_digests_free(v, n);
        CHECK_INT(img_store_delete(s, HELLO, &e), 0);
        CHECK(!img_store_has(s, HELLO));
        CHECK(img_store_delete(s, HELLO, &e) == -ENOENT);
        if (e)
                CHECK_CONTAINS(e->msg, HELLO);
        dh_err_clear(&e);
        CHECK_INT(img_store_list(s, &v, &n, &e), 0);
        CHECK_INT(n, 1);
        if (n == 1)
                CHECK_STR(v[0], EMPTY);
        img_digests_free(v, n);
        img_store_close(s);
        test_rmtree(root);
}

TEST(invalid_digests_refused)
{
        static const char *const bad[] = {
                "sha256:../../x",
                "sha256:B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9",
                "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde",
                "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9a",
                "md5:5eb63bbbe01eeed093cb22bb8f5acdc3",
                "sha512:" HELLO_HEX,
                HELLO_HEX,
                "",
                "sha256:",
                "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcd/9",
        };
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        CHECK(img_digest_valid(HELLO));
        CHECK(!img_digest_valid(NULL));
        for (size_t i = 0; i < DH_ARRAY_SIZE(bad); i++) {
                struct dh_err *e = NULL;
                struct img_writer *w = NULL;
                int fd = -1;
                if (img_digest_valid(bad[i]))
                        TEST_FAIL_("accepted \"%s\"", bad[i]);
                CHECK(!img_store_has(s, bad[i]));
                CHECK(img_writer_open(s, bad[i], -1, 1024, &w, &e) < 0 && !w);
                dh_err_clear(&e);
                CHECK(img_store_open_blob(s, bad[i], &fd, &e) < 0 && fd == -1);
                dh_err_clear(&e);
                CHECK(img_store_delete(s, bad[i], &e) == -DH_EINVAL_INPUT);
                dh_err_clear(&e);
        }
        img_store_close(s);
        test_rmtree(root);
}

TEST(stale_ingest_removed_on_open)
{
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        _cleanup_err_ struct dh_err *e = NULL;
        /* A writer that is live must survive another open's cleanup. */
        struct img_writer *live = NULL;
        CHECK_INT(img_writer_open(s, NULL, -1, 1024, &live, &e), 0);
        CHECK_INT(img_writer_write(live, "hello ", 6, &e), 0);
        /* The crash: a half-written file nobody holds. */
        char *path = NULL;
        CHECK(asprintf(&path, "%s/ingest/deadbeef", root) > 0);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        CHECK_INT(write(fd, "hal", 3), 3);
        close(fd);
        free(path);
        CHECK_INT(count_entries(root, "ingest"), 2);
        struct img_store *s2 = open_store(root);
        CHECK_INT(count_entries(root, "ingest"), 1);
        img_store_close(s2);
        _cleanup_free_ char *d = NULL;
        CHECK_INT(img_writer_write(live, "world", 5, &e), 0);
        CHECK_INT(img_writer_commit(live, &d, &e), 0);
        CHECK_STR(d, HELLO);
        CHECK_INT(count_entries(root, "ingest"), 0);
        img_store_close(s);
        test_rmtree(root);
}

TEST(concurrent_writers_same_blob)
{
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        _cleanup_err_ struct dh_err *e = NULL;
        struct img_writer *a = NULL, *b = NULL;
        CHECK_INT(img_writer_open(s, HELLO, 11, 1024, &a, &e), 0);
        CHECK_INT(img_writer_open(s, HELLO, 11, 1024, &b, &e), 0);
        CHECK_INT(img_writer_write(a, "hello ", 6, &e), 0);
        CHECK_INT(img_writer_write(b, "hello world", 11, &e), 0);
        CHECK_INT(img_writer_write(a, "world", 5, &e), 0);
        _cleanup_free_ char *da = NULL, *db = NULL;
        CHECK_INT(img_writer_commit(b, &db, &e), 0);
        CHECK_INT(img_writer_commit(a, &da, &e), 0);
        CHECK_STR(da, HELLO);
        CHECK_STR(db, HELLO);
        CHECK_INT(count_entries(root, "blobs/sha256"), 1);
        CHECK_INT(count_entries(root, "ingest"), 0);
        img_store_close(s);
        test_rmtree(root);
}

/* The same in separate processes, each with its own store handle, racing
 * to commit; both must report success and one blob must remain. */
TEST(concurrent_processes_same_blob)
{
        char *root = test_mkdtemp("imagestore");
        pid_t pids[4];
        for (size_t i = 0; i < DH_ARRAY_SIZE(pids); i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        struct img_store *s = NULL;
                        struct dh_err *e = NULL;
                        char *d = NULL;
                        int ok = img_store_open(root, &s, &e) == 0 &&
                                 put(s, HELLO, 11, 1024, "hello world", &d, &e) == 0 &&
                                 strcmp(d, HELLO) == 0;
                        _exit(ok ? 0 : 1);
                }
                CHECK(pids[i] > 0);
        }
        for (size_t i = 0; i < DH_ARRAY_SIZE(pids); i++) {
                int status = 0;
                if (pids[i] > 0) {
                        CHECK(waitpid(pids[i], &status, 0) == pids[i]);
                        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                }
        }
        CHECK_INT(count_entries(root, "blobs/sha256"), 1);
        CHECK_INT(count_entries(root, "ingest"), 0);
        test_rmtree(root);
}

TEST(open_blob_refuses_symlink_and_abort_cleans)
{
        char *root = test_mkdtemp("imagestore");
        struct img_store *s = open_store(root);
        struct dh_err *e = NULL;
        char *path = NULL;
        CHECK(asprintf(&path, "%s/blobs/sha256/%s", root, HELLO_HEX) > 0);
        CHECK_INT(symlink("/etc/passwd", path), 0);
        free(path);
        int fd = -1;
        CHECK(img_store_open_blob(s, HELLO, &fd, &e) < 0);
        CHECK(fd == -1);
        if (e)
                CHECK_CONTAINS(e->msg, HELLO);
        dh_err_clear(&e);
        CHECK(!img_store_has(s, HELLO));
        /* A commit must not take the planted link for the blob. */
        char *d = NULL;
        CHECK(put(s, HELLO, 11, 1024, "hello world", &d, &e) < 0);
        CHECK(d == NULL);
        dh_err_clear(&e);
        struct img_writer *w = NULL;
        CHECK_INT(img_writer_open(s, NULL, -1, 10, &w, &e), 0);
        CHECK_INT(img_writer_write(w, "abc", 3, &e), 0);
        CHECK_INT(count_entries(root, "ingest"), 1);
        img_writer_abort(w);
        CHECK_INT(count_entries(root, "ingest"), 0);
        img_store_close(s);
        test_rmtree(root);
}

TEST_MAIN()
