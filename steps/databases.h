/*
 * databases: the Resource Manager database steps (SQL, MySQL, MariaDB,
 * PostgreSQL; docs/spec/azure-sources part-b §6; reference graph-azure
 * src/steps/resource-manager/databases/).  steps/databases.c holds the step
 * table; databases_sql.c and databases_oss.c the steps; this header the
 * pieces they share (databases_common.c):
 *
 * - the reference's two shared converters as property tables:
 *   createDbServerEntity (db_server_spec) and createDatabaseEntity
 *   (db_database_spec), one entity_spec per engine built from them;
 * - db_merge: the reference's "set*" converters (auditing, alert policy,
 *   encryption protector, transparent data encryption, server
 *   configurations) are property tables too; each is built over its own
 *   Azure answer and merged into the entity (Object.assign);
 * - db_list_servers: one collection listed for every ingested subscription
 *   in parallel, items handed to a callback on the calling thread;
 * - db_list_children: a collection listed below every stored parent entity
 *   (databases, firewall rules, administrators), all parents in parallel,
 *   each item mapped, stored and related HAS from its parent as it arrives.
 *
 * Failures (reference behaviour, made explicit): a list of servers that
 * fails (403, 5xx after retries, a region / provider error that is not a
 * 404) fails the step with Azure's message; a 404 — the resource provider
 * not registered (MissingSubscriptionRegistration) or the server gone — is
 * an empty list with a warning.  A per-parent list that fails is logged
 * with the parent's id and marks the child type partial; with
 * `fail_step` the step then fails once every other parent was read
 * (SQL / PostgreSQL, whose reference steps fail), otherwise it succeeds
 * (MySQL / MariaDB, whose reference catches it).
 */
#ifndef AI_STEPS_DATABASES_H
#define AI_STEPS_DATABASES_H

#include "common/error.h"
#include "engine/entity_map.h"
#include "engine/step.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The reference's REDACTED_VALUE (src/utils/constants.ts). */
#define DB_REDACTED "****REDACTED****"

extern const step_def databases_step_sql_servers;
extern const step_def databases_step_sql_diagnostic_settings;
extern const step_def databases_step_sql_databases;
extern const step_def databases_step_sql_firewall_rules;
extern const step_def databases_step_sql_ad_admins;
extern const step_def databases_step_mysql;
extern const step_def databases_step_mariadb;
extern const step_def databases_step_postgresql_servers;
extern const step_def databases_step_postgresql_databases;
extern const step_def databases_step_postgresql_firewall_rules;

/* createSqlServerFirewallRuleEntity (checked against the reference's
 * snapshot by the tests). */
extern const entity_spec databases_sql_firewall_rule_spec;

/* createDbServerEntity / createDatabaseEntity as tables. */
extern const prop_map db_server_props[];
extern const prop_map db_database_props[];
int db_server_fixup(const cJSON *item, cJSON *entity, const map_ctx *mctx, err_info *err);

#define DB_SERVER_SPEC(type_name)                                                             \
    {.type = type_name,                                                                       \
     .classes = {"Database", "DataStore", "Host"},                                            \
     .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES |                           \
              ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,                                        \
     .props = db_server_props,                                                                \
     .fixup = db_server_fixup}

#define DB_DATABASE_SPEC(type_name)                                                           \
    {.type = type_name,                                                                       \
     .classes = {"Database", "DataStore"},                                                    \
     .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES |                           \
              ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,                                        \
     .props = db_database_props}

/* Maps `item` with `spec` for the calling step: *out is the entity (caller
 * owns) or NULL when the item cannot be mapped (logged). */
int db_build(step_ctx *ctx, const entity_spec *spec, const cJSON *item, cJSON **out,
             err_info *err);

/* Builds `props` over `answer` and copies every resulting property into
 * `entity` (Object.assign; rows whose value is absent leave the entity as
 * it is).  With raw_name, appends {"name": raw_name, "rawData": SDK object
 * of answer} to the entity's _rawData (the reference's setRawData). */
int db_merge(cJSON *entity, const prop_map *props, const cJSON *answer, const char *raw_name,
             const map_ctx *mctx, err_info *err);

/* Appends {"name": name, "rawData": raw} to _rawData (takes raw). */
int db_add_raw(cJSON *entity, const char *name, cJSON *raw, err_info *err);

/* Adds an entity built by db_build; *key receives its _key (copied into
 * key_size bytes) when stored, "" otherwise. */
int db_store(step_ctx *ctx, cJSON *entity, char *key, size_t key_size, err_info *err);

/* "/subscriptions/{sub}/resourceGroups/{rg lower}/providers/{provider}/{name}/{tail}"
 * for the ARM id of a parent (the reference's resourceGroupName(id, true)
 * and the parent's name); -1 when the id has no subscription or group. */
int db_child_path(const char *parent_id, const char *provider, const char *name,
                  const char *tail, char *out, size_t size);

/* A collection per ingested subscription ("%s" = GUID), in parallel. */
typedef int (*db_item_fn)(void *arg, const cJSON *item, err_info *err);
int db_list_servers(step_ctx *ctx, const char *path_fmt, db_item_fn fn, void *arg,
                    err_info *err);

/* The parents (stored entities of one type) a child collection hangs off. */
typedef struct db_parent {
    char *key;
    char *id;
    char *name;
    const void *data;   /* the caller's, for db_children.each (NULL when collected) */
} db_parent;

typedef struct db_parents {
    db_parent *items;
    size_t count;
} db_parents;

int db_collect_parents(step_ctx *ctx, const char *type, db_parents *out, err_info *err);
void db_parents_free(db_parents *p);

typedef int (*db_child_fn)(void *arg, const db_parent *parent, const cJSON *item,
                           err_info *err);

typedef struct db_children {
    const char *label;         /* e.g. "SQL server firewall rules" (messages) */
    const char *parent_type;   /* e.g. "azure_sql_server" */
    const char *provider;      /* e.g. "Microsoft.Sql/servers" */
    const char *tail;          /* e.g. "firewallRules?api-version=2014-04-01" */
    const entity_spec *spec;   /* child entity (unless `each` is set) */
    const char *rel_type;      /* explicit _type of parent HAS child, NULL = generated */
    bool fail_step;            /* a parent whose list fails fails the step at the end */
    db_child_fn each;          /* optional: handles each item instead of spec/rel_type */
    void *each_arg;
} db_children;

int db_list_children(step_ctx *ctx, const db_children *c, err_info *err);

/* The per-parent part of db_list_children for an explicit parent list. */
int db_list_children_of(step_ctx *ctx, const db_children *c, const db_parents *parents,
                        err_info *err);

/* Logs per-request failures of azure_*_many (errs[0..n)), naming what[i];
 * returns 1 when one failed (type then marked partial), 0 when none, -1
 * (err set) on out of memory / cancellation. */
int db_check_errors(step_ctx *ctx, const err_info *errs, size_t n, const char *const *what,
                    const char *partial_type, const char *message, err_info *first,
                    err_info *err);

#endif
