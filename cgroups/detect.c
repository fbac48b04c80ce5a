/* Layout detection: parses mountinfo, finds the v1 hierarchies and the
 * cgroup2 mount, and picks the driver (v2 when unified at the root, v1 when
 * the v1 hierarchies carry the controllers, as runc does on hybrids). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/internal.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define DEFAULT_ROOT "/sys/fs/cgroup"
#define MOUNTINFO_MAX (16 * 1024 * 1024) /* hosts with thousands of mounts */

static const char *const ctl_names[CG_N_CONTROLLERS] = {
        [CG_CPU] = "cpu",       [CG_CPUACCT] = "cpuacct", [CG_CPUSET] = "cpuset",
        [CG_MEMORY] = "memory", [CG_PIDS] = "pids",       [CG_HUGETLB] = "hugetlb",
        [CG_FREEZER] = "freezer", [CG_DEVICES] = "devices", [CG_BLKIO] = "blkio",
};

const char *cg_ctl_name(enum cg_controller c)
{
        return (unsigned)c < CG_N_CONTROLLERS ? ctl_names[c] : "?";
}

/* What a v1 mount's super options or a v2 cgroup.controllers word means. */
static int ctl_from_word(const char *w, size_t n, bool v2)
{
        if (v2 && n == 2 && !memcmp(w, "io", 2))
                return CG_BLKIO;
        for (int c = 0; c < CG_N_CONTROLLERS; c++) {
                if (v2 && (c == CG_CPUACCT || c == CG_FREEZER || c == CG_DEVICES || c == CG_BLKIO))
                        continue;
                if (strlen(ctl_names[c]) == n && !memcmp(w, ctl_names[c], n))
                        return c;
        }
        return -1;
}

static unsigned mask_from_list(const char *s, const char *seps, bool v2)
{
        unsigned mask = 0;
        while (*s) {
                size_t n = strcspn(s, seps);
                int c = ctl_from_word(s, n, v2);
                if (c >= 0)
                        mask |= CG_BIT(c);
                s += n;
                s += strspn(s, seps);
        }
        return mask;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape(char *s)
{
        char *o = s;
        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else {
                        *o++ = *s;
                }
        }
        *o = '\0';
}

struct mount {
        char *point, *fstype, *super;
};

/* Splits one line in place: "id parent maj:min root point opts [tags] - fstype source super". */
static int parse_line(char *line, struct mount *m)
{
        char *f[64];
        size_t n = 0;
        for (char *p = line; *p && n < DH_ARRAY_SIZE(f);) {
                f[n++] = p;
                p += strcspn(p, " ");
                if (*p)
                        *p++ = '\0';
        }
        size_t dash = 6;
        while (dash < n && strcmp(f[dash], "-") != 0)
                dash++;
        if (n < 10 || dash + 3 >= n)
                return -1;
        m->point = f[4];
        m->fstype = f[dash + 1];
        m->super = f[dash + 3];
        unescape(m->point);
        return 0;
}

/* Mount points under the canonical /sys/fs/cgroup are rebased onto root so
 * tests can point a real-looking mountinfo at a fake tree. */
static char *rebase(const char *point, const char *root)
{
        size_t dl = strlen(DEFAULT_ROOT);
        if (strcmp(root, DEFAULT_ROOT) != 0 && !strncmp(point, DEFAULT_ROOT, dl) &&
            (point[dl] == '\0' || point[dl] == '/'))
                return cg_join(root, point[dl] ? point + dl + 1 : NULL);
        return strdup(point);
}

static bool under(const char *dir, const char *root)
{
        size_t n = strlen(root);
        return !strncmp(dir, root, n) && (dir[n] == '\0' || dir[n] == '/');
}

void cg_layout_free(struct cg_layout *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n_hier; i++)
                free(l->hier[i].dir);
        free(l);
}

static int add_hier(struct cg_layout *l, char *dir, unsigned mask, struct dh_err **err)
{
        if (!dir)
                return dh_err_errno(err, errno, "cgroup mount point");
        unsigned fresh = 0;
        for (int c = 0; c < CG_N_CONTROLLERS; c++)
                if ((mask & CG_BIT(c)) && l->ctl[c] < 0)
                        fresh |= CG_BIT(c);
        /* A controller already found (a bind mount, a second view) keeps
         * its first hierarchy. */
        if (!fresh || l->n_hier >= CG_N_CONTROLLERS) {
                free(dir);
                return 0;
        }
        for (int c = 0; c < CG_N_CONTROLLERS; c++)
                if (fresh & CG_BIT(c))
                        l->ctl[c] = (int)l->n_hier;
        l->hier[l->n_hier++] = (struct cg_hier){ .dir = dir, .mask = fresh };
        return 0;
}

struct scan {
        char *v2_root;  /* a cgroup2 mount exactly at root */
        char *v2_other; /* the first cgroup2 mount elsewhere */
        struct cg_layout *v1;
};

static void scan_free(struct scan *s)
{
        free(s->v2_root);
        free(s->v2_other);
        cg_layout_free(s->v1);
}

static int scan_mount(struct scan *s, const struct mount *m, const char *root, bool pass_under,
                      struct dh_err **err)
{
        bool v2 = !strcmp(m->fstype, "cgroup2");
        if (!v2 && strcmp(m->fstype, "cgroup") != 0)
                return 0;
        char *dir = rebase(m->point, root);
        if (!dir)
                return dh_err_errno(err, errno, "cgroup mount point %s", m->point);
        if (under(dir, root) != pass_under) {
                free(dir);
                return 0;
        }
        if (v2) {
                char **slot = !strcmp(dir, root) ? &s->v2_root : &s->v2_other;
                if (!*slot)
                        *slot = TAKE_PTR(dir);
                free(dir);
                return 0;
        }
        return add_hier(s->v1, dir, mask_from_list(m->super, ",", false), err);
}

/* Two passes over the lines: mounts under root win over the same
 * controllers mounted elsewhere. */
static int scan_text(const char *text, const char *root, struct scan *s, struct dh_err **err)
{
        for (int pass = 0; pass < 2; pass++) {
                _cleanup_free_ char *copy = strdup(text);
                if (!copy)
                        return dh_err_set(err, ENOMEM, "mountinfo: out of memory");
                size_t lineno = 0;
                for (char *line = copy, *next; line && *line; line = next) {
                        char *nl = strchr(line, '\n');
                        next = nl ? nl + 1 : NULL;
                        if (nl)
                                *nl = '\0';
                        lineno++;
                        struct mount m;
                        if (parse_line(line, &m) < 0)
                                return dh_err_set(err, EINVAL, "mountinfo line %zu: malformed",
                                                  lineno);
                        int r = scan_mount(s, &m, root, pass == 0, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static struct cg_layout *layout_new(void)
{
        struct cg_layout *l = calloc(1, sizeof *l);
        if (l)
                for (int c = 0; c < CG_N_CONTROLLERS; c++)
                        l->ctl[c] = -1;
        return l;
}

/* The unified hierarchy at dir, with the controllers its cgroup.controllers
 * lists; cpu accounting and the freezer are core files in v2. */
static int make_v2(char *dir, struct cg_layout **out, struct dh_err **err)
{
        _cleanup_free_ char *list = NULL;
        if (cg_read(dir, "cgroup.controllers", CG_FILE_MAX, &list, err) < 0) {
                free(dir);
                return dh_err_prefix(err, "cgroup2");
        }
        struct cg_layout *l = layout_new();
        if (!l) {
                free(dir);
                return dh_err_set(err, ENOMEM, "cgroup layout: out of memory");
        }
        unsigned mask = mask_from_list(list, " \t\n", true) | CG_BIT(CG_CPUACCT) | CG_BIT(CG_FREEZER);
        l->version = CG_V2;
        l->ops = &cg_v2_ops;
        l->n_hier = 1;
        l->hier[0] = (struct cg_hier){ .dir = dir, .mask = mask };
        for (int c = 0; c < CG_N_CONTROLLERS; c++)
                if (mask & CG_BIT(c))
                        l->ctl[c] = 0;
        *out = l;
        return 0;
}

static bool v2_holds_cpu_memory(const char *dir)
{
        _cleanup_free_ char *list = NULL;
        if (cg_read(dir, "cgroup.controllers", CG_FILE_MAX, &list, NULL) < 0)
                return false;
        return cg_has_word(list, "cpu") && cg_has_word(list, "memory");
}

static int decide(struct scan *s, struct cg_layout **out, struct dh_err **err)
{
        struct cg_layout *v1 = s->v1;
        bool v1_main = v1->ctl[CG_CPU] >= 0 || v1->ctl[CG_MEMORY] >= 0;
        if (s->v2_root && (!v1_main || v2_holds_cpu_memory(s->v2_root)))
                return make_v2(TAKE_PTR(s->v2_root), out, err);
        if (v1->n_hier > 0) {
                v1->version = CG_V1;
                v1->ops = &cg_v1_ops;
                v1->procs_hier = v1->ctl[CG_MEMORY] >= 0 ? (size_t)v1->ctl[CG_MEMORY] : 0;
                *out = TAKE_PTR(s->v1);
                return 0;
        }
        char *dir = s->v2_root ? TAKE_PTR(s->v2_root) : TAKE_PTR(s->v2_other);
        if (dir)
                return make_v2(dir, out, err);
        return dh_err_set(err, ENOENT, "no cgroup hierarchy is mounted (mountinfo lists no cgroup or cgroup2 mount)");
}

int cg_detect_text(const char *mountinfo, const char *root, struct cg_layout **out,
                   struct dh_err **err)
{
        _cleanup_free_ char *r = strdup(root ? root : DEFAULT_ROOT);
        if (!r)
                return dh_err_set(err, ENOMEM, "cgroup layout: out of memory");
        size_t n = strlen(r);
        while (n > 1 && r[n - 1] == '/')
                r[--n] = '\0';
        struct scan s = { .v1 = layout_new() };
        if (!s.v1)
                return dh_err_set(err, ENOMEM, "cgroup layout: out of memory");
        int ret = scan_text(mountinfo, r, &s, err);
        if (ret >= 0)
                ret = decide(&s, out, err);
        scan_free(&s);
        return ret;
}

int cg_detect(const char *mountinfo, const char *root, struct cg_layout **out, struct dh_err **err)
{
        const char *path = mountinfo ? mountinfo : "/proc/self/mountinfo";
        _cleanup_free_ char *text = NULL;
        if (dh_read_file(path, MOUNTINFO_MAX, &text, NULL, err) < 0)
                return dh_err_prefix(err, "detecting cgroups");
        if (cg_detect_text(text, root, out, err) < 0)
                return dh_err_prefix(err, "detecting cgroups: %s", path);
        return 0;
}

enum cg_version cg_layout_version(const struct cg_layout *l)
{
        return l->version;
}

bool cg_layout_has(const struct cg_layout *l, enum cg_controller c)
{
        return (unsigned)c < CG_N_CONTROLLERS && l->ctl[c] >= 0;
}

const char *cg_layout_dir(const struct cg_layout *l, enum cg_controller c)
{
        return cg_layout_has(l, c) ? l->hier[l->ctl[c]].dir : NULL;
}
