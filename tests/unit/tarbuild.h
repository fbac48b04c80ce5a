/* A tar builder for unit tests: ustar headers, PAX records and GNU long
 * names assembled by hand in memory, so tests can say exactly which bytes
 * an archive holds. Header-only (static inline) so each test that needs it
 * simply includes it. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct tb {
        unsigned char *d;
        size_t len, cap;
};

static inline void tb_put(struct tb *t, const void *p, size_t n)
{
        if (t->len + n > t->cap) {
                t->cap = (t->len + n) * 2 + 4096;
                t->d = realloc(t->d, t->cap);
                if (!t->d)
                        abort(); /* test binary: out of memory is fatal */
        }
        memcpy(t->d + t->len, p, n);
        t->len += n;
}

static inline void tb_pad(struct tb *t)
{
        static const unsigned char zero[512];
        tb_put(t, zero, (512 - t->len % 512) % 512);
}

static inline void octal(unsigned char *f, size_t n, unsigned long long v)
{
        char tmp[32]; /* wide enough for any value, then cut to the field */
        snprintf(tmp, sizeof tmp, "%0*llo", (int)(n - 1), v);
        memcpy(f, tmp, n - 1);
        f[n - 1] = '\0';
}

/* A ustar header; name/link are cut at 100 bytes like real writers do. */
static inline void tb_hdr_full(struct tb *t, const char *name, unsigned mode, size_t size, char type,
                        const char *link, unsigned dmaj, unsigned dmin)
{
        unsigned char h[512] = { 0 };
        memcpy(h, name, strnlen(name, 100));
        octal(h + 100, 8, mode);
        octal(h + 108, 8, 0);
        octal(h + 116, 8, 0);
        octal(h + 124, 12, size);
        octal(h + 136, 12, 1600000000);
        h[156] = (unsigned char)type;
        if (link)
                memcpy(h + 157, link, strnlen(link, 100));
        memcpy(h + 257, "ustar\0" "00", 8);
        octal(h + 329, 8, dmaj);
        octal(h + 337, 8, dmin);
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += h[i];
        snprintf((char *)h + 148, 8, "%06o", sum);
        tb_put(t, h, 512);
}

static inline void tb_hdr(struct tb *t, const char *name, unsigned mode, size_t size, char type,
                   const char *link)
{
        tb_hdr_full(t, name, mode, size, type, link, 0, 0);
}

static inline void tb_file(struct tb *t, const char *name, unsigned mode, const char *content)
{
        size_t n = strlen(content);
        tb_hdr(t, name, mode, n, '0', NULL);
        tb_put(t, content, n);
        tb_pad(t);
}

/* Appends one "<len> key=value\n" record to rec (value may hold NULs). */
static inline void pax_rec(struct tb *rec, const char *key, const char *val, size_t vlen)
{
        size_t base = strlen(key) + vlen + 3, len = base + 1;
        char num[32];
        while ((size_t)snprintf(num, sizeof(num), "%zu", len) + base != len)
                len++;
        tb_put(rec, num, strlen(num));
        tb_put(rec, " ", 1);
        tb_put(rec, key, strlen(key));
        tb_put(rec, "=", 1);
        tb_put(rec, val, vlen);
        tb_put(rec, "\n", 1);
}

static inline void tb_meta(struct tb *t, char type, const void *data, size_t n)
{
        tb_hdr(t, "././@Meta", 0644, n, type, NULL);
        tb_put(t, data, n);
        tb_pad(t);
}

static inline void tb_pax1(struct tb *t, const char *key, const char *val, size_t vlen)
{
        struct tb rec = { 0 };
        pax_rec(&rec, key, val, vlen);
        tb_meta(t, 'x', rec.d, rec.len);
        free(rec.d);
}

static inline void tb_end(struct tb *t)
{
        static const unsigned char zero[1024];
        tb_put(t, zero, sizeof(zero));
}

/* A memfd holding the archive, positioned at 0. */
static inline int tb_fd(const struct tb *t)
{
        int fd = memfd_create("tar", MFD_CLOEXEC);
        if (fd < 0 || write(fd, t->d, t->len) != (ssize_t)t->len || lseek(fd, 0, SEEK_SET))
                abort();
        return fd;
}

