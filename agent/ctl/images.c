/* deckctl images: pull, import, ls, inspect, rm, prune. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ctl/rt-common.h"
#include "agent/imagegc.h"
#include "cri/builtin/runtime.h"
#include "lib/cleanup.h"
#include "lib/loop.h"
#include "lib/parse.h"

static void human_size(uint64_t n, char *buf, size_t size)
{
        /* crictl's units: decimal, 3 significant digits. */
        const char *units[] = { "B", "kB", "MB", "GB", "TB" };
        double v = (double)n;
        size_t u = 0;
        while (v >= 1000.0 && u + 1 < sizeof units / sizeof *units) {
                v /= 1000.0;
                u++;
        }
        snprintf(buf, size, u ? "%.3g%s" : "%.0f%s", v, units[u]);
}

/* "docker.io/library/busybox:1.36" -> repo and tag. */
static void split_tag(const char *tagged, char *repo, size_t rsize, const char **tag)
{
        const char *slash = strrchr(tagged, '/');
        const char *colon = strrchr(slash ? slash : tagged, ':');
        size_t n = colon ? (size_t)(colon - tagged) : strlen(tagged);
        snprintf(repo, rsize, "%.*s", (int)n, tagged);
        *tag = colon ? colon + 1 : "<none>";
}

static const char *digest_of(const struct rt_image *im, const char *repo)
{
        size_t n = strlen(repo);
        for (size_t i = 0; i < im->repo_digests.n; i++)
                if (strncmp(im->repo_digests.v[i], repo, n) == 0 && im->repo_digests.v[i][n] == '@')
                        return im->repo_digests.v[i] + n + 1;
        return im->repo_digests.n ? strchr(im->repo_digests.v[0], '@') + 1 : "<none>";
}

static void print_image_rows(const struct rt_image *im, bool digests)
{
        char size[32], repo[512];
        human_size(im->size, size, sizeof size);
        const char *id = strncmp(im->id, "sha256:", 7) == 0 ? im->id + 7 : im->id;
        size_t rows = im->repo_tags.n ? im->repo_tags.n : 1;
        for (size_t k = 0; k < rows; k++) {
                const char *tag = "<none>";
                if (im->repo_tags.n)
                        split_tag(im->repo_tags.v[k], repo, sizeof repo, &tag);
                else if (im->repo_digests.n)
                        snprintf(repo, sizeof repo, "%.*s",
                                 (int)strcspn(im->repo_digests.v[0], "@"), im->repo_digests.v[0]);
                else
                        snprintf(repo, sizeof repo, "<none>");
                if (digests)
                        printf("%-50s %-20s %-19.19s %-13.13s %s\n", repo, tag,
                               strncmp(digest_of(im, repo), "sha256:", 7) == 0 ? digest_of(im, repo) + 7
                                                                              : digest_of(im, repo),
                               id, size);
                else
                        printf("%-50s %-20s %-13.13s %s\n", repo, tag, id, size);
        }
}

static int images_ls(struct rt *rt, int argc, char **argv)
{
        bool digests = false, quiet = false;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--digests") == 0)
                        digests = true;
                else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
                        quiet = true;
                else {
                        fprintf(stderr, "deckctl: images ls: unknown option %s\n", argv[i]);
                        return 2;
                }
        }
        struct rt_image_list l = { 0 };
        struct dh_err *err = NULL;
        if (rt->ops->list_images(rt, NULL, &l, &err) < 0)
                return ctl_fail("images ls", err);
        if (!quiet && digests)
                printf("%-50s %-20s %-19s %-13s %s\n", "IMAGE", "TAG", "DIGEST", "IMAGE ID", "SIZE");
        else if (!quiet)
                printf("%-50s %-20s %-13s %s\n", "IMAGE", "TAG", "IMAGE ID", "SIZE");
        for (size_t i = 0; i < l.n; i++) {
                if (quiet)
                        puts(l.v[i].id);
                else
                        print_image_rows(&l.v[i], digests);
        }
        rt_image_list_free(&l);
        return 0;
}

static json_t *strv_json(const struct dh_strv *v)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < v->n; i++)
                json_array_append_new(a, json_string(v->v[i]));
        return a;
}

static json_t *image_json(const struct rt_image *im)
{
        char size[32]; /* CRI's uint64 as a string, as crictl prints it */
        snprintf(size, sizeof size, "%" PRIu64, im->size);
        json_t *j = json_pack("{s:s, s:o, s:o, s:s, s:b}", "id", im->id, "repoTags", strv_json(&im->repo_tags),
                              "repoDigests", strv_json(&im->repo_digests), "size", size, "pinned",
                              im->pinned);
        if (!j)
                return NULL;
        if (im->uid.set)
                json_object_set_new(j, "uid", json_pack("{s:I}", "value", (json_int_t)im->uid.value));
        if (im->username)
                json_object_set_new(j, "username", json_string(im->username));
        return j;
}

static int images_inspect(struct rt *rt, int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "deckctl: images inspect: an image reference is required\n");
                return 2;
        }
        int status = 0;
        for (int i = 1; i < argc; i++) {
                struct rt_image im = { 0 };
                struct rt_image_spec spec = { .image = argv[i] };
                struct dh_err *err = NULL;
                bool found = false;
                if (rt->ops->image_status(rt, &spec, &im, &found, &err) < 0) {
                        status = ctl_fail(argv[i], err);
                        continue;
                }
                if (!found) {
                        fprintf(stderr, "deckctl: %s: no such image\n", argv[i]);
                        status = 1;
                        continue;
                }
                json_t *j = json_pack("{so}", "status", image_json(&im));
                ctl_print_json(j);
                json_decref(j);
                rt_image_free(&im);
        }
        return status;
}

static int images_pull(struct rt *rt, int argc, char **argv)
{
        const char *creds = NULL, *ref = NULL;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--creds") == 0 && i + 1 < argc)
                        creds = argv[++i];
                else if (strncmp(argv[i], "--creds=", 8) == 0)
                        creds = argv[i] + 8;
                else if (!ref && argv[i][0] != '-')
                        ref = argv[i];
                else {
                        fprintf(stderr, "deckctl: images pull: unexpected argument %s\n", argv[i]);
                        return 2;
                }
        }
        if (!ref) {
                fprintf(stderr, "usage: deckctl images pull [--creds USER:PASS] REF\n");
                return 2;
        }
        struct rt_auth_config auth = { 0 };
        _cleanup_free_ char *user = NULL;
        if (creds) {
                const char *colon = strchr(creds, ':');
                if (!colon) {
                        fprintf(stderr, "deckctl: images pull: --creds must be USER:PASS\n");
                        return 2;
                }
                user = strndup(creds, (size_t)(colon - creds));
                auth.username = user;
                auth.password = (char *)colon + 1;
        }
        struct rt_image_spec spec = { .image = (char *)ref };
        struct dh_err *err = NULL;
        _cleanup_free_ char *id = NULL;
        if (rt_pull_image_sync(rt, ctl_loop(), &spec, creds ? &auth : NULL, &id, &err) < 0)
                return ctl_fail("images pull", err);
        printf("Image is up to date for %s\n", id);
        return 0;
}

static int images_import(struct rt *rt, int argc, char **argv)
{
        const char *name = NULL, *file = NULL;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
                        name = argv[++i];
                else if (strncmp(argv[i], "--name=", 7) == 0)
                        name = argv[i] + 7;
                else if (!file)
                        file = argv[i];
                else {
                        fprintf(stderr, "deckctl: images import: unexpected argument %s\n", argv[i]);
                        return 2;
                }
        }
        if (!file) {
                fprintf(stderr, "usage: deckctl images import FILE|DIR [--name REF]\n");
                return 2;
        }
        struct dh_strv ids = { 0 };
        struct dh_err *err = NULL;
        if (rt_builtin_import_image(rt, file, name, &ids, &err) < 0)
                return ctl_fail("images import", err);
        for (size_t i = 0; i < ids.n; i++) {
                printf("Imported %s\n", ids.v[i]);
                free(ids.v[i]);
        }
        free(ids.v);
        return 0;
}

static int images_rm(struct rt *rt, int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: deckctl images rm REF...\n");
                return 2;
        }
        int status = 0;
        for (int i = 1; i < argc; i++) {
                struct rt_image_spec spec = { .image = argv[i] };
                struct rt_image im = { 0 };
                struct dh_err *err = NULL;
                bool found = false;
                if (rt->ops->image_status(rt, &spec, &im, &found, &err) < 0) {
                        status = ctl_fail(argv[i], err);
                        continue;
                }
                rt_image_free(&im);
                if (!found) {
                        fprintf(stderr, "deckctl: %s: no such image\n", argv[i]);
                        status = 1;
                        continue;
                }
                if (rt->ops->remove_image(rt, &spec, &err) < 0) {
                        status = ctl_fail(argv[i], err);
                        continue;
                }
                printf("Deleted: %s\n", argv[i]);
        }
        return status;
}

/* Removes every image no container uses, then whatever no image uses. */
static int images_prune(struct rt *rt)
{
        struct rt_image_list l = { 0 };
        struct dh_err *err = NULL;
        if (rt->ops->list_images(rt, NULL, &l, &err) < 0)
                return ctl_fail("images prune", err);
        int status = 0;
        for (size_t i = 0; i < l.n; i++) {
                struct rt_image_spec spec = { .image = l.v[i].id };
                if (rt->ops->remove_image(rt, &spec, &err) < 0) {
                        if (err->code != EBUSY)
                                status = ctl_fail("images prune", TAKE_PTR(err));
                        dh_err_free(TAKE_PTR(err));
                        continue;
                }
                printf("Deleted: %s\n", l.v[i].repo_tags.n ? l.v[i].repo_tags.v[0] : l.v[i].id);
        }
        rt_image_list_free(&l);
        int64_t freed = 0;
        if (rt->ops->prune_images(rt, &freed, &err) < 0)
                return ctl_fail("images prune", err);
        char size[32];
        human_size((uint64_t)freed, size, sizeof size);
        printf("Reclaimed %s of unused layers and blobs\n", size);
        return status;
}

/* ImageFsInfo as crictl imagefsinfo prints it. */
static int images_fsinfo(struct rt *rt)
{
        struct rt_filesystem_usage u = { 0 };
        struct dh_err *err = NULL;
        if (rt->ops->image_fs_info(rt, &u, &err) < 0)
                return ctl_fail("images fsinfo", err);
        char ts[32], used[32], inodes[32];
        snprintf(ts, sizeof ts, "%" PRId64, u.timestamp);
        snprintf(used, sizeof used, "%" PRIu64, u.used_bytes);
        snprintf(inodes, sizeof inodes, "%" PRIu64, u.inodes_used);
        json_t *j = json_pack("{s:{s:[{s:s, s:{s:s}, s:{s:s}, s:{s:s}}]}}", "status", "imageFilesystems",
                              "timestamp", ts, "fsId", "mountpoint", u.mountpoint, "usedBytes", "value",
                              used, "inodesUsed", "value", inodes);
        ctl_print_json(j);
        json_decref(j);
        rt_filesystem_usage_free(&u);
        return 0;
}

/* Sets one GC flag from its value. */
static int gc_option(struct img_gc_policy *p, const char *name, const char *v, struct dh_err **err)
{
        int64_t ms;
        int r;
        if (strcmp(name, "--high") == 0)
                return dh_parse_i64(v, 0, 100, &p->high_threshold_percent, name, err);
        if (strcmp(name, "--low") == 0)
                return dh_parse_i64(v, 0, 100, &p->low_threshold_percent, name, err);
        if (strcmp(name, "--min-age") == 0) {
                if ((r = dh_parse_duration_ms(v, &ms, name, err)) == 0)
                        p->min_age_ns = ms * 1000000;
                return r;
        }
        if (strcmp(name, "--max-age") == 0) {
                if ((r = dh_parse_duration_ms(v, &ms, name, err)) == 0)
                        p->max_age_ns = ms * 1000000;
                return r;
        }
        return dh_err_set(err, EINVAL, "unknown option %s", name);
}

/* One round of the kubelet's image GC, with its thresholds as flags. */
static int images_gc(struct rt *rt, int argc, char **argv)
{
        struct img_gc_policy p = IMG_GC_POLICY_DEFAULT;
        struct dh_err *err = NULL;
        for (int i = 1; i < argc; i += 2) {
                int r = i + 1 < argc ? gc_option(&p, argv[i], argv[i + 1], &err)
                                     : dh_err_set(&err, EINVAL, "%s needs a value", argv[i]);
                if (r < 0) {
                        ctl_fail("images gc", err);
                        return 2;
                }
        }
        struct agent_image_gc_result res = { 0 };
        int64_t now = dh_realtime_ns();
        if (agent_image_gc(rt, &p, now - p.max_age_ns, now, &res, &err) < 0)
                return ctl_fail("images gc", err);
        printf("image filesystem %d%% used (high %lld%%, low %lld%%)\n", res.plan.usage_percent,
               (long long)p.high_threshold_percent, (long long)p.low_threshold_percent);
        for (size_t i = 0; i < res.removed.n; i++)
                printf("Deleted: %s\n", res.removed.v[i]);
        char size[32];
        human_size((uint64_t)res.freed_bytes, size, sizeof size);
        printf("Freed %s\n", size);
        if (res.plan.event_reason)
                printf("%s: %s\n", res.plan.event_reason, res.plan.event_message ? res.plan.event_message : "");
        agent_image_gc_result_free(&res);
        return 0;
}

int ctl_images_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        const char *verb = argc > 1 ? argv[1] : "ls";
        int off = argc > 1 ? 1 : 0;
        int status;
        if (verb[0] == '-') /* "deckctl images --digests" */
                status = images_ls(rt, argc, argv);
        else if (strcmp(verb, "ls") == 0 || strcmp(verb, "list") == 0)
                status = images_ls(rt, argc - off, argv + off);
        else if (strcmp(verb, "pull") == 0)
                status = images_pull(rt, argc - off, argv + off);
        else if (strcmp(verb, "import") == 0)
                status = images_import(rt, argc - off, argv + off);
        else if (strcmp(verb, "inspect") == 0)
                status = images_inspect(rt, argc - off, argv + off);
        else if (strcmp(verb, "rm") == 0 || strcmp(verb, "rmi") == 0)
                status = images_rm(rt, argc - off, argv + off);
        else if (strcmp(verb, "prune") == 0)
                status = images_prune(rt);
        else if (strcmp(verb, "fsinfo") == 0)
                status = images_fsinfo(rt);
        else if (strcmp(verb, "gc") == 0)
                status = images_gc(rt, argc - off, argv + off);
        else {
                fprintf(stderr, "deckctl: images: unknown verb \"%s\" (pull, import, ls, inspect, rm, prune, gc, fsinfo)\n", verb);
                status = 2;
        }
        ctl_rt_close(rt);
        return status;
}
