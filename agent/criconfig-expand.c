/* $(VAR) references in env values, command and args, with the kubelet's
 * rules (third_party/forked/golang/expansion): "$$" is one "$", "$(NAME)"
 * is NAME's value when defined and stays as written when not, an
 * unterminated "$(" and any other "$x" are copied unchanged. */
#include <errno.h>
#include <string.h>

#include "agent/criconfig.h"
#include "lib/buf.h"
#include "lib/cleanup.h"

/* Appends the reference "$(name)" whose name is s[0..n) (after "$("). */
static int put_ref(struct dh_buf *b, const char *name, size_t n, agent_expand_lookup_fn lookup,
                   void *ud, struct dh_err **err)
{
        _cleanup_free_ char *key = strndup(name, n);
        if (!key)
                return dh_err_set(err, ENOMEM, "out of memory");
        const char *v = lookup ? lookup(ud, key) : NULL;
        if (v)
                return dh_buf_puts(b, v, err);
        int r = dh_buf_puts(b, "$(", err);
        if (r == 0)
                r = dh_buf_append(b, name, n, err);
        return r < 0 ? r : dh_buf_puts(b, ")", err);
}

int agent_expand(const char *s, agent_expand_lookup_fn lookup, void *ud, char **out,
                 struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, AGENT_EXPAND_MAX);
        int r = dh_buf_puts(&b, "", err); /* "" expands to "", not NULL */
        const char *p = s;
        while (r == 0 && *p) {
                const char *dollar = strchr(p, '$');
                if (!dollar || !dollar[1]) { /* a last "$" is kept */
                        r = dh_buf_puts(&b, p, err);
                        break;
                }
                r = dh_buf_append(&b, p, (size_t)(dollar - p), err);
                const char *next = dollar + 1;
                if (r == 0 && *next == '$') {
                        r = dh_buf_puts(&b, "$", err);
                        p = next + 1;
                } else if (r == 0 && *next == '(') {
                        const char *close = strchr(next + 1, ')');
                        if (close) {
                                r = put_ref(&b, next + 1, (size_t)(close - next - 1), lookup, ud, err);
                                p = close + 1;
                        } else {
                                /* Only "$(" is consumed: a later "$" may still start
                                 * an expression. */
                                r = dh_buf_puts(&b, "$(", err);
                                p = next + 1;
                        }
                } else if (r == 0) {
                        /* "$x": both copied; x is never an operator here. */
                        r = dh_buf_append(&b, dollar, 2, err);
                        p = next + 1;
                }
        }
        if (r < 0) {
                dh_buf_free(&b);
                return dh_err_prefix(err, "expanding \"%.40s\"", s);
        }
        *out = dh_buf_steal(&b);
        return 0;
}
