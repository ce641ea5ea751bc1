/*
 * azure_job: the Azure integration's state for one job (interface in
 * steps/azure_job.h).
 *
 * Lifetime: created by the job runner with the decrypted instance config;
 * the client secret is copied into the Azure client (which registers it
 * with the log redactor) and wiped from the config on free.
 *
 * Validation (spec part A §1.3) plus our extension:
 *   1. a Microsoft Graph token (bad credentials → ERR_AUTH, fatal);
 *   2. a Resource Manager token and GET /subscriptions?api-version=2016-06-01
 *      (all pages).  With a configured subscriptionId it must be listed
 *      (exact compare, as the reference) or validation fails with the
 *      reference's message.  Without one, every listed subscription is
 *      ingested; if the app may not list subscriptions (403) or has no ARM
 *      access, the job goes on with Active Directory only and says so in a
 *      warning (the reference would simply not run RM steps).
 * Resource Manager steps are enabled when at least one subscription is to
 * be ingested (before validation: when subscriptionId is configured).
 *
 * The default domain is written once by ad-account and read by many step
 * threads: it is guarded by a mutex and returned as a stable pointer.
 */
#include "steps/azure_job.h"

#include "common/json.h"
#include "common/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SUBSCRIPTIONS_PATH "/subscriptions?api-version=2016-06-01"

struct azure_job {
    azure_config config;
    char *instance_id, *instance_name, *account_id;
    azure_instance_info instance;
    azure_client *client;
    char **subs;
    size_t nsubs, capsubs;
    bool validated;
    pthread_mutex_t mu;
    char *default_domain;
};

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int azure_job_new(const cJSON *config, const azure_instance_info *instance,
                  const azure_endpoints *endpoints, azure_job **out, err_info *err) {
    *out = NULL;
    azure_job *job = calloc(1, sizeof *job);
    if (!job) return err_set(err, ERR_NOMEM, "out of memory creating the job state");
    pthread_mutex_init(&job->mu, NULL);
    if (azure_config_parse(config, &job->config, err) != 0) goto fail;
    if (instance) {
        job->instance_id = dup_or_null(instance->instance_id);
        job->instance_name = dup_or_null(instance->instance_name);
        job->account_id = dup_or_null(instance->account_id);
        if ((instance->instance_id && !job->instance_id) ||
            (instance->instance_name && !job->instance_name) ||
            (instance->account_id && !job->account_id)) {
            err_set(err, ERR_NOMEM, "out of memory creating the job state");
            goto fail;
        }
    }
    job->instance.instance_id = job->instance_id;
    job->instance.instance_name = job->instance_name;
    job->instance.account_id = job->account_id;
    azure_endpoints ep;
    if (!endpoints) {
        if (azure_endpoints_from_env(&ep, err) != 0) goto fail;
        endpoints = &ep;
    }
    azure_credentials cr = {job->config.directory_id, job->config.client_id,
                            job->config.client_secret};
    if (azure_client_new(endpoints, &cr, NULL, &job->client, err) != 0) goto fail;
    *out = job;
    return 0;
fail:
    azure_job_free(job);
    return -1;
}

void azure_job_free(azure_job *job) {
    if (!job) return;
    azure_client_free(job->client);
    azure_config_clear(&job->config);
    for (size_t i = 0; i < job->nsubs; i++) free(job->subs[i]);
    free(job->subs);
    free(job->instance_id);
    free(job->instance_name);
    free(job->account_id);
    free(job->default_domain);
    pthread_mutex_destroy(&job->mu);
    free(job);
}

static int add_sub(azure_job *job, const char *id, err_info *err) {
    for (size_t i = 0; i < job->nsubs; i++)
        if (strcmp(job->subs[i], id) == 0) return 0;
    if (job->nsubs == job->capsubs) {
        size_t cap = job->capsubs ? job->capsubs * 2 : 8;
        char **s = realloc(job->subs, cap * sizeof *s);
        if (!s) return err_set(err, ERR_NOMEM, "out of memory listing subscriptions");
        job->subs = s;
        job->capsubs = cap;
    }
    job->subs[job->nsubs] = strdup(id);
    if (!job->subs[job->nsubs]) return err_set(err, ERR_NOMEM, "out of memory");
    job->nsubs++;
    return 0;
}

typedef struct sub_scan {
    azure_job *job;
    const char *wanted;   /* configured subscriptionId or NULL */
    bool found;
} sub_scan;

/* The bare GUID of a listed subscription: subscriptionId, else the last
 * segment of id ("/subscriptions/<guid>"), as ms-rest-nodeauth does. */
static const char *sub_id_of(const cJSON *item) {
    const char *s = json_get_string(item, "subscriptionId");
    if (s && *s) return s;
    const char *id = json_get_string(item, "id");
    if (!id) return NULL;
    const char *slash = strrchr(id, '/');
    return slash && slash[1] ? slash + 1 : NULL;
}

static int on_subscription(void *arg, const cJSON *item, err_info *err) {
    sub_scan *scan = arg;
    const char *id = sub_id_of(item);
    if (!id) return 0;
    if (scan->wanted) {
        if (strcmp(id, scan->wanted) == 0) scan->found = true;
        return 0;
    }
    return add_sub(scan->job, id, err);
}

int azure_job_validate(azure_job *job, err_info *err) {
    const azure_config *c = &job->config;
    if (!c->client_id || !c->client_secret || !c->directory_id) {
        err_set(err, ERR_INVALID, "Integration configuration requires all of {clentId, "
                                  "clientSecret, directoryId}");
        return -1;
    }
    if (azure_client_authenticate(job->client, AZURE_API_GRAPH, err) != 0) {
        if (err->kind != ERR_AUTH && err->kind != ERR_CANCELLED)
            err_prefix(err, "validating the configuration (Microsoft Graph)");
        return -1;
    }
    for (size_t i = 0; i < job->nsubs; i++) free(job->subs[i]);
    job->nsubs = 0;
    sub_scan scan = {job, c->subscription_id, false};
    int rc = azure_client_authenticate(job->client, AZURE_API_ARM, err);
    if (rc == 0)
        rc = azure_list(job->client, AZURE_API_ARM, SUBSCRIPTIONS_PATH, on_subscription, &scan, err);
    if (c->subscription_id) {
        if (rc != 0) {
            if (err->kind != ERR_AUTH && err->kind != ERR_CANCELLED)
                err_prefix(err, "validating subscription %s", c->subscription_id);
            return -1;
        }
        if (!scan.found) {
            err_set(err, ERR_INVALID, "subscriptionId not found in tenant specified by directoryId");
            err_hint(err, "check subscriptionId and grant the app the Reader role on subscription %s",
                     c->subscription_id);
            return -1;
        }
        if (add_sub(job, c->subscription_id, err) != 0) return -1;
    } else if (rc != 0) {
        if (err->kind == ERR_CANCELLED || err->kind == ERR_NOMEM) return -1;
        if (err->kind != ERR_FORBIDDEN && err->kind != ERR_AUTH) return -1;
        char desc[800];
        log_warn("cannot list Azure subscriptions, Resource Manager steps are skipped: %s",
                 err_describe(err, desc, sizeof desc));
        err_clear(err);
    } else if (job->nsubs == 0) {
        log_info("no Azure subscription is readable by the app; Resource Manager steps are "
                 "skipped");
    }
    job->validated = true;
    return 0;
}

bool azure_job_step_enabled(const azure_job *job, const step_def *step) {
    switch (step->enabled_when) {
    case STEP_ALWAYS: return true;
    case STEP_IF_ACTIVE_DIRECTORY: return job->config.ingest_active_directory;
    case STEP_IF_RESOURCE_MANAGER:
        return job->validated ? job->nsubs > 0 : job->config.subscription_id != NULL;
    }
    return false;
}

azure_client *azure_job_client(const azure_job *job) { return job->client; }
const azure_config *azure_job_config(const azure_job *job) { return &job->config; }
const azure_instance_info *azure_job_instance(const azure_job *job) { return &job->instance; }
size_t azure_job_subscription_count(const azure_job *job) { return job->nsubs; }

const char *azure_job_subscription(const azure_job *job, size_t index) {
    return index < job->nsubs ? job->subs[index] : NULL;
}

void azure_job_set_default_domain(azure_job *job, const char *domain) {
    pthread_mutex_lock(&job->mu);
    if (!job->default_domain && domain && *domain) job->default_domain = strdup(domain);
    pthread_mutex_unlock(&job->mu);
}

const char *azure_job_default_domain(const azure_job *job) {
    pthread_mutex_lock(&((azure_job *)job)->mu);
    const char *d = job->default_domain;
    pthread_mutex_unlock(&((azure_job *)job)->mu);
    return d;
}
