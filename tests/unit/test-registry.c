/* Registry client pieces that need no network: WWW-Authenticate
 * challenges, Docker config credential lookup with the kubelet's matching
 * rules, and the registries file. */
#include <errno.h>

#include "cri/image/registry.h"
#include "cri/image/remote-internal.h"
#include "cri/image/wwwauth.h"
#include "tests/unit/test.h"

static int chal(const char *s, struct img_challenge *c, struct dh_err **err)
{
        return img_wwwauth_parse(s, strlen(s), c, err);
}

TEST(wwwauth_bearer)
{
        struct img_challenge c = { 0 };
        CHECK_INT(chal("Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
                       "scope=\"repository:library/busybox:pull\"", &c, NULL), 0);
        CHECK_INT(c.scheme, IMG_AUTH_BEARER);
        CHECK_STR(c.realm, "https://auth.example/token");
        CHECK_STR(c.service, "registry.example");
        CHECK_STR(c.scope, "repository:library/busybox:pull");
        img_challenge_free(&c);
        /* case-insensitive names, token values, spaces, escapes */
        CHECK_INT(chal("bearer  REALM = \"http://127.0.0.1:1/t\" , service=tok, scope=\"a\\\"b\"", &c, NULL), 0);
        CHECK_INT(c.scheme, IMG_AUTH_BEARER);
        CHECK_STR(c.realm, "http://127.0.0.1:1/t");
        CHECK_STR(c.service, "tok");
        CHECK_STR(c.scope, "a\"b");
        img_challenge_free(&c);
}

TEST(wwwauth_basic_and_several)
{
        struct img_challenge c = { 0 };
        CHECK_INT(chal("Basic realm=\"deckhand-test\"", &c, NULL), 0);
        CHECK_INT(c.scheme, IMG_AUTH_BASIC);
        CHECK_STR(c.realm, "deckhand-test");
        img_challenge_free(&c);
        /* Bearer wins over Basic whatever the order; unknown schemes skipped */
        CHECK_INT(chal("Basic realm=\"x\", Negotiate abc==, Bearer realm=\"https://t\",scope=\"s\"", &c, NULL), 0);
        CHECK_INT(c.scheme, IMG_AUTH_BEARER);
        CHECK_STR(c.realm, "https://t");
        CHECK_STR(c.scope, "s");
        img_challenge_free(&c);
}

TEST(wwwauth_errors)
{
        struct img_challenge c = { 0 };
        struct dh_err *err = NULL;
        CHECK(chal("Bearer realm=\"unterminated", &c, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "unterminated");
        dh_err_clear(&err);
        CHECK(chal("Negotiate abc", &c, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "no Bearer or Basic");
        dh_err_clear(&err);
        CHECK(chal("Bearer service=\"x\"", &c, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "without a realm");
        dh_err_clear(&err);
        CHECK(chal("", &c, &err) < 0);
        dh_err_clear(&err);
        CHECK(chal("Bearer realm=", &c, &err) < 0);
        dh_err_clear(&err);
}

/* --- docker config --- */

static int lookup(const char *cfg, const char *image, struct img_auth_list *out, struct dh_err **err)
{
        struct img_ref ref = { 0 };
        if (img_ref_parse(image, &ref, NULL) < 0)
                return -99;
        int r = img_docker_config_lookup(cfg, strlen(cfg), &ref, out, err);
        img_ref_free(&ref);
        return r;
}

/* The usernames found for image, comma-separated, as a static string. */
static const char *users(const char *cfg, const char *image)
{
        static char buf[512];
        struct img_auth_list l = { 0 };
        struct dh_err *err = NULL;
        if (lookup(cfg, image, &l, &err) < 0) {
                snprintf(buf, sizeof buf, "error: %s", err ? err->msg : "?");
                dh_err_free(err);
                return buf;
        }
        buf[0] = '\0';
        for (size_t i = 0; i < l.n; i++) {
                size_t n = strlen(buf);
                snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", l.v[i].username ? l.v[i].username : "-");
        }
        img_auth_list_free(&l);
        return buf;
}

TEST(dockercfg_order_and_paths)
{
        const char *cfg = "{\"auths\":{"
                          "\"quay.io\":{\"username\":\"host\",\"password\":\"p\"},"
                          "\"quay.io/coreos\":{\"username\":\"coreos\",\"password\":\"p\"},"
                          "\"https://quay.io/coreos/etcd\":{\"username\":\"etcd\",\"password\":\"p\"},"
                          "\"quay.io:5000\":{\"username\":\"port\",\"password\":\"p\"}}}";
        CHECK_STR(users(cfg, "quay.io/coreos/etcd:v3"), "etcd,coreos,host");
        CHECK_STR(users(cfg, "quay.io/coreos/other"), "coreos,host");
        CHECK_STR(users(cfg, "quay.io/elsewhere/x"), "host");
        CHECK_STR(users(cfg, "quay.io:5000/coreos/etcd"), "port");
        CHECK_STR(users(cfg, "example.com/x"), "");
        /* a key path is a prefix of the image path, not of its host */
        CHECK_STR(users(cfg, "quay.io.evil.com/coreos/etcd"), "");
}

TEST(dockercfg_globs_schemes_versions)
{
        const char *cfg = "{\"auths\":{"
                          "\"*.example.com\":{\"username\":\"glob\",\"password\":\"p\"},"
                          "\"http://reg.local:5000/v2/\":{\"username\":\"v2\",\"password\":\"p\"},"
                          "\"https://reg.other/v1/team\":{\"username\":\"v1\",\"password\":\"p\"}}}";
        CHECK_STR(users(cfg, "a.example.com/x"), "glob");
        CHECK_STR(users(cfg, "a.b.example.com/x"), "");   /* label counts differ */
        CHECK_STR(users(cfg, "example.com/x"), "");
        CHECK_STR(users(cfg, "reg.local:5000/any/thing"), "v2");
        CHECK_STR(users(cfg, "reg.local/any"), "");         /* port must match */
        CHECK_STR(users(cfg, "reg.other/team/app"), "v1");
        CHECK_STR(users(cfg, "reg.other/else/app"), "");
}

TEST(dockercfg_docker_hub)
{
        const char *v1 = "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnNlY3JldA==\"}}}";
        CHECK_STR(users(v1, "busybox"), "hub");
        CHECK_STR(users(v1, "docker.io/library/busybox"), "hub");
        CHECK_STR(users(v1, "someone/app"), "hub");
        CHECK_STR(users(v1, "quay.io/someone/app"), "");
        const char *idx = "{\"auths\":{\"index.docker.io\":{\"username\":\"idx\",\"password\":\"p\"}}}";
        CHECK_STR(users(idx, "busybox"), "idx");
        const char *dio = "{\"auths\":{\"docker.io\":{\"username\":\"dio\",\"password\":\"p\"},"
                          "\"index.docker.io\":{\"username\":\"idx\",\"password\":\"p\"}}}";
        CHECK_STR(users(dio, "busybox"), "dio"); /* a direct match wins over the fallback */
        struct img_auth_list l = { 0 };
        CHECK_INT(lookup(v1, "busybox", &l, NULL), 0);
        CHECK_INT(l.n, 1);
        if (l.n) {
                CHECK_STR(l.v[0].username, "hub");
                CHECK_STR(l.v[0].password, "secret");
        }
        img_auth_list_free(&l);
}

TEST(dockercfg_legacy_and_auth_field)
{
        /* .dockercfg: the map at the top level; "auth" beats username */
        const char *cfg = "{\"reg.example\":{\"username\":\"ignored\",\"auth\":\"dTpwOmFzcw==\","
                          "\"email\":\"x@y\"}}";
        struct img_auth_list l = { 0 };
        CHECK_INT(lookup(cfg, "reg.example/app", &l, NULL), 0);
        CHECK_INT(l.n, 1);
        if (l.n) {
                CHECK_STR(l.v[0].username, "u");
                CHECK_STR(l.v[0].password, "p:ass"); /* split at the first colon */
        }
        img_auth_list_free(&l);
}

TEST(dockercfg_errors)
{
        CHECK_CONTAINS(users("{\"auths\":{\"reg\":{\"auth\":\"%%%\"}}}", "reg.x/a"),
                       "auths[\"reg\"].auth: Invalid value: not valid base64");
        CHECK_CONTAINS(users("{\"auths\":{\"reg\":{\"auth\":\"bm9jb2xvbg==\"}}}", "reg.x/a"),
                       "auths[\"reg\"].auth: Invalid value: must be formatted as base64(username:password)");
        CHECK_CONTAINS(users("{\"auths\":{\"reg\":{\"username\":5}}}", "reg.x/a"),
                       "auths[\"reg\"].username: Invalid value: must be a string");
        CHECK_CONTAINS(users("{\"auths\":[]}", "reg.x/a"), "auths: Invalid value: must be an object");
        CHECK_CONTAINS(users("{\"reg\":7}", "reg.x/a"), "docker config: [\"reg\"]: Invalid value");
        CHECK_CONTAINS(users("{", "reg.x/a"), "docker config: line 1");
        /* the error never echoes a secret */
        CHECK(!strstr(users("{\"auths\":{\"reg\":{\"auth\":\"c2VjcmV0\"}}}", "reg.x/a"), "secret"));
}

/* --- registries file --- */

TEST(regconfig_parse)
{
        const char *y = "mirrors:\n"
                        "  docker.io:\n"
                        "    endpoint: [\"https://mirror.example:5000/\", \"http://127.0.0.1:5000\"]\n"
                        "configs:\n"
                        "  \"reg.example:5000\":\n"
                        "    insecure: true\n"
                        "    ca_file: /etc/ssl/reg.pem\n"
                        "    auth: {username: u, password: p}\n"
                        "  mirror.example:5000:\n"
                        "    tls: {insecure_skip_verify: true}\n"
                        "    auth: {auth: dTpw}\n";
        struct img_registry_config c = { 0 };
        struct dh_err *err = NULL;
        CHECK_INT(img_registry_config_parse(y, strlen(y), "registries.yaml", &c, &err), 0);
        if (err)
                fprintf(stderr, "%s\n", err->msg);
        dh_err_clear(&err);
        const struct img_registry_host *h = img_registry_config_find(&c, "docker.io");
        CHECK(h != NULL);
        if (h) {
                CHECK_INT(h->endpoints.n, 2);
                if (h->endpoints.n == 2) {
                        CHECK_STR(h->endpoints.v[0], "https://mirror.example:5000");
                        CHECK_STR(h->endpoints.v[1], "http://127.0.0.1:5000");
                }
                CHECK(!h->insecure);
        }
        h = img_registry_config_find(&c, "reg.example:5000");
        CHECK(h && h->insecure);
        if (h) {
                CHECK_STR(h->ca_file, "/etc/ssl/reg.pem");
                CHECK_STR(h->username, "u");
                CHECK_STR(h->password, "p");
        }
        h = img_registry_config_find(&c, "mirror.example:5000");
        CHECK(h && h->insecure);
        if (h)
                CHECK_STR(h->username, "u");
        CHECK(img_registry_config_find(&c, "quay.io") == NULL);
        img_registry_config_free(&c);
        /* JSON and the empty file */
        const char *j = "{\"mirrors\":{\"*\":{\"endpoint\":[\"http://127.0.0.1:1\"]}}}";
        CHECK_INT(img_registry_config_parse(j, strlen(j), "r.json", &c, NULL), 0);
        CHECK(img_registry_config_find(&c, "anything") != NULL);
        img_registry_config_free(&c);
        CHECK_INT(img_registry_config_parse("", 0, "r.yaml", &c, NULL), 0);
        CHECK_INT(c.n, 0);
}

static const char *cfg_err(const char *y)
{
        static char buf[1024];
        struct img_registry_config c = { 0 };
        struct dh_err *err = NULL;
        if (img_registry_config_parse(y, strlen(y), "registries.yaml", &c, &err) == 0) {
                img_registry_config_free(&c);
                return "ok";
        }
        snprintf(buf, sizeof buf, "%s", err ? err->msg : "?");
        dh_err_free(err);
        return buf;
}

TEST(regconfig_errors)
{
        CHECK_STR(cfg_err("mirrors:\n  docker.io:\n    endpoint: [\"ftp://x\"]\n"),
                  "registries.yaml: mirrors[\"docker.io\"].endpoint[0]: Invalid value: \"ftp://x\": "
                  "must be an http:// or https:// URL with a host");
        CHECK_CONTAINS(cfg_err("mirrors:\n  docker.io:\n    endpoint: 5\n"),
                       "registries.yaml: mirrors[\"docker.io\"].endpoint: Invalid value: 5");
        CHECK_CONTAINS(cfg_err("configs:\n  reg:\n    insecure: maybe\n"),
                       "registries.yaml: configs[\"reg\"].insecure: Invalid value: \"maybe\"");
        CHECK_CONTAINS(cfg_err("configs:\n  reg:\n    ca_file: rel.pem\n"),
                       "configs[\"reg\"].ca_file: Invalid value: \"rel.pem\": must be an absolute path");
        CHECK_CONTAINS(cfg_err("configs:\n  reg:\n    auth: {auth: \"!!\"}\n"),
                       "configs[\"reg\"].auth.auth: Invalid value: must be base64(username:password)");
        CHECK_CONTAINS(cfg_err("- a\n"), "registries.yaml: expected an object");
        CHECK_CONTAINS(cfg_err("mirrors: [\n"), "registries.yaml: ");
}

/* --- request helpers --- */

TEST(remote_token_url_and_parse)
{
        char realm1[] = "https://auth.example/token", realm2[] = "https://a/t?x=1";
        char service[] = "reg example", scope[] = "repository:x:pull,push";
        struct img_challenge c = { .scheme = IMG_AUTH_BEARER, .realm = realm1, .service = service };
        char *u = remote_token_url(&c, "library/busybox");
        CHECK_STR(u, "https://auth.example/token?service=reg%20example&scope=repository%3Alibrary%2Fbusybox%3Apull");
        free(u);
        c.realm = realm2;
        c.service = NULL;
        c.scope = scope;
        u = remote_token_url(&c, "ignored");
        CHECK_STR(u, "https://a/t?x=1&scope=repository%3Ax%3Apull%2Cpush");
        free(u);
        char *tok = NULL;
        const char *b1 = "{\"token\":\"abc\",\"expires_in\":60}";
        CHECK_INT(remote_token_parse(b1, strlen(b1), &tok, NULL), 0);
        CHECK_STR(tok, "abc");
        free(tok);
        tok = NULL;
        const char *b2 = "{\"access_token\":\"xyz\"}";
        CHECK_INT(remote_token_parse(b2, strlen(b2), &tok, NULL), 0);
        CHECK_STR(tok, "xyz");
        free(tok);
        struct dh_err *err = NULL;
        CHECK(remote_token_parse("{}", 2, &tok, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "no token");
        dh_err_clear(&err);
        CHECK(remote_token_parse("{\"token\":\"a\\nb\"}", 14, &tok, &err) < 0);
        dh_err_clear(&err);
}

TEST(remote_http_errors)
{
        struct dh_http_resp r = { .url = "https://reg/v2/x/manifests/t", .status = 404 };
        const char *body = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
                           "\"detail\":{}},{\"code\":\"NAME_UNKNOWN\"}]}";
        dh_buf_init(&r.body, 4096);
        dh_buf_puts(&r.body, body, NULL);
        struct dh_err *err = NULL;
        remote_http_error("reg", &r, &err);
        CHECK_INT(err ? err->code : 0, ENOENT);
        CHECK_STR(err ? err->msg : NULL, "GET https://reg/v2/x/manifests/t: 404 Not Found: "
                                         "MANIFEST_UNKNOWN: manifest unknown; NAME_UNKNOWN");
        dh_err_clear(&err);
        r.status = 403;
        dh_buf_free(&r.body);
        dh_buf_puts(&r.body, "<html>denied</html>", NULL);
        remote_http_error("reg:5000", &r, &err);
        CHECK_INT(err ? err->code : 0, EACCES);
        CHECK_STR(err ? err->msg : NULL, "GET https://reg/v2/x/manifests/t: 403 Forbidden: "
                                         "authorization failed for registry reg:5000");
        dh_err_clear(&err);
        r.status = 418;
        remote_http_error("reg", &r, &err);
        CHECK_INT(err ? err->code : 0, EIO);
        CHECK_CONTAINS(err ? err->msg : NULL, "HTTP 418");
        dh_err_clear(&err);
        dh_buf_free(&r.body);
}

/* The endpoints a remote tries, in order, as "base" strings joined by
 * spaces. */
static char *endpoints_of(const char *image, const char *config_yaml)
{
        struct dh_loop *loop = NULL;
        struct dh_http *h = NULL;
        struct img_registry_config cfg = { 0 };
        struct img_ref ref = { 0 };
        struct img_remote *r = NULL;
        struct dh_err *err = NULL;
        char *out = NULL;
        struct img_remote_options o = { .config = &cfg };
        if (dh_loop_new(&loop, &err) == 0 && dh_http_new(loop, &h, &err) == 0 &&
            (!config_yaml || img_registry_config_parse(config_yaml, strlen(config_yaml), "r.yaml", &cfg, &err) == 0) &&
            img_ref_parse(image, &ref, &err) == 0 && img_remote_new(h, &ref, &o, &r, &err) == 0) {
                size_t len = 0;
                FILE *f = open_memstream(&out, &len);
                for (size_t i = 0; f && i < r->neps; i++)
                        fprintf(f, "%s%s%s", i ? " " : "", r->eps[i].base, r->eps[i].insecure ? "(insecure)" : "");
                if (f)
                        fclose(f);
        } else {
                TEST_FAIL_("%s: %s", image, err ? err->msg : "?");
        }
        dh_err_free(err);
        img_remote_free(r);
        img_ref_free(&ref);
        img_registry_config_free(&cfg);
        dh_http_free(h);
        dh_loop_free(loop);
        return out;
}

#define CHECK_EPS(image, yaml, want)                                              \
        do {                                                                      \
                char *got_ = endpoints_of(image, yaml);                           \
                if (!got_ || strcmp(got_, want) != 0)                             \
                        TEST_FAIL_("%s: endpoints \"%s\", want \"%s\"", image,     \
                                   got_ ? got_ : "(none)", want);                 \
                free(got_);                                                       \
        } while (0)

TEST(endpoints_https_by_default_http_only_for_loopback_or_insecure)
{
        CHECK_EPS("busybox", NULL, "https://registry-1.docker.io");
        CHECK_EPS("reg.example:5000/team/app", NULL, "https://reg.example:5000");
        CHECK_EPS("localhost:5000/app", NULL, "https://localhost:5000 http://localhost:5000");
        CHECK_EPS("127.0.0.1:5000/app", NULL, "https://127.0.0.1:5000 http://127.0.0.1:5000");
        CHECK_EPS("reg.example:5000/app", "configs:\n  \"reg.example:5000\":\n    insecure: true\n",
                  "https://reg.example:5000(insecure) http://reg.example:5000(insecure)");
        CHECK_EPS("busybox", "mirrors:\n  docker.io:\n    endpoint: [\"https://m1.example\", \"http://127.0.0.1:1\"]\n",
                  "https://m1.example http://127.0.0.1:1 https://registry-1.docker.io");
}

TEST_MAIN()
