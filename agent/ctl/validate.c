/* `deckctl validate FILE|DIR...`: decode, default and validate manifests
 * exactly as the agent will, and say what is wrong with each, precisely. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/ctl/ctl.h"
#include "agent/manifests.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "pod/pod.h"

static int report_set(const struct pod_set *s, const char *name, FILE *out, FILE *errout)
{
        int invalid = 0;
        for (size_t i = 0; i < s->n; i++) {
                const struct pod_doc *d = &s->v[i];
                char label[600];
                pod_doc_label(d, label, sizeof label);
                if (d->errs.n == 0 && d->errs.dropped == 0 && d->pod) {
                        fprintf(out, "OK %s/%s %s\n", pod_namespace(d->pod),
                                d->pod->metadata.name, pod_qos_name(pod_qos_class(d->pod)));
                        continue;
                }
                invalid++;
                for (size_t j = 0; j < d->errs.n; j++) {
                        _cleanup_free_ char *line = dh_ferr_format(&d->errs.v[j]);
                        fprintf(errout, "%s: %s: %s\n", name, label, line);
                }
                if (d->errs.dropped)
                        fprintf(errout, "%s: %s: %zu more errors not shown\n", name, label,
                                d->errs.dropped);
        }
        return invalid;
}

int ctl_validate_buffer(const char *data, size_t len, const char *name, FILE *out, FILE *errout)
{
        struct dh_err *err = NULL;
        struct pod_set s = { 0 };
        if (memchr(data, '\0', len)) {
                fprintf(errout, "%s: binary data (NUL byte) is not a manifest\n", name);
                return 1;
        }
        if (pod_load_buffer(data, len, &s, &err) < 0) {
                fprintf(errout, "%s: %s\n", name, err->msg);
                dh_err_free(err);
                return 1;
        }
        if (s.n == 0) {
                fprintf(errout, "%s: no documents found\n", name);
                return 1;
        }
        int invalid = report_set(&s, name, out, errout);
        pod_set_free(&s);
        return invalid;
}

static int validate_file(const char *path)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct dh_err *err = NULL;
        if (dh_read_file(path, POD_FILE_MAX, &data, &len, &err) < 0) {
                fprintf(stderr, "%s\n", err->msg);
                dh_err_free(err);
                return 1;
        }
        return ctl_validate_buffer(data, len, path, stdout, stderr);
}

struct dir_walk {
        int invalid;
        int files;
};

static int validate_dir_entry(const char *path, void *userdata)
{
        struct dir_walk *w = userdata;
        w->files++;
        w->invalid += validate_file(path);
        return 0;
}

static int validate_path(const char *path)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
        }
        if (!S_ISDIR(st.st_mode))
                return validate_file(path);
        struct dir_walk w = { 0 };
        struct dh_err *err = NULL;
        if (agent_manifest_dir_scan(path, validate_dir_entry, &w, &err) < 0) {
                fprintf(stderr, "%s\n", err->msg);
                dh_err_free(err);
                return w.invalid + 1;
        }
        if (w.files == 0)
                fprintf(stderr, "%s: no manifest files\n", path);
        return w.invalid;
}

int ctl_validate_main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: deckctl validate FILE|DIR...\n");
                return 2;
        }
        int invalid = 0;
        for (int i = 1; i < argc; i++)
                invalid += validate_path(argv[i]);
        return invalid ? 1 : 0;
}
