/* Capability and signal names, and the CRI capability arithmetic
 * (containerd's defaults and add/drop semantics). Pure: no syscalls. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "cri/builtin/plan.h"
#include "cri/builtin/security.h"
#include "lib/parse.h"

/* Index = capability number (linux/capability.h), up to RT_CAP_LAST. */
static const char *const cap_names[RT_CAP_LAST + 1] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
        "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
        "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

/* containerd's default set (pkg/oci defaultUnixCaps), which is also what
 * Docker grants; 0x00000000a80425fb. */
static const char *const default_caps[] = {
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
        "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
        "AUDIT_WRITE",
};

#define ALL_CAPS ((UINT64_C(1) << (RT_CAP_LAST + 1)) - 1)

uint64_t rt_default_caps(void)
{
        uint64_t m = 0;
        for (size_t i = 0; i < sizeof default_caps / sizeof *default_caps; i++)
                m |= UINT64_C(1) << rt_cap_from_name(default_caps[i]);
        return m;
}

int rt_cap_from_name(const char *name)
{
        if (!name)
                return -1;
        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        if (!*name)
                return -1;
        for (int i = 0; i <= RT_CAP_LAST; i++)
                if (strcasecmp(name, cap_names[i] + 4) == 0)
                        return i;
        return -1;
}

const char *rt_cap_name(int cap)
{
        return cap >= 0 && cap <= RT_CAP_LAST ? cap_names[cap] : NULL;
}

static bool has_all(const struct dh_strv *v)
{
        for (size_t i = 0; v && i < v->n; i++)
                if (v->v[i] && strcasecmp(v->v[i], "ALL") == 0)
                        return true;
        return false;
}

/* Sets (add) or clears (!add) every named capability except "ALL". */
static int apply_names(uint64_t *caps, const struct dh_strv *v, bool add, struct dh_err **err)
{
        for (size_t i = 0; v && i < v->n; i++) {
                const char *n = v->v[i] ? v->v[i] : "";
                if (strcasecmp(n, "ALL") == 0)
                        continue;
                int c = rt_cap_from_name(n);
                if (c < 0)
                        return dh_err_set(err, EINVAL, "%s_capabilities[%zu]: unknown capability \"%s\"",
                                          add ? "add" : "drop", i, n);
                if (add)
                        *caps |= UINT64_C(1) << c;
                else
                        *caps &= ~(UINT64_C(1) << c);
        }
        return 0;
}

/* containerd's WithCapabilities order: "ALL" in add grants everything,
 * "ALL" in drop then clears everything, then the named adds, then the
 * named drops. Privileged containers get every capability and add/drop
 * are ignored (containerd applies WithPrivileged instead). */
uint64_t rt_caps_compute(uint64_t base, const struct dh_strv *add, const struct dh_strv *drop,
                         bool privileged, struct dh_err **err)
{
        if (privileged)
                return ALL_CAPS;
        uint64_t caps = base & ALL_CAPS;
        if (has_all(add))
                caps = ALL_CAPS;
        if (has_all(drop))
                caps = 0;
        if (apply_names(&caps, add, true, err) < 0 || apply_names(&caps, drop, false, err) < 0)
                return 0;
        return caps;
}

/* The Linux signals as moby/sys/signal names them (without "SIG"). */
static const struct {
        const char *name;
        int num;
} signals[] = {
        { "HUP", 1 },     { "INT", 2 },     { "QUIT", 3 },    { "ILL", 4 },
        { "TRAP", 5 },    { "ABRT", 6 },    { "IOT", 6 },     { "BUS", 7 },
        { "FPE", 8 },     { "KILL", 9 },    { "USR1", 10 },   { "SEGV", 11 },
        { "USR2", 12 },   { "PIPE", 13 },   { "ALRM", 14 },   { "TERM", 15 },
        { "STKFLT", 16 }, { "CHLD", 17 },   { "CLD", 17 },    { "CONT", 18 },
        { "STOP", 19 },   { "TSTP", 20 },   { "TTIN", 21 },   { "TTOU", 22 },
        { "URG", 23 },    { "XCPU", 24 },   { "XFSZ", 25 },   { "VTALRM", 26 },
        { "PROF", 27 },   { "WINCH", 28 },  { "IO", 29 },     { "POLL", 29 },
        { "PWR", 30 },    { "SYS", 31 },
};

/* glibc reserves the first two real-time signals, so SIGRTMIN is 34 as
 * moby's table has it. */
#define SIG_RTMIN 34
#define SIG_RTMAX 64

static int rt_offset(const char *s, int sign)
{
        if (!*s)
                return 0;
        if ((sign > 0 && *s != '+') || (sign < 0 && *s != '-'))
                return -1;
        int64_t n;
        if (!isdigit((unsigned char)s[1]) || dh_parse_i64(s + 1, 1, 15, &n, "signal", NULL) < 0)
                return -1;
        return (int)n;
}

int rt_signal_from_name(const char *name)
{
        if (!name || !*name)
                return -1;
        if (isdigit((unsigned char)*name)) {
                int64_t n;
                return dh_parse_i64(name, 1, SIG_RTMAX, &n, "signal", NULL) < 0 ? -1 : (int)n;
        }
        if (strncasecmp(name, "SIG", 3) == 0)
                name += 3;
        for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
                if (strcasecmp(name, signals[i].name) == 0)
                        return signals[i].num;
        if (strncasecmp(name, "RTMIN", 5) == 0) {
                int off = rt_offset(name + 5, 1);
                return off < 0 ? -1 : SIG_RTMIN + off;
        }
        if (strncasecmp(name, "RTMAX", 5) == 0) {
                int off = rt_offset(name + 5, -1);
                return off < 0 ? -1 : SIG_RTMAX - off;
        }
        return -1;
}
