/* The built-in runtime back end behind the CRI ops table (cri/cri.h). */
#pragma once
#include "cri/cri.h"
#include "cri/image/registry.h"

struct rt_builtin_options {
        const char *state_dir; /* NULL: /run/deckhand */
        const char *root_dir;  /* NULL: /var/lib/deckhand */
        const char *shim_path; /* NULL: deckhand-shim beside the running executable */
        const char *images_dir; /* NULL: <root_dir>/images */
        struct dh_loop *loop;   /* for pulls; NULL: the runtime cannot pull */
        const struct img_registry_config *registries; /* may be NULL */
        const char *credentials_file; /* docker config.json for pulls; may be NULL */
        img_progress_fn pull_progress; /* may be NULL */
        void *pull_progress_ud;
};

int rt_builtin_open(const struct rt_builtin_options *o, struct rt **out, struct dh_err **err);

/* Imports the images of an OCI layout (directory or archive) or a `docker
 * save` archive; name (may be NULL) renames a single image. ids_out gets
 * the image ids. */
int rt_builtin_import_image(struct rt *rt, const char *path, const char *name,
                            struct dh_strv *ids_out, struct dh_err **err);
