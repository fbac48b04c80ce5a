/* Device access rules: their text forms (access "rwm", v1's "c 1:3 rwm"),
 * the shape check every driver relies on, and the cg_apply_devices entry
 * point. The drivers write them: v1.c to devices.deny/allow, v2.c through
 * the eBPF filter built in devfilter.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroups/internal.h"

#define MAJOR_MAX 0xfff
#define MINOR_MAX 0xfffff

int cg_dev_access_parse(const char *s, uint32_t *out)
{
        uint32_t bits = 0;
        if (!s || !*s)
                return -1;
        for (; *s; s++) {
                uint32_t b = *s == 'r' ? CG_DEV_READ : *s == 'w' ? CG_DEV_WRITE : *s == 'm' ? CG_DEV_MKNOD : 0;
                if (!b || (bits & b))
                        return -1;
                bits |= b;
        }
        *out = bits;
        return 0;
}

static int num_format(int64_t v, char *buf, size_t size)
{
        return v == CG_DEV_WILDCARD ? snprintf(buf, size, "*") : snprintf(buf, size, "%" PRId64, v);
}

int cg_dev_rule_format(const struct cg_dev_rule *r, char *buf, size_t size)
{
        if (r->type == 'a')
                return snprintf(buf, size, "a") < (int)size ? 1 : -1;
        char maj[24], min[24];
        num_format(r->major, maj, sizeof maj);
        num_format(r->minor, min, sizeof min);
        int n = snprintf(buf, size, "%c %s:%s %s%s%s", r->type, maj, min,
                         r->access & CG_DEV_READ ? "r" : "", r->access & CG_DEV_WRITE ? "w" : "",
                         r->access & CG_DEV_MKNOD ? "m" : "");
        return n >= 0 && (size_t)n < size ? n : -1;
}

static bool num_ok(int64_t v, int64_t max)
{
        return v == CG_DEV_WILDCARD || (v >= 0 && v <= max);
}

static int rule_check(const struct cg_dev_rule *r, size_t i, bool default_allow, struct dh_err **err)
{
        if (i == 0 && r->type != 'a')
                return dh_err_set(err, DH_EINVAL_INPUT, "device rule 0: must be type 'a' (the default)");
        if (i > 0 && r->type != 'b' && r->type != 'c')
                return dh_err_set(err, DH_EINVAL_INPUT, "device rule %zu: type must be 'b' or 'c'", i);
        if (i > 0 && r->allow == default_allow)
                return dh_err_set(err, DH_EINVAL_INPUT, "device rule %zu: %s what is already %s by default",
                                  i, r->allow ? "allows" : "denies", r->allow ? "allowed" : "denied");
        if (!num_ok(r->major, MAJOR_MAX) || !num_ok(r->minor, MINOR_MAX))
                return dh_err_set(err, DH_EINVAL_INPUT, "device rule %zu: device number %" PRId64 ":%" PRId64
                                  " out of range", i, r->major, r->minor);
        if (!r->access || (r->access & ~(uint32_t)CG_DEV_RWM))
                return dh_err_set(err, DH_EINVAL_INPUT, "device rule %zu: invalid access bits %#x", i,
                                  (unsigned)r->access);
        return 0;
}

int cg_dev_rules_check(const struct cg_dev_rule *rules, size_t n, struct dh_err **err)
{
        if (n == 0)
                return dh_err_set(err, DH_EINVAL_INPUT, "device rules: empty (a default rule is required)");
        if (n > CG_DEV_RULES_MAX)
                return dh_err_set(err, DH_ELIMIT, "device rules: %zu rules, at most %d", n, CG_DEV_RULES_MAX);
        for (size_t i = 0; i < n; i++)
                if (rule_check(&rules[i], i, rules[0].allow, err) < 0)
                        return -DH_EINVAL_INPUT;
        return 0;
}

int cg_apply_devices(const struct cg_layout *l, const char *path, const struct cg_dev_rule *rules,
                     size_t n, struct dh_err **err)
{
        if (cg_path_check(path, err) < 0)
                return -DH_EINVAL_INPUT;
        if (cg_dev_rules_check(rules, n, err) < 0)
                return dh_err_prefix(err, "cgroup %s", path);
        return l->ops->devices(l, path, rules, n, err);
}
