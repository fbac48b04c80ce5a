/* CRI structs as JSON with CRI's proto field names (crictl's format). */
#pragma once
#include <jansson.h>

#include "cri/cri.h"

int rt_sandbox_config_from_json(json_t *j, struct rt_sandbox_config *out, struct dh_err **err);
int rt_container_config_from_json(json_t *j, struct rt_container_config *out, struct dh_err **err);
int rt_sandbox_status_from_json(json_t *j, struct rt_sandbox_status *out, struct dh_err **err);
int rt_container_status_from_json(json_t *j, struct rt_container_status *out, struct dh_err **err);
json_t *rt_sandbox_config_to_json(const struct rt_sandbox_config *c);
json_t *rt_container_config_to_json(const struct rt_container_config *c);
json_t *rt_sandbox_status_to_json(const struct rt_sandbox_status *s);
json_t *rt_container_status_to_json(const struct rt_container_status *s);
