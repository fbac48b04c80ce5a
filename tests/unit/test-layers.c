/* Tests for cri/image/extract.c and cri/image/layers.c: layer blobs (plain,
 * gzip, zstd) are built here from in-memory tars with zlib and libzstd, and
 * their diffIDs checked against OpenSSL's sha256 of the tar. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "cri/image/layers.h"
#include "cri/image/store.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "test.h"

#include "tarbuild.h"

/* ---- blobs ---- */

struct blob {
        unsigned char *d;
        size_t len;
};

static void blob_add(struct blob *b, const void *p, size_t n)
{
        b->d = realloc(b->d, b->len + n + 1);
        if (!b->d)
                abort();
        memcpy(b->d + b->len, p, n);
        b->len += n;
}

/* Appends one gzip member holding p[0..n). */
static void gz_member(struct blob *b, const void *p, size_t n)
{
        z_stream z = { 0 };
        if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                abort();
        size_t cap = deflateBound(&z, (uLong)n);
        unsigned char *out = malloc(cap);
        z.next_in = (unsigned char *)p;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (!out || deflate(&z, Z_FINISH) != Z_STREAM_END)
                abort();
        blob_add(b, out, cap - z.avail_out);
        deflateEnd(&z);
        free(out);
}

/* Appends one zstd frame holding p[0..n). */
static void zst_frame(struct blob *b, const void *p, size_t n)
{
        size_t cap = ZSTD_compressBound(n);
        unsigned char *out = malloc(cap);
        size_t k = out ? ZSTD_compress(out, cap, p, n, 3) : 0;
        if (!out || ZSTD_isError(k))
                abort();
        blob_add(b, out, k);
        free(out);
}

static struct blob make_blob(enum img_compression c, const void *p, size_t n)
{
        struct blob b = { 0 };
        if (c == IMG_COMPRESS_GZIP)
                gz_member(&b, p, n);
        else if (c == IMG_COMPRESS_ZSTD)
                zst_frame(&b, p, n);
        else
                blob_add(&b, p, n);
        return b;
}

static int blob_fd(const struct blob *b)
{
        struct tb t = { b->d, b->len, b->len };
        return tb_fd(&t);
}

static char *sha256_id(const void *p, size_t n)
{
        unsigned char md[32];
        unsigned int len = 0;
        if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
                abort();
        char *s = malloc(7 + 64 + 1);
        if (!s)
                abort();
        memcpy(s, "sha256:", 7);
        for (int i = 0; i < 32; i++)
                snprintf(s + 7 + 2 * i, 3, "%02x", md[i]);
        return s;
}

/* A small layer: a directory, files (one of 100 KiB), a symlink, a hard link. */
static struct tb sample_tar(void)
{
        struct tb t = { 0 };
        tb_hdr(&t, "etc/", 0755, 0, '5', NULL);
        tb_file(&t, "etc/hostname", 0644, "layer\n");
        size_t big = 100 * 1024;
        char *data = malloc(big + 1);
        if (!data)
                abort();
        for (size_t i = 0; i < big; i++)
                data[i] = (char)('a' + i % 26);
        data[big] = '\0';
        tb_file(&t, "big", 0600, data);
        free(data);
        tb_hdr(&t, "link", 0777, 0, '2', "etc/hostname");
        tb_hdr(&t, "hard", 0644, 0, '1', "etc/hostname");
        tb_end(&t);
        return t;
}

static bool has_content(int dfd, const char *p, const char *want)
{
        char buf[64] = { 0 };
        int fd = openat(dfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        return n >= 0 && strcmp(buf, want) == 0;
}

/* ---- fixture: a temp dir, with dest/ to extract into ---- */

struct fx {
        char *tmp;
        int tfd, dest;
};

static void fx_init(struct fx *f)
{
        f->tmp = test_mkdtemp("layers");
        f->tfd = f->tmp ? open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (f->tfd < 0 || mkdirat(f->tfd, "dest", 0755) < 0)
                abort();
        f->dest = openat(f->tfd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f->dest < 0)
                abort();
}

static void fx_done(struct fx *f)
{
        close(f->dest);
        close(f->tfd);
        test_rmtree(f->tmp);
}

static int extract_blob(struct fx *f, enum img_compression c, const struct blob *b,
                        const struct img_unpack_limits *lim, char **id, struct dh_err **err)
{
        _cleanup_close_ int fd = blob_fd(b);
        return img_layer_extract(fd, c, f->dest, lim, NULL, id, err);
}

/* ---- img_layer_extract ---- */

TEST(extract_plain_gzip_zstd)
{
        struct tb t = sample_tar();
        _cleanup_free_ char *want = sha256_id(t.d, t.len);
        for (int c = IMG_COMPRESS_NONE; c <= IMG_COMPRESS_ZSTD; c++) {
                struct fx f;
                fx_init(&f);
                struct blob b = make_blob(c, t.d, t.len);
                _cleanup_free_ char *id = NULL;
                struct img_unpack_stats st = { 0 };
                struct dh_err *e = NULL;
                _cleanup_close_ int fd = blob_fd(&b);
                CHECK_INT(img_layer_extract(fd, c, f.dest, NULL, &st, &id, &e), 0);
                CHECK(e == NULL);
                CHECK_STR(id, want);
                CHECK_INT(st.entries, 5);
                CHECK_INT(st.bytes, 6 + 100 * 1024);
                CHECK(has_content(f.dest, "etc/hostname", "layer\n"));
                CHECK(has_content(f.dest, "hard", "layer\n"));
                dh_err_free(e);
                free(b.d);
                fx_done(&f);
        }
        free(t.d);
}

TEST(trailing_data_is_hashed)
{
        struct tb t = sample_tar();
        tb_put(&t, "trailing bytes after the end-of-archive blocks", 46);
        _cleanup_free_ char *want = sha256_id(t.d, t.len);
        for (int c = IMG_COMPRESS_NONE; c <= IMG_COMPRESS_ZSTD; c++) {
                struct fx f;
                fx_init(&f);
                struct blob b = make_blob(c, t.d, t.len);
                _cleanup_free_ char *id = NULL;
                struct dh_err *e = NULL;
                CHECK_INT(extract_blob(&f, c, &b, NULL, &id, &e), 0);
                CHECK_STR(id, want);
                dh_err_free(e);
                free(b.d);
                fx_done(&f);
        }
        free(t.d);
}

/* pigz and some registries write several gzip members; Go's reader (and so
 * containerd and Docker) reads them as one stream. zstd frames likewise. */
TEST(concatenated_members_and_frames)
{
        struct tb t = sample_tar();
        _cleanup_free_ char *want = sha256_id(t.d, t.len);
        size_t cut1 = 777, cut2 = t.len / 2 + 3;
        for (int c = IMG_COMPRESS_GZIP; c <= IMG_COMPRESS_ZSTD; c++) {
                struct blob b = { 0 };
                void (*add)(struct blob *, const void *, size_t) =
                        c == IMG_COMPRESS_GZIP ? gz_member : zst_frame;
                add(&b, t.d, cut1);
                add(&b, "", 0); /* an empty member in the middle */
                add(&b, t.d + cut1, cut2 - cut1);
                add(&b, t.d + cut2, t.len - cut2);
                struct fx f;
                fx_init(&f);
                _cleanup_free_ char *id = NULL;
                struct dh_err *e = NULL;
                CHECK_INT(extract_blob(&f, c, &b, NULL, &id, &e), 0);
                CHECK_STR(id, want);
                CHECK(has_content(f.dest, "etc/hostname", "layer\n"));
                if (e)
                        fprintf(stderr, "  %s\n", e->msg);
                dh_err_free(e);
                free(b.d);
                fx_done(&f);
        }
        free(t.d);
}

static void expect_corrupt(enum img_compression c, const struct blob *b, const char *want)
{
        struct fx f;
        fx_init(&f);
        char *id = NULL;
        struct dh_err *e = NULL;
        CHECK(extract_blob(&f, c, b, NULL, &id, &e) < 0);
        CHECK(id == NULL);
        CHECK(e && e->code == DH_EINVAL_INPUT);
        if (e)
                CHECK_CONTAINS(e->msg, want);
        dh_err_free(e);
        fx_done(&f);
}

TEST(corrupt_gzip)
{
        struct tb t = sample_tar();
        struct blob b = make_blob(IMG_COMPRESS_GZIP, t.d, t.len);
        b.d[b.len / 2] ^= 0x55; /* inside the deflate data (or its checksum) */
        expect_corrupt(IMG_COMPRESS_GZIP, &b, "gzip: ");
        b.d[b.len / 2] ^= 0x55;
        b.d[b.len - 5] ^= 1; /* crc32 trailer */
        expect_corrupt(IMG_COMPRESS_GZIP, &b, "gzip: incorrect data check");
        b.d[b.len - 5] ^= 1;
        size_t len = b.len;
        b.len = len - 20; /* truncated */
        expect_corrupt(IMG_COMPRESS_GZIP, &b, "gzip: unexpected end of data");
        b.len = len;
        blob_add(&b, "junk after the member", 21); /* Go refuses this too */
        expect_corrupt(IMG_COMPRESS_GZIP, &b, "gzip: incorrect header check");
        b.len = len;
        b.d[0] = 0; /* not gzip at all */
        expect_corrupt(IMG_COMPRESS_GZIP, &b, "gzip: incorrect header check");
        free(b.d);
        free(t.d);
}

TEST(corrupt_zstd)
{
        struct tb t = sample_tar();
        struct blob b = make_blob(IMG_COMPRESS_ZSTD, t.d, t.len);
        b.d[0] ^= 0xff; /* magic number */
        expect_corrupt(IMG_COMPRESS_ZSTD, &b, "zstd: ");
        b.d[0] ^= 0xff;
        size_t len = b.len;
        b.len = len - 10;
        expect_corrupt(IMG_COMPRESS_ZSTD, &b, "zstd: unexpected end of data");
        b.len = len;
        blob_add(&b, "junk after the frame", 20);
        expect_corrupt(IMG_COMPRESS_ZSTD, &b, "zstd: ");
        free(b.d);
        free(t.d);
}

/* 1 GiB of zeros after a tiny tar, as 1024 members/frames of 1 MiB each
 * (a few hundred KiB of blob). The limit stops it: the blob is not read
 * much past the point where the uncompressed stream crosses 1 MiB. */
TEST(decompression_bomb_stops_at_limit)
{
        struct tb t = { 0 };
        tb_file(&t, "f", 0644, "x");
        tb_end(&t);
        size_t mib = 1 << 20;
        unsigned char *zeros = calloc(1, mib);
        if (!zeros)
                abort();
        struct img_unpack_limits lim;
        img_unpack_limits_default(&lim);
        lim.max_total_bytes = 4 * mib;
        for (int c = IMG_COMPRESS_GZIP; c <= IMG_COMPRESS_ZSTD; c++) {
                struct blob one = make_blob(c, zeros, mib);
                struct blob b = make_blob(c, t.d, t.len);
                for (int i = 0; i < 1024; i++)
                        blob_add(&b, one.d, one.len);
                struct fx f;
                fx_init(&f);
                _cleanup_close_ int fd = blob_fd(&b);
                char *id = NULL;
                struct dh_err *e = NULL;
                CHECK(img_layer_extract(fd, c, f.dest, &lim, NULL, &id, &e) < 0);
                CHECK(id == NULL);
                CHECK(e && e->code == DH_ELIMIT);
                if (e)
                        CHECK_CONTAINS(e->msg, "max_total_bytes");
                off_t pos = lseek(fd, 0, SEEK_CUR);
                CHECK(pos > 0 && (size_t)pos < 16 * one.len + 256 * 1024);
                dh_err_free(e);
                free(one.d);
                free(b.d);
                fx_done(&f);
        }
        free(zeros);
        free(t.d);
}

TEST(unknown_compression_refused)
{
        struct tb t = sample_tar();
        struct blob b = make_blob(IMG_COMPRESS_NONE, t.d, t.len);
        struct fx f;
        fx_init(&f);
        char *id = NULL;
        struct dh_err *e = NULL;
        CHECK(extract_blob(&f, (enum img_compression)7, &b, NULL, &id, &e) < 0);
        CHECK(e && e->code == DH_EINVAL_INPUT);
        dh_err_free(e);
        fx_done(&f);
        free(b.d);
        free(t.d);
}

/* ---- the store ---- */

static int count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        closedir(d);
        return n;
}

struct sfx {
        char *tmp;
        char dir[512];
        struct img_layers *ls;
};

static void sfx_init(struct sfx *s)
{
        s->tmp = test_mkdtemp("layerstore");
        if (!s->tmp)
                abort();
        snprintf(s->dir, sizeof s->dir, "%s/layers", s->tmp);
        struct dh_err *e = NULL;
        if (img_layers_open(s->dir, &s->ls, &e) < 0)
                abort();
}

static void sfx_done(struct sfx *s)
{
        img_layers_close(s->ls);
        test_rmtree(s->tmp);
}

static int add_blob(struct sfx *s, enum img_compression c, const struct blob *b, const char *id,
                    int64_t *size, struct dh_err **err)
{
        _cleanup_close_ int fd = blob_fd(b);
        return img_layers_add(s->ls, fd, c, id, NULL, size, err);
}

TEST(store_add_list_size_remove)
{
        struct sfx s;
        sfx_init(&s);
        struct tb t = sample_tar();
        _cleanup_free_ char *id = sha256_id(t.d, t.len);
        struct blob b = make_blob(IMG_COMPRESS_ZSTD, t.d, t.len);
        struct dh_err *e = NULL;
        int64_t size = -1, recorded = -1;
        CHECK(!img_layers_has(s.ls, id));
        CHECK_INT(add_blob(&s, IMG_COMPRESS_ZSTD, &b, id, &size, &e), 0);
        CHECK(e == NULL);
        CHECK(img_layers_has(s.ls, id));
        CHECK(size >= 100 * 1024 && size < 1024 * 1024);
        CHECK_INT(img_layers_size(s.ls, id, &recorded, &e), 0);
        CHECK_INT(recorded, size);

        _cleanup_free_ char *diff = img_layers_diff_path(s.ls, id);
        char want[PATH_MAX + 100];
        snprintf(want, sizeof want, "%s/%s/diff", s.dir, id + 7);
        CHECK_STR(diff, want);
        int dfd = diff ? open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        CHECK(dfd >= 0 && has_content(dfd, "etc/hostname", "layer\n"));
        if (dfd >= 0)
                close(dfd);
        /* Layers hold setuid binaries: only root may look inside. */
        struct stat st;
        snprintf(want, sizeof want, "%s/%s", s.dir, id + 7);
        CHECK(stat(want, &st) == 0 && (st.st_mode & 07777) == 0700);
        CHECK(stat(s.dir, &st) == 0 && (st.st_mode & 077) == 0);

        /* Present: a no-op that does not even read the blob. */
        size = -1;
        CHECK_INT(img_layers_add(s.ls, -1, IMG_COMPRESS_ZSTD, id, NULL, &size, &e), 0);
        CHECK_INT(size, recorded);

        struct tb t2 = { 0 };
        tb_file(&t2, "second", 0644, "2");
        tb_end(&t2);
        _cleanup_free_ char *id2 = sha256_id(t2.d, t2.len);
        struct blob b2 = make_blob(IMG_COMPRESS_GZIP, t2.d, t2.len);
        CHECK_INT(add_blob(&s, IMG_COMPRESS_GZIP, &b2, id2, NULL, &e), 0);

        char **ids = NULL;
        size_t n = 0;
        CHECK_INT(img_layers_list(s.ls, &ids, &n, &e), 0);
        CHECK_INT(n, 2);
        if (n == 2) {
                bool first = strcmp(id, id2) < 0;
                CHECK_STR(ids[0], first ? id : id2);
                CHECK_STR(ids[1], first ? id2 : id);
        }
        img_digests_free(ids, n);

        CHECK_INT(img_layers_remove(s.ls, id, &e), 0);
        CHECK(!img_layers_has(s.ls, id));
        CHECK_INT(img_layers_remove(s.ls, id, &e), -ENOENT);
        dh_err_clear(&e);
        CHECK_INT(img_layers_size(s.ls, id, &size, &e), -ENOENT);
        dh_err_clear(&e);
        CHECK_INT(img_layers_list(s.ls, &ids, &n, &e), 0);
        CHECK_INT(n, 1);
        if (n == 1)
                CHECK_STR(ids[0], id2);
        img_digests_free(ids, n);
        CHECK_INT(count_entries(s.dir), 1); /* no .tmp- or .del- left */
        dh_err_free(e);
        free(b.d);
        free(b2.d);
        free(t.d);
        free(t2.d);
        sfx_done(&s);
}

TEST(store_mismatch_and_failure_keep_nothing)
{
        struct sfx s;
        sfx_init(&s);
        struct tb t = sample_tar();
        const char *wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        _cleanup_free_ char *right = sha256_id(t.d, t.len);
        struct blob b = make_blob(IMG_COMPRESS_GZIP, t.d, t.len);
        struct dh_err *e = NULL;
        int64_t size = 42;
        CHECK_INT(add_blob(&s, IMG_COMPRESS_GZIP, &b, wrong, &size, &e), -DH_EINVAL_INPUT);
        if (e) {
                char want[300];
                snprintf(want, sizeof want, "layer diffID mismatch: expected %s, got %s", wrong,
                         right);
                CHECK_CONTAINS(e->msg, want);
        }
        dh_err_clear(&e);
        CHECK_INT(size, 42);
        CHECK(!img_layers_has(s.ls, wrong));
        CHECK_INT(count_entries(s.dir), 0);

        b.d[b.len / 2] ^= 0x55;
        CHECK(add_blob(&s, IMG_COMPRESS_GZIP, &b, right, NULL, &e) < 0);
        CHECK(e && e->code == DH_EINVAL_INPUT);
        dh_err_clear(&e);
        CHECK_INT(count_entries(s.dir), 0);

        /* A non-empty directory under the diffID name that is not a layer
         * (no diff/) is not mistaken for a winner of an add race. */
        b.d[b.len / 2] ^= 0x55;
        char junk[PATH_MAX + 200];
        snprintf(junk, sizeof junk, "%s/%s", s.dir, right + 7);
        CHECK(mkdir(junk, 0700) == 0);
        snprintf(junk, sizeof junk, "%s/%s/junk", s.dir, right + 7);
        CHECK(mkdir(junk, 0700) == 0);
        CHECK_INT(add_blob(&s, IMG_COMPRESS_GZIP, &b, right, NULL, &e), -EEXIST);
        if (e)
                CHECK_CONTAINS(e->msg, "exists but is not a layer");
        dh_err_clear(&e);
        CHECK(!img_layers_has(s.ls, right));
        CHECK_INT(count_entries(s.dir), 1); /* the junk only: our copy was dropped */

        CHECK_INT(add_blob(&s, IMG_COMPRESS_GZIP, &b, "sha256:nothex", NULL, &e),
                  -DH_EINVAL_INPUT);
        dh_err_clear(&e);
        CHECK(img_layers_diff_path(s.ls, "sha256:../../etc") == NULL);
        CHECK(!img_layers_has(s.ls, "sha256:"));
        CHECK_INT(img_layers_remove(s.ls, "../x", &e), -DH_EINVAL_INPUT);
        dh_err_free(e);
        free(b.d);
        free(t.d);
        sfx_done(&s);
}

static void mkdir_with_file(const char *dir, const char *name)
{
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        if (mkdir(p, 0700) < 0)
                abort();
        snprintf(p, sizeof p, "%s/%s/diff", dir, name);
        if (mkdir(p, 0700) < 0)
                abort();
        snprintf(p, sizeof p, "%s/%s/diff/file", dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                abort();
        close(fd);
}

static bool exists_at(const char *dir, const char *name)
{
        char p[PATH_MAX + 256];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, name);
        return lstat(p, &st) == 0;
}

TEST(open_removes_crash_leftovers_but_not_locked_ones)
{
        struct sfx s;
        sfx_init(&s);
        img_layers_close(s.ls);
        s.ls = NULL;
        mkdir_with_file(s.dir, ".tmp-0123456789abcdef0123456789abcdef");
        mkdir_with_file(s.dir, ".del-0123456789abcdef0123456789abcdef");
        mkdir_with_file(s.dir, ".tmp-live");
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/.tmp-stray-file", s.dir);
        int sfd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        CHECK(sfd >= 0);
        if (sfd >= 0)
                close(sfd);
        snprintf(p, sizeof p, "%s/.tmp-live", s.dir);
        /* Another "process": flock locks belong to the open file
         * description, so this one conflicts with the store's own. */
        int live = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(live >= 0 && flock(live, LOCK_EX) == 0);
        mkdir_with_file(s.dir, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

        struct dh_err *e = NULL;
        CHECK_INT(img_layers_open(s.dir, &s.ls, &e), 0);
        CHECK(!exists_at(s.dir, ".tmp-0123456789abcdef0123456789abcdef"));
        CHECK(!exists_at(s.dir, ".del-0123456789abcdef0123456789abcdef"));
        CHECK(!exists_at(s.dir, ".tmp-stray-file"));
        CHECK(exists_at(s.dir, ".tmp-live/diff/file"));
        CHECK(img_layers_has(s.ls,
                             "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        char **ids = NULL;
        size_t n = 0;
        CHECK_INT(img_layers_list(s.ls, &ids, &n, &e), 0);
        CHECK_INT(n, 1);
        img_digests_free(ids, n);

        /* Once the lock is gone, the next open removes it. */
        close(live);
        img_layers_close(s.ls);
        CHECK_INT(img_layers_open(s.dir, &s.ls, &e), 0);
        CHECK(!exists_at(s.dir, ".tmp-live"));
        dh_err_free(e);
        sfx_done(&s);
}

TEST_MAIN()
