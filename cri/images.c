/* ImageService types and the synchronous pull wrapper shared by every
 * back end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri/cri.h"

static void strv_free(struct dh_strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->v[i]);
        free(v->v);
        *v = (struct dh_strv){ 0 };
}

void rt_auth_config_free(struct rt_auth_config *a)
{
        if (!a)
                return;
        free(a->username);
        free(a->password);
        free(a->auth);
        free(a->server_address);
        free(a->identity_token);
        free(a->registry_token);
        *a = (struct rt_auth_config){ 0 };
}

void rt_image_free(struct rt_image *i)
{
        if (!i)
                return;
        free(i->id);
        free(i->username);
        strv_free(&i->repo_tags);
        strv_free(&i->repo_digests);
        *i = (struct rt_image){ 0 };
}

void rt_image_list_free(struct rt_image_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                rt_image_free(&l->v[i]);
        free(l->v);
        *l = (struct rt_image_list){ 0 };
}

void rt_filesystem_usage_free(struct rt_filesystem_usage *u)
{
        if (u) {
                free(u->mountpoint);
                *u = (struct rt_filesystem_usage){ 0 };
        }
}

struct sync_pull {
        struct dh_loop *loop;
        bool done;
        char *ref;
        struct dh_err *err;
};

static void sync_pull_done(void *ud, const char *image_ref, const struct dh_err *err)
{
        struct sync_pull *sp = ud;
        sp->done = true;
        if (err)
                dh_err_set(&sp->err, err->code, "%s", err->msg);
        else if (!(sp->ref = strdup(image_ref)))
                dh_err_set(&sp->err, ENOMEM, "out of memory");
        dh_loop_quit(sp->loop, 0);
}

int rt_pull_image_sync(struct rt *rt, struct dh_loop *loop, const struct rt_image_spec *image,
                       const struct rt_auth_config *auth, char **image_ref, struct dh_err **err)
{
        struct sync_pull sp = { .loop = loop };
        int r = rt->ops->pull_image(rt, image, auth, sync_pull_done, &sp, err);
        if (r < 0)
                return r;
        while (!sp.done)
                if (dh_loop_run(loop) < 0 && !sp.done)
                        return dh_err_errno(err, errno, "pull \"%s\": event loop", image->image);
        if (sp.err) {
                *err = sp.err;
                return -(sp.err->code ? sp.err->code : EINVAL);
        }
        *image_ref = sp.ref;
        return 0;
}
