/* Reading the built-in runtime's state files: sandboxes and containers as
 * the shims last recorded them. A sandbox whose shim is gone is reported
 * NOTREADY. Lookups accept unique id prefixes, as crictl does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cri/builtin/runtime-internal.h"
#include "cri/json.h"
#include "lib/cleanup.h"
#include "lib/dirlist.h"
#include "lib/fileio.h"

#define STATE_FILE_MAX (8u << 20)

static int read_json(const char *path, json_t **out, struct dh_err **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = dh_read_file(path, STATE_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        json_error_t je;
        *out = json_loadb(text, len, 0, &je);
        return *out ? 0 : dh_err_set(err, EINVAL, "%s: %s", path, je.text);
}

/* The shim is alive if its pid exists, is not a zombie (a killed shim can
 * stay one a while: its parent is init) and is still a deckhand-shim (pids
 * are reused). */
bool rtb_shim_alive(int pid)
{
        if (pid <= 0)
                return false;
        char path[64], stat[512] = { 0 };
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, stat, sizeof stat - 1) : -1;
        if (n <= 0)
                return false;
        /* "pid (comm) S ...": comm may contain anything but ends at the last ')'. */
        const char *open_paren = strchr(stat, '('), *close_paren = strrchr(stat, ')');
        if (!open_paren || !close_paren || close_paren[1] != ' ')
                return false;
        char state = close_paren[2];
        size_t clen = (size_t)(close_paren - open_paren - 1);
        return state != 'Z' && state != 'X' && clen == 13 && strncmp(open_paren + 1, "deckhand-shim", 13) == 0;
}

int rtb_read_sandbox(struct rtb *b, const char *sid, struct rt_sandbox_status *st,
                     json_t **config, struct dh_err **err)
{
        _cleanup_free_ char *path = rt_sandbox_file(&b->layout, sid, "sandbox.json");
        json_t *doc = NULL;
        if (!path)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = read_json(path, &doc, err);
        if (r < 0)
                return r;
        r = rt_sandbox_status_from_json(json_object_get(doc, "status"), st, err);
        if (r == 0 && config)
                *config = json_incref(json_object_get(doc, "config"));
        json_decref(doc);
        if (r == 0 && !rtb_shim_alive(st->shim_pid))
                st->state = RT_SANDBOX_NOTREADY;
        return r;
}

/* The newest status: "<cid>.status.json" when the shim wrote one, else
 * the state file's. *doc: the state file, read only when needed (its
 * status used) or asked for (want_doc). */
static int read_container_status(const char *status_path, const char *state_path, bool want_doc,
                                 json_t **doc, struct rt_container_status *st, struct dh_err **err)
{
        json_t *sdoc = NULL;
        _cleanup_err_ struct dh_err *serr = NULL;
        int r = read_json(status_path, &sdoc, &serr);
        if (r < 0 && r != -ENOENT)
                return dh_err_set(err, -r, "%s", serr->msg);
        if (r == 0 && !want_doc) {
                r = rt_container_status_from_json(json_object_get(sdoc, "status"), st, err);
                json_decref(sdoc);
                return r;
        }
        /* The status file may be written between the two reads; the state
         * file's plan and config never change. */
        if ((r = read_json(state_path, doc, err)) < 0) {
                json_decref(sdoc);
                return r;
        }
        r = rt_container_status_from_json(json_object_get(sdoc ? sdoc : *doc, "status"), st, err);
        json_decref(sdoc);
        return r;
}

int rtb_read_container(struct rtb *b, const char *sid, const char *cid,
                       struct rt_container_status *st, json_t **plan, struct dh_err **err)
{
        _cleanup_free_ char *path = rt_container_state_file(&b->layout, sid, cid);
        _cleanup_free_ char *spath = rt_container_status_file(&b->layout, sid, cid);
        json_t *doc = NULL;
        if (!path || !spath)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = read_container_status(spath, path, plan != NULL, &doc, st, err);
        if (r == 0 && plan)
                *plan = json_incref(json_object_get(doc, "plan"));
        json_decref(doc);
        if (r < 0)
                return r;
        if (!st->sandbox_id)
                st->sandbox_id = strdup(sid);
        if (!st->id)
                st->id = strdup(cid);
        return 0;
}

struct id_filter {
        const char *suffix;
        size_t sl;
};

/* Entries named "<id><suffix>" with a well-formed id, nothing else. */
static bool id_entry(int dirfd, const struct dirent *de, void *ud)
{
        (void)dirfd;
        const struct id_filter *f = ud;
        char id[RT_ID_LEN + 1];
        size_t len = strlen(de->d_name);
        if (len != RT_ID_LEN + f->sl || (f->sl && strcmp(de->d_name + RT_ID_LEN, f->suffix) != 0))
                return false;
        memcpy(id, de->d_name, RT_ID_LEN);
        id[RT_ID_LEN] = '\0';
        return rt_id_valid(id);
}

/* Calls fn for the id of every entry of dir named "<id><suffix>"; bounded. */
int rtb_scan_ids(const char *dir, const char *suffix, int (*fn)(const char *id, void *ud),
                 void *ud, struct dh_err **err)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : dh_err_errno(err, errno, "open %s", dir);
        struct id_filter f = { suffix, suffix ? strlen(suffix) : 0 };
        struct dh_names names = { 0 };
        int r = dh_list_dir(fd, dir, id_entry, &f, RTB_MAX_OBJECTS, true, &names, err);
        for (size_t i = 0; r == 0 && i < names.n; i++) {
                names.v[i][RT_ID_LEN] = '\0';
                r = fn(names.v[i], ud);
        }
        dh_names_free(&names);
        return r;
}

struct find_ctx {
        struct rtb *b;
        const char *prefix;
        char *found_sid, *found_cid;
        int matches;
        const char *sid; /* during the inner scan */
};

static int find_in_sandbox(const char *cid, void *ud)
{
        struct find_ctx *f = ud;
        if (strncmp(cid, f->prefix, strlen(f->prefix)) != 0)
                return 0;
        if (++f->matches == 1) {
                f->found_sid = strdup(f->sid);
                f->found_cid = strdup(cid);
        }
        return 0;
}

static int find_sandbox_containers(const char *sid, void *ud)
{
        struct find_ctx *f = ud;
        _cleanup_free_ char *dir = rt_sandbox_file(&f->b->layout, sid, "containers");
        f->sid = sid;
        return dir ? rtb_scan_ids(dir, ".json", find_in_sandbox, f, NULL) : -ENOMEM;
}

/* Finds a container by id or unique id prefix (as crictl accepts). */
int rtb_find_container(struct rtb *b, const char *prefix, char **sid, char **cid,
                       struct dh_err **err)
{
        if (!prefix || !*prefix)
                return dh_err_set(err, EINVAL, "empty container id");
        struct find_ctx f = { .b = b, .prefix = prefix };
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/sandboxes", b->layout.state_dir) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = rtb_scan_ids(dir, NULL, find_sandbox_containers, &f, err);
        if (r == 0 && f.matches == 0)
                r = dh_err_set(err, ENOENT, "container \"%s\" not found", prefix);
        else if (r == 0 && f.matches > 1)
                r = dh_err_set(err, EINVAL, "container id prefix \"%s\" is ambiguous", prefix);
        if (r < 0) {
                free(f.found_sid);
                free(f.found_cid);
                return r;
        }
        *sid = f.found_sid;
        *cid = f.found_cid;
        return 0;
}

struct find_sb {
        const char *prefix;
        char *found;
        int matches;
};

static int find_sb(const char *sid, void *ud)
{
        struct find_sb *f = ud;
        if (strncmp(sid, f->prefix, strlen(f->prefix)) == 0 && ++f->matches == 1)
                f->found = strdup(sid);
        return 0;
}

int rtb_find_sandbox(struct rtb *b, const char *prefix, char **sid, struct dh_err **err)
{
        if (!prefix || !*prefix)
                return dh_err_set(err, EINVAL, "empty sandbox id");
        struct find_sb f = { .prefix = prefix };
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/sandboxes", b->layout.state_dir) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = rtb_scan_ids(dir, NULL, find_sb, &f, err);
        if (r == 0 && f.matches != 1) {
                free(f.found);
                return dh_err_set(err, f.matches ? EINVAL : ENOENT, "pod sandbox \"%s\" %s", prefix,
                                  f.matches ? "is ambiguous" : "not found");
        }
        *sid = f.found;
        return r;
}
