/* Image configs and what the runtime takes from them, through the plan. */
#include <signal.h>

#include "cri/image/config.h"
#include "cri/json.h"
#include "lib/cleanup.h"
#include "test.h"

static const char *sample =
        "{\"architecture\": \"amd64\", \"os\": \"linux\","
        " \"config\": {\"User\": \"app\", \"Env\": [\"PATH=/usr/local/bin:/bin\", \"LANG=C.UTF-8\"],"
        " \"Entrypoint\": [\"/docker-entrypoint.sh\"], \"Cmd\": [\"nginx\", \"-g\", \"daemon off;\"],"
        " \"WorkingDir\": \"/srv\", \"StopSignal\": \"SIGQUIT\", \"Labels\": {\"maintainer\": \"x\"},"
        " \"ExposedPorts\": {\"80/tcp\": {}}},"
        " \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"sha256:aa\", \"sha256:bb\"]},"
        " \"history\": [{\"created_by\": \"x\"}]}";

TEST(decodes_the_fields_the_runtime_uses)
{
        struct img_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(img_config_parse(sample, strlen(sample), &c, &e), 0);
        CHECK_STR(c.architecture, "amd64");
        CHECK_STR(c.os, "linux");
        CHECK_STR(c.user, "app");
        CHECK_STR(c.working_dir, "/srv");
        CHECK_STR(c.stop_signal, "SIGQUIT");
        CHECK_INT(c.env.n, 2);
        CHECK_INT(c.cmd.n, 3);
        CHECK_STR(c.entrypoint.v[0], "/docker-entrypoint.sh");
        CHECK_INT(c.diff_ids.n, 2);
        CHECK_STR(dh_strmap_get(&c.labels, "maintainer"), "x");
        img_config_free(&c);
        dh_err_free(e);
}

TEST(type_errors_name_the_field)
{
        static const struct { const char *in, *want; } cases[] = {
                { "{\"config\": {\"Env\": \"PATH=/bin\"}}", "image config: config.Env: Invalid value: \"PATH=/bin\": must be a list" },
                { "{\"config\": {\"Cmd\": [1]}}", "image config: config.Cmd[0]: Invalid value: 1: must be a string" },
                { "{\"rootfs\": {\"diff_ids\": {}}}", "image config: rootfs.diff_ids: Invalid value: {...}: must be a list" },
                { "[]", "image config: Invalid value: [...]: must be an object" },
                { "{\"os\": \"linux\", \"os\": \"windows\"}", "image config: line 1, column" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct img_config c = { 0 };
                struct dh_err *e = NULL;
                CHECK(img_config_parse(cases[i].in, strlen(cases[i].in), &c, &e) < 0);
                CHECK_CONTAINS(e ? e->msg : NULL, cases[i].want);
                dh_err_free(e);
        }
}

static struct rt_container_plan plan_with(const char *config_json, struct img_config *ic)
{
        struct rt_container_config cfg = { 0 };
        struct rt_container_plan p = { 0 };
        struct dh_err *e = NULL;
        json_t *j = json_loads(config_json, 0, NULL);
        if (rt_container_config_from_json(j, &cfg, &e) < 0)
                TEST_FAIL_("config: %s", e->msg);
        json_decref(j);
        struct rt_plan_context ctx = { .container_id = "c", .sandbox_id = "s", .container_dir = "/c",
                                       .sandbox_dir = "/s", .rootfs_dir = "/r" };
        img_config_plan_context(ic, &ctx);
        if (rt_plan_build(&cfg, NULL, &ctx, &p, &e) < 0)
                TEST_FAIL_("plan: %s", e->msg);
        dh_err_free(e);
        rt_container_config_free(&cfg);
        return p;
}

static char *joined(const struct dh_strv *v)
{
        static char buf[512];
        buf[0] = '\0';
        for (size_t i = 0; i < v->n; i++)
                snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", v->v[i]);
        return buf;
}

TEST(the_image_fills_what_the_pod_leaves_out)
{
        struct img_config ic = { 0 };
        CHECK_INT(img_config_parse(sample, strlen(sample), &ic, NULL), 0);
        struct rt_container_plan p = plan_with("{}", &ic);
        CHECK_STR(joined(&p.argv), "/docker-entrypoint.sh nginx -g daemon off;");
        CHECK_STR(p.cwd, "/srv");
        CHECK_STR(p.user.lookup, "app");
        CHECK_INT(p.stop_signal, SIGQUIT);
        bool lang = false;
        for (size_t i = 0; i < p.env.n; i++)
                lang |= strcmp(p.env.v[i], "LANG=C.UTF-8") == 0;
        CHECK(lang);
        rt_plan_free(&p);
        /* args replace Cmd; command replaces Entrypoint and drops Cmd. */
        p = plan_with("{\"args\": [\"-v\"]}", &ic);
        CHECK_STR(joined(&p.argv), "/docker-entrypoint.sh -v");
        rt_plan_free(&p);
        p = plan_with("{\"command\": [\"/bin/sh\"], \"working_dir\": \"/tmp\","
                      " \"linux\": {\"security_context\": {\"run_as_user\": {\"value\": 7}}}}", &ic);
        CHECK_STR(joined(&p.argv), "/bin/sh");
        CHECK_STR(p.cwd, "/tmp");
        CHECK_STR(p.user.lookup, "7");
        rt_plan_free(&p);
        img_config_free(&ic);
}

TEST_MAIN()
