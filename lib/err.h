/* The one error object carried up the stack: an errno-style code plus an
 * owned message. Each layer prepends its context; only agent/ and deckctl's
 * main log it. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>

struct dh_err {
        int code;   /* positive errno-style value, or DH_E* below */
        char *msg;  /* owned, never NULL once set */
};

/* Codes for failures that have no errno. */
enum {
        DH_EINVAL_INPUT = 10000, /* the user's input is wrong */
        DH_ELIMIT,               /* a size/count/depth limit was hit */
};

/* Sets *err (if err is non-NULL and *err is NULL) and returns -code, so
 * callers can write `return dh_err_set(err, EINVAL, "...")`. If *err is
 * already set, it is kept: the first, innermost error wins. */
int dh_err_set(struct dh_err **err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Like dh_err_set with ": strerror(code)" appended. */
int dh_err_errno(struct dh_err **err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prepends "<context>: " to an existing error; returns -code (or -EINVAL
 * when no error is set, which is a programmer error). */
int dh_err_prefix(struct dh_err **err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void dh_err_free(struct dh_err *e);
/* Frees *err and sets it to NULL. */
void dh_err_clear(struct dh_err **err);

static inline void dh_err_freep(struct dh_err **e)
{
        dh_err_free(*e);
}
#define _cleanup_err_ __attribute__((cleanup(dh_err_freep)))
