/* Golden files: every tests/data/pods/{valid,invalid}/<case>.{yaml,yml,json}
 * is validated exactly as `deckctl validate` does it, and the output lines
 * must equal <case>.golden. GOLDEN_UPDATE=1 rewrites the .golden files (then
 * review the diff: the point is that a person checked each line). */
#include <dirent.h>
#include <errno.h>

#include "agent/ctl/ctl.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "test.h"

static bool is_manifest(const char *name)
{
        const char *dot = strrchr(name, '.');
        return name[0] != '.' && dot &&
               (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0);
}

static char *run_validate(const char *path, const char *name)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct dh_err *e = NULL;
        if (dh_read_file(path, 8u << 20, &data, &len, &e) < 0) {
                char *m = strdup(e->msg);
                dh_err_free(e);
                return m;
        }
        char *out = NULL;
        size_t out_len = 0;
        FILE *f = open_memstream(&out, &out_len);
        ctl_validate_buffer(data, len, name, f, f);
        fclose(f);
        return out;
}

static void check_case(const char *dir, const char *name, bool update, int *count)
{
        char path[4096], golden[4200];
        int n = snprintf(path, sizeof path, "%s/%s", dir, name);
        if (n < 0 || (size_t)n >= sizeof path) {
                TEST_FAIL_("%s: path too long", name);
                return;
        }
        snprintf(golden, sizeof golden, "%.*s.golden", (int)(strrchr(path, '.') - path), path);
        _cleanup_free_ char *got = run_validate(path, name);
        (*count)++;
        if (update) {
                FILE *f = fopen(golden, "we");
                if (f) {
                        fputs(got, f);
                        fclose(f);
                }
                return;
        }
        _cleanup_free_ char *want = NULL;
        struct dh_err *e = NULL;
        if (dh_read_file(golden, 1u << 20, &want, NULL, &e) < 0) {
                TEST_FAIL_("%s: %s", name, e->msg);
                dh_err_free(e);
                return;
        }
        if (strcmp(got, want) != 0)
                TEST_FAIL_("%s:\n--- got:\n%s--- expected:\n%s", name, got, want);
}

static void run_dir(const char *rel, int min_cases)
{
        const char *dir = test_data(rel);
        char dirpath[2048];
        snprintf(dirpath, sizeof dirpath, "%s", dir);
        struct dirent **names = NULL;
        int n = scandir(dirpath, &names, NULL, alphasort);
        if (n < 0) {
                TEST_FAIL_("%s: %s", dirpath, strerror(errno));
                return;
        }
        bool update = getenv("GOLDEN_UPDATE") != NULL;
        int count = 0;
        for (int i = 0; i < n; i++) {
                if (is_manifest(names[i]->d_name))
                        check_case(dirpath, names[i]->d_name, update, &count);
                free(names[i]);
        }
        free(names);
        if (count < min_cases)
                TEST_FAIL_("%s: only %d cases, expected at least %d", dirpath, count, min_cases);
}

TEST(valid_pods_validate_with_their_qos_class)
{
        run_dir("pods/valid", 7);
}

TEST(invalid_pods_report_every_problem_with_its_path)
{
        run_dir("pods/invalid", 6);
}

TEST_MAIN()
