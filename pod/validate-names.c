/* Name and format checks with apimachinery's messages. The regular
 * expressions upstream uses are matched by hand here (they are all simple
 * character-class patterns); the messages quote them verbatim, including
 * the double space RegexError leaves between examples. */
#include "pod/validate-names.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define SUBDOMAIN_FMT LABEL_FMT "(\\." LABEL_FMT ")*"
#define LABEL_US_FMT "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
#define SUBDOMAIN_US_FMT LABEL_US_FMT "(\\." LABEL_US_FMT ")*"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_ERR "must consist of alphanumeric characters, '-', '_' or '.', and must start " \
                  "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or " \
                  "'123-abc', regex used for validation is '" QNAME_FMT "')"

static const char label_msg[] =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        "regex used for validation is '" LABEL_FMT "')";
static const char subdomain_msg[] =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is '" SUBDOMAIN_FMT "')";
static const char subdomain_us_msg[] =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', "
        "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is '" SUBDOMAIN_US_FMT "')";
static const char label_value_msg[] =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is '(" QNAME_FMT ")?')";
static const char env_msg[] =
        "a valid environment variable name must consist only of printable ASCII characters "
        "other than '='";
static const char config_key_msg[] =
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')";
static const char header_msg[] =
        "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. "
        "'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')";

__attribute__((format(printf, 2, 3)))
static void add(struct pod_msgs *m, const char *fmt, ...)
{
        if (m->n >= POD_MSGS_MAX)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->v[m->n++], POD_MSG_LEN, fmt, ap);
        va_end(ap);
}

static void reset(struct pod_msgs *m)
{
        m->n = 0;
}

static bool lower_alnum(char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool alnum(char ch)
{
        return lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?, or with underscore: _?[a-z0-9]([-_a-z0-9]*[a-z0-9])? */
static bool match_label(const char *s, size_t n, bool underscore)
{
        if (underscore && n && s[0] == '_') {
                s++;
                n--;
        }
        if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i + 1 < n; i++)
                if (!lower_alnum(s[i]) && s[i] != '-' && !(underscore && s[i] == '_'))
                        return false;
        return true;
}

static bool match_subdomain(const char *s, size_t n, bool underscore)
{
        size_t start = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && s[i] != '.')
                        continue;
                if (!match_label(s + start, i - start, underscore))
                        return false;
                start = i + 1;
        }
        return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qname(const char *s, size_t n)
{
        if (n == 0 || !alnum(s[0]) || !alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i + 1 < n; i++)
                if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
                        return false;
        return true;
}

static const char *str(const char *s)
{
        return s ? s : "";
}

void pod_is_dns1123_label(const char *v, struct pod_msgs *m)
{
        v = str(v);
        size_t n = strlen(v);
        reset(m);
        if (n > 63)
                add(m, "must be no more than %d characters", 63);
        if (!match_label(v, n, false))
                add(m, "%s", match_subdomain(v, n, false) ? "must not contain dots" : label_msg);
}

static void subdomain_msgs(const char *v, size_t n, const char *prefix, struct pod_msgs *m)
{
        if (n > 253)
                add(m, "%smust be no more than %d characters", prefix, 253);
        if (!match_subdomain(v, n, false))
                add(m, "%s%s", prefix, subdomain_msg);
}

void pod_is_dns1123_subdomain(const char *v, struct pod_msgs *m)
{
        v = str(v);
        reset(m);
        subdomain_msgs(v, strlen(v), "", m);
}

void pod_is_dns1123_subdomain_underscore(const char *v, struct pod_msgs *m)
{
        v = str(v);
        size_t n = strlen(v);
        reset(m);
        if (n > 253)
                add(m, "must be no more than %d characters", 253);
        if (!match_subdomain(v, n, true))
                add(m, "%s", subdomain_us_msg);
}

void pod_is_qualified_name(const char *v, struct pod_msgs *m)
{
        v = str(v);
        reset(m);
        const char *name = v;
        const char *slash = strchr(v, '/');
        if (slash && strchr(slash + 1, '/')) {
                add(m, "a qualified name " QNAME_ERR
                       " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return;
        }
        if (slash) {
                if (slash == v)
                        add(m, "prefix part must be non-empty");
                else
                        subdomain_msgs(v, (size_t)(slash - v), "prefix part ", m);
                name = slash + 1;
        }
        size_t n = strlen(name);
        if (n == 0)
                add(m, "name part must be non-empty");
        else if (n > 63)
                add(m, "name part must be no more than %d characters", 63);
        if (!match_qname(name, n))
                add(m, "name part " QNAME_ERR);
}

void pod_is_label_value(const char *v, struct pod_msgs *m)
{
        v = str(v);
        size_t n = strlen(v);
        reset(m);
        if (n > 63)
                add(m, "must be no more than %d characters", 63);
        if (n && !match_qname(v, n))
                add(m, "%s", label_value_msg);
}

void pod_is_port_name(const char *v, struct pod_msgs *m)
{
        v = str(v);
        size_t n = strlen(v);
        bool charset = n > 0, letter = false;
        for (size_t i = 0; i < n; i++) {
                charset = charset && (lower_alnum(v[i]) || v[i] == '-');
                letter = letter || (v[i] >= 'a' && v[i] <= 'z');
        }
        reset(m);
        if (n > 15)
                add(m, "must be no more than %d characters", 15);
        if (!charset)
                add(m, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        if (!letter)
                add(m, "must contain at least one letter (a-z)");
        if (strstr(v, "--"))
                add(m, "must not contain consecutive hyphens");
        if (n && (v[0] == '-' || v[n - 1] == '-'))
                add(m, "must not begin or end with a hyphen");
}

/* hasChDirPrefix */
static void chdir_msgs(const char *v, struct pod_msgs *m)
{
        if (strcmp(v, ".") == 0)
                add(m, "must not be '.'");
        else if (strcmp(v, "..") == 0)
                add(m, "must not be '..'");
        else if (strncmp(v, "..", 2) == 0)
                add(m, "must not start with '..'");
}

/* IsRelaxedEnvVarName: the rule since RelaxedEnvironmentVariableValidation
 * became the default; any printable ASCII but '='. */
void pod_is_env_var_name(const char *v, struct pod_msgs *m)
{
        v = str(v);
        reset(m);
        if (!*v)
                add(m, "environment variable name must be non-empty");
        for (const char *c = v; *c; c++) {
                if (*c < 0x20 || *c > 0x7e || *c == '=') {
                        add(m, "%s", env_msg);
                        break;
                }
        }
}

void pod_is_config_map_key(const char *v, struct pod_msgs *m)
{
        v = str(v);
        bool ok = *v != '\0';
        for (const char *c = v; ok && *c; c++)
                ok = alnum(*c) || *c == '-' || *c == '.' || *c == '_';
        reset(m);
        if (strlen(v) > 253)
                add(m, "must be no more than %d characters", 253);
        if (!ok)
                add(m, "%s", config_key_msg);
        chdir_msgs(v, m);
}

void pod_is_http_header_name(const char *v, struct pod_msgs *m)
{
        v = str(v);
        bool ok = *v != '\0';
        for (const char *c = v; ok && *c; c++)
                ok = alnum(*c) || *c == '-';
        reset(m);
        if (!ok)
                add(m, "%s", header_msg);
}

/* maskTrailingDash: upstream swaps the last two bytes of "x-" for "a". */
static void mask_trailing_dash(const char *v, char *buf, size_t size)
{
        size_t n = strlen(v);
        if (n >= 2 && v[n - 1] == '-' && n < size) {
                memcpy(buf, v, n - 2);
                buf[n - 2] = 'a';
                buf[n - 1] = '\0';
        } else {
                snprintf(buf, size, "%s", v);
        }
}

void pod_name_is_dns_subdomain(const char *v, bool prefix, struct pod_msgs *m)
{
        char buf[1024];
        if (prefix && strlen(str(v)) < sizeof buf) {
                mask_trailing_dash(str(v), buf, sizeof buf);
                v = buf;
        }
        pod_is_dns1123_subdomain(v, m);
}

void pod_name_is_dns_label(const char *v, bool prefix, struct pod_msgs *m)
{
        char buf[1024];
        if (prefix && strlen(str(v)) < sizeof buf) {
                mask_trailing_dash(str(v), buf, sizeof buf);
                v = buf;
        }
        pod_is_dns1123_label(v, m);
}

/* Go's pre-1.17 IPv4 parser, which ParseIPSloppy keeps: four decimal
 * fields of any length, each at most 255. */
static bool parse_ipv4_sloppy(const char *s)
{
        for (int field = 0; field < 4; field++) {
                if (field > 0 && *s++ != '.')
                        return false;
                if (*s < '0' || *s > '9')
                        return false;
                unsigned n = 0;
                while (*s >= '0' && *s <= '9') {
                        n = n * 10 + (unsigned)(*s++ - '0');
                        if (n > 255)
                                return false;
                }
        }
        return *s == '\0';
}

bool pod_is_valid_ip(const char *v)
{
        v = str(v);
        if (!strchr(v, ':'))
                return parse_ipv4_sloppy(v);
        unsigned char addr[16];
        return inet_pton(AF_INET6, v, addr) == 1;
}

bool pod_is_sysctl_name(const char *v)
{
        v = str(v);
        size_t n = strlen(v), start = 0;
        if (n > 253)
                return false;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && v[i] != '.' && v[i] != '/')
                        continue;
                const char *seg = v + start;
                size_t len = i - start;
                if (len == 0 || !lower_alnum(seg[0]) || !lower_alnum(seg[len - 1]))
                        return false;
                for (size_t j = 1; j + 1 < len; j++)
                        if (!lower_alnum(seg[j]) && seg[j] != '-' && seg[j] != '_')
                                return false;
                start = i + 1;
        }
        return true;
}

size_t pod_msgs_report(struct dh_ferrs *e, const struct dh_path *p, const char *v,
                       const struct pod_msgs *m)
{
        for (size_t i = 0; i < m->n; i++)
                dh_ferr_invalid_str(e, p, str(v), m->v[i]);
        return m->n;
}
