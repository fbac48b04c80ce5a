/* Image GC: gather the inputs from the runtime, plan, remove. */
#include "agent/imagegc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

void agent_image_gc_result_free(struct agent_image_gc_result *r)
{
        if (!r)
                return;
        img_gc_plan_free(&r->plan);
        for (size_t i = 0; i < r->removed.n; i++)
                free(r->removed.v[i]);
        free(r->removed.v);
        *r = (struct agent_image_gc_result){ 0 };
}

static bool used_by_container(const struct rt_container_list *cl, const char *id)
{
        for (size_t i = 0; i < cl->n; i++)
                if (cl->v[i].image_ref && strcmp(cl->v[i].image_ref, id) == 0)
                        return true;
        return false;
}

static int gather(struct rt *rt, struct rt_image_list *il, struct rt_container_list *cl,
                  struct rt_filesystem_usage *fs, struct img_gc_image **imgs, struct dh_err **err)
{
        int r = rt->ops->list_images(rt, NULL, il, err);
        if (r == 0)
                r = rt->ops->list_containers(rt, NULL, cl, err);
        if (r == 0)
                r = rt->ops->image_fs_info(rt, fs, err);
        if (r < 0)
                return r;
        if (il->n > IMG_GC_IMAGES_MAX)
                return dh_err_set(err, DH_ELIMIT, "more than %d images", IMG_GC_IMAGES_MAX);
        *imgs = calloc(il->n ? il->n : 1, sizeof(**imgs));
        if (!*imgs)
                return dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < il->n; i++) {
                const struct rt_image *im = &il->v[i];
                bool in_use = used_by_container(cl, im->id);
                (*imgs)[i] = (struct img_gc_image){
                        .id = im->id,
                        .size = (int64_t)im->size,
                        .first_detected_ns = im->created_ns,
                        /* The kubelet counts an image in use as used now. */
                        .last_used_ns = in_use ? 0 : im->last_used_ns,
                        .in_use = in_use,
                        .pinned = im->pinned,
                };
        }
        return 0;
}

static int remove_victims(struct rt *rt, const struct rt_image_list *il,
                          struct agent_image_gc_result *out, struct dh_err **err)
{
        out->removed.v = calloc(out->plan.n_victims ? out->plan.n_victims : 1, sizeof(char *));
        if (!out->removed.v)
                return dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < out->plan.n_victims; i++) {
                const struct rt_image *im = &il->v[out->plan.victims[i].index];
                struct rt_image_spec spec = { .image = im->id };
                struct dh_err *e = NULL;
                if (rt->ops->remove_image(rt, &spec, &e) < 0) {
                        dh_err_free(e); /* in use since the listing: next round */
                        continue;
                }
                char *id = strdup(im->id);
                if (!id)
                        return dh_err_set(err, ENOMEM, "out of memory");
                out->removed.v[out->removed.n++] = id;
                out->freed_bytes += (int64_t)im->size;
        }
        return 0;
}

int agent_image_gc(struct rt *rt, const struct img_gc_policy *policy, int64_t began_ns,
                   int64_t now_ns, struct agent_image_gc_result *out, struct dh_err **err)
{
        struct rt_image_list il = { 0 };
        struct rt_container_list cl = { 0 };
        struct rt_filesystem_usage fs = { 0 };
        _cleanup_free_ struct img_gc_image *imgs = NULL;
        *out = (struct agent_image_gc_result){ 0 };
        int r = img_gc_policy_validate(policy, err);
        if (r == 0)
                r = gather(rt, &il, &cl, &fs, &imgs, err);
        if (r == 0) {
                for (size_t i = 0; i < il.n; i++)
                        if (imgs[i].in_use)
                                imgs[i].last_used_ns = now_ns;
                struct img_gc_input in = {
                        .images = imgs, .n_images = il.n,
                        .capacity_bytes = (int64_t)fs.capacity_bytes,
                        .available_bytes = (int64_t)fs.available_bytes,
                        .now_ns = now_ns, .began_ns = began_ns,
                };
                r = img_gc_plan(policy, &in, &out->plan, err);
        }
        if (r == 0)
                r = remove_victims(rt, &il, out, err);
        int64_t pruned = 0;
        if (r == 0 && out->removed.n == 0 && out->plan.over_threshold)
                r = rt->ops->prune_images(rt, &pruned, err); /* leftovers of crashes */
        out->freed_bytes += pruned;
        rt_image_list_free(&il);
        rt_container_list_free(&cl);
        rt_filesystem_usage_free(&fs);
        if (r < 0) {
                agent_image_gc_result_free(out);
                return dh_err_prefix(err, "image garbage collection");
        }
        return 0;
}
