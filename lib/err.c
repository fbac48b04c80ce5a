/* Error object: creation, context prefixing, release. */
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int err_vset(struct dh_err **err, int code, const char *suffix,
                    const char *fmt, va_list ap)
{
        if (code <= 0)
                code = EINVAL;
        if (!err || *err)
                return -code;
        struct dh_err *e = calloc(1, sizeof *e);
        if (!e)
                return -code;
        char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        if (msg && suffix) {
                char *full = NULL;
                if (asprintf(&full, "%s: %s", msg, suffix) >= 0) {
                        free(msg);
                        msg = full;
                }
        }
        e->code = code;
        e->msg = msg ? msg : strdup("out of memory formatting error");
        *err = e;
        return -code;
}

int dh_err_set(struct dh_err **err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = err_vset(err, code, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int dh_err_errno(struct dh_err **err, int code, const char *fmt, ...)
{
        char buf[128];
        const char *s = strerror_r(code, buf, sizeof buf);
        va_list ap;
        va_start(ap, fmt);
        int r = err_vset(err, code, s, fmt, ap);
        va_end(ap);
        return r;
}

int dh_err_prefix(struct dh_err **err, const char *fmt, ...)
{
        if (!err || !*err)
                return -EINVAL;
        struct dh_err *e = *err;
        char *ctx = NULL, *full = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&ctx, fmt, ap);
        va_end(ap);
        if (n >= 0 && asprintf(&full, "%s: %s", ctx, e->msg ? e->msg : "") >= 0) {
                free(e->msg);
                e->msg = full;
        }
        free(ctx);
        return -e->code;
}

void dh_err_free(struct dh_err *e)
{
        if (!e)
                return;
        int saved = errno;
        free(e->msg);
        free(e);
        errno = saved;
}

void dh_err_clear(struct dh_err **err)
{
        if (!err)
                return;
        dh_err_free(*err);
        *err = NULL;
}
