/* The built-in runtime back end behind the CRI ops table (cri/cri.h). */
#pragma once
#include "cri/cri.h"

struct rt_builtin_options {
        const char *state_dir; /* NULL: /run/deckhand */
        const char *root_dir;  /* NULL: /var/lib/deckhand */
        const char *shim_path; /* NULL: deckhand-shim beside the running executable */
};

int rt_builtin_open(const struct rt_builtin_options *o, struct rt **out, struct dh_err **err);
