/* The hostile layer corpus (tests/data/hostile-layers/, made by make.sh
 * there): each layer is one attack, extracted through img_layer_extract
 * into parent/dest next to parent/canary/file. Every attack must be
 * refused (with the error named here) or contained: parent holds only
 * canary/ and dest/, the canary is byte-for-byte and inode-for-inode what
 * it was, and nothing appeared at the absolute paths the layers aim at. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cri/image/layers.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "test.h"

#define CORPUS "hostile-layers"
#define ABS_TARGET "/tmp/deckhand-hostile-absolute"

struct fx {
        char *tmp;
        int parent, dest;
        struct stat canary_dir, canary_file;
};

static void fx_init(struct fx *f)
{
        f->tmp = test_mkdtemp("hostile");
        f->parent = f->tmp ? open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (f->parent < 0 || mkdirat(f->parent, "dest", 0755) < 0 ||
            mkdirat(f->parent, "canary", 0755) < 0)
                abort();
        int fd = openat(f->parent, "canary/file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, "canary\n", 7) != 7)
                abort();
        close(fd);
        f->dest = openat(f->parent, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f->dest < 0 || fstatat(f->parent, "canary", &f->canary_dir, AT_SYMLINK_NOFOLLOW) < 0 ||
            fstatat(f->parent, "canary/file", &f->canary_file, AT_SYMLINK_NOFOLLOW) < 0)
                abort();
}

static void fx_done(struct fx *f)
{
        close(f->dest);
        close(f->parent);
        test_rmtree(f->tmp);
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(a, b);
}

/* The names in dirfd/path, sorted and joined with ' '. */
static void listing(int dirfd, const char *path, char *out, size_t size)
{
        out[0] = '\0';
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                snprintf(out, size, "(cannot open %s)", path);
                if (fd >= 0)
                        close(fd);
                return;
        }
        char names[16][NAME_MAX + 1];
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)) && n < 16)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        snprintf(names[n++], sizeof names[0], "%s", de->d_name);
        closedir(d);
        qsort(names, (size_t)n, sizeof names[0], cmp_name);
        size_t o = 0;
        for (int i = 0; i < n && o < size; i++)
                o += (size_t)snprintf(out + o, size - o, "%s%s", i ? " " : "", names[i]);
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
        return a->st_ino == b->st_ino && a->st_mode == b->st_mode && a->st_nlink == b->st_nlink &&
               a->st_size == b->st_size && a->st_uid == b->st_uid &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void check_contained(const struct fx *f, const char *layer)
{
        char names[16 * (NAME_MAX + 1) + 16];
        listing(f->parent, ".", names, sizeof names);
        if (strcmp(names, "canary dest") != 0)
                TEST_FAIL_("%s: parent holds \"%s\"", layer, names);
        listing(f->parent, "canary", names, sizeof names);
        if (strcmp(names, "file") != 0)
                TEST_FAIL_("%s: canary/ holds \"%s\"", layer, names);
        struct stat d, st;
        if (fstatat(f->parent, "canary", &d, AT_SYMLINK_NOFOLLOW) < 0 ||
            !same_stat(&d, &f->canary_dir))
                TEST_FAIL_("%s: canary/ changed", layer);
        if (fstatat(f->parent, "canary/file", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !same_stat(&st, &f->canary_file))
                TEST_FAIL_("%s: canary/file changed", layer);
        char buf[16] = { 0 };
        int fd = openat(f->parent, "canary/file", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof buf - 1) != 7 || strcmp(buf, "canary\n") != 0)
                TEST_FAIL_("%s: canary/file content changed", layer);
        if (fd >= 0)
                close(fd);
        if (access(ABS_TARGET, F_OK) == 0)
                TEST_FAIL_("%s: %s was created", layer, ABS_TARGET);
}

static enum img_compression compression_of(const char *name)
{
        size_t n = strlen(name);
        if (n > 3 && strcmp(name + n - 3, ".gz") == 0)
                return IMG_COMPRESS_GZIP;
        if (n > 4 && strcmp(name + n - 4, ".zst") == 0)
                return IMG_COMPRESS_ZSTD;
        return IMG_COMPRESS_NONE;
}

/* Small limits, so the bombs in the corpus stay small too. */
static void hostile_limits(struct img_unpack_limits *lim)
{
        img_unpack_limits_default(lim);
        lim->max_entries = 10000;
        lim->max_total_bytes = 8 << 20;
        lim->max_file_size = 4 << 20;
}

static int extract(struct fx *f, const char *layer, char **id, struct dh_err **err)
{
        char rel[256];
        snprintf(rel, sizeof rel, CORPUS "/%s", layer);
        _cleanup_close_ int fd = open(test_data(rel), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                TEST_FAIL_("open %s: %s", test_data(rel), strerror(errno));
                return -errno;
        }
        struct img_unpack_limits lim;
        hostile_limits(&lim);
        return img_layer_extract(fd, compression_of(layer), f->dest, &lim, NULL, id, err);
}

/* What must happen to each layer; a contained layer's check looks at what
 * it left in dest. */
struct attack {
        const char *layer;
        const char *then;  /* a second layer applied on top, or NULL */
        int code;          /* refused with this code (0: contained) */
        const char *msg;   /* ... and a message containing this */
        bool (*contained)(int dest);
};

static bool is_file_with(int dfd, const char *path, const char *want)
{
        char buf[64] = { 0 };
        int fd = openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        return n >= 0 && strcmp(buf, want) == 0;
}

static bool abs_inside(int dest)
{
        return is_file_with(dest, "tmp/deckhand-hostile-absolute", "pwned\n");
}

static bool symlink_replaced(int dest)
{
        return is_file_with(dest, "cf", "pwned\n");
}

static bool hardlink_to_symlink(int dest)
{
        struct stat st;
        return fstatat(dest, "s", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
               is_file_with(dest, "h", "pwned\n");
}

/* As root, device nodes are part of the image (they are created inside
 * the layer only); otherwise they are skipped. */
static bool devices_inside(int dest)
{
        struct stat st;
        if (geteuid() != 0)
                return fstatat(dest, "mem", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
        return fstatat(dest, "mem", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
               st.st_rdev == makedev(1, 1) &&
               fstatat(dest, "sda", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISBLK(st.st_mode);
}

static bool setuid_inside(int dest)
{
        struct stat st;
        return fstatat(dest, "bin/su", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
               (geteuid() != 0 || (st.st_mode & 07777) == 06755);
}

static const struct attack attacks[] = {
        { "dotdot-escape.tar", NULL, DH_EINVAL_INPUT, "\"..\" path component", NULL },
        { "dotdot-nested.tar", NULL, DH_EINVAL_INPUT, "\"..\" path component", NULL },
        { "absolute-path.tar", NULL, 0, NULL, abs_inside },
        { "symlink-parent.tar", NULL, ENOTDIR, "\"esc/file\"", NULL },
        { "symlink-file.tar", NULL, 0, NULL, symlink_replaced },
        { "symlink-layer1.tar", "symlink-layer2.tar", ENOTDIR, "\"dir/file\"", NULL },
        { "hardlink-outside.tar", NULL, DH_EINVAL_INPUT, "\"..\" path component", NULL },
        { "hardlink-symlink.tar", NULL, 0, NULL, hardlink_to_symlink },
        { "hardlink-symlink-parent.tar", NULL, ENOTDIR, "hard link target \"d/file\"", NULL },
        { "whiteout-dotdot.tar", NULL, DH_EINVAL_INPUT, "bad whiteout name", NULL },
        { "whiteout-dotdot-sub.tar", NULL, DH_EINVAL_INPUT, "bad whiteout name", NULL },
        { "long-path.tar", NULL, DH_ELIMIT, "max_path", NULL },
        { "deep-path.tar", NULL, DH_ELIMIT, "deeper than", NULL },
        { "entry-bomb.tar.gz", NULL, DH_ELIMIT, "max_entries", NULL },
        { "size-bomb-file.tar.gz", NULL, DH_ELIMIT, "max_total_bytes", NULL },
        { "size-bomb-trailing.tar.gz", NULL, DH_ELIMIT, "max_total_bytes", NULL },
        { "device-node.tar", NULL, 0, NULL, devices_inside },
        { "setuid.tar", NULL, 0, NULL, setuid_inside },
        { "nul-path.tar", NULL, DH_EINVAL_INPUT, "NUL", NULL },
};

static void run_attack(const struct attack *a)
{
        struct fx f;
        fx_init(&f);
        char *id = NULL;
        struct dh_err *e = NULL;
        int r = extract(&f, a->layer, &id, &e);
        const char *last = a->layer;
        if (r == 0 && a->then) {
                free(id);
                id = NULL;
                r = extract(&f, a->then, &id, &e);
                last = a->then;
        }
        if (getenv("TEST_VERBOSE"))
                fprintf(stderr, "  %s: %s\n", last, e ? e->msg : "contained");
        if (a->code) {
                if (r >= 0 || !e)
                        TEST_FAIL_("%s: not refused", last);
                else if (e->code != a->code || !strstr(e->msg, a->msg))
                        TEST_FAIL_("%s: refused with \"%s\" (code %d), expected \"%s\" (code %d)",
                                   last, e->msg, e->code, a->msg, a->code);
        } else {
                if (r < 0)
                        TEST_FAIL_("%s: failed: %s", last, e ? e->msg : "?");
                else if (!id || strncmp(id, "sha256:", 7) != 0)
                        TEST_FAIL_("%s: no diffID", last);
                else if (!a->contained(f.dest))
                        TEST_FAIL_("%s: unexpected tree in dest", last);
        }
        check_contained(&f, last);
        free(id);
        dh_err_free(e);
        fx_done(&f);
}

TEST(every_attack_refused_or_contained)
{
        unlink(ABS_TARGET); /* a stale one would be blamed on us */
        for (size_t i = 0; i < DH_ARRAY_SIZE(attacks); i++)
                run_attack(&attacks[i]);
}

static bool in_table(const char *name)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(attacks); i++)
                if (strcmp(attacks[i].layer, name) == 0 ||
                    (attacks[i].then && strcmp(attacks[i].then, name) == 0))
                        return true;
        return false;
}

/* A layer added to the corpus without saying what it must do would be
 * silently ignored; every file but make.sh must be in the table. */
TEST(corpus_fully_covered)
{
        DIR *d = opendir(test_data(CORPUS));
        CHECK(d != NULL);
        if (!d)
                return;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || strcmp(de->d_name, "make.sh") == 0)
                        continue;
                n++;
                if (!in_table(de->d_name))
                        TEST_FAIL_("%s is not in the attack table", de->d_name);
        }
        closedir(d);
        CHECK_INT(n, DH_ARRAY_SIZE(attacks) + 1); /* + symlink-layer2.tar */
}

/* Through the store, a setuid layer ends up where host users cannot reach
 * it: <dir> and <dir>/<hex> are 0700. */
TEST(setuid_layer_unreachable_in_store)
{
        char *tmp = test_mkdtemp("hostile-store");
        CHECK(tmp != NULL);
        if (!tmp)
                return;
        char dir[512], rel[64];
        snprintf(dir, sizeof dir, "%s/layers", tmp);
        snprintf(rel, sizeof rel, CORPUS "/setuid.tar");
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct dh_err *e = NULL;
        struct img_layers *ls = NULL;
        CHECK_INT(dh_read_file(test_data(rel), 1 << 20, &data, &len, &e), 0);
        unsigned char md[32];
        unsigned int mdlen = 0;
        char id[80] = "sha256:";
        CHECK(data && EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) == 1);
        for (unsigned int i = 0; i < mdlen && i < 32; i++)
                snprintf(id + 7 + 2 * i, 3, "%02x", md[i]);
        CHECK_INT(img_layers_open(dir, &ls, &e), 0);
        _cleanup_close_ int fd = open(test_data(rel), O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        if (ls && fd >= 0) {
                CHECK_INT(img_layers_add(ls, fd, IMG_COMPRESS_NONE, id, NULL, NULL, &e), 0);
                _cleanup_free_ char *diff = img_layers_diff_path(ls, id);
                char path[PATH_MAX];
                struct stat st;
                snprintf(path, sizeof path, "%s/bin/su", diff ? diff : "");
                CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
                CHECK(stat(dir, &st) == 0 && (st.st_mode & 077) == 0);
                *strrchr(path, '/') = '\0';                     /* .../diff/bin */
                *strrchr(path, '/') = '\0';                     /* .../diff */
                *strrchr(path, '/') = '\0';                     /* .../<hex> */
                CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700);
        }
        if (e)
                fprintf(stderr, "  %s\n", e->msg);
        dh_err_free(e);
        img_layers_close(ls);
        test_rmtree(tmp);
}

TEST_MAIN()
