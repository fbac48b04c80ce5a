/* The API server's defaulting of a core/v1 Pod (SetObjectDefaults_Pod): the
 * values a Pod has after `kubectl create`, applied to static pods too. */
#include <stdlib.h>
#include <string.h>

#include "cri/image/ref.h"
#include "pod/pod.h"

static void default_str(char **s, const char *v)
{
        if (!*s || !**s) {
                free(*s);
                *s = strdup(v);
        }
}

static void default_i64(struct dh_opt_i64 *o, int64_t v)
{
        if (!o->set)
                *o = (struct dh_opt_i64){ .v = v, .set = true };
}

/* Probe numbers default when unset or zero, as the Go code tests "== 0". */
static void default_nonzero(struct dh_opt_i64 *o, int64_t v)
{
        if (!o->set || o->v == 0)
                *o = (struct dh_opt_i64){ .v = v, .set = true };
}

/* SetDefaults_Container: Always when parsers.ParseImageName sees the tag
 * "latest" (given, or implied by neither tag nor digest), IfNotPresent
 * otherwise, including for a reference that does not parse (its tag is
 * then ""). */
const char *pod_default_image_pull_policy(const char *image)
{
        struct img_ref r;
        if (!image || img_ref_parse_bare(image, &r, NULL) < 0)
                return "IfNotPresent";
        bool latest = r.tag && strcmp(r.tag, "latest") == 0;
        img_ref_free(&r);
        return latest ? "Always" : "IfNotPresent";
}

static void default_http_get(struct pod_http_get *h)
{
        if (!h)
                return;
        default_str(&h->path, "/");
        default_str(&h->scheme, "HTTP");
}

static void default_probe(struct pod_probe *p)
{
        if (!p)
                return;
        default_nonzero(&p->timeoutSeconds, 1);
        default_nonzero(&p->periodSeconds, 10);
        default_nonzero(&p->successThreshold, 1);
        default_nonzero(&p->failureThreshold, 3);
        default_http_get(p->httpGet);
        if (p->grpc && !p->grpc->service)
                p->grpc->service = strdup("");
}

static void default_handler(struct pod_lifecycle_handler *h)
{
        if (h)
                default_http_get(h->httpGet);
}

/* SetDefaults_ResourceList: values are rounded up to milli precision. */
static void round_up_milli(struct pod_resource_list *l)
{
        const __int128 milli = 1000000; /* 1e-3 in nano units */
        for (size_t i = 0; i < l->n; i++) {
                __int128 *v = &l->v[i].q.nano;
                __int128 rem = *v % milli;
                if (rem > 0)
                        *v += milli - rem;
                else if (rem < 0)
                        *v -= rem;
        }
}

static const struct pod_resource *find_resource(const struct pod_resource_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].name, name) == 0)
                        return &l->v[i];
        return NULL;
}

/* SetDefaults_Pod: requests default to limits, per resource. */
static void default_requests_from_limits(struct pod_resources *r)
{
        for (size_t i = 0; i < r->limits.n; i++) {
                const struct pod_resource *lim = &r->limits.v[i];
                if (find_resource(&r->requests, lim->name))
                        continue;
                struct pod_resource *v = realloc(r->requests.v, (r->requests.n + 1) * sizeof *v);
                if (!v)
                        return;
                r->requests.v = v;
                v[r->requests.n++] = (struct pod_resource){ .name = strdup(lim->name), .q = lim->q };
        }
}

static void default_container(struct pod_container *c, bool pod_level, bool host_network)
{
        if (!c->imagePullPolicy || !*c->imagePullPolicy)
                default_str(&c->imagePullPolicy,
                            pod_default_image_pull_policy(c->image));
        default_str(&c->terminationMessagePath, "/dev/termination-log");
        default_str(&c->terminationMessagePolicy, "File");
        for (size_t i = 0; i < c->ports.n; i++) {
                default_str(&c->ports.v[i].protocol, "TCP");
                if (host_network && pod_level && (!c->ports.v[i].hostPort.set || c->ports.v[i].hostPort.v == 0))
                        c->ports.v[i].hostPort = c->ports.v[i].containerPort;
        }
        for (size_t i = 0; i < c->env.n; i++)
                if (c->env.v[i].valueFrom && c->env.v[i].valueFrom->fieldRef)
                        default_str(&c->env.v[i].valueFrom->fieldRef->apiVersion, "v1");
        round_up_milli(&c->resources.limits);
        round_up_milli(&c->resources.requests);
        if (pod_level)
                default_requests_from_limits(&c->resources);
        default_probe(c->livenessProbe);
        default_probe(c->readinessProbe);
        default_probe(c->startupProbe);
        if (c->lifecycle) {
                default_handler(c->lifecycle->postStart);
                default_handler(c->lifecycle->preStop);
        }
}

static void default_downward(struct pod_downward_volume *d)
{
        if (!d)
                return;
        default_i64(&d->defaultMode, 0644);
        for (size_t i = 0; i < d->items.n; i++)
                if (d->items.v[i].fieldRef)
                        default_str(&d->items.v[i].fieldRef->apiVersion, "v1");
}

static bool volume_has_source(const struct pod_volume *v)
{
        if (v->hostPath || v->emptyDir || v->secret || v->configMap || v->persistentVolumeClaim ||
            v->downwardAPI || v->projected || v->nfs || v->csi || v->ephemeral || v->image)
                return true;
        for (size_t i = 0; i < POD_VOLUME_N_LEGACY; i++)
                if (v->legacy[i])
                        return true;
        return false;
}

static void default_volume(struct pod_volume *v)
{
        if (!volume_has_source(v))
                v->emptyDir = calloc(1, sizeof *v->emptyDir);
        if (v->hostPath && !v->hostPath->type)
                v->hostPath->type = strdup("");
        if (v->secret)
                default_i64(&v->secret->defaultMode, 0644);
        if (v->configMap)
                default_i64(&v->configMap->defaultMode, 0644);
        default_downward(v->downwardAPI);
        if (v->image && (!v->image->pullPolicy || !*v->image->pullPolicy))
                default_str(&v->image->pullPolicy,
                            pod_default_image_pull_policy(v->image->reference));
        if (!v->projected)
                return;
        default_i64(&v->projected->defaultMode, 0644);
        for (size_t i = 0; i < v->projected->sources.n; i++) {
                struct pod_volume_projection *s = &v->projected->sources.v[i];
                default_downward(s->downwardAPI);
                if (s->serviceAccountToken)
                        default_i64(&s->serviceAccountToken->expirationSeconds, 3600);
        }
}

static void default_spec(struct pod_spec *s)
{
        default_str(&s->dnsPolicy, "ClusterFirst");
        default_str(&s->restartPolicy, "Always");
        default_str(&s->schedulerName, "default-scheduler");
        default_i64(&s->terminationGracePeriodSeconds, 30);
        if (!s->enableServiceLinks.set)
                s->enableServiceLinks = (struct dh_opt_bool){ .v = true, .set = true };
        if (!s->securityContext)
                s->securityContext = calloc(1, sizeof *s->securityContext);
        round_up_milli(&s->overhead);
}

void pod_set_defaults(struct pod *p)
{
        struct pod_spec *s = &p->spec;
        bool hn = s->hostNetwork.set && s->hostNetwork.v;
        default_spec(s);
        for (size_t i = 0; i < s->containers.n; i++)
                default_container(&s->containers.v[i], true, hn);
        for (size_t i = 0; i < s->initContainers.n; i++)
                default_container(&s->initContainers.v[i], true, hn);
        /* Ephemeral containers get container defaults but no pod-level ones. */
        for (size_t i = 0; i < s->ephemeralContainers.n; i++)
                default_container(&s->ephemeralContainers.v[i], false, false);
        for (size_t i = 0; i < s->volumes.n; i++)
                default_volume(&s->volumes.v[i]);
}
