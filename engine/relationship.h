/*
 * relationship: builds relationship objects the way JupiterOne's SDK does
 * (docs/spec/jupiterone.md §4.3-4.4, azure-sources part A §1.10).
 *
 * All functions return a new cJSON object owned by the caller, or NULL when
 * out of memory.  Keys are used exactly as given: pass the stored `_key` of
 * each endpoint (step_find_entity returns it).
 */
#ifndef AI_ENGINE_RELATIONSHIP_H
#define AI_ENGINE_RELATIONSHIP_H

#include "engine/step.h"

#include "common/sbuf.h"

#include <cjson/cJSON.h>

/* "{fromType}_{class lower}_{toType minus the leading words it shares with
 * fromType}", e.g. azure_resource_group + HAS + azure_vm ->
 * azure_resource_group_has_vm.  Caller frees. */
char *relationship_generate_type(const char *class_name, const char *from_type,
                                 const char *to_type);

/* Direct relationship: _key "{from}|{class lower}|{to}" unless `key` is
 * given; _type generated unless `type` is given; displayName = class. */
cJSON *relationship_direct(const char *class_name, const char *from_key, const char *from_type,
                           const char *to_key, const char *to_type, const char *type,
                           const char *key);

/* The relationship relationship_direct() would build, written straight as
 * text: *out gets exactly what json_write prints for that object, *key_out
 * and *type_out its _key and _type (all three reset first).  -1 when an
 * argument is missing, the class is not a relationship class, or memory
 * ran out (out then failed). */
int relationship_write_direct(sbuf *out, sbuf *key_out, sbuf *type_out, const char *class_name,
                              const char *from_key, const char *from_type, const char *to_key,
                              const char *to_type, const char *type, const char *key);

/* Adds that relationship to the step's graph without building a cJSON tree
 * (step_add_relationship_text); errors as step_add_relationship. */
int relationship_add_direct(step_ctx *ctx, const char *class_name, const char *from_key,
                            const char *from_type, const char *to_key, const char *to_type,
                            const char *type, const char *key, err_info *err);

/* Mapped relationship (target not owned by this run).  Takes ownership of
 * target_entity (an object with _type, _key or filter properties, ...).
 * target_filter_keys: NULL for [["_type","_key"]].  skip_target_creation:
 * -1 = omit, 0 = false, 1 = true. */
cJSON *relationship_mapped(const char *class_name, const char *type, const char *source_key,
                           step_direction direction, cJSON *target_entity,
                           const char *const *target_filter_keys, int skip_target_creation,
                           const char *key);

#endif
