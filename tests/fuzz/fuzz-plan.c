/* Fuzz target: the container plan's JSON form (cri/builtin/plan-json.c),
 * which the shim decodes from the agent's "create" request. Any JSON must
 * decode or fail cleanly (with a message); whatever decodes must survive
 * encode -> decode -> encode with the same JSON text, since the agent and
 * the shim each hold one end of that trip. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/builtin/plan-json.h"
#include "lib/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Broken properties name themselves, so a failing replay says what broke. */
static _Noreturn void fail(const char *why)
{
        fprintf(stderr, "fuzz-plan: %s\n", why);
        abort();
}

/* The canonical text of an encoded plan (NULL only if encoding failed). */
static char *plan_text(const struct rt_container_plan *p)
{
        json_t *j = rt_plan_to_json(p);
        char *s = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        json_decref(j);
        return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > (1u << 20))
                return 0;
        /* Flags as the shim's frame reader parses them (proto.c). */
        json_t *j = json_loadb((const char *)data, size, 0, NULL);
        if (!j)
                return 0;
        struct rt_container_plan p = { 0 };
        struct dh_err *err = NULL;
        int r = rt_plan_from_json(j, &p, &err);
        json_decref(j);
        if (r < 0) {
                if (!err || !err->msg)
                        fail("decode failed without an error message");
                dh_err_free(err);
                return 0;
        }
        _cleanup_free_ char *t1 = plan_text(&p);
        if (!t1)
                fail("a decoded plan does not encode");
        json_t *j1 = json_loads(t1, 0, NULL);
        struct rt_container_plan back = { 0 };
        if (!j1 || rt_plan_from_json(j1, &back, &err) < 0)
                fail("an encoded plan does not decode");
        json_decref(j1);
        _cleanup_free_ char *t2 = plan_text(&back);
        if (!t2 || strcmp(t1, t2) != 0)
                fail("encode -> decode -> encode changed the JSON");
        rt_plan_free(&back);
        rt_plan_free(&p);
        return 0;
}
