/* Pulling from registries over the OCI distribution API with libcurl:
 * an HTTP engine (curl multi driven by the dh_loop: no threads, no
 * blocking), per-repository remotes with Bearer-token and basic auth,
 * registry mirrors and the plain-HTTP policy, and credentials from Docker
 * config.json files. Manifests and blobs are verified against their
 * digests; blob bodies stream into the image store's writers. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/image/ref.h"
#include "cri/image/store.h"
#include "lib/err.h"
#include "lib/http.h"
#include "lib/jsondec.h"
#include "lib/loop.h"

/* --- credentials --- */
struct img_auth {
        char *username, *password;
        char *identity_token; /* OAuth2 refresh token (CRI AuthConfig) */
        char *registry_token; /* a bearer token to send as is */
};
void img_auth_free(struct img_auth *a); /* the fields; accepts NULL */

struct img_auth_list {
        struct img_auth *v;
        size_t n;
};
void img_auth_list_free(struct img_auth_list *l);

/* Looks ref up in a Docker config.json ({"auths": {...}}) or legacy
 * .dockercfg (top-level map) body, with the kubelet's matching rules
 * (keys may carry a scheme and a path, "*" globs in host labels, a key
 * path must be a prefix of the image's path, docker.io aliases) and order
 * (most specific first). Entries give "auth" (base64 user:pass) or
 * username/password. No match is an empty list, not an error; malformed
 * input fails naming the field ("auths[\"host\"].auth: ..."). */
int img_docker_config_lookup(const char *data, size_t len, const struct img_ref *ref,
                             struct img_auth_list *out, struct dh_err **err);

/* --- registry configuration (mirrors, insecure registries, CAs) ---
 * A YAML or JSON file in the shape k3s/RKE2 use:
 *   mirrors:
 *     docker.io:
 *       endpoint: ["https://mirror.example:5000", "http://127.0.0.1:5000"]
 *   configs:
 *     "reg.example:5000":
 *       insecure: true          # plain HTTP allowed, TLS not verified
 *       ca_file: /etc/ssl/reg.pem
 *       auth: {username: u, password: p}
 */
struct img_registry_host {
        char *host;                 /* "docker.io", "reg:5000" */
        struct dh_strv endpoints;   /* mirror base URLs, tried in order */
        bool insecure;
        char *ca_file;
        char *username, *password;
};
struct img_registry_config {
        struct img_registry_host *v;
        size_t n;
};
/* Errors name the file and field ("registries.yaml: mirrors[\"docker.io\"]
 * .endpoint[0]: Invalid value: ..."). */
int img_registry_config_parse(const char *data, size_t len, const char *name,
                              struct img_registry_config *out, struct dh_err **err);
void img_registry_config_free(struct img_registry_config *c);
const struct img_registry_host *img_registry_config_find(const struct img_registry_config *c,
                                                         const char *host);

/* The HTTP engine is lib/http.h's dh_http. */

/* --- a repository on a registry --- */
struct img_remote_options {
        const struct img_registry_config *config; /* may be NULL */
        const struct img_auth *auth;              /* may be NULL: anonymous */
        int64_t max_manifest;                     /* 0: IMG_MANIFEST_MAX */
        int64_t progress_interval_ms;             /* 0: once a second */
};
struct img_remote;

/* ref's repository. Endpoints: the mirrors configured for ref's domain,
 * then the registry itself (img_ref_registry_host); https:// unless the
 * host is loopback or configured insecure, which are tried over https
 * first and then http (as containerd does for insecure hosts). The
 * remote copies what it needs from ref and o. */
int img_remote_new(struct dh_http *h, const struct img_ref *ref,
                   const struct img_remote_options *o, struct img_remote **out,
                   struct dh_err **err);
/* Cancels the remote's transfers (no callbacks run); accepts NULL. */
void img_remote_free(struct img_remote *r);

/* err is NULL on success; body/content_type/digest are valid only during
 * the call. digest is "sha256:<hex>" of body. */
typedef void (*img_manifest_fn)(void *ud, const char *body, size_t len, const char *content_type,
                                const char *digest, struct dh_err *err);
/* GETs /v2/<path>/manifests/<reference> (a tag or a digest) accepting the
 * OCI and Docker schema 2 manifest and index types; a digest reference is
 * verified ("manifest digest mismatch ..."). 401s get a token from the
 * WWW-Authenticate Bearer realm (service, scope repository:<path>:pull)
 * with o->auth as basic credentials, or retry with basic auth. HTTP
 * failures name the URL and status and carry the registry's error codes
 * ("... 404 Not Found: MANIFEST_UNKNOWN: manifest unknown"); 401/403 give
 * DH_EACCES-style errors (code EACCES); not found gives ENOENT. */
int img_remote_get_manifest(struct img_remote *r, const char *reference, img_manifest_fn fn,
                            void *ud, struct dh_err **err);

typedef void (*img_blob_fn)(void *ud, struct dh_err *err);
/* Progress: bytes received so far and the expected size. Called at most
 * once per progress interval (a second by default) per transfer. */
typedef void (*img_progress_fn)(void *ud, const char *digest, int64_t done, int64_t total);
/* GETs /v2/<path>/blobs/<digest> (following redirects, e.g. to storage),
 * streaming the body into w; fn runs once the body is complete (the caller
 * then commits w, which checks size and digest) or on failure (the caller
 * aborts w). More than size bytes fails at once. */
int img_remote_get_blob(struct img_remote *r, const char *digest, int64_t size,
                        struct img_writer *w, img_progress_fn progress, img_blob_fn fn, void *ud,
                        struct dh_err **err);
