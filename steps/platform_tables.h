/*
 * platform_tables: the entity tables of the platform-service steps (dns,
 * private_dns, container_registry, container_instance, service_bus,
 * redis_cache; steps_* in steps/registry.c), exported for the
 * golden-snapshot tests (tests/steps_rm_platform).
 */
#ifndef AI_STEPS_PLATFORM_TABLES_H
#define AI_STEPS_PLATFORM_TABLES_H

#include "engine/entity_map.h"

extern const entity_spec dns_zone_spec;
extern const entity_spec dns_record_set_spec;
extern const entity_spec private_dns_zone_spec;
extern const entity_spec private_dns_record_set_spec;
extern const entity_spec container_registry_spec;
extern const entity_spec container_registry_webhook_spec;
extern const entity_spec container_group_spec;
extern const entity_spec container_spec;         /* _key/id set by the step */
extern const entity_spec container_volume_spec;  /* _key/id set by the step */
extern const entity_spec service_bus_namespace_spec;
extern const entity_spec service_bus_queue_spec;
extern const entity_spec service_bus_topic_spec;
extern const entity_spec service_bus_subscription_spec;
extern const entity_spec redis_cache_spec;
extern const entity_spec redis_firewall_rule_spec;

#endif
