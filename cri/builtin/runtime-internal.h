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

struct rtb {
        struct rt rt;
        struct rt_layout layout;
        struct cg_layout *cg;
};

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
