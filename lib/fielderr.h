/* Field errors in the API server's format: a list of
 * "<field path>: <Type>: <value>: <detail>" entries, collected so that every
 * problem in an object is reported at once. */
#pragma once
#include "lib/err.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dh_ferr_type {
        DH_FERR_REQUIRED,      /* "Required value" */
        DH_FERR_INVALID,       /* "Invalid value: <v>" */
        DH_FERR_NOT_SUPPORTED, /* "Unsupported value: <v>: supported values: ..." */
        DH_FERR_DUPLICATE,     /* "Duplicate value: <v>" */
        DH_FERR_NOT_FOUND,     /* "Not found: <v>" */
        DH_FERR_FORBIDDEN,     /* "Forbidden" */
        DH_FERR_TOO_LONG,      /* "Too long" */
        DH_FERR_TOO_MANY,      /* "Too many" */
};

struct dh_ferr {
        enum dh_ferr_type type;
        char *field;  /* "spec.containers[1].ports[0].containerPort" */
        char *value;  /* already rendered: "70000", "\"Foo\"", or NULL */
        char *detail; /* may be NULL */
};

#define DH_FERRS_MAX 256

struct dh_ferrs {
        struct dh_ferr *v;
        size_t n;
        size_t dropped; /* errors beyond DH_FERRS_MAX, counted not kept */
};

/* A dotted/indexed field path built incrementally; bounded. */
#define DH_PATH_MAX 512
struct dh_path {
        char buf[DH_PATH_MAX];
        size_t len;
        bool truncated;
};

/* Each push returns the previous length, to hand back to dh_path_pop(). */
size_t dh_path_field(struct dh_path *p, const char *name);   /* ".name" */
size_t dh_path_index(struct dh_path *p, size_t i);           /* "[i]" */
size_t dh_path_key(struct dh_path *p, const char *key);      /* "[key]" */
void dh_path_pop(struct dh_path *p, size_t mark);
const char *dh_path_str(const struct dh_path *p);

void dh_ferr_required(struct dh_ferrs *e, const struct dh_path *p, const char *detail);
void dh_ferr_forbidden(struct dh_ferrs *e, const struct dh_path *p, const char *detail);
void dh_ferr_invalid_str(struct dh_ferrs *e, const struct dh_path *p,
                         const char *value, const char *detail);
void dh_ferr_invalid_int(struct dh_ferrs *e, const struct dh_path *p,
                         int64_t value, const char *detail);
/* value already rendered (e.g. "null", "{...}"). */
void dh_ferr_invalid_raw(struct dh_ferrs *e, const struct dh_path *p,
                         const char *value, const char *detail);
void dh_ferr_not_supported(struct dh_ferrs *e, const struct dh_path *p,
                           const char *value, const char *const *supported);
void dh_ferr_duplicate_str(struct dh_ferrs *e, const struct dh_path *p, const char *value);
void dh_ferr_not_found_str(struct dh_ferrs *e, const struct dh_path *p, const char *value);
void dh_ferr_duplicate_int(struct dh_ferrs *e, const struct dh_path *p, int64_t value);
void dh_ferr_add(struct dh_ferrs *e, enum dh_ferr_type type, const char *field,
                 const char *value, const char *detail);

/* "field: Type: value: detail" into a new string (caller frees). */
char *dh_ferr_format(const struct dh_ferr *f);
/* All of errs as one DH_EINVAL_INPUT error: "name: <error>" or, for
 * several, "name: [<error>, <error>, and N more errors]" (bounded). */
int dh_ferrs_to_err(const char *name, const struct dh_ferrs *errs, struct dh_err **err);
void dh_ferrs_free(struct dh_ferrs *e);
/* Quotes s as Go's %q would (printable ASCII kept, the rest escaped), into
 * a new string. Long values are cut with "..." so messages stay bounded. */
char *dh_quote(const char *s);
