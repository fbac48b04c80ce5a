/* The pod sandbox config, after kuberuntime_sandbox.go's
 * generatePodSandboxConfig and generatePodSandboxLinuxConfig. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/criconfig-internal.h"
#include "lib/cleanup.h"
#include "pod/pod.h"

static enum rt_protocol runtime_protocol(const char *p)
{
        if (p && strcmp(p, "UDP") == 0)
                return RT_PROTO_UDP;
        if (p && strcmp(p, "SCTP") == 0)
                return RT_PROTO_SCTP;
        return RT_PROTO_TCP; /* TCP, and the kubelet's fallback for the unknown */
}

static bool same_port(const struct pod_container_port *a, const struct pod_container_port *b)
{
        if (a->name && *a->name)
                return b->name && strcmp(a->name, b->name) == 0;
        if (b->name && *b->name)
                return false;
        return a->containerPort.v == b->containerPort.v && a->hostPort.v == b->hostPort.v &&
               runtime_protocol(a->protocol) == runtime_protocol(b->protocol) &&
               strcmp(a->hostIP ? a->hostIP : "", b->hostIP ? b->hostIP : "") == 0;
}

/* MakePortMappings: every declared port of the regular containers, a
 * repeated one (same name, or same unnamed tuple) only once. */
static int port_mappings(const struct pod *pod, struct rt_sandbox_config *c, struct dh_err **err)
{
        for (size_t i = 0; i < pod->spec.containers.n; i++) {
                const struct pod_container *ct = &pod->spec.containers.v[i];
                for (size_t j = 0; j < ct->ports.n; j++) {
                        const struct pod_container_port *p = &ct->ports.v[j];
                        bool dup = false;
                        for (size_t k = 0; k < j && !dup; k++)
                                dup = same_port(&ct->ports.v[k], p);
                        if (dup)
                                continue;
                        struct rt_port_mapping *n = realloc(c->port_mappings.v,
                                                            (c->port_mappings.n + 1) * sizeof *n);
                        if (!n)
                                return dh_err_set(err, ENOMEM, "out of memory");
                        c->port_mappings.v = n;
                        n += c->port_mappings.n;
                        *n = (struct rt_port_mapping){
                                .protocol = runtime_protocol(p->protocol),
                                .container_port = (int32_t)p->containerPort.v,
                                .host_port = (int32_t)p->hostPort.v,
                        };
                        if (cc_dup(&n->host_ip, p->hostIP ? p->hostIP : "", err) < 0)
                                return -ENOMEM;
                        c->port_mappings.n++;
                }
        }
        return 0;
}

static bool any_privileged(const struct pod_container *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].securityContext && v[i].securityContext->privileged.v)
                        return true;
        return false;
}

/* HasPrivilegedContainer, over init, regular and ephemeral containers. */
static bool has_privileged(const struct pod_spec *s)
{
        return any_privileged(s->initContainers.v, s->initContainers.n) ||
               any_privileged(s->containers.v, s->containers.n) ||
               any_privileged(s->ephemeralContainers.v, s->ephemeralContainers.n);
}

static int linux_config(const struct pod *pod, struct rt_linux_sandbox_config *l,
                        struct dh_err **err)
{
        char parent[512];
        if (pod_cgroup_parent(pod, parent, sizeof parent) < 0)
                return dh_err_set(err, EINVAL, "no cgroup parent for pod uid \"%s\"",
                                  pod->metadata.uid ? pod->metadata.uid : "");
        if (cc_dup(&l->cgroup_parent, parent, err) < 0)
                return -ENOMEM;
        struct rt_sandbox_security_context *sc = &l->security_context;
        sc->privileged = has_privileged(&pod->spec);
        /* The sandbox always runs RuntimeDefault, so a pod may choose a
         * stricter profile for its containers (kubernetes#84623). */
        sc->seccomp.profile_type = RT_SECCOMP_RUNTIME_DEFAULT;
        sc->namespace_options = cc_namespaces_for_pod(pod);
        const struct pod_pod_security_context *psc = pod->spec.securityContext;
        if (!psc)
                return 0;
        sc->run_as_user = (struct rt_int64_value){ psc->runAsUser.v, psc->runAsUser.set };
        sc->run_as_group = (struct rt_int64_value){ psc->runAsGroup.v, psc->runAsGroup.set };
        int r = cc_pod_groups(pod, &sc->supplemental_groups, err);
        for (size_t i = 0; r == 0 && i < psc->sysctls.n; i++)
                r = cc_kvs_set(&l->sysctls, psc->sysctls.v[i].name, psc->sysctls.v[i].value, err);
        return r;
}

static int build(const struct pod *pod, const struct agent_node_info *node, uint32_t attempt,
                 struct rt_sandbox_config *c, struct dh_err **err)
{
        const struct pod_meta *m = &pod->metadata;
        c->metadata.attempt = attempt;
        if (cc_dup(&c->metadata.name, m->name, err) < 0 ||
            cc_dup(&c->metadata.namespace, pod_namespace(pod), err) < 0 ||
            cc_dup(&c->metadata.uid, m->uid, err) < 0 ||
            cc_pod_labels(pod, &m->labels, &c->labels, err) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < m->annotations.n; i++)
                if (cc_kvs_set(&c->annotations, m->annotations.v[i].key, m->annotations.v[i].value, err) < 0)
                        return -ENOMEM;
        int r = cc_pod_dns(pod, node, &c->dns_config, err);
        if (r < 0)
                return r;
        c->has_dns_config = true;
        if (!pod->spec.hostNetwork.v && (r = cc_pod_hostname(pod, node, &c->hostname, err)) < 0)
                return r;
        const char *root = node->pod_logs_root ? node->pod_logs_root : "/var/log/pods";
        if (asprintf(&c->log_directory, "%s/%s_%s_%s", root, pod_namespace(pod), m->name ? m->name : "",
                     m->uid ? m->uid : "") < 0) {
                c->log_directory = NULL;
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        r = linux_config(pod, &c->linux_cfg, err);
        return r < 0 ? r : port_mappings(pod, c, err);
}

int agent_sandbox_config(const struct pod *pod, const struct agent_node_info *node,
                         uint32_t attempt, struct rt_sandbox_config *out, struct dh_err **err)
{
        struct rt_sandbox_config c = { 0 };
        int r = build(pod, node, attempt, &c, err);
        if (r < 0) {
                rt_sandbox_config_free(&c);
                return dh_err_prefix(err, "pod \"%s/%s\": sandbox config", pod_namespace(pod),
                                     pod->metadata.name ? pod->metadata.name : "");
        }
        *out = c;
        return 0;
}
