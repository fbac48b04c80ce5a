/* Applying a container's process security in the shim's child: the user
 * from the image's /etc/passwd and /etc/group (parsed here: the binary is
 * static and the files are untrusted), groups and ids, the capability
 * sets, no_new_privs and seccomp, in runc's order. */
#include "cri/builtin/security.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define DB_MAX_BYTES (1024 * 1024)
#define DB_MAX_LINE 65536
#define SPEC_MAX 256
#define ID_MAX INT32_MAX /* runc's range for ids given by name or number */
#define GROUPS_MAX 65536 /* the kernel's NGROUPS_MAX */

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits on Linux");

/* ---- /etc/passwd and /etc/group ---- */

struct db {
        const char *name; /* "/etc/passwd", for messages */
        char *data;
        size_t len;
};

struct slice {
        const char *p;
        size_t n;
};

static bool slice_eq(struct slice s, const char *str)
{
        return strlen(str) == s.n && memcmp(s.p, str, s.n) == 0;
}

/* Decimal digits only, no sign or spaces, value <= max. */
static bool slice_id(struct slice s, uint64_t max, uint32_t *out)
{
        uint64_t v = 0;
        if (s.n == 0 || s.n > 10)
                return false;
        for (size_t i = 0; i < s.n; i++) {
                if (!isdigit((unsigned char)s.p[i]))
                        return false;
                v = v * 10 + (uint64_t)(s.p[i] - '0');
        }
        if (v > max)
                return false;
        *out = (uint32_t)v;
        return true;
}

/* Opens rel under root_fd without leaving it (RESOLVE_IN_ROOT), so a
 * symlinked /etc/passwd in the image can't point at the host's; O_NONBLOCK
 * so a FIFO can't block us. Missing files leave db->data NULL. */
static int db_read(int root_fd, const char *rel, struct db *db, struct dh_err **err)
{
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        int fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
        if (fd < 0 && errno == ENOSYS) /* < 5.6: after pivot_root "/" is the root anyway */
                fd = openat(root_fd, rel, (int)how.flags);
        _cleanup_close_ int cfd = fd;
        if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
                return 0;
        if (fd < 0)
                return dh_err_errno(err, errno, "open %s", db->name);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "stat %s", db->name);
        if (!S_ISREG(st.st_mode))
                return dh_err_set(err, EINVAL, "%s is not a regular file", db->name);
        return dh_read_fd(fd, db->name, DB_MAX_BYTES, &db->data, &db->len, err);
}

/* Splits one line into ':'-separated fields; extra fields are ignored and
 * missing ones are empty, as runc's parser does. */
static void split_fields(struct slice line, struct slice *f, size_t max)
{
        size_t k = 0;
        const char *p = line.p, *end = line.p + line.n;
        for (size_t i = 0; i < max; i++)
                f[i] = (struct slice){ end, 0 };
        while (k < max) {
                const char *c = memchr(p, ':', (size_t)(end - p));
                f[k++] = (struct slice){ p, (size_t)((c ? c : end) - p) };
                if (!c)
                        break;
                p = c + 1;
        }
}

typedef int (*db_line_fn)(struct slice *f, void *ud);

/* Calls fn(fields) for every entry line; blank lines and '#' comments are
 * skipped, lines are trimmed like runc's bytes.TrimSpace. fn returns 1 to
 * stop. A line longer than DB_MAX_LINE is an error, as in runc. */
static int db_each(const struct db *db, size_t nfields, db_line_fn fn, void *ud,
                   struct dh_err **err)
{
        struct slice f[8];
        size_t lineno = 0;
        if (!db->data)
                return 0; /* a missing file has no entries */
        for (const char *p = db->data, *end = db->data + db->len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                struct slice line = { p, (size_t)((nl ? nl : end) - p) };
                p = nl ? nl + 1 : end;
                lineno++;
                if (line.n > DB_MAX_LINE)
                        return dh_err_set(err, DH_ELIMIT, "%s: line %zu is longer than %d bytes",
                                          db->name, lineno, DB_MAX_LINE);
                while (line.n && isspace((unsigned char)*line.p))
                        line.p++, line.n--;
                while (line.n && isspace((unsigned char)line.p[line.n - 1]))
                        line.n--;
                if (line.n == 0 || line.p[0] == '#')
                        continue;
                split_fields(line, f, nfields);
                if (fn(f, ud))
                        break;
        }
        return 0;
}

/* "user" or "user:group", each a name or a number. */
struct user_spec {
        char user[SPEC_MAX], group[SPEC_MAX];
        bool user_num, group_num;
        uint32_t uid, gid;
};

static int spec_part(const char *s, size_t n, char *dst, bool *is_num, uint32_t *id,
                     const char *what, struct dh_err **err)
{
        if (n >= SPEC_MAX || memchr(s, '\0', n))
                return dh_err_set(err, EINVAL, "invalid %s \"%.*s\"", what, (int)(n > 64 ? 64 : n), s);
        memcpy(dst, s, n);
        dst[n] = '\0';
        bool digits = n > 0;
        for (size_t i = 0; i < n; i++)
                digits = digits && isdigit((unsigned char)s[i]);
        /* All digits is always an id: an out-of-range number must not fall
         * back to a name lookup (containerd CVE-2026-46680). */
        *is_num = digits;
        if (digits && !slice_id((struct slice){ s, n }, ID_MAX, id))
                return dh_err_set(err, ERANGE, "%s \"%s\": uids and gids must be in range 0-%d",
                                  what, dst, ID_MAX);
        return 0;
}

static int spec_parse(const char *lookup, struct user_spec *s, struct dh_err **err)
{
        const char *colon = strchr(lookup, ':');
        size_t un = colon ? (size_t)(colon - lookup) : strlen(lookup);
        if (un == 0 || (colon && strchr(colon + 1, ':')))
                return dh_err_set(err, EINVAL, "invalid user \"%s\": want user[:group]", lookup);
        if (spec_part(lookup, un, s->user, &s->user_num, &s->uid, "user", err) < 0)
                return -EINVAL;
        const char *g = colon ? colon + 1 : "";
        return spec_part(g, strlen(g), s->group, &s->group_num, &s->gid, "group", err);
}

struct pw_match {
        const struct user_spec *spec;
        bool found;
        uint32_t uid, gid;
        char name[SPEC_MAX];
};

static int pw_line(struct slice *f, void *ud)
{
        struct pw_match *m = ud;
        uint32_t uid, gid;
        /* A malformed entry is skipped rather than read as 0 (runc's Atoi
         * would make a broken line root). */
        if (!slice_id(f[2], UINT32_MAX - 1, &uid) || !slice_id(f[3], UINT32_MAX - 1, &gid) ||
            f[0].n == 0 || f[0].n >= SPEC_MAX)
                return 0;
        if (m->spec->user_num ? uid != m->spec->uid : !slice_eq(f[0], m->spec->user))
                return 0;
        m->found = true;
        m->uid = uid;
        m->gid = gid;
        memcpy(m->name, f[0].p, f[0].n);
        m->name[f[0].n] = '\0';
        return 1; /* first match wins, as in runc */
}

struct gr_match {
        const struct user_spec *spec;
        const char *username;  /* matched passwd entry, or NULL */
        bool group_found;
        uint32_t gid;
        DH_VEC(uint32_t) supp;
        bool oom;
};

static bool member_of(struct slice list, const char *name)
{
        for (const char *p = list.p, *end = list.p + list.n; p <= end;) {
                const char *c = memchr(p, ',', (size_t)(end - p));
                struct slice m = { p, (size_t)((c ? c : end) - p) };
                if (slice_eq(m, name))
                        return true;
                if (!c)
                        break;
                p = c + 1;
        }
        return false;
}

static int gr_line(struct slice *f, void *ud)
{
        struct gr_match *m = ud;
        uint32_t gid;
        if (!slice_id(f[2], UINT32_MAX - 1, &gid))
                return 0;
        if (m->spec->group[0] && !m->group_found &&
            (m->spec->group_num ? gid == m->spec->gid : slice_eq(f[0], m->spec->group))) {
                m->group_found = true;
                m->gid = gid;
        }
        /* containerd's supplementary groups: every group listing the user,
         * except the one named like the user (its primary group). */
        if (m->username && !slice_eq(f[0], m->username) && member_of(f[3], m->username) &&
            m->supp.n < GROUPS_MAX) {
                uint32_t *nv = realloc(m->supp.v, (m->supp.n + 1) * sizeof *nv);
                if (!nv) {
                        m->oom = true;
                        return 1;
                }
                m->supp.v = nv;
                nv[m->supp.n++] = gid;
        }
        return 0;
}

static int push_gid(struct rt_user_ids *ids, uint32_t g, struct dh_err **err)
{
        for (size_t i = 0; i < ids->n_gids; i++)
                if (ids->gids[i] == g)
                        return 0;
        if (ids->n_gids >= GROUPS_MAX)
                return dh_err_set(err, DH_ELIMIT, "more than %d supplementary groups", GROUPS_MAX);
        uint32_t *nv = realloc(ids->gids, (ids->n_gids + 1) * sizeof *nv);
        if (!nv)
                return dh_err_set(err, ENOMEM, "out of memory");
        ids->gids = nv;
        nv[ids->n_gids++] = g;
        return 0;
}

/* runc's GetExecUser for lookup, with containerd's supplementary groups
 * (added whenever a passwd entry matched, whatever the group form). */
static int resolve_lookup(int root_fd, const struct rt_plan_user *u, struct rt_user_ids *ids,
                          struct gr_match *gm, struct dh_err **err)
{
        struct user_spec spec = { 0 };
        if (spec_parse(u->lookup, &spec, err) < 0)
                return -EINVAL;
        _cleanup_free_ char *pwdata = NULL, *grdata = NULL;
        struct db pw = { .name = "/etc/passwd" }, gr = { .name = "/etc/group" };
        int r = db_read(root_fd, "etc/passwd", &pw, err);
        pwdata = pw.data;
        struct pw_match pm = { .spec = &spec };
        if (r < 0 || db_each(&pw, 7, pw_line, &pm, err) < 0)
                return -EINVAL;
        if (!pm.found && !spec.user_num)
                return dh_err_set(err, ENOENT, "unable to find user %s: no matching entries in passwd file",
                                  spec.user);
        ids->uid = pm.found ? pm.uid : spec.uid;
        ids->gid = pm.found ? pm.gid : 0; /* runc's default group is root's */
        *gm = (struct gr_match){ .spec = &spec, .username = pm.found ? pm.name : NULL };
        if (spec.group[0] || pm.found) {
                r = db_read(root_fd, "etc/group", &gr, err);
                grdata = gr.data;
                if (r < 0 || db_each(&gr, 4, gr_line, gm, err) < 0)
                        return -EINVAL;
                if (gm->oom)
                        return dh_err_set(err, ENOMEM, "out of memory");
        }
        if (spec.group[0] && !gm->group_found && !spec.group_num)
                return dh_err_set(err, ENOENT, "unable to find group %s: no matching entries in group file",
                                  spec.group);
        if (spec.group[0])
                ids->gid = gm->group_found ? gm->gid : spec.gid;
        return 0;
}

int rt_user_resolve(int root_fd, const struct rt_plan_user *u, struct rt_user_ids *out,
                    struct dh_err **err)
{
        struct rt_user_ids ids = { .uid = u->uid, .gid = u->gid };
        struct gr_match gm = { 0 };
        int r = 0;
        if (u->lookup)
                r = resolve_lookup(root_fd, u, &ids, &gm, err);
        if (r == 0 && u->gid_set)
                ids.gid = u->gid; /* runAsGroup wins over the passwd entry's group */
        if (r == 0)
                r = push_gid(&ids, ids.gid, err);
        for (size_t i = 0; r == 0 && i < u->additional_gids.n; i++)
                r = push_gid(&ids, u->additional_gids.v[i], err);
        for (size_t i = 0; r == 0 && i < gm.supp.n; i++)
                r = push_gid(&ids, gm.supp.v[i], err);
        free(gm.supp.v);
        if (r < 0) {
                free(ids.gids);
                return r;
        }
        *out = ids;
        return 0;
}

void rt_user_ids_free(struct rt_user_ids *ids)
{
        free(ids->gids);
        ids->gids = NULL;
        ids->n_gids = 0;
}

/* ---- file descriptors ---- */

int rt_close_fds(int from)
{
        if (from < 0)
                return -EINVAL;
        if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return 0;
        /* < 5.11: walk /proc/self/fd (our own dir fd is CLOEXEC already). */
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -errno;
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                char *end;
                long fd = strtol(de->d_name, &end, 10);
                if (*end || end == de->d_name || fd < from || fd == dirfd(d))
                        continue;
                int fl = fcntl((int)fd, F_GETFD);
                if (fl >= 0 && !(fl & FD_CLOEXEC) && fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC) < 0)
                        r = -errno;
        }
        closedir(d);
        return r;
}

/* ---- capabilities ---- */

static uint64_t bit(int c)
{
        return UINT64_C(1) << c;
}

static const char *cap_str(int c)
{
        const char *n = rt_cap_name(c);
        return n ? n : "an unknown capability";
}

/* The highest capability the running kernel knows: PR_CAPBSET_READ fails
 * with EINVAL past it. The same answer as /proc/sys/kernel/cap_last_cap
 * without needing /proc, which may be masked or not mounted yet. */
static int cap_last(void)
{
        int last = -1;
        while (last < 63 && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
                last++;
        return last;
}

static int caps_get(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = { 0 };
        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        *eff = (uint64_t)d[1].effective << 32 | d[0].effective;
        *perm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
        *inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
        return 0;
}

/* The sets to apply: the plan's, limited to what this kernel knows. A
 * privileged container gets what the runtime holds (containerd's
 * WithAllCurrentCapabilities); anyone else asking for a capability the
 * runtime lacks is an error, as with runc. */
static int caps_for(const struct rt_container_plan *p, struct rt_plan_caps *c, int *last,
                    struct dh_err **err)
{
        *last = cap_last();
        if (*last < 0)
                return dh_err_errno(err, errno, "prctl(PR_CAPBSET_READ)");
        uint64_t valid = *last >= 63 ? UINT64_MAX : bit(*last + 1) - 1;
        uint64_t e = 0, have = 0, i = 0;
        int r = caps_get(&e, &have, &i);
        if (r < 0)
                return dh_err_errno(err, -r, "capget");
        *c = p->caps;
        c->bounding &= valid;
        uint64_t *sets[] = { &c->effective, &c->permitted, &c->inheritable, &c->ambient };
        for (size_t k = 0; k < DH_ARRAY_SIZE(sets); k++)
                *sets[k] &= valid & (p->privileged ? have : UINT64_MAX);
        uint64_t missing = (c->effective | c->permitted | c->inheritable | c->ambient) & ~have;
        for (int cap = 0; cap <= *last; cap++)
                if (missing & bit(cap))
                        return dh_err_set(err, EPERM, "%s is requested but the runtime does not hold it",
                                          cap_str(cap));
        return 0;
}

static int drop_bounding(uint64_t keep, int last, struct dh_err **err)
{
        for (int c = 0; c <= last; c++) {
                if ((keep & bit(c)) || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
                        continue;
                /* Safe: only ever narrows what this process and its
                 * descendants can gain; needs CAP_SETPCAP, which we still hold. */
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
                        return dh_err_errno(err, errno, "drop %s from the bounding set", cap_str(c));
        }
        return 0;
}

static int switch_user(const struct rt_user_ids *ids, struct dh_err **err)
{
        /* Keep the permitted set across the uid change: capset() trims it
         * to the plan's right after, as runc does. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return dh_err_errno(err, errno, "prctl(PR_SET_KEEPCAPS)");
        if (setgroups(ids->n_gids, (const gid_t *)ids->gids) < 0)
                return dh_err_errno(err, errno, "setgroups (%zu groups)", ids->n_gids);
        if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
                return dh_err_errno(err, errno, "setresgid %u", ids->gid);
        if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
                return dh_err_errno(err, errno, "setresuid %u", ids->uid);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return dh_err_errno(err, errno, "prctl(PR_SET_KEEPCAPS)");
        return 0;
}

static int set_caps(const struct rt_plan_caps *c, int last, struct dh_err **err)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];
        for (int k = 0; k < 2; k++)
                d[k] = (struct __user_cap_data_struct){
                        .effective = (uint32_t)(c->effective >> (32 * k)),
                        .permitted = (uint32_t)(c->permitted >> (32 * k)),
                        .inheritable = (uint32_t)(c->inheritable >> (32 * k)),
                };
        if (syscall(SYS_capset, &h, d) < 0)
                return dh_err_errno(err, errno, "capset effective=%016llx permitted=%016llx inheritable=%016llx",
                                    (unsigned long long)c->effective, (unsigned long long)c->permitted,
                                    (unsigned long long)c->inheritable);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
            (errno != EINVAL || c->ambient)) /* EINVAL: kernel < 4.3, fine if none asked */
                return dh_err_errno(err, errno, "clear the ambient set");
        for (int cap = 0; cap <= last; cap++)
                if ((c->ambient & bit(cap)) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                        return dh_err_errno(err, errno, "raise ambient %s (it must be permitted and inheritable)",
                                            cap_str(cap));
        return 0;
}

/* ---- putting it together ---- */

/* RuntimeDefault programs by capability set: every container with the same
 * caps gets the same filter, so one compilation serves them all. A small
 * process-wide memo; Localhost profiles are files that may change and are
 * compiled each time, as containerd reads them each time. */
#define BPF_CACHE_SLOTS 8
static struct {
        uint64_t caps;
        struct sock_filter *bpf;
        unsigned short len;
} bpf_cache[BPF_CACHE_SLOTS];

/* libseccomp 2.5 exports BPF only to an fd: through a memfd, then back. */
static int export_bpf(scmp_filter_ctx ctx, struct rt_security_prep *prep, struct dh_err **err)
{
        _cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return dh_err_errno(err, errno, "memfd_create");
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return dh_err_errno(err, -r, "export the seccomp filter");
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
            size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
                return dh_err_set(err, EINVAL, "seccomp filter of %lld bytes is not a valid program",
                                  (long long)size);
        prep->bpf = malloc((size_t)size);
        if (!prep->bpf)
                return dh_err_set(err, ENOMEM, "out of memory");
        if (pread(fd, prep->bpf, (size_t)size, 0) != size) {
                free(prep->bpf);
                prep->bpf = NULL;
                return dh_err_errno(err, errno ? errno : EIO, "read the seccomp filter back");
        }
        prep->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
        return 0;
}

static bool cache_get(uint64_t caps, struct rt_security_prep *prep)
{
        for (size_t i = 0; i < BPF_CACHE_SLOTS; i++) {
                if (bpf_cache[i].bpf && bpf_cache[i].caps == caps) {
                        size_t bytes = bpf_cache[i].len * sizeof(struct sock_filter);
                        if (!(prep->bpf = malloc(bytes)))
                                return false;
                        memcpy(prep->bpf, bpf_cache[i].bpf, bytes);
                        prep->len = bpf_cache[i].len;
                        return true;
                }
        }
        return false;
}

static void cache_put(uint64_t caps, const struct rt_security_prep *prep)
{
        size_t slot = 0;
        while (slot < BPF_CACHE_SLOTS && bpf_cache[slot].bpf)
                slot++;
        size_t bytes = prep->len * sizeof(struct sock_filter);
        struct sock_filter *copy = slot < BPF_CACHE_SLOTS ? malloc(bytes) : NULL;
        if (!copy)
                return; /* full or no memory: just not cached */
        memcpy(copy, prep->bpf, bytes);
        bpf_cache[slot].caps = caps;
        bpf_cache[slot].bpf = copy;
        bpf_cache[slot].len = prep->len;
}

/* A filter the client compiled: base64 of raw BPF, checked for shape. */
static int prep_from_base64(const char *b64, struct rt_security_prep *prep, struct dh_err **err)
{
        unsigned char *raw = NULL;
        size_t len = 0;
        if (dh_base64_decode(b64, strlen(b64), &raw, &len, err) < 0)
                return dh_err_prefix(err, "seccomp_bpf");
        size_t n = len / sizeof(struct sock_filter);
        if (len == 0 || len % sizeof(struct sock_filter) || n > BPF_MAXINSNS) {
                free(raw);
                return dh_err_set(err, EINVAL, "seccomp_bpf: %zu bytes is not a BPF program", len);
        }
        prep->bpf = (struct sock_filter *)raw;
        prep->len = (unsigned short)n;
        return 0;
}

int rt_security_attach_bpf(struct rt_container_plan *p, struct dh_err **err)
{
        struct rt_security_prep prep = { 0 };
        free(p->seccomp_bpf);
        p->seccomp_bpf = NULL;
        int r = rt_security_prepare(p, &prep, err);
        if (r == 0 && prep.bpf &&
            !(p->seccomp_bpf = dh_base64_encode(prep.bpf, prep.len * sizeof(struct sock_filter))))
                r = dh_err_set(err, ENOMEM, "out of memory");
        rt_security_prep_release(&prep);
        return r;
}

int rt_security_prepare(const struct rt_container_plan *p, struct rt_security_prep *prep,
                        struct dh_err **err)
{
        *prep = (struct rt_security_prep){ .built = true };
        if (p->seccomp == RT_PLAN_SECCOMP_UNCONFINED)
                return 0;
        if (p->seccomp_bpf) {
                int r = prep_from_base64(p->seccomp_bpf, prep, err);
                if (r < 0)
                        *prep = (struct rt_security_prep){ 0 };
                return r;
        }
        /* containerd enables the capability-conditional syscalls from the
         * bounding set; the plan's bounding set is the container's caps. */
        uint64_t caps = p->caps.bounding;
        if (p->seccomp == RT_PLAN_SECCOMP_RUNTIME_DEFAULT && cache_get(caps, prep))
                return 0;
        scmp_filter_ctx ctx = NULL;
        int r = rt_seccomp_build(p->seccomp, p->seccomp_profile, caps, &ctx, err);
        if (r == 0 && ctx)
                r = export_bpf(ctx, prep, err);
        if (ctx) {
                seccomp_release(ctx);
                /* Compiling grows the heap by about a megabyte, all freed
                 * now; hand it back, or every shim keeps it resident. */
                malloc_trim(0);
        }
        if (r == 0 && prep->bpf && p->seccomp == RT_PLAN_SECCOMP_RUNTIME_DEFAULT)
                cache_put(caps, prep);
        if (r < 0)
                *prep = (struct rt_security_prep){ 0 };
        return r;
}

void rt_security_prep_release(struct rt_security_prep *prep)
{
        free(prep->bpf);
        *prep = (struct rt_security_prep){ 0 };
}

static int load_filter(const struct rt_container_plan *p, struct rt_security_prep *prep,
                       struct dh_err **err)
{
        if (!prep->built && rt_security_prepare(p, prep, err) < 0)
                return -EINVAL;
        if (!prep->bpf)
                return 0;
        struct sock_fprog prog = { .len = prep->len, .filter = prep->bpf };
        /* What seccomp_load does with our attributes (no NNP, no TSYNC). */
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                return dh_err_errno(err, errno, "load the seccomp filter");
        return 0;
}

int rt_security_apply_prepared(const struct rt_container_plan *p, struct rt_security_prep *prep_in,
                               struct dh_err **err)
{
        struct rt_security_prep local = { 0 };
        struct rt_security_prep *prep = prep_in ? prep_in : &local;
        struct rt_user_ids ids = { 0 };
        struct rt_plan_caps caps;
        int last = -1, r;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return dh_err_errno(err, errno, "open /");
        r = rt_user_resolve(root, &p->user, &ids, err);
        if (r == 0)
                r = caps_for(p, &caps, &last, err);
        if (r == 0 && (r = rt_close_fds(3)) < 0)
                dh_err_errno(err, -r, "mark inherited fds close-on-exec");
        /* Without no_new_privs only CAP_SYS_ADMIN may install a filter:
         * load it while we still hold everything (runc does the same). */
        if (r == 0 && !p->no_new_privs)
                r = load_filter(p, prep, err);
        if (r == 0)
                r = drop_bounding(caps.bounding, last, err);
        if (r == 0)
                r = switch_user(&ids, err);
        if (r == 0)
                r = set_caps(&caps, last, err);
        if (r == 0 && p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                r = dh_err_errno(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
        /* Last, so the fewest syscalls run under the filter. */
        if (r == 0 && p->no_new_privs)
                r = load_filter(p, prep, err);
        rt_user_ids_free(&ids);
        rt_security_prep_release(&local);
        return r < 0 ? r : 0;
}

int rt_security_apply(const struct rt_container_plan *p, struct dh_err **err)
{
        return rt_security_apply_prepared(p, NULL, err);
}
