/*
 * active_directory: the directory steps (ad-account, ad-users, ad-groups,
 * ad-group-members, ad-service-principals).  The steps themselves are in
 * steps_active_directory[] (steps/registry.c); this header exposes the
 * pieces other governance steps and the tests use.
 */
#ifndef AI_STEPS_ACTIVE_DIRECTORY_H
#define AI_STEPS_ACTIVE_DIRECTORY_H

#include "common/error.h"
#include "common/sbuf.h"
#include "engine/entity_map.h"
#include "engine/step.h"

#include <cjson/cJSON.h>

extern const step_def *const steps_active_directory[];

extern const entity_spec ad_account_spec;
extern const entity_spec ad_user_spec;
extern const entity_spec ad_group_spec;
extern const entity_spec ad_service_principal_spec;

/* The account _key stored by ad-account (job data "azure_account"), or NULL
 * with err set when ad-account did not run. */
const char *ad_account_key(step_ctx *ctx, err_info *err);

/* The mapped HAS relationship group -> member (type azure_group_has_member,
 * key "{groupId}_{memberId}"); NULL when the member has no id or out of
 * memory. */
cJSON *ad_group_member_relationship(const char *group_id, const cJSON *member);

/* The same relationship written straight as text: *out gets exactly what
 * json_write prints for ad_group_member_relationship's object and *key its
 * _key (both reset first).  -1 when the member has no id or memory ran
 * out. */
int ad_group_member_write(sbuf *out, sbuf *key, const char *group_id, const cJSON *member);

#endif
