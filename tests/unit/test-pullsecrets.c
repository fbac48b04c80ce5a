/* Tests for agent/pullsecrets.c: imagePullSecrets as the API serves them
 * (base64 data) turned into credentials for one image. */
#include <jansson.h>

#include "agent/pullsecrets.h"
#include "lib/base64.h"
#include "test.h"

/* A Secret of the given type whose data[key] is base64(config). */
static json_t *secret(const char *type, const char *key, const char *config)
{
        char *b64 = dh_base64_encode(config, strlen(config));
        json_t *s = json_pack("{s:s, s:{s:s}}", "type", type, "data", key, b64);
        free(b64);
        return s;
}

TEST(dockerconfigjson_secret_matches_its_registry)
{
        json_t *s[2] = {
                secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson",
                       "{\"auths\":{\"reg.example:5000\":{\"username\":\"u1\",\"password\":\"p1\"}}}"),
                secret("kubernetes.io/dockercfg", ".dockercfg",
                       "{\"reg.example:5000/team\":{\"auth\":\"dTI6cDI=\"}}"), /* u2:p2 */
        };
        struct img_auth_list l = { 0 };
        size_t skipped = 9;
        struct dh_err *err = NULL;
        CHECK_INT(agent_pull_secret_auths(s, 2, "reg.example:5000/team/app:1", &l, &skipped, &err), 0);
        CHECK_INT(skipped, 0);
        CHECK_INT(l.n, 2);
        if (l.n == 2) {
                /* secret by secret, in the pod's order */
                CHECK(strcmp(l.v[0].username, "u1") == 0 && strcmp(l.v[0].password, "p1") == 0);
                CHECK(strcmp(l.v[1].username, "u2") == 0 && strcmp(l.v[1].password, "p2") == 0);
        }
        img_auth_list_free(&l);
        CHECK_INT(agent_pull_secret_auths(s, 2, "other.example/app", &l, &skipped, &err), 0);
        CHECK_INT(l.n, 0);
        img_auth_list_free(&l);
        json_decref(s[0]);
        json_decref(s[1]);
}

TEST(bad_secrets_are_skipped_and_counted)
{
        json_t *s[4] = {
                secret("Opaque", ".dockerconfigjson", "{\"auths\":{}}"),
                json_pack("{s:s, s:{s:s}}", "type", "kubernetes.io/dockerconfigjson", "data",
                          ".dockerconfigjson", "!!not base64!!"),
                secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", "{not json"),
                secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson",
                       "{\"auths\":{\"docker.io\":{\"username\":\"d\",\"password\":\"x\"}}}"),
        };
        struct img_auth_list l = { 0 };
        size_t skipped = 0;
        struct dh_err *err = NULL;
        CHECK_INT(agent_pull_secret_auths(s, 4, "busybox", &l, &skipped, &err), 0);
        CHECK_INT(skipped, 3);
        CHECK_INT(l.n, 1);
        if (l.n == 1)
                CHECK(strcmp(l.v[0].username, "d") == 0);
        img_auth_list_free(&l);
        for (int i = 0; i < 4; i++)
                json_decref(s[i]);
}

TEST(an_invalid_image_is_an_error)
{
        struct img_auth_list l = { 0 };
        size_t skipped = 0;
        struct dh_err *err = NULL;
        CHECK(agent_pull_secret_auths(NULL, 0, "Bad Name", &l, &skipped, &err) < 0);
        CHECK(err && strstr(err->msg, "invalid reference format"));
        dh_err_free(err);
}

TEST_MAIN()
