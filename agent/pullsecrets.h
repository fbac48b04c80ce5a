/* The credentials a pod's imagePullSecrets give for an image, gathered as
 * the kubelet does before it pulls: Secrets of type
 * kubernetes.io/dockerconfigjson (data[".dockerconfigjson"]) or
 * kubernetes.io/dockercfg (data[".dockercfg"]), base64-encoded as the API
 * server serves them, looked up with the keyring's matching rules
 * (cri/image/registry.h), secret by secret in the pod's order. A secret
 * that is malformed or of another type is skipped and counted, as the
 * kubelet logs and goes on; an image that no secret matches gets an empty
 * list (an anonymous pull). */
#pragma once
#include <jansson.h>
#include <stddef.h>

#include "cri/image/registry.h"

#define AGENT_PULL_SECRETS_MAX 256
#define AGENT_PULL_AUTHS_MAX 64

int agent_pull_secret_auths(json_t *const *secrets, size_t n, const char *image,
                            struct img_auth_list *out, size_t *skipped, struct dh_err **err);
