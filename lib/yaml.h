/* The YAML edge: YAML (or JSON) text becomes jansson trees here, once, so
 * every decoder downstream sees JSON only. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#include "lib/err.h"

#define DH_YAML_MAX_DEPTH 100
/* Values after alias expansion, per document stream: bounds alias bombs. */
#define DH_YAML_MAX_VALUES 200000
#define DH_YAML_MAX_DOCS 1000

struct dh_docs {
        json_t **v;
        size_t n;
};

/* Parses a stream of documents. Text whose first non-blank byte is '{' is
 * parsed as JSON, anything else as YAML (as Kubernetes' YAMLOrJSON decoder
 * sniffs). Empty documents are dropped. Errors carry "line L, column C".
 * Plain scalars resolve as Kubernetes' YAML library resolves them (YAML 1.1:
 * yes/no/on/off are booleans, 0x1f and 017 are integers, ~ is null). */
int dh_yaml_parse(const char *data, size_t len, struct dh_docs *out, struct dh_err **err);
void dh_docs_free(struct dh_docs *d);
