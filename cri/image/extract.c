/* img_layer_extract: a layer blob (plain tar, gzip or zstd) is decompressed
 * straight into the tar extractor's buffer, hashed on the way (the diffID
 * is the sha256 of the uncompressed stream) and counted against the
 * limits, so a decompression bomb stops at max_total_bytes. */
#include "cri/image/layers.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "lib/cleanup.h"
#include "lib/sha256.h"

/* Compressed input is read in chunks of this size. */
#define IN_BUF_SIZE (128 * 1024)
/* zstd frames asking for a larger window (more memory) are refused; this
 * is zstd's own default limit, spelled out so it is a decision. */
#define ZSTD_WINDOW_LOG_MAX 27

struct src {
        int fd;
        enum img_compression c;
        bool in_eof;
        bool member;           /* inside a gzip member / zstd frame */
        bool zinit;
        z_stream z;
        ZSTD_DStream *zs;
        ZSTD_inBuffer zin;
        struct dh_sha256 md;
        uint64_t total, limit; /* uncompressed bytes so far, and their cap */
        unsigned char *in;     /* IN_BUF_SIZE, compressed formats only */
};

static ssize_t read_fd(int fd, void *buf, size_t n, struct dh_err **err)
{
        ssize_t k;
        do
                k = read(fd, buf, n);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return dh_err_errno(err, errno, "read layer blob");
        return k;
}

/* Refills the compressed input buffer once it is used up. Returns the
 * bytes available (0 only at the end of the blob). */
static ssize_t refill(struct src *s, size_t avail, struct dh_err **err)
{
        if (avail > 0 || s->in_eof)
                return (ssize_t)avail;
        ssize_t k = read_fd(s->fd, s->in, IN_BUF_SIZE, err);
        if (k == 0)
                s->in_eof = true;
        return k;
}

/* gzip members are read back to back like Go's gzip reader (multistream):
 * after a member ends, more input must be another gzip member. */
static ssize_t gzip_read(struct src *s, unsigned char *buf, size_t n, struct dh_err **err)
{
        for (;;) {
                ssize_t k = refill(s, s->z.avail_in, err);
                if (k < 0)
                        return k;
                if (k > 0 && s->z.avail_in == 0) {
                        s->z.next_in = s->in;
                        s->z.avail_in = (uInt)k;
                }
                if (k == 0 && !s->member)
                        return 0;
                if (!s->member) {
                        if (inflateReset(&s->z) != Z_OK)
                                return dh_err_set(err, EIO, "gzip: inflateReset failed");
                        s->member = true;
                }
                s->z.next_out = buf;
                s->z.avail_out = (uInt)n;
                int r = inflate(&s->z, Z_NO_FLUSH);
                size_t got = n - s->z.avail_out;
                if (r == Z_STREAM_END)
                        s->member = false;
                else if (r == Z_BUF_ERROR && s->z.avail_in == 0 && s->in_eof)
                        return dh_err_set(err, DH_EINVAL_INPUT, "gzip: unexpected end of data");
                else if (r == Z_MEM_ERROR)
                        return dh_err_errno(err, ENOMEM, "gzip");
                else if (r != Z_OK && r != Z_BUF_ERROR)
                        return dh_err_set(err, DH_EINVAL_INPUT, "gzip: %s",
                                          s->z.msg ? s->z.msg : "invalid data");
                if (got > 0)
                        return (ssize_t)got;
        }
}

/* ZSTD_decompressStream reads concatenated and skippable frames itself. */
static ssize_t zstd_read(struct src *s, unsigned char *buf, size_t n, struct dh_err **err)
{
        for (;;) {
                ssize_t k = refill(s, s->zin.size - s->zin.pos, err);
                if (k < 0)
                        return k;
                if (k > 0 && s->zin.pos == s->zin.size)
                        s->zin = (ZSTD_inBuffer){ s->in, (size_t)k, 0 };
                ZSTD_outBuffer out = { buf, n, 0 };
                size_t pos = s->zin.pos;
                size_t r = ZSTD_decompressStream(s->zs, &out, &s->zin);
                if (ZSTD_isError(r))
                        return dh_err_set(err, DH_EINVAL_INPUT, "zstd: %s", ZSTD_getErrorName(r));
                /* r is 0 exactly when a frame is complete and flushed; a
                 * call that moved nothing says nothing about that. */
                if (out.pos > 0 || s->zin.pos != pos)
                        s->member = r != 0;
                if (out.pos > 0)
                        return (ssize_t)out.pos;
                if (k == 0 && s->member)
                        return dh_err_set(err, DH_EINVAL_INPUT, "zstd: unexpected end of data");
                if (k == 0)
                        return 0;
        }
}

static ssize_t decompress(struct src *s, unsigned char *buf, size_t n, struct dh_err **err)
{
        if (s->c == IMG_COMPRESS_GZIP)
                return gzip_read(s, buf, n, err);
        if (s->c == IMG_COMPRESS_ZSTD)
                return zstd_read(s, buf, n, err);
        return read_fd(s->fd, buf, n, err);
}

/* The img_reader the extractor pulls from: every uncompressed byte passes
 * here once, is counted and hashed. At most one byte past the limit is
 * ever produced, so a bomb costs no more than the limit. */
static ssize_t src_read(void *ctx, void *buf, size_t n, struct dh_err **err)
{
        struct src *s = ctx;
        if (s->limit - s->total < n)
                n = (size_t)(s->limit - s->total) + 1;
        if (n > INT_MAX)
                n = INT_MAX; /* zlib counts in uInt */
        ssize_t k = decompress(s, buf, n, err);
        if (k <= 0)
                return k;
        s->total += (uint64_t)k;
        if (s->total > s->limit)
                return dh_err_set(err, DH_ELIMIT,
                                  "uncompressed layer exceeds max_total_bytes (%llu)",
                                  (unsigned long long)s->limit);
        dh_sha256_update(&s->md, buf, (size_t)k);
        return k;
}

/* Reads what follows the end-of-archive blocks into the hash, as
 * containerd does: the diffID covers the whole uncompressed stream. */
static int drain(struct src *s, struct dh_err **err)
{
        _cleanup_free_ unsigned char *buf = malloc(IMG_UNPACK_BUF_SIZE);
        if (!buf)
                return dh_err_errno(err, ENOMEM, "layer");
        ssize_t k;
        while ((k = src_read(s, buf, IMG_UNPACK_BUF_SIZE, err)) > 0)
                ;
        if (k < 0)
                return k >= INT_MIN ? (int)k : -EIO;
        return 0;
}

static int src_init(struct src *s, int fd, enum img_compression c, uint64_t limit,
                    struct dh_err **err)
{
        s->fd = fd;
        s->c = c;
        s->limit = limit;
        dh_sha256_init(&s->md);
        if (c == IMG_COMPRESS_NONE)
                return 0;
        if (c != IMG_COMPRESS_GZIP && c != IMG_COMPRESS_ZSTD)
                return dh_err_set(err, DH_EINVAL_INPUT, "unknown layer compression %d", (int)c);
        s->in = malloc(IN_BUF_SIZE);
        if (!s->in)
                return dh_err_errno(err, ENOMEM, "layer");
        if (c == IMG_COMPRESS_GZIP) {
                /* 16 + 15: gzip wrapper only (not zlib, not raw), 32 KiB window */
                if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
                        return dh_err_errno(err, ENOMEM, "gzip: inflateInit2");
                s->zinit = true;
                return 0;
        }
        s->zs = ZSTD_createDStream();
        if (!s->zs || ZSTD_isError(ZSTD_DCtx_setParameter(s->zs, ZSTD_d_windowLogMax,
                                                          ZSTD_WINDOW_LOG_MAX)))
                return dh_err_errno(err, ENOMEM, "zstd: create stream");
        return 0;
}

static void src_done(struct src *s)
{
        if (s->zinit)
                inflateEnd(&s->z);
        ZSTD_freeDStream(s->zs);
        free(s->in);
}

static int diff_id(struct src *s, char **out, struct dh_err **err)
{
        unsigned char md[DH_SHA256_LEN];
        dh_sha256_final(&s->md, md);
        char *d = malloc(sizeof("sha256:") + DH_SHA256_HEX_LEN);
        if (!d)
                return dh_err_errno(err, ENOMEM, "layer diffID");
        memcpy(d, "sha256:", 7);
        dh_sha256_hex(md, d + 7);
        *out = d;
        return 0;
}

static int extract(struct src *s, int dest_dirfd, const struct img_unpack_limits *lim,
                   struct img_unpack_stats *st, char **diff_id_out, struct dh_err **err)
{
        const struct img_reader rd = { src_read, s };
        struct img_unpack_stats got;
        int r = img_unpack_tar_reader(&rd, dest_dirfd, lim, &got, err);
        if (r < 0)
                return r;
        if ((r = drain(s, err)) < 0)
                return dh_err_prefix(err, "unpack layer: after the end of the archive");
        if ((r = diff_id(s, diff_id_out, err)) < 0)
                return r;
        if (st)
                *st = got;
        return 0;
}

int img_layer_extract(int blob_fd, enum img_compression c, int dest_dirfd,
                      const struct img_unpack_limits *lim, struct img_unpack_stats *st,
                      char **diff_id_out, struct dh_err **err)
{
        struct img_unpack_limits l;
        if (lim)
                l = *lim;
        else
                img_unpack_limits_default(&l);
        struct src s = { 0 };
        int r = src_init(&s, blob_fd, c, l.max_total_bytes, err);
        if (r == 0)
                r = extract(&s, dest_dirfd, &l, st, diff_id_out, err);
        src_done(&s);
        return r;
}
