/* The sandbox: the shim enters fresh network, IPC and UTS namespaces (and a
 * PID namespace for shareProcessNamespace pods) and keeps them alive by
 * living in them. Sandbox files (hostname, resolv.conf), the pod's /dev/shm
 * tmpfs and a bind mount pinning the network namespace are made here and
 * removed at teardown. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/builtin/shim.h"
#include "cri/json.h"
#include "lib/atomicfile.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define SHM_SIZE "65536k"

static bool ns_mode_is(const struct rt_sandbox_config *c, enum rt_namespace_mode m, int which)
{
        const struct rt_namespace_options *o = &c->linux_cfg.security_context.namespace_options;
        return (which == 0 ? o->network : which == 1 ? o->ipc : o->pid) == m;
}

static bool host_network(const struct rt_sandbox_config *c) { return ns_mode_is(c, RT_NS_NODE, 0); }
static bool host_ipc(const struct rt_sandbox_config *c) { return ns_mode_is(c, RT_NS_NODE, 1); }
static bool pod_pid(const struct rt_sandbox_config *c) { return ns_mode_is(c, RT_NS_POD, 2); }

/* A new network namespace starts with lo down; pods expect 127.0.0.1. */
static int loopback_up(struct dh_err **err)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return dh_err_errno(err, errno, "loopback: socket");
        struct ifreq ifr = { 0 };
        memcpy(ifr.ifr_name, "lo", 3);
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return dh_err_errno(err, errno, "loopback: get flags");
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return dh_err_errno(err, errno, "loopback: set up");
        return 0;
}

static int write_text(struct shim *s, const char *name, const char *text, struct dh_err **err)
{
        return dh_write_file_atomic(s->dirfd, name, text, strlen(text), 0644, err);
}

static int write_resolv_conf(struct shim *s, struct dh_err **err)
{
        const struct rt_dns_config *d = &s->config.dns_config;
        struct dh_buf b;
        dh_buf_init(&b, 64 * 1024);
        int r = 0;
        for (size_t i = 0; r == 0 && i < d->servers.n; i++)
                r = dh_buf_printf(&b, err, "nameserver %s\n", d->servers.v[i]);
        for (size_t i = 0; r == 0 && i < d->searches.n; i++)
                r = dh_buf_printf(&b, err, "%s%s", i ? " " : "search ", d->searches.v[i]);
        if (r == 0 && d->searches.n)
                r = dh_buf_puts(&b, "\n", err);
        for (size_t i = 0; r == 0 && i < d->options.n; i++)
                r = dh_buf_printf(&b, err, "%s%s", i ? " " : "options ", d->options.v[i]);
        if (r == 0 && d->options.n)
                r = dh_buf_puts(&b, "\n", err);
        if (r == 0)
                r = dh_write_file_atomic(s->dirfd, "resolv.conf", b.data ? b.data : "", b.len, 0644, err);
        dh_buf_free(&b);
        return r;
}

static int enter_namespaces(struct shim *s, struct dh_err **err)
{
        int flags = 0;
        if (!host_network(&s->config))
                flags |= CLONE_NEWNET | CLONE_NEWUTS;
        if (!host_ipc(&s->config))
                flags |= CLONE_NEWIPC;
        if (pod_pid(&s->config))
                flags |= CLONE_NEWPID;
        /* The shim is a fresh single-threaded process; unshare only affects it
         * (and, for PID, its future children). */
        if (flags && unshare(flags) < 0)
                return dh_err_errno(err, errno, "unshare sandbox namespaces");
        const char *h = s->config.hostname;
        if ((flags & CLONE_NEWUTS) && h && *h && sethostname(h, strlen(h)) < 0)
                return dh_err_errno(err, errno, "sethostname \"%s\"", h);
        return (flags & CLONE_NEWNET) ? loopback_up(err) : 0;
}

_Noreturn void shim_pause_main(void)
{
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (;;) {
                int sig = 0;
                sigwait(&all, &sig);
                if (sig == SIGTERM || sig == SIGINT)
                        _exit(0);
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
        }
}

/* PID 1 of a shared PID namespace: reaps orphans, does nothing else. It
 * execs the freestanding deckhand-pause (12 kB RSS); where that is missing
 * it stays a fork of the shim (about 390 kB RSS, most of it shared). */
static int start_pause(struct shim *s, struct dh_err **err)
{
        _cleanup_free_ char *path = dh_exe_sibling("deckhand-pause");
        pid_t pid = fork();
        if (pid < 0)
                return dh_err_errno(err, errno, "fork pause");
        if (pid == 0) {
                if (s->ready_fd >= 0)
                        close(s->ready_fd); /* the client waits for its EOF */
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* kept across exec */
                if (path) {
                        char *argv[] = { (char *)"deckhand-pause", NULL };
                        execv(path, argv);
                }
                shim_pause_main();
        }
        s->pause_pid = pid;
        return 0;
}

/* The shm tmpfs lives in the host mount namespace so every container of the
 * pod can bind it; it is unmounted at teardown. */
static int mount_shm(struct shim *s, struct dh_err **err)
{
        if (host_ipc(&s->config))
                return 0;
        if (mkdirat(s->dirfd, "shm", 0755) < 0 && errno != EEXIST)
                return dh_err_errno(err, errno, "mkdir shm");
        _cleanup_free_ char *path = rt_sandbox_file(&s->layout, s->id, "shm");
        if (!path)
                return dh_err_set(err, ENOMEM, "out of memory");
        /* Mounting a fresh tmpfs on our own sandbox dir; nothing else is affected. */
        if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=" SHM_SIZE) < 0)
                return dh_err_errno(err, errno, "mount shm tmpfs on %s", path);
        return 0;
}

/* Pins the network namespace to a file so it can be named (CNI) and
 * outlives nothing but the mount itself. */
static int pin_netns(struct shim *s, struct dh_err **err)
{
        if (host_network(&s->config))
                return 0;
        _cleanup_free_ char *path = rt_sandbox_file(&s->layout, s->id, "netns");
        if (!path)
                return dh_err_set(err, ENOMEM, "out of memory");
        _cleanup_close_ int fd = openat(s->dirfd, "netns", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0)
                return dh_err_errno(err, errno, "create netns file");
        /* Binds our own netns (a nsfs inode) onto a file we just created. */
        if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
                return dh_err_errno(err, errno, "bind netns to %s", path);
        s->status.netns_path = TAKE_PTR(path);
        return 0;
}

static int setup_cgroup(struct shim *s, struct dh_err **err)
{
        const char *parent = s->config.linux_cfg.cgroup_parent;
        while (parent && *parent == '/')
                parent++;
        int n = parent && *parent ? asprintf(&s->cgroup_parent, "%s", parent)
                                  : asprintf(&s->cgroup_parent, "deckhand/%s", s->id);
        if (n < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        return cg_create(s->cg, s->cgroup_parent, err);
}

int shim_sandbox_setup(struct shim *s, struct dh_err **err)
{
        int r = setup_cgroup(s, err);
        if (r == 0)
                r = enter_namespaces(s, err);
        if (r == 0)
                r = write_text(s, "hostname", s->config.hostname ? s->config.hostname : "", err);
        if (r == 0 && s->config.has_dns_config)
                r = write_resolv_conf(s, err);
        if (r == 0)
                r = mount_shm(s, err);
        if (r == 0)
                r = pin_netns(s, err);
        if (r == 0 && pod_pid(&s->config))
                r = start_pause(s, err);
        if (r < 0)
                return dh_err_prefix(err, "sandbox %.12s", s->id);
        s->status.state = RT_SANDBOX_READY;
        s->status.shim_pid = (int)getpid();
        return shim_save_sandbox(s, err);
}

static void umount_file(struct shim *s, const char *name)
{
        _cleanup_free_ char *path = rt_sandbox_file(&s->layout, s->id, name);
        /* Detach our own mounts (shm tmpfs, netns pin) under our sandbox dir. */
        if (path)
                umount2(path, MNT_DETACH);
}

/* unshare(CLONE_NEWPID) put the shim's future children in the pod's PID
 * namespace; once its init is gone no child can be made there (ENOMEM).
 * They go back to the shim's own namespace: the one child still to come is
 * LeakSanitizer's exit-time checker (sanitizer build), which must be able
 * to see the shim's pid to check it. */
static void pid_children_home(void)
{
        _cleanup_close_ int fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && setns(fd, CLONE_NEWPID) < 0) {
                /* our own active namespace is always allowed; nothing to do */
        }
}

int shim_sandbox_teardown(struct shim *s, struct dh_err **err)
{
        if (s->pause_pid > 0) {
                kill(s->pause_pid, SIGKILL);
                shim_reap_until(s, s->pause_pid);
                s->pause_pid = 0;
        }
        if (pod_pid(&s->config))
                pid_children_home();
        umount_file(s, "shm");
        umount_file(s, "netns");
        int r = cg_remove(s->cg, s->cgroup_parent, err);
        _cleanup_free_ char *sandboxes = NULL;
        if (asprintf(&sandboxes, "%s/sandboxes", s->layout.state_dir) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        _cleanup_close_ int pfd = open(sandboxes, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return dh_err_errno(err, errno, "open %s", sandboxes);
        int r2 = dh_rm_rf_at(pfd, s->id, r < 0 ? NULL : err);
        return r < 0 ? r : r2;
}

int shim_save_sandbox(struct shim *s, struct dh_err **err)
{
        json_t *status = rt_sandbox_status_to_json(&s->status);
        json_t *doc = json_pack("{soso}", "config", json_incref(s->config_json), "status",
                                status ? status : json_object());
        _cleanup_free_ char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!text)
                return dh_err_set(err, ENOMEM, "out of memory");
        return dh_write_file_atomic(s->dirfd, "sandbox.json", text, strlen(text), 0600, err);
}
