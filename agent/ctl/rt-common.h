/* Shared by deckctl's runtime verbs: opening the runtime, reading config
 * files, printing. */
#pragma once
#include <jansson.h>
#include <stdio.h>

#include "cri/cri.h"

struct ctl_rt_opts {
        const char *state_dir, *root_dir, *shim_path;
};

/* Strips --state-dir/--root-dir/--shim-path (and the DECKHAND_STATE_DIR,
 * DECKHAND_ROOT_DIR, DECKHAND_SHIM environment variables) and opens the
 * built-in runtime; prints the error and returns NULL on failure. */
struct rt *ctl_rt_open(int *argc, char **argv);
void ctl_rt_close(struct rt *rt);
/* Removes "NAME VALUE" or "NAME=VALUE" from argv; returns VALUE or NULL. */
const char *ctl_take_opt(int *argc, char **argv, const char *name);
/* The event loop the runtime opened by ctl_rt_open pulls on. */
struct dh_loop *ctl_loop(void);
/* Reads a JSON or YAML file holding one document. */
json_t *ctl_read_doc(const char *path);
/* Prints "deckctl: <prefix>: <err>" and frees err; returns 1. */
int ctl_fail(const char *prefix, struct dh_err *err);
/* "5 seconds ago", "3 minutes ago"... for a Unix-ns timestamp. */
void ctl_ago(int64_t ns, char *buf, size_t size);
/* Prints a JSON value, indented. */
void ctl_print_json(json_t *j);

int ctl_runp_main(int argc, char **argv);
int ctl_stopp_main(int argc, char **argv);
int ctl_rmp_main(int argc, char **argv);
int ctl_pods_main(int argc, char **argv);
int ctl_inspectp_main(int argc, char **argv);
int ctl_create_main(int argc, char **argv);
int ctl_start_main(int argc, char **argv);
int ctl_stop_main(int argc, char **argv);
int ctl_rm_main(int argc, char **argv);
int ctl_ps_main(int argc, char **argv);
int ctl_inspect_main(int argc, char **argv);
int ctl_exec_main(int argc, char **argv);
int ctl_logs_main(int argc, char **argv);
int ctl_stats_main(int argc, char **argv);
int ctl_reopen_log_main(int argc, char **argv);
int ctl_update_main(int argc, char **argv);
int ctl_images_main(int argc, char **argv);
int ctl_get_main(int argc, char **argv);
