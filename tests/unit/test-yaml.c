/* YAML/JSON edge: scalar resolution, multi-document streams, merge keys,
 * and the bounds that keep hostile input cheap. */
#include "lib/cleanup.h"
#include "lib/yaml.h"
#include "test.h"

static json_t *parse_one(const char *text)
{
        struct dh_docs d = { 0 };
        struct dh_err *err = NULL;
        if (dh_yaml_parse(text, strlen(text), &d, &err) < 0) {
                fprintf(stderr, "  parse error: %s\n", err->msg);
                dh_err_free(err);
                return NULL;
        }
        json_t *v = d.n ? json_incref(d.v[0]) : NULL;
        dh_docs_free(&d);
        return v;
}

static char *parse_error(const char *text)
{
        struct dh_docs d = { 0 };
        struct dh_err *err = NULL;
        if (dh_yaml_parse(text, strlen(text), &d, &err) == 0) {
                dh_docs_free(&d);
                return NULL;
        }
        char *m = strdup(err->msg);
        dh_err_free(err);
        return m;
}

static char *dump(const char *text)
{
        json_t *v = parse_one(text);
        if (!v)
                return NULL;
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        json_decref(v);
        return s;
}

TEST(scalars_resolve_like_kubernetes_yaml)
{
        static const struct { const char *in, *out; } cases[] = {
                { "a: 1", "{\"a\":1}" },
                { "a: -12", "{\"a\":-12}" },
                { "a: 0x1f", "{\"a\":31}" },
                { "a: 017", "{\"a\":15}" },
                { "a: 0o17", "{\"a\":15}" },
                { "a: 1_000", "{\"a\":1000}" },
                { "a: 1.5", "{\"a\":1.5}" },
                { "a: 1e3", "{\"a\":1000.0}" },
                { "a: yes", "{\"a\":true}" },
                { "a: Off", "{\"a\":false}" },
                { "a: ~", "{\"a\":null}" },
                { "a:", "{\"a\":null}" },
                { "a: \"1\"", "{\"a\":\"1\"}" },
                { "a: '017'", "{\"a\":\"017\"}" },
                { "a: 128Mi", "{\"a\":\"128Mi\"}" },
                { "a: 1e3M", "{\"a\":\"1e3M\"}" },
                { "a: 100m", "{\"a\":\"100m\"}" },
                { "a: !!str 12", "{\"a\":\"12\"}" },
                { "a: 12abc", "{\"a\":\"12abc\"}" },
                { "a: 99999999999999999999", "{\"a\":1e20}" },
                { "1: x", "{\"1\":\"x\"}" },
                { "true: x", "{\"true\":\"x\"}" },
                { "a: [1, two, {b: c}]", "{\"a\":[1,\"two\",{\"b\":\"c\"}]}" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *got = dump(cases[i].in);
                if (!got || strcmp(got, cases[i].out) != 0)
                        TEST_FAIL_("%s -> %s, expected %s", cases[i].in, got ? got : "(error)",
                                   cases[i].out);
        }
}

TEST(block_scalars_and_comments)
{
        _cleanup_free_ char *s = dump("# leading comment\ncmd: |\n  echo hi\n  exit 1\nx: >\n  folded\n  text\n");
        CHECK_STR(s, "{\"cmd\":\"echo hi\\nexit 1\\n\",\"x\":\"folded text\\n\"}");
}

TEST(multi_document_streams_drop_empty_documents)
{
        const char *text = "---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n---\n";
        struct dh_docs d = { 0 };
        struct dh_err *err = NULL;
        CHECK_INT(dh_yaml_parse(text, strlen(text), &d, &err), 0);
        CHECK_INT(d.n, 2);
        dh_docs_free(&d);
}

TEST(anchors_aliases_and_merge_keys)
{
        _cleanup_free_ char *s = dump("base: &b {x: 1, z: 2}\nuse: *b\nmerged:\n  <<: *b\n  z: 3\n");
        CHECK_STR(s, "{\"base\":{\"x\":1,\"z\":2},\"merged\":{\"x\":1,\"z\":3},\"use\":{\"x\":1,\"z\":2}}");
        /* YAML 1.1, as Kubernetes reads it: a plain y key is the boolean true. */
        _cleanup_free_ char *y = dump("y: 1\n");
        CHECK_STR(y, "{\"true\":1}");
        _cleanup_free_ char *m = dump("a: &a {p: 1}\nb: &b {q: 2}\nc:\n  <<: [*a, *b]\n");
        CHECK_STR(m, "{\"a\":{\"p\":1},\"b\":{\"q\":2},\"c\":{\"p\":1,\"q\":2}}");
}

TEST(json_input_is_parsed_as_json)
{
        _cleanup_free_ char *s = dump("  {\"a\": [1, 2.5, \"x\"], \"b\": null}");
        CHECK_STR(s, "{\"a\":[1,2.5,\"x\"],\"b\":null}");
        _cleanup_free_ char *e = parse_error("{\"a\": 1,}");
        CHECK_CONTAINS(e, "line 1");
}

TEST(syntax_errors_name_line_and_column)
{
        _cleanup_free_ char *e = parse_error("a: 1\nb: [1, 2\nc: 3\n");
        CHECK_CONTAINS(e, "line ");
        CHECK_CONTAINS(e, "column ");
        _cleanup_free_ char *e2 = parse_error("a:\n  b: 1\n c: 2\n");
        CHECK_CONTAINS(e2, "line 3");
        _cleanup_free_ char *e3 = parse_error("a: 1\na: 2\n");
        CHECK_CONTAINS(e3, "line 2, column 4: duplicate mapping key: a");
        _cleanup_free_ char *e4 = parse_error("a: *nope\n");
        CHECK_CONTAINS(e4, "unknown anchor nope");
        _cleanup_free_ char *e5 = parse_error("a: .inf\n");
        CHECK_CONTAINS(e5, "infinity and NaN");
        _cleanup_free_ char *e6 = parse_error("? [a]\n: x\n");
        CHECK_CONTAINS(e6, "mapping keys must be scalars");
}

TEST(alias_bomb_is_refused_quickly)
{
        const char *bomb =
                "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
        _cleanup_free_ char *e = parse_error(bomb);
        CHECK_CONTAINS(e, "more than 200000 values after alias expansion");
}

TEST(deep_nesting_is_refused)
{
        char buf[1000];
        size_t n = 0;
        for (int i = 0; i < 150; i++)
                buf[n++] = '[';
        for (int i = 0; i < 150; i++)
                buf[n++] = ']';
        buf[n] = '\0';
        _cleanup_free_ char *e = parse_error(buf);
        CHECK_CONTAINS(e, "nested too deeply");
}

TEST(self_referencing_anchor_is_unknown)
{
        _cleanup_free_ char *e = parse_error("a: &a [*a]\n");
        CHECK_CONTAINS(e, "unknown anchor a");
}

TEST(invalid_utf8_is_an_error_not_a_crash)
{
        _cleanup_free_ char *e = parse_error("a: \xff\xfe\n");
        CHECK(e != NULL);
}

TEST_MAIN()
