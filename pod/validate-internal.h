/* Shared by the pod/validate*.c files only: the walk context, error helpers
 * that speak the API server's words, and each file's entry points. Every
 * helper reports at the context's current path plus an optional child
 * field (NULL means the current path itself). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "lib/fielderr.h"
#include "pod/pod.h"
#include "pod/validate-names.h"

/* --- validate-util.c --- */

/* A hash index of strings (each with a number), so that duplicate checks
 * and lookups stay linear however many entries a manifest has. Keys are
 * copied; an index that cannot grow (out of memory) just stops adding. */
struct pod_v_slot {
        char *key;
        size_t val;
};
struct pod_v_index {
        struct pod_v_slot *slots;
        size_t cap, n;
};
/* Adds key (NULL counts as "") with val; false if key was already there. */
bool pod_v_index_add(struct pod_v_index *x, const char *key, size_t val);
bool pod_v_index_has(const struct pod_v_index *x, const char *key);
/* The value stored with key, or SIZE_MAX. */
size_t pod_v_index_get(const struct pod_v_index *x, const char *key);
void pod_v_index_free(struct pod_v_index *x);

struct pod_vctx {
        const struct pod *pod;
        struct dh_ferrs *errs;
        struct dh_path path; /* pushed and popped as the walk descends */
        /* Names of the volumes that validated cleanly, to their index in
         * spec.volumes: the ones mounts may use (upstream's volume map). */
        const struct pod_v_index *volumes;
};

static inline const char *pod_v_s(const char *s)
{
        return s ? s : "";
}

static inline bool pod_v_set(const char *s)
{
        return s && *s;
}

void pod_v_required(struct pod_vctx *c, const char *field, const char *detail);
void pod_v_forbidden(struct pod_vctx *c, const char *field, const char *detail);
/* value is quoted as Go's %q would. */
void pod_v_invalid(struct pod_vctx *c, const char *field, const char *value, const char *detail);
void pod_v_invalid_int(struct pod_vctx *c, const char *field, int64_t value, const char *detail);
/* value already rendered (unquoted numbers, quantities, lists). */
void pod_v_invalid_raw(struct pod_vctx *c, const char *field, const char *value,
                       const char *detail);
void pod_v_not_supported(struct pod_vctx *c, const char *field, const char *value,
                         const char *const *supported);
void pod_v_duplicate(struct pod_vctx *c, const char *field, const char *value);
void pod_v_not_found(struct pod_vctx *c, const char *field, const char *value);
void pod_v_msgs(struct pod_vctx *c, const char *field, const char *value,
                const struct pod_msgs *m);
/* The common enum shape: "" is Required, a value outside set NotSupported. */
void pod_v_enum(struct pod_vctx *c, const char *field, const char *value,
                const char *const *set);
bool pod_v_in(const char *value, const char *const *set);
/* ValidateNonnegativeField. */
void pod_v_nonneg(struct pod_vctx *c, const char *field, int64_t v);
/* validateLocalDescendingPath: relative, no ".." element. */
void pod_v_local_descending_path(struct pod_vctx *c, const char *field, const char *path);
/* ValidateLocalNonReservedPath: the above and not starting with "..". */
void pod_v_local_non_reserved_path(struct pod_vctx *c, const char *field, const char *path);
bool pod_v_has_backsteps(const char *path);
/* A quantity's canonical text (Quantity.String()). */
const char *pod_v_qty(const struct pod_quantity *q, char *buf, size_t size);
/* The cleanly validated volume called name, or NULL. */
const struct pod_volume *pod_v_volume(const struct pod_vctx *c, const char *name);
/* DNS-1123 label / subdomain checks of a value at field. */
void pod_v_dns_label(struct pod_vctx *c, const char *field, const char *value);
void pod_v_dns_subdomain(struct pod_vctx *c, const char *field, const char *value);
/* ValidateLabels: keys as qualified names, values as label values, all
 * reported at the map's own path. */
void pod_v_labels(struct pod_vctx *c, const char *field, const struct dh_strmap *m);

/* Go's %#v of a []string, for list-valued errors; caller frees. */
char *pod_v_render_strv(const struct dh_strv *v);

/* --- validate-meta.c --- */
void pod_validate_meta(struct pod_vctx *c);
void pod_validate_pod_annotations(struct pod_vctx *c);

/* --- validate-volume.c --- */
void pod_validate_volumes(struct pod_vctx *c, struct pod_v_index *usable);
void pod_validate_sa_token_sources(struct pod_vctx *c);

/* --- validate-container.c --- */
void pod_validate_containers(struct pod_vctx *c);
void pod_validate_init_containers(struct pod_vctx *c);
void pod_validate_ephemeral_containers(struct pod_vctx *c);
void pod_validate_images_only_for_pod(struct pod_vctx *c);

/* --- validate-probe.c: at the container's path. --- */
void pod_validate_probes(struct pod_vctx *c, const struct pod_container *ctr);
void pod_validate_lifecycle(struct pod_vctx *c, const struct pod_lifecycle *lc);

/* --- validate-env.c --- */
void pod_validate_env(struct pod_vctx *c, const struct pod_container *ctr);
void pod_validate_env_from(struct pod_vctx *c, const struct pod_container *ctr);
extern const char *const pod_v_env_field_paths[];
extern const char *const pod_v_volume_field_paths[];
void pod_validate_object_field_selector(struct pod_vctx *c,
                                        const struct pod_object_field_selector *fs,
                                        const char *const *paths);
void pod_validate_resource_field_selector(struct pod_vctx *c,
                                          const struct pod_resource_field_selector *fs,
                                          bool volume);

/* --- validate-resources.c: at the container's "resources" path. --- */
void pod_validate_resources(struct pod_vctx *c, const struct pod_resources *r);
void pod_validate_overhead(struct pod_vctx *c);

/* --- validate-security.c --- */
void pod_validate_container_security(struct pod_vctx *c, const struct pod_security_context *sc);
void pod_validate_pod_security(struct pod_vctx *c);
void pod_validate_host_users(struct pod_vctx *c);
void pod_validate_os(struct pod_vctx *c);

/* --- validate-sched.c --- */
void pod_validate_affinity(struct pod_vctx *c);
void pod_validate_tolerations(struct pod_vctx *c);
void pod_validate_dns_config(struct pod_vctx *c);
void pod_validate_host_aliases(struct pod_vctx *c);
void pod_validate_readiness_gates(struct pod_vctx *c);
