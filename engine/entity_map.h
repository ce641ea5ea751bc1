/*
 * entity_map: an entity type is a table, not a converter.
 *
 * A step describes each entity type it produces as an entity_spec: _type,
 * _class, where the _key comes from, which SDK-builder rules apply, and a
 * table of properties (property name <- JSON path in the source item, with a
 * conversion).  entity_map_build() turns one source item (an ARM resource or
 * a Graph object) into a finished entity with _rawData, ready for
 * step_add_entity().  The few properties that need code use MAP_FN (a
 * per-property function) or the spec's fixup hook, which runs last.
 *
 * Semantics follow JupiterOne's SDK builder (docs/spec/jupiterone.md §4.2 and
 * azure-sources part A §1.8):
 *   1. source object: the item, with ARM `properties.*` hoisted to the top
 *      level when ENTITY_HOIST_PROPERTIES (the "SDK object");
 *   2. ENTITY_CONVERT_PROPERTIES: every top-level primitive / primitive-array
 *      field of the source object, key camel-cased (+ parse time-named keys
 *      to epoch ms with ENTITY_PARSE_TIME);
 *   3. ENTITY_SCHEMA_PASSTHROUGH: top-level primitive fields whose name is a
 *      property of the class schemas (createIntegrationEntity);
 *   4. the table rows, in order: a row whose value is absent REMOVES the
 *      property (the SDK's "undefined assignment"), unless MAPF_KEEP_EXISTING;
 *      with MAPF_NULL a JSON null in the source is written as null;
 *   5. ENTITY_SCHEMA_PASSTHROUGH only: createdOn / active inference;
 *   6. tags (ENTITY_TAGS): tag.* from source `tags` per the SDK's assignTags
 *      (and the spec's tag_properties);
 *      plus tag.AccountName when map_ctx.account_name_tag is set;
 *   7. displayName defaults to name when absent;
 *   8. the fixup hook;
 *   9. _key (from key_path, as is), _type, _class, _rawData =
 *      [{"name":"default","rawData": source object}] (empty array when the
 *      source is empty).
 * Paths in rows are evaluated against the item as Azure returned it
 * ("properties.hardwareProfile.vmSize"), see common/json.h for the syntax.
 */
#ifndef AI_ENGINE_ENTITY_MAP_H
#define AI_ENGINE_ENTITY_MAP_H

#include "common/error.h"
#include "engine/step.h"

#include <cjson/cJSON.h>

typedef enum map_conv {
    MAP_STRING = 1,     /* string as is */
    MAP_NUMBER,         /* number as is */
    MAP_BOOL,           /* boolean as is */
    MAP_ANY,            /* string, number or boolean as is */
    MAP_TIME_MS,        /* ISO 8601 string -> epoch ms (number) */
    MAP_ARRAY,          /* array of primitives as is (empty array: absent) */
    MAP_LOWER,          /* string lower-cased */
    MAP_NONEMPTY,       /* boolean: value is a non-empty string / non-empty array / true */
    MAP_PRESENT,        /* boolean: the path exists and is not null */
    MAP_EQUALS,         /* boolean: string value == row.arg (case-sensitive) */
    MAP_CONST_STRING,   /* row.arg as a string; path ignored (may be NULL) */
    MAP_CONST_BOOL,     /* row.arg "true"/"false"; path ignored */
    MAP_CONST_STRING_ARRAY, /* row.arg split on ',' into a string array; path ignored */
    MAP_JSON_STRING,    /* any value serialized as compact JSON text */
    MAP_FN              /* row.fn computes the value */
} map_conv;

/* Row flags. */
#define MAPF_NULL          0x1u  /* write JSON null when the source value is null */
#define MAPF_KEEP_EXISTING 0x2u  /* an absent value leaves an earlier value in place */

typedef struct map_ctx map_ctx;

/* MAP_FN: value = json_path(item, row.path) (may be NULL), item = the source
 * item as returned.  Sets *out to a new cJSON primitive (or array of
 * primitives), or NULL for "absent".  Returns 0, or -1 with err set. */
typedef int (*map_prop_fn)(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                           cJSON **out, err_info *err);

typedef struct prop_map {
    const char *property;   /* entity property name; NULL ends the table */
    const char *path;       /* JSON path in the item */
    map_conv conv;
    const char *arg;        /* MAP_EQUALS / MAP_CONST_* argument */
    unsigned flags;         /* MAPF_* */
    map_prop_fn fn;         /* MAP_FN */
} prop_map;

/* Context of one build: job-wide values the conversions may need. */
struct map_ctx {
    const char *account_name_tag;  /* tag.AccountName value when tagWithAccountName, else NULL */
    void *integration;             /* the integration's per-job state (steps/azure_job.h) */
};

/* Entity flags. */
#define ENTITY_HOIST_PROPERTIES   0x01u /* ARM: hoist properties.* into the SDK object */
#define ENTITY_CONVERT_PROPERTIES 0x02u /* SDK convertProperties over the SDK object */
#define ENTITY_PARSE_TIME         0x04u /* with CONVERT_PROPERTIES: time-named keys -> ms */
#define ENTITY_SCHEMA_PASSTHROUGH 0x08u /* SDK createIntegrationEntity rules */
#define ENTITY_TAGS               0x10u /* assignTags from source `tags` */
#define ENTITY_NO_RAW_DATA        0x20u /* omit _rawData entirely */

typedef int (*entity_fixup_fn)(const cJSON *item, cJSON *entity, const map_ctx *mctx,
                               err_info *err);

typedef struct entity_spec {
    const char *type;                       /* _type */
    const char *classes[STEP_MAX_CLASSES];  /* _class, NULL-terminated */
    const char *key_path;                   /* path of _key; NULL = "id" */
    unsigned flags;                         /* ENTITY_* */
    const prop_map *props;                  /* table, ends with property == NULL */
    entity_fixup_fn fixup;                  /* optional, runs after the table */
    /* Renames applied when hoisting (SDK model renames), e.g.
     * {"type", "roleType"} maps properties.type -> roleType. NULL-ended pairs. */
    const char *const *hoist_renames;
    /* With ENTITY_TAGS: the SDK's tagProperties, NULL-ended (e.g.
     * {"environment", NULL}): a tag whose key is one of them in any case
     * sets that property to its value lower-cased, as for the SDK's common
     * tag properties (classification, owner, email). */
    const char *const *tag_properties;
} entity_spec;

/* Builds one entity.  *out is a new object owned by the caller. */
int entity_map_build(const entity_spec *spec, const cJSON *item, const map_ctx *mctx,
                     cJSON **out, err_info *err);

/* The SDK object of an ARM item: a deep copy with properties.* hoisted
 * (renames applied).  Caller frees. */
cJSON *entity_map_sdk_object(const cJSON *item, const char *const *renames);

/* SDK assignTags on an existing entity (tags map, {key,value} list or
 * string list); tag_properties as entity_spec's (may be NULL).  Exposed
 * for steps that build entities by hand. */
int entity_map_assign_tags(cJSON *entity, const cJSON *tags, const char *const *tag_properties,
                           err_info *err);

/* lodash.camelCase of a key ("@odata.type" -> "odataType"); caller frees. */
char *entity_map_camel_case(const char *key);

/* The same into out (size bytes): returns its length, or (size_t)-1 when
 * out is too small (size must exceed strlen(key)). */
size_t entity_map_camel_case_into(const char *key, char *out, size_t size);

#endif
