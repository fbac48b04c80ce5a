/* Image config decoding through the lib/jsondec tables. */
#include "cri/image/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define F(st, key, member, type) { key, (type), offsetof(struct st, member) }
#define END { NULL, NULL, 0 }

/* The image config nests the runtime settings under "config" and the layer
 * list under "rootfs"; these views map the nesting onto the flat struct. */
static const struct jd_field runtime_fields[] = {
        F(img_config, "User", user, &jd_string), F(img_config, "WorkingDir", working_dir, &jd_string),
        F(img_config, "StopSignal", stop_signal, &jd_string), F(img_config, "Env", env, &jd_strv),
        F(img_config, "Entrypoint", entrypoint, &jd_strv), F(img_config, "Cmd", cmd, &jd_strv),
        F(img_config, "Labels", labels, &jd_strmap), END,
};
static const struct jd_field rootfs_fields[] = { F(img_config, "diff_ids", diff_ids, &jd_strv), END };

/* The nested objects decode into (and are freed from) the struct itself:
 * their offsets are the struct's own. */
static const struct jd_type t_runtime = { .decode = jd_decode_object, .free = jd_free_object,
                                          .fields = runtime_fields };
static const struct jd_type t_rootfs = { .decode = jd_decode_object, .free = jd_free_object,
                                         .fields = rootfs_fields };

/* The "config"/"rootfs" entries decode at offset 0: into the struct itself. */
static const struct jd_field config_fields[] = {
        F(img_config, "architecture", architecture, &jd_string), F(img_config, "os", os, &jd_string),
        F(img_config, "variant", variant, &jd_string),
        { "config", &t_runtime, 0 }, { "rootfs", &t_rootfs, 0 }, END,
};
static const struct jd_type t_config = JD_OBJECT(struct img_config, config_fields);

int img_config_parse(const char *data, size_t len, struct img_config *out, struct dh_err **err)
{
        if (len > IMG_CONFIG_MAX)
                return dh_err_set(err, DH_ELIMIT, "image config of %zu bytes exceeds %u", len, IMG_CONFIG_MAX);
        json_error_t je;
        json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!j)
                return dh_err_set(err, EINVAL, "image config: line %d, column %d: %s", je.line, je.column, je.text);
        struct img_config c = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx ctx = { .errs = &errs };
        jd_decode_object(&ctx, j, &c, &t_config);
        json_decref(j);
        if (errs.n || errs.dropped) {
                char *line = errs.n ? dh_ferr_format(&errs.v[0]) : NULL;
                dh_err_set(err, EINVAL, "image config: %s", line ? line : "invalid");
                free(line);
                dh_ferrs_free(&errs);
                img_config_free(&c);
                return -EINVAL;
        }
        *out = c;
        return 0;
}

void img_config_free(struct img_config *c)
{
        if (c)
                jd_free_object(c, &t_config);
}

void img_config_plan_context(const struct img_config *c, struct rt_plan_context *ctx)
{
        ctx->image_env = &c->env;
        ctx->image_entrypoint = &c->entrypoint;
        ctx->image_cmd = &c->cmd;
        ctx->image_user = c->user;
        ctx->image_workdir = c->working_dir;
        ctx->image_stop_signal = c->stop_signal;
}
