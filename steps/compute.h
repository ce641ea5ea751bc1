/*
 * compute: VM images, managed disks, virtual machines, their disk
 * relationships and extensions (steps_compute[] in steps/registry.c).
 */
#ifndef AI_STEPS_COMPUTE_H
#define AI_STEPS_COMPUTE_H

#include "engine/entity_map.h"
#include "engine/step.h"

#include <cjson/cJSON.h>

extern const step_def *const steps_compute[];
extern const entity_spec compute_image_spec;
extern const entity_spec compute_disk_spec;
extern const entity_spec compute_vm_spec;
extern const entity_spec compute_extension_spec;

/* The "default" entry of an entity's _rawData (the SDK object), or NULL. */
const cJSON *compute_raw_data(const cJSON *entity);

/* An extension item's shared key "vm-extension:{publisher}:{name}"
 * (publisher "unknown-publisher" when absent); caller frees; NULL when the
 * item has no name or out of memory. */
char *compute_extension_key(const cJSON *item);

#endif
