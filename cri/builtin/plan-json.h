/* The container plan's JSON form (agent → shim). */
#pragma once
#include <jansson.h>

#include "cri/builtin/plan.h"

json_t *rt_plan_to_json(const struct rt_container_plan *p);
/* Fails on any type error (the plan is produced by us; a mismatch means
 * version skew between agent and shim, so nothing is guessed). */
int rt_plan_from_json(json_t *j, struct rt_container_plan *out, struct dh_err **err);
