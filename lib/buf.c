/* Bounded growable byte buffer. */
#include "lib/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dh_buf_init(struct dh_buf *b, size_t max)
{
        *b = (struct dh_buf){ .max = max };
}

static int buf_reserve(struct dh_buf *b, size_t extra, struct dh_err **err)
{
        if (extra > b->max - b->len)
                return dh_err_set(err, DH_ELIMIT, "buffer limit of %zu bytes exceeded", b->max);
        size_t need = b->len + extra + 1;
        if (need <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > b->max + 1)
                cap = b->max + 1;
        char *p = realloc(b->data, cap);
        if (!p)
                return dh_err_set(err, ENOMEM, "out of memory");
        b->data = p;
        b->cap = cap;
        return 0;
}

int dh_buf_append(struct dh_buf *b, const void *p, size_t n, struct dh_err **err)
{
        int r = buf_reserve(b, n, err);
        if (r < 0)
                return r;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int dh_buf_puts(struct dh_buf *b, const char *s, struct dh_err **err)
{
        return dh_buf_append(b, s, strlen(s), err);
}

int dh_buf_printf(struct dh_buf *b, struct dh_err **err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return dh_err_set(err, EINVAL, "bad format string");
        int r = buf_reserve(b, (size_t)n, err);
        if (r < 0)
                return r;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
        return 0;
}

char *dh_buf_steal(struct dh_buf *b)
{
        char *p = b->data;
        if (!p)
                p = strdup("");
        b->data = NULL;
        b->len = b->cap = 0;
        return p;
}

void dh_buf_free(struct dh_buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}
