/* A small driver of the image service's pulls for tests/integration/pulls.sh:
 *
 *   pullclient [--progress] ROOTDIR REF...
 *
 * Opens the image service on ROOTDIR and starts img_service_pull for every
 * REF at once on one loop, then runs the loop until all are done. Prints
 * one line per completion, in completion order: "done REF IMAGE_ID" or
 * "error REF: message" (a pull that cannot start reports at once), with
 * --progress also "progress DIGEST DONE/TOTAL". Exits 1 if any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/images.h"
#include "lib/loop.h"

struct client {
        struct dh_loop *loop;
        int pending, status;
};

struct one {
        struct client *c;
        const char *ref;
};

static void on_progress(void *ud, const char *digest, int64_t done, int64_t total)
{
        (void)ud;
        printf("progress %s %lld/%lld\n", digest, (long long)done, (long long)total);
        fflush(stdout);
}

static void on_done(void *ud, const char *image_id, struct dh_err *err)
{
        struct one *o = ud;
        struct client *c = o->c;
        if (err) {
                printf("error %s: %s\n", o->ref, err->msg);
                c->status = 1;
        } else {
                printf("done %s %s\n", o->ref, image_id);
        }
        fflush(stdout);
        if (--c->pending == 0)
                dh_loop_quit(c->loop, c->status);
}

int main(int argc, char **argv)
{
        int i = 1;
        bool progress = false;
        if (i < argc && strcmp(argv[i], "--progress") == 0) {
                progress = true;
                i++;
        }
        if (argc - i < 2) {
                fprintf(stderr, "usage: pullclient [--progress] ROOTDIR REF...\n");
                return 2;
        }
        const char *root = argv[i++];
        struct dh_err *err = NULL;
        struct client c = { 0 };
        struct img_service *s = NULL;
        /* --progress: a callback per millisecond at most, so even a fast
         * loopback transfer reports. */
        struct img_service_config cfg = { .root = root, .progress = progress ? on_progress : NULL,
                                           .progress_interval_ms = 1 };
        if (dh_loop_new(&c.loop, &err) < 0 || img_service_open(&cfg, c.loop, &s, &err) < 0) {
                printf("error %s\n", err->msg);
                dh_err_free(err);
                dh_loop_free(c.loop);
                return 1;
        }
        int n = argc - i;
        struct one *ones = calloc((size_t)n, sizeof(*ones));
        if (!ones) {
                fprintf(stderr, "pullclient: out of memory\n");
                return 1;
        }
        /* pending starts at 1 so that no completion can quit the loop
         * before every pull has been started. */
        c.pending = 1;
        for (int k = 0; k < n; k++) {
                ones[k] = (struct one){ &c, argv[i + k] };
                if (img_service_pull(s, ones[k].ref, NULL, on_done, &ones[k], &err) < 0) {
                        printf("error %s: %s\n", ones[k].ref, err->msg);
                        fflush(stdout);
                        dh_err_clear(&err);
                        c.status = 1;
                        continue;
                }
                c.pending++;
        }
        int status = --c.pending == 0 ? c.status : dh_loop_run(c.loop);
        img_service_close(s);
        dh_loop_free(c.loop);
        free(ones);
        return status ? 1 : 0;
}
