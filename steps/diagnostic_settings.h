/*
 * diagnostic_settings: the diagnostic settings of resources (azure-sources
 * part A §1.14 and the entity table of §2.7; reference
 * createDiagnosticSettingsEntitiesAndRelationshipsForResource).
 *
 * A step that produces one of the 19 entity types the seed lists under
 * "Diagnostic Settings" calls diag_settings_for_type() once its own entities
 * are stored: the settings of every entity of that type are read in
 * parallel within the client's bounds (one GET per resource, never paged,
 * 404 = none), each becomes an `azure_diagnostic_setting` entity with
 * `log.{Category}.*` properties for the categories given, related HAS from
 * the resource (`azure_resource_has_diagnostic_setting`) and USES to the
 * storage account its `storageAccountId` names when that entity exists
 * (case-insensitive).  The calling step declares what the helper produces
 * with the DIAG_* macros below in its step table.
 *
 * One resource's failure (403, 5xx after retries) is logged and that
 * resource's settings are skipped; the type azure_diagnostic_setting is
 * then marked partial for the step.  Out of memory and cancellation fail.
 */
#ifndef AI_STEPS_DIAGNOSTIC_SETTINGS_H
#define AI_STEPS_DIAGNOSTIC_SETTINGS_H

#include "common/error.h"
#include "engine/step.h"

/* In a step_def's .entities list. */
#define DIAG_ENTITY_DECL                                                          \
    {.resource_name = "[RM] Monitor Diagnostic Settings Resource",                \
     .type = "azure_diagnostic_setting",                                          \
     .classes = {"Configuration"}}

/* In a step_def's .relationships list (two entries). */
#define DIAG_RELATIONSHIP_DECLS                                                   \
    {.type = "azure_diagnostic_setting_uses_storage_account",                     \
     .class_name = "USES",                                                        \
     .source_type = "azure_diagnostic_setting",                                   \
     .target_type = "azure_storage_account"},                                     \
    {.type = "azure_resource_has_diagnostic_setting",                             \
     .class_name = "HAS",                                                         \
     .source_type = "ANY_SCOPE",                                                  \
     .target_type = "azure_diagnostic_setting"}

/* Reads the diagnostic settings of every entity of `entity_type` stored so
 * far (its `id` property, falling back to `_key`).  `log_categories` is the
 * NULL-terminated list of categories turned into log.* properties (NULL =
 * none), e.g. {"AuditEvent", NULL} for key vaults. */
int diag_settings_for_type(step_ctx *ctx, const char *entity_type,
                           const char *const *log_categories, err_info *err);

/* The same for an explicit list of resource ids (with their entity keys,
 * which are the HAS relationship's source). */
int diag_settings_for_resources(step_ctx *ctx, const char *const *resource_keys, size_t count,
                                const char *const *log_categories, err_info *err);

#endif
