#!/usr/bin/env python3
"""Derives the expected graph of each database / Cosmos DB step from the
recordings, following docs/spec/azure-sources (part A §1.7-1.10, §1.13-1.14;
part B §4 and §6) and the reference converters at 32eaf0f8
(src/steps/resource-manager/{databases,cosmosdb}/**/converters.ts), written
independently of the C code.

Output: tests/steps_rm_databases/expected/<case>.json, each
  {"entities": [...], "relationships": [...]}
sorted by _key, _rawData left out (the tests check its shape).  Also
expected/golden-sql-firewall-rule.json: the reference's Jest snapshot of
createSqlServerFirewallRuleEntity converted to JSON.  Rerun after changing a
rule:
  python3 tests/steps_rm_databases/derive_expected.py
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
import sdk_rules as sdk  # noqa: E402
from sdk_rules import (UNDEF, convert_properties, direct, hoist, iso_ms,  # noqa: E402,F401
                       normalize_location, passthrough, resource_group)

ROOT = sdk.ROOT
REC = os.path.join(sdk.REC, "resource-manager")
SNAP = os.path.join(ROOT, "tests/fixtures/graph-azure-snapshots/steps/resource-manager/databases/"
                          "sql/__snapshots__/converters.test.ts.snap")
OUT = os.path.join(HERE, "expected")
REDACTED = "****REDACTED****"             # src/utils/constants.ts REDACTED_VALUE

DB = "databases/"
SQL = DB + "sql/__recordings__/"
PG = DB + "postgresql/__recordings__/"

# Keys of the seeded entities (see test_rm_databases.c).  Resource groups are
# seeded upper-cased: relationships must use the stored key.
SUB_SQL = "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
SUB_OSS = "87f62f44-9dad-4284-a08f-f2fb3d8b528a"
SUB_COSMOS = "dccea45f-7035-4a17-8731-1fd46aaa74a0"


def rg_key(sub):
    return "/subscriptions/%s/resourceGroups/J1DEV" % sub


STORAGE = {
    SUB_SQL: "/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.Storage/storageAccounts/ndowmon1j1dev" % SUB_SQL,
    SUB_OSS: "/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.Storage/storageAccounts/keionnedj1dev" % SUB_OSS,
}


# ---- recordings ---------------------------------------------------------------

def body(rel, pattern):
    return sdk.har_last_body(rel, pattern, REC)


def values(rel, pattern):
    return body(rel, pattern)["value"]


# ---- SDK rules (part A §1.7-1.10) ----------------------------------------------

def assign_tags(e, tags, tag_properties=()):
    if not isinstance(tags, dict):
        return
    sdk.assign_tags(e, tags)
    for p in tag_properties:
        if tags.get(p):
            e[p] = tags[p]


ACTIVE = re.compile(r"(?<!in)active|enabled|online", re.I)
INACTIVE = re.compile(r"inactive|disabled|offline", re.I)


def create_integration_entity(source, classes, type_, key, assign, tag_properties=()):
    """SDK createIntegrationEntity (part A §1.8)."""
    e = passthrough(source, classes)
    sdk.apply_assign(e, assign)
    if "createdOn" not in e:
        for k in ("createdAt", "creationDate", "creationTime", "creationTimestamp"):
            if source.get(k):
                ms = iso_ms(source[k])
                if ms is not None:
                    e["createdOn"] = ms
                break
    status = source.get("status")
    if "active" not in e and isinstance(status, str) and status:
        if ACTIVE.search(status):
            e["active"] = True
        elif INACTIVE.search(status):
            e["active"] = False
    e.pop("tags", None)
    assign_tags(e, source.get("tags"), tag_properties)
    return sdk.finish(e, assign, key, type_, classes)


weblink = sdk.resource_link


def write(case, ents, rels):
    os.makedirs(OUT, exist_ok=True)
    for e in ents:
        for k in [k for k, v in e.items() if v is UNDEF]:
            del e[k]
    sdk.write_expected(OUT, case, ents, rels)


# ---- databases/converters.ts ------------------------------------------------------

SERVER_CLASS = ["Database", "DataStore", "Host"]
DATABASE_CLASS = ["Database", "DataStore"]
# Date-typed members of the SDK models (Date objects: skipped by convertProperties).
SERVER_DATES = ("earliestRestoreDate",)
DATABASE_DATES = ("creationDate", "earliestRestoreDate", "restorePointInTime",
                  "sourceDatabaseDeletionDate", "pausedDate", "resumedDate")


def get_configuration(configs, name, number=False):
    if configs is None:
        return UNDEF
    v = UNDEF
    for c in configs:
        if c["name"] == name:
            v = c["properties"].get("value", UNDEF)
            break
    if number and isinstance(v, str):
        s = v.strip()
        if s == "":
            return 0
        try:
            f = float(s)
            return int(f) if f == int(f) else f
        except ValueError:
            pass
    return v


def db_server(item, type_, configs=None):
    src = hoist(item)
    fqdn = src.get("fullyQualifiedDomainName")
    assign = {}
    assign.update(convert_properties(src, dates=SERVER_DATES))
    assign.update(convert_properties(src.get("sku"), prefix="sku"))
    assign.update(convert_properties(src.get("storageProfile")))
    assign.update({
        "displayName": src.get("name") or fqdn or src.get("id") or "unnamed",
        "webLink": weblink(src["id"]), "resourceGroup": resource_group(src["id"]),
        "fqdn": fqdn if fqdn is not None else UNDEF,
        "hostname": fqdn or src.get("name") or None,
        "administratorLogin": REDACTED, "administratorLoginPassword": REDACTED,
        "classification": None, "encrypted": None,
        "secureTransport": src.get("sslEnforcement") == "Enabled",
        "configuration.logCheckpoints": get_configuration(configs, "log_checkpoints"),
        "configuration.logConnections": get_configuration(configs, "log_connections"),
        "configuration.logDisconnections": get_configuration(configs, "log_disconnections"),
        "configuration.connectionThrottling": get_configuration(configs, "connection_throttling"),
        "configuration.logRetentionDays": get_configuration(configs, "log_retention_days", True),
    })
    return create_integration_entity(src, SERVER_CLASS, type_, src["id"], assign)


def db_database(item, type_):
    src = hoist(item)
    assign = convert_properties(src, dates=DATABASE_DATES)
    assign.update({"displayName": src.get("name") or src.get("id") or "unnamed",
                   "webLink": weblink(src["id"]), "resourceGroup": resource_group(src["id"]),
                   "classification": None, "encrypted": None})
    return create_integration_entity(src, DATABASE_CLASS, type_, src["id"], assign)


# ---- monitor/converters.ts createDiagnosticSettingEntity (no log categories) ------

def diag_settings(rel, resource_key, sub):
    ents, rels = [], []
    for d in values(rel, "diagnosticSettings"):
        src = hoist(d)
        assign = {"id": d["id"], "webLink": weblink(d["id"]), "name": d["name"], "type": d["type"]}
        for k in ("storageAccountId", "eventHubName", "eventHubAuthorizationRuleId",
                  "workspaceId", "logAnalyticsDestinationType", "serviceBusRuleId"):
            assign[k] = src.get(k, UNDEF)
        ents.append(create_integration_entity(src, ["Configuration"], "azure_diagnostic_setting",
                                              d["id"], assign))
        rels.append(direct("HAS", resource_key, "?", d["id"], "azure_diagnostic_setting",
                           "azure_resource_has_diagnostic_setting"))
        sa = src.get("storageAccountId")
        if sa and sa.lower() == STORAGE[sub].lower():
            rels.append(direct("USES", d["id"], "azure_diagnostic_setting", STORAGE[sub],
                               "azure_storage_account"))
    return ents, rels


# ---- SQL (sql/converters.ts) ----------------------------------------------------------

def enabled(s):
    return bool(re.search("enabled", s, re.I))


def set_auditing(e, answer):
    a = hoist(answer)
    if a.get("state"):
        e.update({"auditingEnabled": enabled(a["state"]), "loggingEnabled": enabled(a["state"]),
                  "auditLogDestination": a.get("storageEndpoint", UNDEF),
                  "auditActionsAndGroups": [x for x in a["auditActionsAndGroups"] if x != ""]
                  if a.get("auditActionsAndGroups") is not None else UNDEF,
                  "auditLogRetentionDays": a.get("retentionDays", UNDEF),
                  "auditLogMonitorEnabled": a.get("isAzureMonitorTargetEnabled", UNDEF)})
        # auditLogAccessKey: storageAccountAccessKey, absent from every answer.
        assert "storageAccountAccessKey" not in a


def set_alerting(e, answer):
    a = hoist(answer)
    if a.get("state"):
        on = enabled(a["state"])
        emails = [x for x in a["emailAddresses"] if x != ""] if a.get("emailAddresses") is not None else UNDEF
        disabled = [x for x in a["disabledAlerts"] if x != ""] if a.get("disabledAlerts") is not None else UNDEF
        has_disabled = disabled is not UNDEF and len(disabled) > 0
        e.update({"alertingEnabled": on, "alertAdmins": a.get("emailAccountAdmins", UNDEF),
                  "alertEmails": emails, "alertsDisabled": disabled,
                  "alertOnAllThreats": on and not has_disabled})


def set_protector(e, answer):
    a = hoist(answer)
    e["encryptionProtector.serverKeyName"] = a.get("serverKeyName", UNDEF)
    e["encryptionProtector.serverKeyType"] = a.get("serverKeyType", UNDEF)


def sql_server_entities(rel):
    ents, rels = [], []
    for s in values(rel, r"Microsoft\.Sql/servers\?"):
        e = db_server(s, "azure_sql_server")
        set_auditing(e, body(rel, "%s/auditingSettings/default" % s["name"]))
        set_alerting(e, body(rel, "%s/securityAlertPolicies/Default" % s["name"]))
        set_protector(e, body(rel, "%s/encryptionProtector/current" % s["name"]))
        e["secureTransport"] = True
        ents.append(e)
        rels.append(direct("HAS", rg_key(SUB_SQL), "azure_resource_group", s["id"], "azure_sql_server"))
    return ents, rels


def sql_servers():
    ents, rels = sql_server_entities(SQL + "rm-database-sql-servers_1783703110/recording.har")
    write("rm-database-sql-servers", ents, rels)


def sql_diagnostic_settings():
    rel = SQL + "rm-sql-server-diagnostic-settings_1846383233/recording.har"
    server = values(rel, r"Microsoft\.Sql/servers\?")[0]
    ents, rels = diag_settings(rel, server["id"], SUB_SQL)
    write("rm-sql-server-diagnostic-settings", ents, rels)


def sql_databases():
    rel = SQL + "rm-database-sql-databases_652427160/recording.har"
    server = values(rel, r"Microsoft\.Sql/servers\?")[0]
    ents, rels = [], []
    for d in values(rel, r"/databases\?"):
        e = db_database(d, "azure_sql_database")
        tde = hoist(body(rel, "databases/%s/transparentDataEncryption" % d["name"]))
        if tde.get("status"):
            e["encrypted"] = enabled(tde["status"])
        set_auditing(e, body(rel, "databases/%s/auditingSettings" % d["name"]))
        ents.append(e)
        rels.append(direct("HAS", server["id"], "azure_sql_server", d["id"], "azure_sql_database"))
    write("rm-database-sql-databases", ents, rels)


def sql_firewall_rules():
    rel = SQL + "rm-database-sql-server-firewall-rules_735068570/recording.har"
    server = values(rel, r"Microsoft\.Sql/servers\?")[0]
    ents, rels = [], []
    for r in values(rel, "firewallRules"):
        src = hoist(r)
        assign = {"_key": r["id"], "name": r["name"], "id": r["id"], "category": ["host"],
                  "kind": src.get("kind", UNDEF), "location": src.get("location", UNDEF),
                  "startIpAddress": src["startIpAddress"], "endIpAddress": src["endIpAddress"]}
        ents.append(create_integration_entity(src, ["Firewall"], "azure_sql_server_firewall_rule",
                                              r["id"], assign))
        rels.append(direct("HAS", server["id"], "azure_sql_server", r["id"], "?",
                           "azure_sql_server_has_firewall_rule"))
    write("rm-database-sql-server-firewall-rules", ents, rels)


def sql_ad_admins():
    rel = SQL + "rm-database-sql-server-active-directory-admins_3173875955/recording.har"
    server = values(rel, r"Microsoft\.Sql/servers\?")[0]
    ents, rels = [], []
    for a in values(rel, "administrators"):
        src = hoist(a)
        assign = {"name": a["name"], "id": a["id"], "type": a["type"],
                  "tenantId": src.get("tenantId", UNDEF), "login": src.get("login", UNDEF),
                  "sid": src.get("sid", UNDEF)}
        ents.append(create_integration_entity(src, ["AccessRole"],
                                              "azure_sql_server_active_directory_admin",
                                              a["id"], assign))
        rels.append(direct("HAS", server["id"], "azure_sql_server", a["id"],
                           "azure_sql_server_active_directory_admin"))
    write("rm-database-sql-server-active-directory-admins", ents, rels)


# ---- MySQL / MariaDB ------------------------------------------------------------------

def oss(case, rel, engine_name, provider):
    ents, rels = [], []
    server_type = "azure_%s_server" % engine_name
    for s in values(rel, r"%s/servers\?" % provider):
        ents.append(db_server(s, server_type))
        rels.append(direct("HAS", rg_key(SUB_OSS), "azure_resource_group", s["id"], server_type))
        de, dr = diag_settings(rel, s["id"], SUB_OSS)
        ents += de
        rels += dr
        for d in values(rel, "servers/%s/databases" % s["name"]):
            ents.append(db_database(d, "azure_%s_database" % engine_name))
            rels.append(direct("HAS", s["id"], server_type, d["id"],
                               "azure_%s_database" % engine_name))
    write(case, ents, rels)


# ---- PostgreSQL -----------------------------------------------------------------------

def pg_servers():
    rel = PG + "rm-database-postgresql-servers_4246498554/recording.har"
    ents, rels = [], []
    for s in values(rel, r"DBforPostgreSQL/servers\?"):
        configs = values(rel, "servers/%s/configurations" % s["name"])
        ents.append(db_server(s, "azure_postgresql_server", configs))
        rels.append(direct("HAS", rg_key(SUB_SQL), "azure_resource_group", s["id"],
                           "azure_postgresql_server"))
        de, dr = diag_settings(rel, s["id"], SUB_SQL)
        ents += de
        rels += dr
    write("rm-database-postgresql-servers", ents, rels)


def pg_databases():
    rel = PG + "rm-database-postgresql-databases_2309296380/recording.har"
    server = values(rel, r"DBforPostgreSQL/servers\?")[0]
    ents, rels = [], []
    for d in values(rel, "servers/%s/databases" % server["name"]):
        ents.append(db_database(d, "azure_postgresql_database"))
        rels.append(direct("HAS", server["id"], "azure_postgresql_server", d["id"],
                           "azure_postgresql_database"))
    write("rm-database-postgresql-databases", ents, rels)


def pg_firewall_rules():
    rel = PG + "rm-database-postgresql-server-firewall-rules_2387336574/recording.har"
    server = values(rel, r"DBforPostgreSQL/servers\?")[0]
    ents, rels = [], []
    for r in values(rel, "firewallRules"):
        src = hoist(r)
        assign = {"name": r["name"], "id": r["id"], "category": ["host"], "type": r["type"],
                  "startIpAddress": src["startIpAddress"], "endIpAddress": src["endIpAddress"]}
        ents.append(create_integration_entity(src, ["Firewall"],
                                              "azure_postgresql_server_firewall_rule", r["id"],
                                              assign))
        rels.append(direct("HAS", server["id"], "azure_postgresql_server", r["id"], "?",
                           "azure_postgresql_server_has_firewall_rule"))
    write("rm-database-postgresql-server-firewall-rules", ents, rels)


# ---- Cosmos DB (cosmosdb/converters.ts) -------------------------------------------------

def cosmos():
    acc_rel = "cosmosdb/__recordings__/iterateAccounts_2980472493/recording.har"
    db_rel = "cosmosdb/__recordings__/iterateSQLDatabases_4172854763/recording.har"
    ents, rels = [], []
    for a in values(acc_rel, "databaseAccounts"):
        src = hoist(a)
        endpoints = UNDEF
        if src.get("readLocations") is not None:
            endpoints = [l["documentEndpoint"] for l in src["readLocations"] if l.get("documentEndpoint")]
        assign = {"webLink": weblink(a["id"]), "region": normalize_location(a.get("location")),
                  "resourceGroup": resource_group(a["id"]),
                  "enableAutomaticFailover": src.get("enableAutomaticFailover", UNDEF),
                  "enableMultipleWriteLocations": src.get("enableMultipleWriteLocations", UNDEF),
                  "isVirtualNetworkFilterEnabled": src.get("isVirtualNetworkFilterEnabled", UNDEF),
                  "ipRangeFilter": src.get("ipRangeFilter", UNDEF), "category": ["infrastructure"],
                  "endpoints": endpoints}
        ents.append(create_integration_entity(src, ["Account", "Service"],
                                              "azure_cosmosdb_account", a["id"], assign,
                                              ["environment"]))
        rels.append(direct("HAS", rg_key(SUB_COSMOS), "azure_resource_group", a["id"],
                           "azure_cosmosdb_account"))
        for d in values(db_rel, "databaseAccounts/%s/sqlDatabases" % a["name"]):
            dsrc = hoist(d)
            dsrc["tags"] = a.get("tags")
            assign = {"dbAccountId": a["id"], "webLink": weblink(d["id"]), "encrypted": True,
                      "resourceGroup": resource_group(d["id"]),
                      "region": normalize_location(a.get("location")), "classification": None}
            ents.append(create_integration_entity(dsrc, ["Database", "DataStore"],
                                                  "azure_cosmosdb_sql_database", d["id"], assign,
                                                  ["environment"]))
            rels.append(direct("HAS", a["id"], "azure_cosmosdb_account", d["id"],
                               "azure_cosmosdb_sql_database", dbAccountId=a["id"]))
    write("rm-cosmosdb-sql-databases", ents, rels)


# ---- the golden snapshot ------------------------------------------------------------

def golden():
    """Jest snapshot text -> JSON (Object {..}, Array [..], trailing commas;
    `undefined` members dropped, as they are when serialized)."""
    text = open(SNAP).read()
    m = re.search(r"exports\[`createSqlServerFirewallRuleEntity 1`\] = `\n(.*?)\n`;", text, re.S)
    s = m.group(1)
    s = re.sub(r"\bObject \{", "{", s)
    s = re.sub(r"\bArray \[", "[", s)
    s = re.sub(r'^\s*"[^"]+": undefined,\n', "", s, flags=re.M)
    s = re.sub(r",(\s*[}\]])", r"\1", s)
    with open(os.path.join(OUT, "golden-sql-firewall-rule.json"), "w") as f:
        json.dump(json.loads(s), f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    sql_servers()
    sql_diagnostic_settings()
    sql_databases()
    sql_firewall_rules()
    sql_ad_admins()
    oss("rm-database-mysql-databases",
        DB + "mysql/__recordings__/resource-manager-step-mysql-servers-and-databases_3407319069/recording.har",
        "mysql", "DBforMySQL")
    oss("rm-database-mariadb-databases",
        DB + "mariadb/__recordings__/resource-manager-step-mariadb-servers-and-databases_601965491/recording.har",
        "mariadb", "DBforMariaDB")
    pg_servers()
    pg_databases()
    pg_firewall_rules()
    cosmos()
    golden()
    return 0


if __name__ == "__main__":
    sys.exit(main())
