/*
 * databases: the step table of the Resource Manager database steps, in the
 * reference's order (src/steps/resource-manager/databases/index.ts:
 * MariaDB, MySQL, PostgreSQL, SQL).  The steps are in databases_sql.c and
 * databases_oss.c; what they share in databases_common.c (databases.h).
 */
#include "steps/databases.h"

const step_def *const steps_databases[] = {
    &databases_step_mariadb,
    &databases_step_mysql,
    &databases_step_postgresql_servers,
    &databases_step_postgresql_databases,
    &databases_step_postgresql_firewall_rules,
    &databases_step_sql_servers,
    &databases_step_sql_diagnostic_settings,
    &databases_step_sql_databases,
    &databases_step_sql_firewall_rules,
    &databases_step_sql_ad_admins,
    NULL,
};
