/* imagePullSecrets -> registry credentials. */
#include "agent/pullsecrets.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/ref.h"
#include "lib/base64.h"
#include "lib/cleanup.h"

#define SECRET_DATA_MAX (1u << 20)

/* The decoded docker config a Secret holds, or NULL (skip it). */
static unsigned char *secret_config(json_t *secret, size_t *len)
{
        const char *type = json_string_value(json_object_get(secret, "type"));
        const char *key = NULL;
        if (type && strcmp(type, "kubernetes.io/dockerconfigjson") == 0)
                key = ".dockerconfigjson";
        else if (type && strcmp(type, "kubernetes.io/dockercfg") == 0)
                key = ".dockercfg";
        const char *b64 = key ? json_string_value(json_object_get(json_object_get(secret, "data"), key)) : NULL;
        if (!b64 || strlen(b64) > SECRET_DATA_MAX)
                return NULL;
        unsigned char *raw = NULL;
        struct dh_err *e = NULL;
        if (dh_base64_decode(b64, strlen(b64), &raw, len, &e) < 0) {
                dh_err_free(e);
                return NULL;
        }
        return raw;
}

/* Moves the entries of add to the end of out, up to the limit. */
static int append_auths(struct img_auth_list *out, struct img_auth_list *add)
{
        size_t n = add->n;
        if (out->n + n > AGENT_PULL_AUTHS_MAX)
                n = AGENT_PULL_AUTHS_MAX - out->n;
        struct img_auth *nv = realloc(out->v, (out->n + n + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        out->v = nv;
        for (size_t i = 0; i < add->n; i++) {
                if (i < n)
                        out->v[out->n++] = add->v[i];
                else
                        img_auth_free(&add->v[i]);
        }
        free(add->v);
        *add = (struct img_auth_list){ 0 };
        return 0;
}

int agent_pull_secret_auths(json_t *const *secrets, size_t n, const char *image,
                            struct img_auth_list *out, size_t *skipped, struct dh_err **err)
{
        if (n > AGENT_PULL_SECRETS_MAX)
                return dh_err_set(err, DH_ELIMIT, "more than %d imagePullSecrets", AGENT_PULL_SECRETS_MAX);
        struct img_ref ref = { 0 };
        int r = img_ref_parse(image, &ref, err);
        if (r < 0)
                return r;
        *out = (struct img_auth_list){ 0 };
        *skipped = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                size_t len = 0;
                _cleanup_free_ unsigned char *cfg = secret_config(secrets[i], &len);
                struct img_auth_list found = { 0 };
                struct dh_err *e = NULL;
                if (!cfg || img_docker_config_lookup((const char *)cfg, len, &ref, &found, &e) < 0) {
                        dh_err_free(e);
                        (*skipped)++;
                        continue;
                }
                if (append_auths(out, &found) < 0) {
                        img_auth_list_free(&found);
                        r = dh_err_set(err, ENOMEM, "out of memory");
                }
        }
        img_ref_free(&ref);
        if (r < 0)
                img_auth_list_free(out);
        return r;
}
