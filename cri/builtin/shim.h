/* deckhand-shim: one per pod sandbox. It holds the sandbox's namespaces (it
 * is the pod's "pause" process), is the parent and reaper of the pod's
 * containers, pumps their output into CRI log files, records every state
 * change crash-safely, and serves the agent/deckctl over a unix socket. It
 * does not depend on the agent: containers keep running, logging and having
 * their exits recorded while the agent is down.
 * The code lives in libdeckhand.a (shim-*.c) so it can be unit-tested; the
 * executable (cri/builtin/shim/main.c) is linked statically against libc,
 * jansson and libseccomp only, to stay small per pod. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"
#include "cri/builtin/crilog.h"
#include "cri/builtin/layout.h"
#include "cri/builtin/plan.h"
#include "cri/builtin/proto.h"
#include "cri/builtin/security.h"
#include "cri/cri.h"
#include "lib/loop.h"

struct shim;
struct shim_conn;

/* A reply owed to a client once something finishes (stop, exec). */
struct shim_waiter {
        struct shim_conn *conn; /* NULL once the client went away */
        struct shim_waiter *next;
};

struct shim_container {
        struct shim *shim;
        char *id;
        struct rt_container_plan plan;
        json_t *config;              /* the CRI config, kept for inspect */
        struct rt_container_status status;
        bool saved;                  /* the state file (plan, config) is written */
        pid_t pid;                   /* container init (host pid); 0 when gone */
        int ctl_fd;                  /* socketpair to the child until it execs */
        int out_fd, err_fd;          /* read ends of stdout/stderr (or the pty master) */
        struct dh_watch *out_w, *err_w;
        struct rt_log_writer log;
        bool log_open;
        struct dh_timer *kill_timer;
        struct shim_waiter *stop_waiters;
        struct shim_container *next;
};

/* A running exec: a direct child of the shim in the container's namespaces. */
struct shim_exec {
        struct shim *shim;
        pid_t pid;
        struct shim_conn *conn;
        int out_fd, err_fd;          /* -1 when the client's own fds were given */
        struct dh_watch *out_w, *err_w;
        struct dh_buf out, err;
        bool out_trunc, err_trunc;
        bool timed_out, exited;
        int status;
        struct dh_timer *timer;
        /* tty exec: the shim pumps between the pty master and the client */
        int pty_master, client_in, client_out;
        struct dh_watch *pty_w, *in_w;
        struct shim_exec *next;
};

struct shim_conn {
        struct shim *shim;
        int fd;
        struct dh_watch *w;
        struct rt_proto_reader reader;
        struct shim_conn *next;
        bool dead;
};

struct shim {
        struct dh_loop *loop;
        struct rt_layout layout;
        char *id, *dir;
        int dirfd;
        int ctrs_dirfd;              /* <sandbox dir>/containers */
        json_t *config_json;
        struct rt_sandbox_config config;
        struct rt_sandbox_status status;
        struct cg_layout *cg;
        char *cgroup_parent;         /* pod cgroup, relative */
        int listen_fd;
        pid_t pause_pid;             /* PID 1 of the pod's own PID namespace, if any */
        int ready_fd;                /* to the client until setup is reported; -1 after */
        bool removing;
        struct shim_container *containers;
        struct shim_exec *execs;
        struct shim_conn *conns;
};

/* shim-sandbox.c: namespaces, files and mounts of the sandbox. */
_Noreturn void shim_pause_main(void);
int shim_sandbox_setup(struct shim *s, struct dh_err **err);
int shim_sandbox_teardown(struct shim *s, struct dh_err **err);
int shim_save_sandbox(struct shim *s, struct dh_err **err);

/* shim-server.c: the control socket and request dispatch. */
int shim_listen(struct shim *s, struct dh_err **err);
void shim_reply(struct shim_conn *c, json_t *reply);
void shim_reply_err(struct shim_conn *c, struct dh_err *err);
void shim_reply_ok(struct shim_conn *c);
/* Closes and frees every client connection (at the shim's exit). */
void shim_conns_free(struct shim *s);

/* shim-container.c: lifecycle. */
int shim_container_create(struct shim *s, json_t *req, char **id_out, struct dh_err **err);
int shim_container_start(struct shim *s, const char *id, struct dh_err **err);
int shim_container_stop(struct shim *s, const char *id, int64_t timeout_s, struct shim_conn *c,
                        struct dh_err **err);
int shim_container_remove(struct shim *s, const char *id, struct dh_err **err);
int shim_container_reopen_log(struct shim *s, const char *id, struct dh_err **err);
struct shim_container *shim_container_find(struct shim *s, const char *id);
int shim_save_container(struct shim_container *c, struct dh_err **err);
/* Called for every reaped child; returns true if it was a container. */
bool shim_container_reaped(struct shim *s, pid_t pid, int status);
void shim_container_free(struct shim_container *c);
/* SIGKILLs the container's processes (see shim-container.c for how). */
void shim_container_kill_all(struct shim_container *c);

/* shim-child.c: the container's side of creation, in the cloned child. */
/* prep was made by the shim before cloning (seccomp is compiled once). */
/* In a container process before its exec: every signal handled as by
 * default and none blocked. Ignored signals stay ignored across exec, and
 * the shim inherits some (SIGPIPE from the agent; SIGINT and SIGQUIT when
 * started from a background shell): a container's `yes | head` would spin
 * on EPIPE forever instead of dying of SIGPIPE, as it does under runc. */
void shim_child_default_signals(void);
_Noreturn void shim_child_main(const struct rt_container_plan *p, const struct cg_layout *cg,
                               struct rt_security_prep *prep, int ctl_fd, int stdio[3]);
pid_t shim_clone(unsigned long flags);

/* shim-exec.c: exec_sync and interactive exec. */
int shim_exec_begin(struct shim *s, struct shim_conn *c, json_t *req, const int *fds, int nfds,
                    struct dh_err **err);
bool shim_exec_reaped(struct shim *s, pid_t pid, int status);
void shim_exec_conn_gone(struct shim *s, struct shim_conn *c);
/* Frees every exec still tracked, without replying (at the shim's exit). */
void shim_exec_free_all(struct shim *s);

/* shim-main.c: entry point shared by the executable and tests. */
int shim_main(int argc, char **argv);
/* Frees everything the shim struct owns (containers, execs, clients, the
 * loop, config, status, cgroup layout, fds); the struct itself is the
 * caller's. Safe on a partly initialised shim. Teardown is not done here. */
void shim_free(struct shim *s);
/* Blocks until `target` (already SIGKILLed) is reaped, reaping and
 * dispatching every other child that exits meanwhile. */
void shim_reap_until(struct shim *s, pid_t target);
