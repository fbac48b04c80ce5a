/* Where the built-in runtime keeps things. Runtime state (tmpfs, gone at
 * reboot like the processes it describes) and sockets live under the state
 * dir; container layers (disk) under the root dir:
 *   <state>/sandboxes/<sid>/sandbox.json      config + status (shim-written)
 *   <state>/sandboxes/<sid>/shim.sock         the shim's control socket
 *   <state>/sandboxes/<sid>/{hostname,resolv.conf,shm/,netns}
 *   <state>/sandboxes/<sid>/containers/<cid>.json   status + plan
 *   <root>/containers/<cid>/{upper,work,rootfs}
 * The shim is the only writer of state files; clients read them. */
#pragma once
#include <stdbool.h>

#include "lib/err.h"

#define RT_DEFAULT_STATE_DIR "/run/deckhand"
#define RT_DEFAULT_ROOT_DIR "/var/lib/deckhand"
/* Ids are 64 lowercase hex characters, as containerd's. */
#define RT_ID_LEN 64

struct rt_layout {
        char *state_dir, *root_dir;
        char *shim_path; /* the deckhand-shim executable */
};

/* Paths; each returns a new string or NULL on OOM. */
char *rt_sandbox_dir(const struct rt_layout *l, const char *sid);
char *rt_sandbox_file(const struct rt_layout *l, const char *sid, const char *name);
char *rt_container_state_file(const struct rt_layout *l, const char *sid, const char *cid);
/* "<sandbox dir>/containers/<cid>.status.json": the status alone, written
 * on every change after the first (the state file keeps the plan and
 * config, written once); readers prefer it to the state file's status. */
char *rt_container_status_file(const struct rt_layout *l, const char *sid, const char *cid);
char *rt_container_dir(const struct rt_layout *l, const char *cid);

/* A fresh random id (64 hex chars + NUL into buf). */
int rt_new_id(char buf[RT_ID_LEN + 1], struct dh_err **err);
/* Ids are only ever lowercase hex: anything else is refused before it can
 * become part of a path. */
bool rt_id_valid(const char *id);
