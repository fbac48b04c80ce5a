/* Name and format checks of k8s.io/apimachinery/pkg/util/validation (DNS
 * labels and subdomains, qualified names, label values, IANA port names,
 * environment variable names, config keys, IPs, sysctl names), each giving
 * the API server's messages word for word. A check fills a pod_msgs with
 * one line per problem; an empty list means the value is valid. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "lib/fielderr.h"

#define POD_MSGS_MAX 6
#define POD_MSG_LEN 512

struct pod_msgs {
        size_t n;
        char v[POD_MSGS_MAX][POD_MSG_LEN];
};

/* Every check below accepts NULL as "". */
void pod_is_dns1123_label(const char *v, struct pod_msgs *m);
void pod_is_dns1123_subdomain(const char *v, struct pod_msgs *m);
/* The relaxed form dnsConfig.searches use: '_' allowed at label starts. */
void pod_is_dns1123_subdomain_underscore(const char *v, struct pod_msgs *m);
/* A label key: optional DNS-subdomain prefix, '/', and a 63-byte name. */
void pod_is_qualified_name(const char *v, struct pod_msgs *m);
void pod_is_label_value(const char *v, struct pod_msgs *m);
/* IANA_SVC_NAME: at most 15 of [-a-z0-9], a letter, no "--", no edge '-'. */
void pod_is_port_name(const char *v, struct pod_msgs *m);
void pod_is_env_var_name(const char *v, struct pod_msgs *m);
void pod_is_config_map_key(const char *v, struct pod_msgs *m);
void pod_is_http_header_name(const char *v, struct pod_msgs *m);
/* NameIsDNSSubdomain / NameIsDNSLabel: with prefix (generateName and
 * envFrom names) a trailing '-' is tolerated, as upstream masks it. */
void pod_name_is_dns_subdomain(const char *v, bool prefix, struct pod_msgs *m);
void pod_name_is_dns_label(const char *v, bool prefix, struct pod_msgs *m);

/* netutils.ParseIPSloppy: IPv4 (leading zeros allowed) or IPv6. */
bool pod_is_valid_ip(const char *v);
/* At most 253 bytes of [a-z0-9]([-_a-z0-9]*[a-z0-9])? segments joined by
 * '.' or '/'. */
bool pod_is_sysctl_name(const char *v);
/* The message IsValidIP gives. */
#define POD_IP_MSG "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
/* The regular expression sysctl names must match, as upstream prints it. */
#define POD_SYSCTL_RE "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"

/* Reports each message as "<p>: Invalid value: "<v>": <msg>"; returns how
 * many there were. */
size_t pod_msgs_report(struct dh_ferrs *e, const struct dh_path *p, const char *v,
                       const struct pod_msgs *m);
