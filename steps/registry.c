/*
 * registry: see registry.h.  Order follows the reference's src/index.ts
 * (Event Grid last: any resource can be its source).
 */
#include "steps/registry.h"

#include <pthread.h>
#include <string.h>

extern const step_def *const steps_active_directory[];
extern const step_def *const steps_subscriptions[];
extern const step_def *const steps_resources[];
extern const step_def *const steps_compute[];
extern const step_def *const steps_network[];
extern const step_def *const steps_storage[];
extern const step_def *const steps_key_vault[];
extern const step_def *const steps_interservice[];
extern const step_def *const steps_cosmosdb[];
extern const step_def *const steps_databases[];
extern const step_def *const steps_authorization[];
extern const step_def *const steps_policy[];
extern const step_def *const steps_monitor[];
extern const step_def *const steps_security[];
extern const step_def *const steps_advisor[];
extern const step_def *const steps_dns[];
extern const step_def *const steps_private_dns[];
extern const step_def *const steps_container_registry[];
extern const step_def *const steps_container_instance[];
extern const step_def *const steps_service_bus[];
extern const step_def *const steps_cdn[];
extern const step_def *const steps_batch[];
extern const step_def *const steps_redis_cache[];
extern const step_def *const steps_api_management[];
extern const step_def *const steps_event_grid[];

static const step_def *const *const groups[] = {
    steps_active_directory,
    steps_compute,
    steps_cosmosdb,
    steps_databases,
    steps_key_vault,
    steps_network,
    steps_storage,
    steps_interservice,
    steps_authorization,
    steps_resources,
    steps_subscriptions,
    steps_api_management,
    steps_dns,
    steps_private_dns,
    steps_container_registry,
    steps_service_bus,
    steps_cdn,
    steps_batch,
    steps_redis_cache,
    steps_container_instance,
    steps_advisor,
    steps_security,
    steps_policy,
    steps_monitor,
    steps_event_grid,
};

#define MAX_STEPS 256
static const step_def *g_table[MAX_STEPS + 1];
static size_t g_count;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        for (const step_def *const *s = groups[g]; *s && g_count < MAX_STEPS; s++)
            g_table[g_count++] = *s;
    g_table[g_count] = NULL;
}

const step_def *const *registry_steps(size_t *count)
{
    pthread_once(&g_once, build_table);
    if (count)
        *count = g_count;
    return g_table;
}

const step_def *registry_find(const char *id)
{
    size_t n;
    const step_def *const *all = registry_steps(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i]->id, id) == 0)
            return all[i];
    return NULL;
}
