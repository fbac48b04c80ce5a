/* WWW-Authenticate parsing: challenges are a scheme token followed by
 * comma-separated auth-params (token or quoted-string values) or a
 * token68; a new challenge starts wherever a token is not followed by
 * '='. Only the parameters a registry client needs are kept. */
#include "cri/image/wwwauth.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/cleanup.h"

struct scan {
        const char *p, *end;
};

static bool is_tchar(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void skip_ws(struct scan *s)
{
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
                s->p++;
}

static size_t token(struct scan *s)
{
        const char *start = s->p;
        while (s->p < s->end && is_tchar(*s->p))
                s->p++;
        return (size_t)(s->p - start);
}

/* A quoted-string (s->p at the opening quote) into a new string. */
static int quoted(struct scan *s, char **out, struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, IMG_WWWAUTH_MAX);
        s->p++;
        while (s->p < s->end && *s->p != '"') {
                if (*s->p == '\\' && s->p + 1 < s->end)
                        s->p++;
                if (dh_buf_append(&b, s->p, 1, err) < 0) {
                        dh_buf_free(&b);
                        return -ENOMEM;
                }
                s->p++;
        }
        if (s->p >= s->end) {
                dh_buf_free(&b);
                return dh_err_set(err, EINVAL, "unterminated quoted string");
        }
        s->p++;
        *out = b.data ? dh_buf_steal(&b) : strdup("");
        return *out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static int param_value(struct scan *s, char **out, struct dh_err **err)
{
        skip_ws(s);
        if (s->p < s->end && *s->p == '"')
                return quoted(s, out, err);
        const char *start = s->p;
        size_t n = token(s);
        if (n == 0)
                return dh_err_set(err, EINVAL, "expected a parameter value");
        *out = strndup(start, n);
        return *out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static void keep(struct img_challenge *c, const char *key, size_t klen, char **val)
{
        static const char *const names[] = { "realm", "service", "scope" };
        char **slots[] = { &c->realm, &c->service, &c->scope };
        for (size_t i = 0; i < 3; i++) {
                if (strlen(names[i]) == klen && strncasecmp(key, names[i], klen) == 0 && !*slots[i]) {
                        *slots[i] = TAKE_PTR(*val);
                        return;
                }
        }
}

static enum img_auth_scheme scheme_of(const char *s, size_t n)
{
        if (n == 6 && strncasecmp(s, "bearer", 6) == 0)
                return IMG_AUTH_BEARER;
        if (n == 5 && strncasecmp(s, "basic", 5) == 0)
                return IMG_AUTH_BASIC;
        return IMG_AUTH_NONE;
}

/* Parses the challenge starting at s->p (its scheme already read into
 * cur->scheme); stops before the next challenge's scheme token. */
static int params(struct scan *s, struct img_challenge *cur, struct dh_err **err)
{
        for (;;) {
                skip_ws(s);
                while (s->p < s->end && (*s->p == ',' || *s->p == ' ' || *s->p == '\t'))
                        s->p++;
                if (s->p >= s->end)
                        return 0;
                const char *key = s->p;
                size_t klen = token(s);
                if (klen == 0)
                        return dh_err_set(err, EINVAL, "unexpected character '%c'", *s->p);
                skip_ws(s);
                if (s->p >= s->end || *s->p != '=') {
                        s->p = key; /* the next challenge's scheme */
                        return 0;
                }
                /* a token68 ("abc==") ends in '='s with no value after them */
                const char *eq = s->p;
                while (s->p < s->end && *s->p == '=')
                        s->p++;
                const char *eq_end = s->p;
                skip_ws(s);
                if (eq_end - eq > 1 || s->p >= s->end || *s->p == ',')
                        continue;
                _cleanup_free_ char *val = NULL;
                int r = param_value(s, &val, err);
                if (r < 0)
                        return r;
                keep(cur, key, klen, &val);
        }
}

int img_wwwauth_parse(const char *value, size_t len, struct img_challenge *out,
                      struct dh_err **err)
{
        if (len > IMG_WWWAUTH_MAX)
                return dh_err_set(err, DH_ELIMIT, "WWW-Authenticate of %zu bytes exceeds %d", len,
                                  IMG_WWWAUTH_MAX);
        struct scan s = { value, value + len };
        struct img_challenge best = { 0 };
        while (s.p < s.end) {
                while (s.p < s.end && (*s.p == ',' || *s.p == ' ' || *s.p == '\t'))
                        s.p++;
                if (s.p >= s.end)
                        break;
                const char *name = s.p;
                size_t n = token(&s);
                if (n == 0) {
                        img_challenge_free(&best);
                        return dh_err_set(err, EINVAL, "WWW-Authenticate: expected a scheme");
                }
                struct img_challenge cur = { .scheme = scheme_of(name, n) };
                int r = params(&s, &cur, err);
                if (r < 0) {
                        img_challenge_free(&cur);
                        img_challenge_free(&best);
                        return dh_err_prefix(err, "WWW-Authenticate");
                }
                if (cur.scheme > best.scheme) {
                        img_challenge_free(&best);
                        best = cur;
                } else {
                        img_challenge_free(&cur);
                }
        }
        if (best.scheme == IMG_AUTH_NONE)
                return dh_err_set(err, EINVAL, "WWW-Authenticate: no Bearer or Basic challenge");
        if (best.scheme == IMG_AUTH_BEARER && (!best.realm || !*best.realm)) {
                img_challenge_free(&best);
                return dh_err_set(err, EINVAL, "WWW-Authenticate: Bearer challenge without a realm");
        }
        *out = best;
        return 0;
}

void img_challenge_free(struct img_challenge *c)
{
        if (!c)
                return;
        free(c->realm);
        free(c->service);
        free(c->scope);
        *c = (struct img_challenge){ 0 };
}
