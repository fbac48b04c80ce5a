/* The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * generated from checked device rules (as runc's devicefilter and crun's
 * ebpf.c do), and its installation on a cgroup directory. */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>

#include "cgroups/cgroups.h"

/* The most instructions cg_devfilter_build emits. */
#define CG_DEVFILTER_INSNS_MAX (6 + 9 * CG_DEV_RULES_MAX + 2)

/* The program for rules (already passed cg_dev_rules_check), in *out
 * (malloc'd, *n_out instructions). It reads the context once into
 * r2 = type, r3 = access, r4 = major, r5 = minor, then tests each
 * exception in order (first match decides) and ends with the default. */
int cg_devfilter_build(const struct cg_dev_rule *rules, size_t n, struct bpf_insn **out, size_t *n_out,
                       struct dh_err **err);
/* Loads the program and attaches it to the cgroup directory dirfd with
 * BPF_F_ALLOW_MULTI; then detaches the device programs attached before,
 * so the cgroup is never less restricted than either rule set. */
int cg_devfilter_install(int dirfd, const struct bpf_insn *insns, size_t n, struct dh_err **err);
