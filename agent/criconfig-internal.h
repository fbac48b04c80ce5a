/* Shared by the agent/criconfig-*.c files: small owned-list helpers and
 * the pieces both the sandbox and the container configs need. */
#pragma once
#include <stdbool.h>

#include "agent/criconfig.h"
#include "cri/cri.h"
#include "lib/err.h"
#include "lib/jsondec.h"
#include "pod/types.h"

/* All -ENOMEM on failure (with err set), 0 on success. */
int cc_strv_push(struct dh_strv *v, const char *s, struct dh_err **err);
/* Adds s unless already present (omitDuplicates). */
int cc_strv_push_unique(struct dh_strv *v, const char *s, struct dh_err **err);
void cc_strv_free(struct dh_strv *v);
/* Sets key to value: replaces the value of an existing key in place, or
 * appends. */
int cc_kvs_set(struct rt_kvs *k, const char *key, const char *value, struct dh_err **err);
const char *cc_kvs_get(const struct rt_kvs *k, const char *key);
int cc_i64_push(void *vec, int64_t x, struct dh_err **err); /* DH_VEC(int64_t) */
int cc_dup(char **dst, const char *s, struct dh_err **err);  /* NULL s: NULL */
/* vasprintf that leaves NULL (never garbage) on failure. */
char *cc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* namespacesForPod: network/ipc NODE or POD, pid NODE, POD
 * (shareProcessNamespace) or CONTAINER. */
struct rt_namespace_options cc_namespaces_for_pod(const struct pod *pod);
/* getSeccompProfile: the container's profile, else the pod's, else
 * RuntimeDefault with --seccomp-default, else Unconfined. */
int cc_seccomp_profile(const struct pod_seccomp_profile *container,
                       const struct pod_seccomp_profile *pod, const struct agent_node_info *node,
                       struct rt_security_profile *out, struct dh_err **err);
/* The pod's fsGroup then supplementalGroups, as both configs list them. */
int cc_pod_groups(const struct pod *pod, void *vec /* DH_VEC(int64_t) */, struct dh_err **err);
/* io.kubernetes.pod.{name,namespace,uid} on top of base (may be NULL). */
int cc_pod_labels(const struct pod *pod, const struct dh_strmap *base, struct rt_kvs *out,
                  struct dh_err **err);
bool cc_is_static_pod(const struct pod *pod);

/* GetPodDNS: the DNS config for the pod's dnsPolicy and dnsConfig. */
int cc_pod_dns(const struct pod *pod, const struct agent_node_info *node, struct rt_dns_config *out,
               struct dh_err **err);
/* GeneratePodHostNameAndDomain + GetNodenameForKernel. */
int cc_pod_hostname(const struct pod *pod, const struct agent_node_info *node, char **out,
                    struct dh_err **err);

/* The named entry of a resource list, or NULL. */
const struct pod_quantity *cc_resource(const struct pod_resource_list *l, const char *name);
/* cpu shares, period and quota, memory limit, oom_score_adj. */
void cc_linux_resources(const struct pod *pod, const struct pod_container *c,
                        const struct agent_node_info *node, struct rt_linux_resources *r);

/* The container's security context; fails on a runAsNonRoot violation. */
int cc_security_context(const struct pod *pod, const struct pod_container *c,
                        const struct agent_node_info *node, const struct agent_container_extras *x,
                        struct rt_container_security_context *sc, struct dh_err **err);
