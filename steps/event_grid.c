/*
 * event_grid: Event Grid domains, domain topics, topics and event
 * subscriptions (azure-sources part C; reference graph-azure
 * src/steps/resource-manager/event-grid/).  The registry puts Event Grid
 * last (any resource can be an event source); the steps' own dependsOn are
 * the reference's.
 *
 * Domains and topics are listed per resource-group entity (all groups in
 * parallel, api 2020-06-01), related HAS from their group and read for
 * diagnostic settings; domain topics per domain; event subscriptions per
 * domain topic (the domain name taken from the topic's id, the reference's
 * EVENT_GRID_DOMAIN_NAME_MATCHER) and per topic (provider namespace and
 * resource type from the topic's `type`).  Both kinds of subscription are
 * azure_event_grid_topic_subscription entities.  `expirationTimeUtc` is a
 * Date in the SDK model, so never a property.
 */
#include "steps/event_grid.h"

#include "common/json.h"
#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/diagnostic_settings.h"
#include "steps/arm_list.h"

#include <stdio.h>
#include <string.h>

#define EVENT_GRID_API "2020-06-01"
#define SUBSCRIPTIONS_SUFFIX \
    "/providers/Microsoft.EventGrid/eventSubscriptions?api-version=" EVENT_GRID_API

static const prop_map domain_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "infrastructure"},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"type", "type", MAP_STRING},
    {NULL},
};

/* Domain topics and topics: the same assignments. */
static const prop_map topic_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"type", "type", MAP_STRING},
    {NULL},
};

static const prop_map subscription_props[] = {
    ARML_SDK_DATE("expirationTimeUtc"),
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"type", "type", MAP_STRING},
    {NULL},
};

const entity_spec event_grid_domain_spec = {
    .type = "azure_event_grid_domain",
    .classes = {"Service"},
    .flags = ARML_ENTITY_FLAGS,
    .props = domain_props,
};

const entity_spec event_grid_domain_topic_spec = {
    .type = "azure_event_grid_domain_topic",
    .classes = {"Queue"},
    .flags = ARML_ENTITY_FLAGS,
    .props = topic_props,
};

const entity_spec event_grid_topic_spec = {
    .type = "azure_event_grid_topic",
    .classes = {"Queue"},
    .flags = ARML_ENTITY_FLAGS,
    .props = topic_props,
};

const entity_spec event_grid_subscription_spec = {
    .type = "azure_event_grid_topic_subscription",
    .classes = {"Subscription"},
    .flags = ARML_ENTITY_FLAGS,
    .props = subscription_props,
};

/* .../domains/{domain}/topics/{name}/providers/Microsoft.EventGrid/eventSubscriptions
 * (the domain from the topic's id: EVENT_GRID_DOMAIN_NAME_MATCHER); 1 =
 * not understood (arml_list logs it). */
static int domain_topic_path(const cJSON *topic, char *out, size_t size)
{
    const char *id = json_get_string(topic, "id"), *name = json_get_string(topic, "name");
    char prefix[2048], domain[512], enc_domain[1536], enc_name[1536];
    if (!id)
        id = json_get_string(topic, "_key");
    const char *d = id ? strstr(id, "/domains/") : NULL;
    if (!d || !name || arml_group_prefix(id, prefix, sizeof prefix) != 0)
        return 1;
    d += strlen("/domains/");
    size_t dl = strcspn(d, "/");
    if (dl == 0 || dl >= sizeof domain)
        return 1;
    memcpy(domain, d, dl);
    domain[dl] = '\0';
    if (arml_segment(domain, enc_domain, sizeof enc_domain) != 0 ||
        arml_segment(name, enc_name, sizeof enc_name) != 0)
        return 1;
    int n = snprintf(out, size,
                     "%s/providers/Microsoft.EventGrid/domains/%s/topics/%s" SUBSCRIPTIONS_SUFFIX,
                     prefix, enc_domain, enc_name);
    return n < 0 || (size_t)n >= size;
}

/* .../providers/{namespace}/{type}/{name}/providers/Microsoft.EventGrid/eventSubscriptions,
 * namespace and type from the topic's `type` ("Microsoft.EventGrid/topics"). */
static int topic_path(const cJSON *topic, char *out, size_t size)
{
    const char *id = json_get_string(topic, "id"), *name = json_get_string(topic, "name");
    const char *arm_type = json_get_string(topic, "type");
    char prefix[2048], enc_name[1536];
    const char *slash = arm_type ? strchr(arm_type, '/') : NULL;
    if (!id)
        id = json_get_string(topic, "_key");
    if (!name || !slash || arml_group_prefix(id, prefix, sizeof prefix) != 0 ||
        arml_segment(name, enc_name, sizeof enc_name) != 0)
        return 1;
    const char *rtype = slash + 1;
    int n = snprintf(out, size, "%s/providers/%.*s/%.*s/%s" SUBSCRIPTIONS_SUFFIX, prefix,
                     (int)(slash - arm_type), arm_type, (int)strcspn(rtype, "/"), rtype, enc_name);
    return n < 0 || (size_t)n >= size;
}

static const arml_collection domains = {
    .what = "Event Grid domains",
    .scope = ARML_PER_RESOURCE_GROUP,
    .suffix = "/providers/Microsoft.EventGrid/domains?api-version=" EVENT_GRID_API,
    .spec = &event_grid_domain_spec,
    .relate_resource_group = true,
};

static const arml_collection domain_topics = {
    .what = "Event Grid domain topics",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_event_grid_domain",
    .provider = "Microsoft.EventGrid/domains",
    .suffix = "/topics?api-version=" EVENT_GRID_API,
    .spec = &event_grid_domain_topic_spec,
    .relate_parent = true,
};

static const arml_collection domain_topic_subscriptions = {
    .what = "Event Grid domain topic subscriptions",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_event_grid_domain_topic",
    .path_fn = domain_topic_path,
    .spec = &event_grid_subscription_spec,
    .relate_parent = true,
};

static const arml_collection topics = {
    .what = "Event Grid topics",
    .scope = ARML_PER_RESOURCE_GROUP,
    .suffix = "/providers/Microsoft.EventGrid/topics?api-version=" EVENT_GRID_API,
    .spec = &event_grid_topic_spec,
    .relate_resource_group = true,
};

static const arml_collection topic_subscriptions = {
    .what = "Event Grid topic subscriptions",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_event_grid_topic",
    .path_fn = topic_path,
    .spec = &event_grid_subscription_spec,
    .relate_parent = true,
};

static int run_domains(step_ctx *ctx, err_info *err)
{
    if (arml_list(ctx, &domains, NULL, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_event_grid_domain", NULL, err);
}

static int run_topics(step_ctx *ctx, err_info *err)
{
    if (arml_list(ctx, &topics, NULL, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_event_grid_topic", NULL, err);
}

static const step_def step_domains = {
    .id = "rm-event-grid-domains",
    .name = "Event Grid Domains",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Event Grid Domain", "azure_event_grid_domain", {"Service"}},
                 DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("event_grid_domain"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_domains,
};

static const step_def step_domain_topics = {
    .id = "rm-event-grid-domain-topics",
    .name = "Event Grid Domain Topics",
    .depends_on = {"ad-account", "rm-resources-resource-groups", "rm-event-grid-domains"},
    .entities = {{"[RM] Event Grid Domain Topic", "azure_event_grid_domain_topic", {"Queue"}}},
    .relationships = {{"azure_event_grid_domain_has_topic", "HAS", "azure_event_grid_domain",
                       "azure_event_grid_domain_topic"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &domain_topics,
};

static const step_def step_domain_topic_subscriptions = {
    .id = "rm-event-grid-domain-topic-subscriptions",
    .name = "Event Grid Domain Topic Subscriptions",
    .depends_on = {"ad-account", "rm-resources-resource-groups", "rm-event-grid-domains",
                   "rm-event-grid-domain-topics"},
    .entities = {{"[RM] Event Grid Topic Subscription", "azure_event_grid_topic_subscription",
                  {"Subscription"}}},
    .relationships = {{"azure_event_grid_domain_topic_has_topic_subscription", "HAS",
                       "azure_event_grid_domain_topic", "azure_event_grid_topic_subscription"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &domain_topic_subscriptions,
};

static const step_def step_topics = {
    .id = "rm-event-grid-topics",
    .name = "Event Grid Topics",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Event Grid Topic", "azure_event_grid_topic", {"Queue"}}, DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("event_grid_topic"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_topics,
};

static const step_def step_topic_subscriptions = {
    .id = "rm-event-grid-topic-subscriptions",
    .name = "Event Grid Topic Subscriptions",
    .depends_on = {"ad-account", "rm-resources-resource-groups", "rm-event-grid-topics"},
    .entities = {{"[RM] Event Grid Topic Subscription", "azure_event_grid_topic_subscription",
                  {"Subscription"}}},
    .relationships = {{"azure_event_grid_topic_has_subscription", "HAS", "azure_event_grid_topic",
                       "azure_event_grid_topic_subscription"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &topic_subscriptions,
};

/* The reference's order (src/index.ts eventGridSteps). */
const step_def *const steps_event_grid[] = {&step_domains, &step_domain_topics,
                                            &step_domain_topic_subscriptions, &step_topics,
                                            &step_topic_subscriptions, NULL};
