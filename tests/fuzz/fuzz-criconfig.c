/* Fuzz target: crictl-style pod sandbox and container configs (cri/json.c)
 * on arbitrary bytes, through the YAML/JSON edge deckctl uses for config
 * files. Every document is decoded as both kinds; whatever decodes must
 * survive encode -> decode -> encode with the same JSON text (the agent
 * writes these encodings for the shim: config.json, the create request),
 * and the sandbox's "was dns_config given" bit must survive too, since the
 * shim decides from it whether to write and mount a resolv.conf. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/json.h"
#include "lib/cleanup.h"
#include "lib/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Broken properties name themselves, so a failing replay says what broke. */
static _Noreturn void fail(const char *why)
{
        fprintf(stderr, "fuzz-criconfig: %s\n", why);
        abort();
}

typedef int (*from_json_fn)(json_t *j, void *out, struct dh_err **err);
typedef json_t *(*to_json_fn)(const void *in);
typedef void (*free_fn)(void *c);

/* One config kind, behind void * so both go through the same check. */
struct kind {
        from_json_fn from;
        to_json_fn to;
        free_fn free;
};

static int sandbox_from(json_t *j, void *out, struct dh_err **err)
{
        return rt_sandbox_config_from_json(j, out, err);
}
static json_t *sandbox_to(const void *in)
{
        return rt_sandbox_config_to_json(in);
}
static void sandbox_free(void *c)
{
        rt_sandbox_config_free(c);
}
static int container_from(json_t *j, void *out, struct dh_err **err)
{
        return rt_container_config_from_json(j, out, err);
}
static json_t *container_to(const void *in)
{
        return rt_container_config_to_json(in);
}
static void container_free(void *c)
{
        rt_container_config_free(c);
}

static const struct kind sandbox = { sandbox_from, sandbox_to, sandbox_free };
static const struct kind container = { container_from, container_to, container_free };

static char *text_of(const struct kind *k, const void *c)
{
        json_t *j = k->to(c);
        char *s = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        json_decref(j);
        return s;
}

/* Decodes doc as kind k; on success round-trips it and returns 1 with the
 * first and second decodings in a and b (caller frees both). */
static int round_trip(const struct kind *k, json_t *doc, void *a, void *b)
{
        struct dh_err *err = NULL;
        if (k->from(doc, a, &err) < 0) {
                if (!err || !err->msg)
                        fail("decode failed without an error message");
                dh_err_free(err);
                return 0;
        }
        _cleanup_free_ char *t1 = text_of(k, a);
        json_t *j1 = t1 ? json_loads(t1, 0, NULL) : NULL;
        if (!j1 || k->from(j1, b, &err) < 0)
                fail("an encoded config does not decode");
        json_decref(j1);
        _cleanup_free_ char *t2 = text_of(k, b);
        if (!t2 || strcmp(t1, t2) != 0)
                fail("encode -> decode -> encode changed the JSON");
        return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > (1u << 20))
                return 0;
        struct dh_docs docs = { 0 };
        struct dh_err *err = NULL;
        if (dh_yaml_parse((const char *)data, size, &docs, &err) < 0) {
                dh_err_free(err);
                return 0;
        }
        for (size_t i = 0; i < docs.n && i < 4; i++) {
                struct rt_sandbox_config s1, s2;
                if (round_trip(&sandbox, docs.v[i], &s1, &s2)) {
                        if (s1.has_dns_config != s2.has_dns_config)
                                fail("has_dns_config changed in the round trip");
                        sandbox.free(&s1);
                        sandbox.free(&s2);
                }
                struct rt_container_config c1, c2;
                if (round_trip(&container, docs.v[i], &c1, &c2)) {
                        container.free(&c1);
                        container.free(&c2);
                }
        }
        dh_docs_free(&docs);
        return 0;
}
