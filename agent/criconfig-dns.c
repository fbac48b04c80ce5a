/* The sandbox's DNS config and hostname, after the kubelet's
 * pkg/kubelet/network/dns/dns.go (GetPodDNS) and GeneratePodHostNameAndDomain
 * + GetNodenameForKernel. Go maps make the kubelet's option order random;
 * here an option keeps the place it first appeared with its last value. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/criconfig-internal.h"
#include "lib/cleanup.h"
#include "pod/pod.h"
#include "pod/validate-names.h"

#define MAX_NAMESERVERS 3        /* validation.MaxDNSNameservers */
#define MAX_SEARCH_PATHS 32      /* validation.MaxDNSSearchPaths */
#define MAX_SEARCH_CHARS 2048    /* validation.MaxDNSSearchListChars */
#define HOSTNAME_MAX 63
#define FQDN_MAX 64

static size_t name_len(const char *opt)
{
        const char *c = strchr(opt, ':');
        return c ? (size_t)(c - opt) : strlen(opt);
}

/* appendOptions / mergeDNSOptions: an option replaces one of the same name. */
static int option_set(struct dh_strv *v, const char *opt, struct dh_err **err)
{
        size_t n = name_len(opt);
        for (size_t i = 0; i < v->n; i++) {
                if (name_len(v->v[i]) != n || strncmp(v->v[i], opt, n) != 0)
                        continue;
                char *d = strdup(opt);
                if (!d)
                        return dh_err_set(err, ENOMEM, "out of memory");
                free(v->v[i]);
                v->v[i] = d;
                return 0;
        }
        return cc_strv_push(v, opt, err);
}

/* One resolv.conf line, already split into words. */
static int resolv_line(char **w, size_t n, struct rt_dns_config *c, struct dh_err **err)
{
        int r = 0;
        if (strcmp(w[0], "nameserver") == 0) {
                if (n < 2)
                        return dh_err_set(err, EINVAL, "nameserver list is empty");
                return cc_strv_push(&c->servers, w[1], err);
        }
        if (strcmp(w[0], "search") == 0) {
                cc_strv_free(&c->searches);
                for (size_t i = 1; r == 0 && i < n; i++) {
                        if (strcmp(w[i], ".") == 0)
                                continue;
                        size_t l = strlen(w[i]);
                        if (l && w[i][l - 1] == '.')
                                w[i][l - 1] = '\0';
                        r = cc_strv_push(&c->searches, w[i], err);
                }
                return r;
        }
        if (strcmp(w[0], "options") == 0)
                for (size_t i = 1; r == 0 && i < n; i++)
                        r = option_set(&c->options, w[i], err);
        return r;
}

#define RESOLV_WORDS 64
static int parse_line(char *line, struct rt_dns_config *c, struct dh_err **err)
{
        char *w[RESOLV_WORDS];
        size_t n = 0;
        char *p = line;
        while (*p && isspace((unsigned char)*p))
                p++;
        if (*p == '#')
                return 0;
        while (*p && n < RESOLV_WORDS) {
                w[n++] = p;
                while (*p && !isspace((unsigned char)*p))
                        p++;
                while (*p && isspace((unsigned char)*p))
                        *p++ = '\0';
        }
        return n ? resolv_line(w, n, c, err) : 0;
}

int agent_parse_resolv_conf(const char *text, struct rt_dns_config *out, struct dh_err **err)
{
        _cleanup_free_ char *copy = strdup(text ? text : "");
        if (!copy)
                return dh_err_set(err, ENOMEM, "out of memory");
        struct rt_dns_config c = { 0 };
        int r = 0;
        for (char *line = copy, *nl; r == 0 && line; line = nl) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl++ = '\0';
                r = parse_line(line, &c, err);
        }
        if (r < 0) {
                cc_strv_free(&c.servers);
                cc_strv_free(&c.searches);
                cc_strv_free(&c.options);
                return dh_err_prefix(err, "resolv.conf");
        }
        *out = c;
        return 0;
}

static void dns_free(struct rt_dns_config *c)
{
        cc_strv_free(&c->servers);
        cc_strv_free(&c->searches);
        cc_strv_free(&c->options);
}

enum dns_type { DNS_CLUSTER, DNS_HOST, DNS_NONE };

static enum dns_type pod_dns_type(const struct pod *pod)
{
        const char *p = pod->spec.dnsPolicy ? pod->spec.dnsPolicy : "ClusterFirst";
        if (strcmp(p, "None") == 0)
                return DNS_NONE;
        if (strcmp(p, "Default") == 0)
                return DNS_HOST;
        if (strcmp(p, "ClusterFirst") == 0 && pod->spec.hostNetwork.v)
                return DNS_HOST;
        /* ClusterFirst, ClusterFirstWithHostNet; anything else was refused
         * by validation and the kubelet falls back to ClusterFirst too. */
        return DNS_CLUSTER;
}

/* generateSearchesForDNSClusterFirst */
static int cluster_searches(const struct pod *pod, const char *domain, struct rt_dns_config *c,
                            struct dh_err **err)
{
        struct dh_strv host = c->searches;
        c->searches = (struct dh_strv){ 0 };
        _cleanup_free_ char *ns_svc = cc_printf("%s.svc.%s", pod_namespace(pod), domain);
        _cleanup_free_ char *svc = cc_printf("svc.%s", domain);
        int r = 0;
        if (!ns_svc || !svc)
                r = dh_err_set(err, ENOMEM, "out of memory");
        const char *first[] = { ns_svc, svc, domain };
        for (size_t i = 0; r == 0 && i < 3; i++)
                r = cc_strv_push_unique(&c->searches, first[i], err);
        for (size_t i = 0; r == 0 && i < host.n; i++)
                r = cc_strv_push_unique(&c->searches, host.v[i], err);
        cc_strv_free(&host);
        return r;
}

static int base_cluster(const struct pod *pod, const struct agent_node_info *node,
                        struct rt_dns_config *c, struct dh_err **err)
{
        cc_strv_free(&c->servers);
        cc_strv_free(&c->options);
        int r = 0;
        for (size_t i = 0; r == 0 && i < node->n_cluster_dns; i++)
                r = cc_strv_push(&c->servers, node->cluster_dns[i], err);
        if (r == 0 && node->cluster_domain && *node->cluster_domain)
                r = cluster_searches(pod, node->cluster_domain, c, err);
        return r < 0 ? r : cc_strv_push(&c->options, "ndots:5", err);
}

/* --resolv-conf="": a loopback nameserver of the node's family, search ".". */
static int base_no_resolv(const struct agent_node_info *node, struct rt_dns_config *c,
                          struct dh_err **err)
{
        bool v6 = node->node_ip && strchr(node->node_ip, ':');
        int r = cc_strv_push(&c->servers, v6 ? "::1" : "127.0.0.1", err);
        return r < 0 ? r : cc_strv_push(&c->searches, ".", err);
}

/* appendDNSConfig: the pod's dnsConfig on top of the policy's. */
static int append_pod_config(const struct pod_dns_config *d, struct rt_dns_config *c,
                             struct dh_err **err)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < d->nameservers.n; i++)
                r = cc_strv_push_unique(&c->servers, d->nameservers.v[i], err);
        for (size_t i = 0; r == 0 && i < d->searches.n; i++)
                r = cc_strv_push_unique(&c->searches, d->searches.v[i], err);
        for (size_t i = 0; r == 0 && i < d->options.n; i++) {
                const struct pod_dns_option *o = &d->options.v[i];
                _cleanup_free_ char *opt = cc_printf("%s%s%s", o->name ? o->name : "",
                                                     o->value && *o->value ? ":" : "",
                                                     o->value && *o->value ? o->value : "");
                if (!opt)
                        return dh_err_set(err, ENOMEM, "out of memory");
                r = option_set(&c->options, opt, err);
        }
        return r;
}

/* formDNSConfigFitsLimits */
static void fit_limits(struct rt_dns_config *c)
{
        while (c->servers.n > MAX_NAMESERVERS)
                free(c->servers.v[--c->servers.n]);
        while (c->searches.n > MAX_SEARCH_PATHS)
                free(c->searches.v[--c->searches.n]);
        size_t len = 0;
        for (size_t i = 0; i < c->searches.n; i++)
                len += strlen(c->searches.v[i]) + (i ? 1 : 0);
        while (len > MAX_SEARCH_CHARS && c->searches.n) {
                char *last = c->searches.v[--c->searches.n];
                len -= strlen(last) + 1;
                free(last);
        }
}

int cc_pod_dns(const struct pod *pod, const struct agent_node_info *node, struct rt_dns_config *out,
               struct dh_err **err)
{
        struct rt_dns_config c = { 0 };
        int r = node->resolv_conf ? agent_parse_resolv_conf(node->resolv_conf, &c, err) : 0;
        enum dns_type t = pod_dns_type(pod);
        if (r == 0 && t == DNS_NONE)
                dns_free(&c);
        else if (r == 0 && t == DNS_CLUSTER && node->n_cluster_dns)
                r = base_cluster(pod, node, &c, err);
        else if (r == 0 && !node->resolv_conf)
                /* Default, or ClusterFirst without cluster DNS: the kubelet
                 * warns (MissingClusterDNS) and falls back to Default. */
                r = base_no_resolv(node, &c, err);
        if (r == 0 && pod->spec.dnsConfig)
                r = append_pod_config(pod->spec.dnsConfig, &c, err);
        if (r < 0) {
                dns_free(&c);
                return r;
        }
        fit_limits(&c);
        *out = c;
        return 0;
}

static int check_label(const char *what, const char *v, struct dh_err **err)
{
        struct pod_msgs m = { 0 };
        pod_is_dns1123_label(v, &m);
        if (!m.n)
                return 0;
        char all[POD_MSGS_MAX * POD_MSG_LEN];
        size_t off = 0;
        for (size_t i = 0; i < m.n && off < sizeof all; i++)
                off += (size_t)snprintf(all + off, sizeof all - off, "%s%s", i ? ";" : "", m.v[i]);
        return dh_err_set(err, EINVAL, "pod %s \"%s\" is not a valid DNS label: %s", what, v, all);
}

/* The hostname (63 bytes at most, no trailing '-' or '.'), or the FQDN
 * with setHostnameAsFQDN and a subdomain. */
int cc_pod_hostname(const struct pod *pod, const struct agent_node_info *node, char **out,
                    struct dh_err **err)
{
        const struct pod_spec *s = &pod->spec;
        const char *name = pod->metadata.name ? pod->metadata.name : "";
        const char *host = name;
        if (s->hostname && *s->hostname) {
                if (check_label("Hostname", s->hostname, err) < 0)
                        return -EINVAL;
                host = s->hostname;
        }
        size_t len = strlen(host);
        if (len > HOSTNAME_MAX) {
                len = HOSTNAME_MAX;
                while (len && (host[len - 1] == '-' || host[len - 1] == '.'))
                        len--;
                if (!len)
                        return dh_err_set(err, EINVAL, "hostname for pod \"%s\" was invalid: \"%s\"", name, host);
        }
        char *h = NULL;
        if (s->subdomain && *s->subdomain) {
                if (check_label("Subdomain", s->subdomain, err) < 0)
                        return -EINVAL;
                if (s->setHostnameAsFQDN.v) {
                        const char *dom = node->cluster_domain ? node->cluster_domain : "";
                        if (!(h = cc_printf("%.*s.%s.%s.svc.%s", (int)len, host, s->subdomain,
                                            pod_namespace(pod), dom)))
                                return dh_err_set(err, ENOMEM, "out of memory");
                        if (strlen(h) > FQDN_MAX) {
                                int r = dh_err_set(err, EINVAL, "failed to construct FQDN from pod hostname and cluster domain, FQDN %s is too long (%d characters is the max, %zu characters requested)",
                                                   h, FQDN_MAX, strlen(h));
                                free(h);
                                return r;
                        }
                        *out = h;
                        return 0;
                }
        }
        h = strndup(host, len);
        if (!h)
                return dh_err_set(err, ENOMEM, "out of memory");
        *out = h;
        return 0;
}
