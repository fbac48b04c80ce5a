/* Shared by the built-in runtime's client-side files. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"
#include "cri/builtin/layout.h"
#include "cri/builtin/runtime.h"

/* Bounds how many sandboxes or containers a scan looks at. */
#define RTB_MAX_OBJECTS 10000
/* How long a request to a shim may take, beyond its own timeout. */
#define RTB_REPLY_MS 60000

struct img_service;

struct rtb {
        struct rt rt;
        struct rt_layout layout;
        struct cg_layout *cg;
        /* images: the service opens on first use */
        struct img_service *images;
        char *images_dir;
        struct dh_loop *loop;
        const struct img_registry_config *registries;
        char *credentials_file;
        img_progress_fn pull_progress;
        void *pull_progress_ud;
        /* Sandboxes' labels (fixed at creation) by id, so that a list
         * filtered by labels skips the others without reading them. */
        struct rtb_sandbox_labels *sb_labels;
        size_t n_sb_labels;
        size_t n_shim_pidfds; /* of those entries, at most RTB_SHIM_PIDFDS_MAX */
        struct rtb_watch {    /* runtime-token.c: the state dir under inotify */
                int fd;       /* -1: not set up yet (or given up) */
                int top_wd;   /* the sandboxes directory's watch */
                bool failed;  /* inotify unusable here: stat the directories */
                bool rescan;  /* sandboxes came or went: watch the new ones */
                uint64_t gen; /* moves with every event */
        } watch;
};
#define RTB_SHIM_PIDFDS_MAX 256
#define RTB_SHIM_SEEN_DEAD (-2)
struct rtb_sandbox_labels {
        char *sid;
        struct rt_kvs labels;
        int shim_pid; /* 0: not known yet */
        int shim_pidfd; /* runtime-token.c: opened once the shim was seen alive; -1 none,
                         * RTB_SHIM_SEEN_DEAD once it was seen gone */
};
/* runtime-token.c */
int rtb_state_token(struct rt *rt, uint64_t *out, struct dh_err **err);
void rtb_watch_close(struct rtb *b);
const struct rtb_sandbox_labels *rtb_sandbox_cached(const struct rtb *b, const char *sid);
#define RTB_SANDBOX_LABELS_MAX 4096

/* runtime-images.c */
int rtb_images(struct rtb *b, struct img_service **out, struct dh_err **err);
void rtb_images_close(struct rtb *b);
int rtb_pull_image(struct rt *rt, const struct rt_image_spec *image,
                   const struct rt_auth_config *auth, rt_pull_done_fn done, void *ud,
                   struct dh_err **err);
int rtb_list_images(struct rt *rt, const struct rt_image_filter *f, struct rt_image_list *out,
                    struct dh_err **err);
int rtb_image_status(struct rt *rt, const struct rt_image_spec *image, struct rt_image *out,
                     bool *found, struct dh_err **err);
int rtb_remove_image(struct rt *rt, const struct rt_image_spec *image, struct dh_err **err);
int rtb_image_fs_info(struct rt *rt, struct rt_filesystem_usage *out, struct dh_err **err);
int rtb_prune_images(struct rt *rt, int64_t *freed, struct dh_err **err);

bool rtb_shim_alive(int pid);
int rtb_read_sandbox(struct rtb *b, const char *sid, struct rt_sandbox_status *st,
                     json_t **config, struct dh_err **err);
int rtb_read_container(struct rtb *b, const char *sid, const char *cid,
                       struct rt_container_status *st, json_t **plan, struct dh_err **err);
int rtb_scan_ids(const char *dir, const char *suffix, int (*fn)(const char *id, void *ud),
                 void *ud, struct dh_err **err);
int rtb_find_container(struct rtb *b, const char *prefix, char **sid, char **cid,
                       struct dh_err **err);
int rtb_find_sandbox(struct rtb *b, const char *prefix, char **sid, struct dh_err **err);

/* Sends req (consumed) to the sandbox's shim and waits for the reply. */
int rtb_call(struct rtb *b, const char *sid, json_t *req, const int *fds, int nfds,
             int64_t extra_timeout_s, json_t **reply, struct dh_err **err);
/* Starts the sandbox's shim; *shim_pid is set whenever it was forked, also
 * on failure, so the caller can make sure it is gone. */
int rtb_spawn_shim(struct rtb *b, const char *sid, pid_t *shim_pid, struct dh_err **err);
/* Everything a sandbox leaves when its shim cannot clean up (it died, or
 * never got ready): processes in the pod cgroup, the cgroup, the shm and
 * netns mounts, container layers and state. */
int rtb_cleanup_sandbox(struct rtb *b, const char *sid, pid_t shim_pid, struct dh_err **err);
