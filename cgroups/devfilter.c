/* The cgroup v2 device filter: BPF instructions emitted in C from device
 * rules, loaded with bpf(BPF_PROG_LOAD) and attached to the cgroup with
 * bpf(BPF_PROG_ATTACH), replacing whatever device programs were there. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups/devfilter.h"
#include "cgroups/internal.h"
#include "lib/cleanup.h"

#define LOG_MAX (64 * 1024)  /* the verifier's log, kept only on failure */
#define OLD_PROGS_MAX 64     /* device programs already on one cgroup */

/* Registers the program keeps the context in after the prologue. */
enum { R0 = 0, R1 = 1, R_TYPE = 2, R_ACCESS = 3, R_MAJOR = 4, R_MINOR = 5 };

struct emitter {
        struct bpf_insn *v;
        size_t n;
};

static void emit(struct emitter *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        /* Sized for the worst case up front (CG_DEVFILTER_INSNS_MAX). */
        e->v[e->n++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static void prologue(struct emitter *e)
{
        const uint8_t ldx_w = BPF_LDX | BPF_MEM | BPF_W;
        /* struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor */
        emit(e, ldx_w, R_TYPE, R1, 0, 0);
        emit(e, BPF_ALU | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff);
        emit(e, ldx_w, R_ACCESS, R1, 0, 0);
        emit(e, BPF_ALU | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16);
        emit(e, ldx_w, R_MAJOR, R1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
        emit(e, ldx_w, R_MINOR, R1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
}

static void ret(struct emitter *e, bool allow)
{
        emit(e, BPF_ALU | BPF_MOV | BPF_K, R0, 0, 0, allow ? 1 : 0);
        emit(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* One exception: every test jumps to the next block on a mismatch; the
 * offsets are patched once the block's length is known (off = -1 marks). */
static void rule_block(struct emitter *e, const struct cg_dev_rule *r)
{
        size_t start = e->n;
        emit(e, BPF_JMP | BPF_JNE | BPF_K, R_TYPE, 0, -1, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        if (r->access != CG_DEV_RWM) {
                emit(e, BPF_ALU | BPF_MOV | BPF_X, R1, R_ACCESS, 0, 0);
                emit(e, BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t)r->access);
                /* As the v1 kernel: an allow covers a request only when it
                 * grants all of it; a deny hits when it overlaps at all. */
                if (r->allow)
                        emit(e, BPF_JMP | BPF_JNE | BPF_X, R1, R_ACCESS, -1, 0);
                else
                        emit(e, BPF_JMP | BPF_JEQ | BPF_K, R1, 0, -1, 0);
        }
        if (r->major != CG_DEV_WILDCARD)
                emit(e, BPF_JMP | BPF_JNE | BPF_K, R_MAJOR, 0, -1, (int32_t)r->major);
        if (r->minor != CG_DEV_WILDCARD)
                emit(e, BPF_JMP | BPF_JNE | BPF_K, R_MINOR, 0, -1, (int32_t)r->minor);
        ret(e, r->allow);
        for (size_t i = start; i < e->n; i++)
                if (BPF_CLASS(e->v[i].code) == BPF_JMP && BPF_OP(e->v[i].code) != BPF_EXIT && e->v[i].off == -1)
                        e->v[i].off = (int16_t)(e->n - i - 1);
}

int cg_devfilter_build(const struct cg_dev_rule *rules, size_t n, struct bpf_insn **out, size_t *n_out,
                       struct dh_err **err)
{
        if (n == 0 || n > CG_DEV_RULES_MAX)
                return dh_err_set(err, DH_ELIMIT, "device filter: %zu rules (1..%d)", n, CG_DEV_RULES_MAX);
        struct emitter e = { .v = calloc(CG_DEVFILTER_INSNS_MAX, sizeof *e.v) };
        if (!e.v)
                return dh_err_set(err, ENOMEM, "out of memory");
        prologue(&e);
        for (size_t i = 1; i < n; i++)
                rule_block(&e, &rules[i]);
        ret(&e, rules[0].allow);
        *out = e.v;
        *n_out = e.n;
        return 0;
}

static int sys_bpf(int cmd, union bpf_attr *a)
{
        return (int)syscall(SYS_bpf, cmd, a, sizeof *a);
}

static int prog_load(const struct bpf_insn *insns, size_t n, int *fd, struct dh_err **err)
{
        static const char license[] = "GPL";
        union bpf_attr a = { 0 };
        a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        a.insns = (uintptr_t)insns;
        a.insn_cnt = (uint32_t)n;
        a.license = (uintptr_t)license;
        /* bpf() file descriptors are always close-on-exec. */
        int p = sys_bpf(BPF_PROG_LOAD, &a);
        if (p >= 0) {
                *fd = p;
                return 0;
        }
        int e = errno;
        if (e != EACCES && e != EINVAL)
                return dh_err_errno(err, e, "load the device filter");
        /* Again with the verifier's log, so the error says why. */
        _cleanup_free_ char *log = calloc(1, LOG_MAX);
        if (log) {
                a.log_buf = (uintptr_t)log;
                a.log_size = LOG_MAX;
                a.log_level = 1;
                p = sys_bpf(BPF_PROG_LOAD, &a);
                if (p >= 0)
                        close(p);
                log[LOG_MAX - 1] = '\0';
        }
        return dh_err_set(err, e, "load the device filter: %s (verifier: %.512s)", strerror(e),
                          log ? log : "no log");
}

static int query_old(int dirfd, uint32_t *ids, uint32_t *n, struct dh_err **err)
{
        union bpf_attr a = { 0 };
        a.query.target_fd = (uint32_t)dirfd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uintptr_t)ids;
        a.query.prog_cnt = OLD_PROGS_MAX;
        if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
                return dh_err_errno(err, errno, "query the attached device filters");
        *n = a.query.prog_cnt;
        return 0;
}

static int detach_old(int dirfd, uint32_t id, struct dh_err **err)
{
        union bpf_attr a = { 0 };
        a.prog_id = id;
        _cleanup_close_ int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
        if (fd < 0)
                return errno == ENOENT ? 0 : dh_err_errno(err, errno, "device filter %u", id);
        a = (union bpf_attr){ 0 };
        a.target_fd = (uint32_t)dirfd;
        a.attach_bpf_fd = (uint32_t)fd;
        a.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
                return dh_err_errno(err, errno, "detach the old device filter %u", id);
        return 0;
}

int cg_devfilter_install(int dirfd, const struct bpf_insn *insns, size_t n, struct dh_err **err)
{
        uint32_t old[OLD_PROGS_MAX], n_old = 0;
        _cleanup_close_ int prog = -1;
        if (query_old(dirfd, old, &n_old, err) < 0 || prog_load(insns, n, &prog, err) < 0)
                return -EIO;
        union bpf_attr a = { 0 };
        a.target_fd = (uint32_t)dirfd;
        a.attach_bpf_fd = (uint32_t)prog;
        a.attach_type = BPF_CGROUP_DEVICE;
        a.attach_flags = BPF_F_ALLOW_MULTI;
        /* Safe: the program only narrows what the cgroup's processes may open. */
        if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
                return dh_err_errno(err, errno, "attach the device filter");
        for (uint32_t i = 0; i < n_old; i++)
                if (detach_old(dirfd, old[i], err) < 0)
                        return -EIO;
        return 0;
}
