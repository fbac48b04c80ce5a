/* Paths and ids of the built-in runtime. */
#include "cri/builtin/layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static char *fmt_path(const char *a, const char *b, const char *c, const char *d)
{
        char *p = NULL;
        if (asprintf(&p, "%s%s%s%s%s%s%s", a, b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "",
                     d ? "/" : "", d ? d : "") < 0)
                return NULL;
        return p;
}

char *rt_sandbox_dir(const struct rt_layout *l, const char *sid)
{
        return fmt_path(l->state_dir, "sandboxes", sid, NULL);
}

char *rt_sandbox_file(const struct rt_layout *l, const char *sid, const char *name)
{
        char *dir = rt_sandbox_dir(l, sid);
        char *p = dir ? fmt_path(dir, name, NULL, NULL) : NULL;
        free(dir);
        return p;
}

static char *container_file(const struct rt_layout *l, const char *sid, const char *cid,
                            const char *suffix)
{
        char *dir = rt_sandbox_dir(l, sid);
        char *p = NULL;
        if (dir && asprintf(&p, "%s/containers/%s%s", dir, cid, suffix) < 0)
                p = NULL;
        free(dir);
        return p;
}

char *rt_container_state_file(const struct rt_layout *l, const char *sid, const char *cid)
{
        return container_file(l, sid, cid, ".json");
}

char *rt_container_status_file(const struct rt_layout *l, const char *sid, const char *cid)
{
        return container_file(l, sid, cid, ".status.json");
}

char *rt_container_dir(const struct rt_layout *l, const char *cid)
{
        return fmt_path(l->root_dir, "containers", cid, NULL);
}

int rt_new_id(char buf[RT_ID_LEN + 1], struct dh_err **err)
{
        unsigned char raw[RT_ID_LEN / 2];
        size_t got = 0;
        while (got < sizeof raw) {
                ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return dh_err_errno(err, errno, "getrandom");
                got += (size_t)n;
        }
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < sizeof raw; i++) {
                buf[2 * i] = hex[raw[i] >> 4];
                buf[2 * i + 1] = hex[raw[i] & 15];
        }
        buf[RT_ID_LEN] = '\0';
        return 0;
}

bool rt_id_valid(const char *id)
{
        if (!id || strlen(id) != RT_ID_LEN)
                return false;
        for (const char *c = id; *c; c++)
                if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
                        return false;
        return true;
}
