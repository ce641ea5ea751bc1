/*
 * service_bus: Service Bus namespaces, queues, topics and topic
 * subscriptions (azure-sources README part C; reference graph-azure
 * src/steps/resource-manager/service-bus/).
 *
 * Namespaces are listed per subscription (namespaces.list); queues and
 * topics per namespace, subscriptions per topic (each under the lower-cased
 * resource group of its namespace), every parent's list in parallel, each
 * item stored as it arrives.  A topic's namespace is the
 * ".../providers/Microsoft.ServiceBus/namespaces/{name}" prefix of its id,
 * as the reference matches it.  The SDK model's createdAt / updatedAt /
 * accessedAt are dates: not copied (createdOn is inferred from createdAt).
 */
#include "common/json.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/arm_list.h"
#include "steps/platform_tables.h"

#include <stdio.h>
#include <string.h>

#define SERVICE_BUS_API "2017-04-01"

#define SB_ROWS                                                                   \
    ARML_SDK_DATE("createdAt"), ARML_SDK_DATE("updatedAt"), ARML_SDK_DATE("accessedAt"), \
        {"id", "id", MAP_STRING}, {"name", "name", MAP_STRING},                  \
        {"webLink", "id", MAP_FN, .fn = arm_map_weblink}

static const prop_map namespace_props[] = {
    SB_ROWS,
    {"category", NULL, MAP_CONST_STRING_ARRAY, "infrastructure"},
    {NULL},
};

static const prop_map child_props[] = {SB_ROWS, {NULL}};

const entity_spec service_bus_namespace_spec = {
    .type = "azure_service_bus_namespace",
    .classes = {"Service"},
    .flags = ARML_ENTITY_FLAGS,
    .props = namespace_props,
};

const entity_spec service_bus_queue_spec = {
    .type = "azure_service_bus_queue",
    .classes = {"Queue"},
    .flags = ARML_ENTITY_FLAGS,
    .props = child_props,
};

const entity_spec service_bus_topic_spec = {
    .type = "azure_service_bus_topic",
    .classes = {"Queue"},
    .flags = ARML_ENTITY_FLAGS,
    .props = child_props,
};

const entity_spec service_bus_subscription_spec = {
    .type = "azure_service_bus_subscription",
    .classes = {"Subscription"},
    .flags = ARML_ENTITY_FLAGS,
    .props = child_props,
};

/* ---- the lists ----------------------------------------------------------- */

/* Not in the SDK's SBNamespace model (2017-04-01): the reference's golden
 * snapshot of this very namespace has no `status` although Azure returns
 * it, so neither `status` nor the `active` inferred from it. */
static const char *const namespace_unknown[] = {"properties.status", NULL};

/* The reference's SERVICE_BUS_NAMESPACE_MATCHER on the topic id:
 * /subscriptions/{s}/resource[Gg]roups/{g}/providers/Microsoft.ServiceBus/
 * namespaces/{name}; the list path uses the lower-cased group. */
static int subscriptions_path(const cJSON *topic, char *out, size_t size)
{
    const char *id = json_get_string(topic, "id");
    const char *topic_name = json_get_string(topic, "name");
    static const char marker[] = "/providers/Microsoft.ServiceBus/namespaces/";
    char sub[128], group[512];
    const char *m = id ? strstr(id, marker) : NULL;
    if (!m || !topic_name || !*topic_name || arm_subscription_of(id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(id, group, sizeof group) != 0)
        return 1;
    const char *ns = m + sizeof marker - 1;
    size_t ns_len = strcspn(ns, "/");
    if (ns_len == 0)
        return 1;
    int n = snprintf(out, size,
                     "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ServiceBus/"
                     "namespaces/%.*s/topics/%s/subscriptions?api-version=" SERVICE_BUS_API,
                     sub, group, (int)ns_len, ns, topic_name);
    return n < 0 || (size_t)n >= size ? 1 : 0;
}

static const arml_collection namespaces = {
    .what = "Service Bus namespaces",
    .scope = ARML_PER_SUBSCRIPTION,
    .suffix = "/providers/Microsoft.ServiceBus/namespaces?api-version=" SERVICE_BUS_API,
    .spec = &service_bus_namespace_spec,
    .drop = namespace_unknown,
    .relate_resource_group = true,
};

#define NAMESPACE_CHILDREN(var, label, child, spec_)                  \
    static const arml_collection var = {                              \
        .what = label,                                                \
        .scope = ARML_PER_ENTITY,                                     \
        .parent_type = "azure_service_bus_namespace",                 \
        .provider = "Microsoft.ServiceBus/namespaces",                \
        .suffix = "/" child "?api-version=" SERVICE_BUS_API,          \
        .spec = &spec_,                                               \
        .relate_parent = true,                                        \
    }
NAMESPACE_CHILDREN(queues, "Service Bus queues", "queues", service_bus_queue_spec);
NAMESPACE_CHILDREN(topics, "Service Bus topics", "topics", service_bus_topic_spec);

static const arml_collection subscriptions = {
    .what = "Service Bus topic subscriptions",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_service_bus_topic",
    .path_fn = subscriptions_path,
    .spec = &service_bus_subscription_spec,
    .relate_parent = true,
};

/* ---- the step table ------------------------------------------------------ */

static const step_def step_namespaces = {
    .id = "rm-service-bus-namespaces",
    .name = "Service Bus Namespaces",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Service Bus Namespace", "azure_service_bus_namespace", {"Service"}}},
    .relationships = {ARM_RG_HAS_DECL("service_bus_namespace")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &namespaces,
};

static const step_def step_queues = {
    .id = "rm-service-bus-queues",
    .name = "Service Bus Queues",
    .depends_on = {"ad-account", "rm-service-bus-namespaces"},
    .entities = {{"[RM] Service Bus Queue", "azure_service_bus_queue", {"Queue"}}},
    .relationships = {{"azure_service_bus_namespace_has_queue", "HAS",
                       "azure_service_bus_namespace", "azure_service_bus_queue"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &queues,
};

static const step_def step_topics = {
    .id = "rm-service-bus-topics",
    .name = "Service Bus Topics",
    .depends_on = {"ad-account", "rm-service-bus-namespaces"},
    .entities = {{"[RM] Service Bus Topic", "azure_service_bus_topic", {"Queue"}}},
    .relationships = {{"azure_service_bus_namespace_has_topic", "HAS",
                       "azure_service_bus_namespace", "azure_service_bus_topic"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &topics,
};

static const step_def step_subscriptions = {
    .id = "rm-service-bus-subscriptions",
    .name = "Service Bus Topic Subscriptions",
    .depends_on = {"ad-account", "rm-service-bus-topics"},
    .entities = {{"[RM] Service Bus Subscription", "azure_service_bus_subscription",
                  {"Subscription"}}},
    .relationships = {{"azure_service_bus_topic_has_subscription", "HAS",
                       "azure_service_bus_topic", "azure_service_bus_subscription"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &subscriptions,
};

const step_def *const steps_service_bus[] = {&step_namespaces, &step_queues, &step_topics,
                                             &step_subscriptions, NULL};
