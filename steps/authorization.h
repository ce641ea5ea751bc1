/*
 * authorization: role assignments, role definitions, classic administrators
 * and the relationships of role assignments to principals and scopes.  The
 * steps are steps_authorization[] (steps/registry.c); this header exposes
 * the builders the tests check directly.
 */
#ifndef AI_STEPS_AUTHORIZATION_H
#define AI_STEPS_AUTHORIZATION_H

#include "engine/entity_map.h"
#include "engine/step.h"

#include <cjson/cJSON.h>

extern const step_def *const steps_authorization[];
extern const entity_spec authz_role_assignment_spec;
extern const entity_spec authz_role_definition_spec;

/* principalType ("User", "Group", ...) -> target _type (azure_user, ...;
 * azure_unknown_principal_type for anything else). */
const char *authz_principal_entity_type(const char *principal_type);

/* The mapped ASSIGNED relationship used when the principal is not in the
 * graph (_type mapping_source_assigned_{targetType}). */
cJSON *authz_principal_mapped_relationship(const char *assignment_key, const char *principal_id,
                                           const char *principal_type);

/* The mapped HAS relationship of one classic administrator to its user. */
cJSON *authz_classic_admin_relationship(const cJSON *admin, const char *default_domain);

#endif
