/* Image references: a hand-written matcher for the grammar of
 * distribution/reference (regexp.go), its Docker Hub normalisation
 * (normalize.go) and go-digest's digest validation, with upstream's error
 * texts. Every scan is bounded by an explicit length. */
#include "cri/image/ref.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define HUB_REGISTRY "registry-1.docker.io"
#define OFFICIAL_PREFIX "library/"
#define DEFAULT_TAG "latest"
#define PATH_MAX_LEN 255 /* RepositoryNameTotalLengthMax, applied to the path */
#define TAG_MAX_LEN 128

#define E_FORMAT "invalid reference format"
#define E_UPPER "repository name must be lowercase"
#define E_TOO_LONG "repository name must not be more than 255 characters"
#define E_DIGEST_FORMAT "invalid checksum digest format"
#define E_DIGEST_LENGTH "invalid checksum digest length"
#define E_DIGEST_ALGO "unsupported digest algorithm"

struct span {
        const char *p;
        size_t n;
};

/* The pieces of a reference as the anchored regexp captures them. */
struct parts {
        struct span domain, path, tag, digest;
        bool has_tag, has_digest;
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || is_digit(c); }
static bool is_alpha(char c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }
static bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
static bool is_word(char c) { return is_alnum(c) || c == '_'; }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static bool span_is(const char *p, size_t n, const char *lit)
{
        return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

static bool has_upper(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (is_upper(p[i]))
                        return true;
        return false;
}

/* path-component: [a-z0-9]+ ((?:[._]|__|[-]+) [a-z0-9]+)*, exactly p[0..n). */
static bool path_component_ok(const char *p, size_t n)
{
        size_t i = 0;
        for (;;) {
                size_t start = i;
                while (i < n && is_lower_alnum(p[i]))
                        i++;
                if (i == start)
                        return false;
                if (i == n)
                        return true;
                if (p[i] == '.') {
                        i++;
                } else if (p[i] == '_') {
                        i++;
                        if (i < n && p[i] == '_')
                                i++;
                } else if (p[i] == '-') {
                        while (i < n && p[i] == '-')
                                i++;
                } else {
                        return false;
                }
        }
}

/* remote-name: path-component ('/' path-component)*. */
static bool path_ok(const char *p, size_t n)
{
        size_t start = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && p[i] != '/')
                        continue;
                if (!path_component_ok(p + start, i - start))
                        return false;
                start = i + 1;
        }
        return true;
}

/* domain-component: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]. */
static bool domain_component_ok(const char *p, size_t n)
{
        if (n == 0 || !is_alnum(p[0]) || !is_alnum(p[n - 1]))
                return false;
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(p[i]) && p[i] != '-')
                        return false;
        return true;
}

/* The host part of a domain; returns its length, or 0 if it is invalid.
 * IPv6 is only what upstream allows: brackets around [a-fA-F0-9:]+. */
static size_t host_len(const char *p, size_t n)
{
        if (n > 0 && p[0] == '[') {
                const char *close = memchr(p, ']', n);
                if (!close || close == p + 1)
                        return 0;
                for (const char *c = p + 1; c < close; c++)
                        if (!is_hex(*c) && *c != ':')
                                return 0;
                return (size_t)(close - p) + 1;
        }
        const char *colon = memchr(p, ':', n);
        size_t end = colon ? (size_t)(colon - p) : n, start = 0;
        for (size_t i = 0; i <= end; i++) {
                if (i < end && p[i] != '.')
                        continue;
                if (!domain_component_ok(p + start, i - start))
                        return 0;
                start = i + 1;
        }
        return end;
}

/* domain: host (':' [0-9]+)? */
static bool domain_ok(const char *p, size_t n)
{
        size_t h = host_len(p, n);
        if (h == 0)
                return false;
        if (h == n)
                return true;
        if (p[h] != ':' || h + 1 == n)
                return false;
        for (size_t i = h + 1; i < n; i++)
                if (!is_digit(p[i]))
                        return false;
        return true;
}

/* tag: [\w][\w.-]{0,127} */
static bool tag_ok(const char *p, size_t n)
{
        if (n == 0 || n > TAG_MAX_LEN || !is_word(p[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_word(p[i]) && p[i] != '.' && p[i] != '-')
                        return false;
        return true;
}

/* digest: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ':' [[:xdigit:]]{32,} */
static bool digest_syntax_ok(const char *p, size_t n)
{
        size_t i = 0;
        for (;;) {
                if (i >= n || !is_alpha(p[i]))
                        return false;
                i++;
                while (i < n && is_alnum(p[i]))
                        i++;
                if (i < n && (p[i] == '-' || p[i] == '_' || p[i] == '+' || p[i] == '.')) {
                        i++;
                        continue;
                }
                break;
        }
        if (i >= n || p[i] != ':' || n - i - 1 < 32)
                return false;
        for (i++; i < n; i++)
                if (!is_hex(p[i]))
                        return false;
        return true;
}

/* remote-name [':' tag] ['@' digest], exactly p[0..n). */
static bool remote_split(const char *p, size_t n, struct parts *out)
{
        size_t i = 0;
        while (i < n && p[i] != ':' && p[i] != '@')
                i++;
        if (!path_ok(p, i))
                return false;
        out->path = (struct span){ p, i };
        if (i < n && p[i] == ':') {
                size_t t = ++i;
                while (i < n && p[i] != '@')
                        i++;
                if (!tag_ok(p + t, i - t))
                        return false;
                out->tag = (struct span){ p + t, i - t };
                out->has_tag = true;
        }
        if (i < n && p[i] == '@') {
                i++;
                if (!digest_syntax_ok(p + i, n - i))
                        return false;
                out->digest = (struct span){ p + i, n - i };
                out->has_digest = true;
                i = n;
        }
        return i == n;
}

/* The anchored reference regexp: the optional domain is greedy, so a
 * first component that is a valid domain is taken as one; otherwise the
 * whole name is a path (domain empty). */
static bool ref_split(const char *p, size_t n, struct parts *out)
{
        const char *slash = memchr(p, '/', n);
        *out = (struct parts){ .domain = { p, 0 } };
        if (slash) {
                size_t d = (size_t)(slash - p);
                if (domain_ok(p, d) && remote_split(slash + 1, n - d - 1, out)) {
                        out->domain = (struct span){ p, d };
                        return true;
                }
                *out = (struct parts){ .domain = { p, 0 } };
        }
        return remote_split(p, n, out);
}

/* go-digest's Digest.Validate: sha256/sha384/sha512 are registered (the
 * kubelet links all three); others are unsupported if otherwise
 * well-formed (lowercase algorithm), else malformed. */
static const char *digest_check(struct span d)
{
        const char *colon = memchr(d.p, ':', d.n);
        size_t alen = (size_t)(colon - d.p), hlen = d.n - alen - 1, want;
        if (span_is(d.p, alen, "sha256"))
                want = 64;
        else if (span_is(d.p, alen, "sha384"))
                want = 96;
        else if (span_is(d.p, alen, "sha512"))
                want = 128;
        else
                return has_upper(d.p, alen) ? E_DIGEST_FORMAT : E_DIGEST_ALGO;
        if (hlen != want)
                return E_DIGEST_LENGTH;
        for (size_t i = alen + 1; i < d.n; i++)
                if (!is_digit(d.p[i]) && !(d.p[i] >= 'a' && d.p[i] <= 'f'))
                        return E_DIGEST_FORMAT;
        return NULL;
}

/* Quotes s like Go's %q, roughly: escapes quotes, backslashes and
 * non-printable bytes so error messages stay one clean line. */
static char *quote(const char *s)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = strlen(s);
        char *q = malloc(4 * n + 3), *w = q;
        if (!q)
                return NULL;
        *w++ = '"';
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '"' || c == '\\') {
                        *w++ = '\\';
                        *w++ = (char)c;
                } else if (c < 0x20 || c >= 0x7f) {
                        *w++ = '\\';
                        *w++ = 'x';
                        *w++ = hex[c >> 4];
                        *w++ = hex[c & 15];
                } else {
                        *w++ = (char)c;
                }
        }
        *w++ = '"';
        *w = '\0';
        return q;
}

/* Upstream's message, then the quoted input unless input is NULL. */
static int fail(struct dh_err **err, const char *input, const char *msg)
{
        if (!input)
                return dh_err_set(err, EINVAL, "%s", msg);
        _cleanup_free_ char *q = quote(input);
        return dh_err_set(err, EINVAL, "%s: %s", msg, q ? q : "\"?\"");
}

/* Strict UTF-8 as Go decodes it; Go's strings.ToLower turns invalid bytes
 * into U+FFFD, so upstream reports such names as not lowercase. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
        size_t i = 0;
        while (i < n) {
                unsigned c = s[i];
                unsigned lo = 0x80, hi = 0xbf;
                size_t len;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        len = 2;
                else if (c >= 0xe0 && c <= 0xef)
                        len = 3, lo = c == 0xe0 ? 0xa0 : lo, hi = c == 0xed ? 0x9f : hi;
                else if (c >= 0xf0 && c <= 0xf4)
                        len = 4, lo = c == 0xf0 ? 0x90 : lo, hi = c == 0xf4 ? 0x8f : hi;
                else
                        return false;
                if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
                        return false;
                for (size_t k = 2; k < len; k++)
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                i += len;
        }
        return true;
}

/* splitDockerDomain: returns "<domain>/<remainder>" and where the
 * remainder starts. */
static char *split_docker_domain(const char *s, size_t *rem_off)
{
        const char *slash = strchr(s, '/'), *dom = s, *rest = s, *pre = "";
        size_t dlen = 0;
        if (!slash) {
                dom = DEFAULT_DOMAIN, dlen = strlen(DEFAULT_DOMAIN);
                pre = OFFICIAL_PREFIX;
        } else {
                size_t n = (size_t)(slash - s);
                rest = slash + 1, dlen = n;
                if (span_is(s, n, LEGACY_DOMAIN)) {
                        dom = DEFAULT_DOMAIN, dlen = strlen(DEFAULT_DOMAIN);
                } else if (!span_is(s, n, "localhost") && !memchr(s, '.', n) &&
                           !memchr(s, ':', n) && !has_upper(s, n)) {
                        /* Not a domain: the whole name is a Docker Hub path. */
                        dom = DEFAULT_DOMAIN, dlen = strlen(DEFAULT_DOMAIN);
                        rest = s;
                }
                if (span_is(dom, dlen, DEFAULT_DOMAIN) && !strchr(rest, '/'))
                        pre = OFFICIAL_PREFIX;
        }
        char *full = NULL;
        if (asprintf(&full, "%.*s/%s%s", (int)dlen, dom, pre, rest) < 0)
                return NULL;
        *rem_off = dlen + 1;
        return full;
}

/* reference.Parse on the normalised string. */
static int parse_full(const char *full, const char *input, struct parts *p,
                      struct dh_err **err)
{
        size_t n = strlen(full);
        if (!ref_split(full, n, p)) {
                _cleanup_free_ char *low = strdup(full);
                struct parts ignored;
                if (!low)
                        return dh_err_set(err, ENOMEM, "out of memory");
                for (char *c = low; *c; c++)
                        if (is_upper(*c))
                                *c = (char)(*c - 'A' + 'a');
                if (strcmp(low, full) != 0 && ref_split(low, n, &ignored))
                        return fail(err, input, E_UPPER);
                return fail(err, input, E_FORMAT);
        }
        if (p->path.n > PATH_MAX_LEN)
                return fail(err, input, E_TOO_LONG);
        const char *dmsg = p->has_digest ? digest_check(p->digest) : NULL;
        if (dmsg)
                return fail(err, input, dmsg);
        return 0;
}

/* ParseNormalizedNamed's checks before it calls Parse. */
static int check_familiar(const char *s, const char *full, size_t rem_off,
                          const char *shown, struct dh_err **err)
{
        size_t n = strlen(s), i = 0;
        while (i < n && (is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
                i++;
        if (n == 64 && i == n) {
                _cleanup_free_ char *m = NULL;
                if (asprintf(&m, "invalid repository name (%s), cannot specify 64-byte "
                                 "hexadecimal strings", s) < 0)
                        return dh_err_set(err, ENOMEM, "out of memory");
                return fail(err, shown, m);
        }
        const char *remote = full + rem_off, *colon = strchr(remote, ':');
        size_t rlen = colon ? (size_t)(colon - remote) : strlen(remote);
        if (has_upper(remote, rlen) || !utf8_valid((const unsigned char *)remote, rlen)) {
                _cleanup_free_ char *m = NULL;
                if (asprintf(&m, E_FORMAT ": repository name (%.*s) must be lowercase",
                             (int)rlen, remote) < 0)
                        return dh_err_set(err, ENOMEM, "out of memory");
                return fail(err, shown, m);
        }
        return 0;
}

static size_t canonical_len(const struct parts *p, bool default_tag)
{
        size_t n = (p->domain.n ? p->domain.n + 1 : 0) + p->path.n;
        if (p->has_tag)
                n += 1 + p->tag.n;
        else if (default_tag)
                n += 1 + strlen(DEFAULT_TAG);
        if (p->has_digest)
                n += 1 + p->digest.n;
        return n;
}

static int fill(const struct parts *p, struct img_ref *out, struct dh_err **err)
{
        struct img_ref r = {
                .domain = strndup(p->domain.p, p->domain.n),
                .path = strndup(p->path.p, p->path.n),
        };
        bool ok = r.domain && r.path;
        if (p->has_tag)
                ok = (r.tag = strndup(p->tag.p, p->tag.n)) && ok;
        else if (!p->has_digest)
                ok = (r.tag = strdup(DEFAULT_TAG)) && ok; /* TagNameOnly */
        if (p->has_digest)
                ok = (r.digest = strndup(p->digest.p, p->digest.n)) && ok;
        if (!ok) {
                img_ref_free(&r);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        *out = r;
        return 0;
}

/* shown: the input as error messages quote it, or NULL for upstream's
 * bare messages. */
static int parse_ref(const char *s, const char *shown, struct img_ref *out,
                     struct dh_err **err)
{
        if (!s)
                return dh_err_set(err, EINVAL, E_FORMAT ": no reference");
        if (strnlen(s, IMG_REF_MAX + 1) > IMG_REF_MAX)
                return dh_err_set(err, EINVAL, E_FORMAT ": reference longer than %d bytes",
                                  IMG_REF_MAX);
        size_t rem_off = 0;
        _cleanup_free_ char *full = split_docker_domain(s, &rem_off);
        if (!full)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = check_familiar(s, full, rem_off, shown, err);
        if (r < 0)
                return r;
        struct parts p;
        r = parse_full(full, shown, &p, err);
        if (r < 0)
                return r;
        /* Normalisation can lengthen a reference; cap the canonical form
         * too so that every result parses again. */
        if (canonical_len(&p, true) > IMG_REF_MAX)
                return dh_err_set(err, EINVAL, E_FORMAT ": normalised reference longer than %d bytes",
                                  IMG_REF_MAX);
        return fill(&p, out, err);
}

int img_ref_parse(const char *s, struct img_ref *out, struct dh_err **err)
{
        return parse_ref(s, s, out, err);
}

int img_ref_parse_bare(const char *s, struct img_ref *out, struct dh_err **err)
{
        return parse_ref(s, NULL, out, err);
}

void img_ref_free(struct img_ref *r)
{
        if (!r)
                return;
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        *r = (struct img_ref){ 0 };
}

char *img_ref_name(const struct img_ref *r)
{
        char *s = NULL;
        const char *dom = r->domain ? r->domain : "";
        if (asprintf(&s, "%s%s%s", dom, *dom ? "/" : "", r->path ? r->path : "") < 0)
                return NULL;
        return s;
}

char *img_ref_string(const struct img_ref *r)
{
        _cleanup_free_ char *name = img_ref_name(r);
        char *s = NULL;
        if (!name)
                return NULL;
        if (asprintf(&s, "%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
                     r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
                return NULL;
        return s;
}

const char *img_ref_registry_host(const struct img_ref *r)
{
        if (!r->domain)
                return "";
        return strcmp(r->domain, DEFAULT_DOMAIN) == 0 ? HUB_REGISTRY : r->domain;
}

/* Like containerd's isLocalHost (host == "localhost" or a loopback IP as
 * Go's net.IP.IsLoopback sees it, IPv4-mapped included), except that a
 * bracketed IPv6 without a port also counts. */
bool img_ref_is_loopback(const struct img_ref *r)
{
        const char *d = r->domain ? r->domain : "";
        size_t n = strlen(d), h = host_len(d, n);
        char buf[INET6_ADDRSTRLEN + 1];
        if (h == 0)
                return false;
        if (span_is(d, h, "localhost"))
                return true;
        bool v6 = d[0] == '[';
        const char *host = v6 ? d + 1 : d;
        size_t hl = v6 ? h - 2 : h;
        if (hl >= sizeof buf)
                return false;
        memcpy(buf, host, hl);
        buf[hl] = '\0';
        if (!v6) {
                struct in_addr a;
                return inet_pton(AF_INET, buf, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
        }
        struct in6_addr a6;
        if (inet_pton(AF_INET6, buf, &a6) != 1)
                return false;
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}
