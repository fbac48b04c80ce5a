/* The image config (OCI image config v1, or Docker's, which has the same
 * fields) and what the runtime takes from it: Entrypoint/Cmd combined with
 * the pod's command/args, Env under the pod's env, User, WorkingDir and
 * StopSignal. */
#pragma once
#include <stddef.h>

#include "cri/builtin/plan.h"
#include "lib/jsondec.h"

#define IMG_CONFIG_MAX (4u << 20)

struct img_config {
        char *architecture, *os, *variant;
        char *user, *working_dir, *stop_signal;
        struct dh_strv env, entrypoint, cmd, diff_ids;
        struct dh_strmap labels;
};

/* Decodes a config blob; unknown fields ignored, wrong types are errors
 * naming the field ("config.Env: Invalid value: ..."). */
int img_config_parse(const char *data, size_t len, struct img_config *out, struct dh_err **err);
void img_config_free(struct img_config *c);
/* Points the plan context's image fields at c (c must outlive ctx). */
void img_config_plan_context(const struct img_config *c, struct rt_plan_context *ctx);
