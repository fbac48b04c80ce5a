/* Container image references ("busybox", "host:5000/x:tag@sha256:..."):
 * parsing and normalisation with the grammar and rules of
 * github.com/distribution/reference (ParseNormalizedNamed + TagNameOnly),
 * which is what the kubelet, containerd and Docker use. */
#pragma once
#include <stdbool.h>

#include "lib/err.h"

/* Inputs (and canonical forms) longer than this are rejected. */
#define IMG_REF_MAX 4096

struct img_ref {
        /* "docker.io", "localhost:5000", "[::1]:5000". Empty (never NULL)
         * in the one case upstream leaves it empty: a first component
         * with a '.' that is not a valid host but is a valid path
         * component, e.g. "foo_bar.com/x" has path "foo_bar.com/x". */
        char *domain;
        char *path;    /* "library/busybox" */
        char *tag;     /* NULL when none was given and a digest was */
        char *digest;  /* "sha256:<64 hex>" or NULL */
};

/* Parses and normalises s (ParseNormalizedNamed + TagNameOnly: a
 * reference with neither tag nor digest gets tag "latest"). On failure
 * returns -EINVAL with upstream's message plus the quoted input, and
 * leaves *out untouched. */
int img_ref_parse(const char *s, struct img_ref *out, struct dh_err **err);
/* The same, but a parse failure carries upstream's message alone, without
 * the quoted input: for callers that quote the input themselves, as the
 * kubelet's "couldn't parse image name %q: %v" does. */
int img_ref_parse_bare(const char *s, struct img_ref *out, struct dh_err **err);
/* Frees the fields (not r itself) and zeroes them; accepts NULL. */
void img_ref_free(struct img_ref *r);
/* "docker.io/library/busybox:latest", "host:5000/x@sha256:...",
 * "host/x:tag@sha256:..." as a new string; NULL on ENOMEM. */
char *img_ref_string(const struct img_ref *r);
/* The repository without tag/digest: "docker.io/library/busybox". */
char *img_ref_name(const struct img_ref *r);
/* The registry host to contact: "registry-1.docker.io" for docker.io,
 * else the domain. */
const char *img_ref_registry_host(const struct img_ref *r);
/* Whether a registry at this domain may be reached over plain HTTP by
 * default: loopback (localhost, 127.0.0.0/8, [::1]) only. */
bool img_ref_is_loopback(const struct img_ref *r);
