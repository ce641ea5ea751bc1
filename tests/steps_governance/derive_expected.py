#!/usr/bin/env python3
"""Derives the expected graph of each directory / governance step from the
recordings, following docs/spec/azure-sources/part-a (SDK builder rules of
§1.8-1.10 and each step's table), written independently of the C code.

Output: tests/steps_governance/expected/<case>.json, each
  {"entities": [...], "relationships": [...]}
with entities and relationships sorted by _key and _rawData left out (the
tests compare _rawData's shape separately).  Rerun after changing a rule:
  python3 tests/steps_governance/derive_expected.py
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "support"))
import sdk_rules as sdk  # noqa: E402
from sdk_rules import (INSTANCE_ID, DOMAIN, REC, build, convert_properties,  # noqa: E402,F401
                       direct, har_bodies, hoist, items, iso_ms, weblink)

OUT = os.path.join(sdk.ROOT, "tests/steps_governance/expected")
INSTANCE_NAME = "Azure Test Instance"


UNDEF = None  # an assignment of undefined removes the property (sdk.build)


def write(case, entities, relationships):
    sdk.write_expected(OUT, case, entities, relationships)


# ---- Active Directory -------------------------------------------------------

AD = "active-directory/__recordings__/active-directory-steps_52759203/recording.har"


def ad_account():
    org = items(AD, r"/organization$")[0]
    policy = har_bodies(AD, "identitySecurityDefaultsEnforcementPolicy")[0]
    default = None
    for d in org["verifiedDomains"]:
        if d.get("isDefault"):
            default = d["name"]
    # vendor: our addition (the Account schema requires it), see active_directory.c
    assign = {"vendor": "Microsoft", "name": org["displayName"], "displayName": INSTANCE_NAME,
              "organizationName": org["displayName"], "defaultDomain": default,
              "verifiedDomains": [d["name"] for d in org["verifiedDomains"]],
              "securityDefaultsEnabled": policy["isEnabled"]}
    e = build(org, ["Account"], "azure_account", INSTANCE_ID, assign)
    write("ad-account", [e], [])
    e2 = dict(e)
    del e2["securityDefaultsEnabled"]
    write("ad-account-no-policy-permission", [e2], [])


def ad_users():
    ents, rels = [], []
    for u in items(AD, r"/users\?"):
        assign = convert_properties(u)
        assign.update({"name": u["displayName"], "email": u.get("mail"),
                       "firstName": u.get("givenName"), "lastName": u.get("surname"),
                       "username": u.get("userPrincipalName")})
        ents.append(build(u, ["User"], "azure_user", u["id"], assign))
        rels.append(direct("HAS", INSTANCE_ID, "azure_account", u["id"], "azure_user"))
    write("ad-users", ents, rels)


def ad_groups():
    ents, rels = [], []
    for g in items(AD, r"/groups$"):
        assign = convert_properties(g, parse_time=True)
        t = lambda k: iso_ms(g[k]) if g.get(k) else None
        assign.update({"name": g["displayName"], "deletedOn": t("deletedDateTime"),
                       "createdOn": t("createdDateTime"), "email": g.get("mail"),
                       "renewedOn": t("renewedDateTime")})
        ents.append(build(g, ["UserGroup"], "azure_user_group", g["id"], assign))
        rels.append(direct("HAS", INSTANCE_ID, "azure_account", g["id"], "azure_user_group",
                           "azure_account_has_group"))
    write("ad-groups", ents, rels)


def ad_group_members():
    gid = "c13d20a5-a062-4635-b243-1e1688085d87"
    rels = []
    for m in items(AD, "/groups/%s/members" % gid):
        kind = {"#microsoft.graph.user": ("azure_user", "User"),
                "#microsoft.graph.group": ("azure_user_group", "UserGroup")}.get(
                    m.get("@odata.type"), ("azure_group_member", "User"))
        target = {"_type": kind[0], "_class": kind[1], "_key": m["id"]}
        for name, field in (("displayName", "displayName"), ("jobTitle", "jobTitle"),
                            ("email", "mail")):
            if field in m:
                target[name] = m[field]
        rels.append({"_class": "HAS", "_type": "azure_group_has_member",
                     "_key": "%s_%s" % (gid, m["id"]), "displayName": "HAS",
                     "groupId": gid, "memberId": m["id"], "memberType": m.get("@odata.type"),
                     "_mapping": {"relationshipDirection": "FORWARD", "sourceEntityKey": gid,
                                  "targetFilterKeys": [["_type", "_key"]],
                                  "targetEntity": target}})
    write("ad-group-members", [], rels)


def ad_service_principals():
    rec = "active-directory/__recordings__/active-directory-step-service-principals_877653164/recording.har"
    ents = []
    for sp in items(rec, "/servicePrincipals"):
        assign = {"userType": "service", "category": ["infrastructure"],
                  "name": sp.get("displayName"), "displayName": sp.get("displayName"),
                  "appDisplayName": sp.get("appDisplayName"), "appId": sp.get("appId"),
                  "servicePrincipalType": sp.get("servicePrincipalType"),
                  "servicePrincipalNames": sp.get("servicePrincipalNames") or None}
        e = build(sp, ["Service"], "azure_service_principal", sp["id"], assign)
        e.pop("tags", None)
        if sp.get("tags") and isinstance(sp["tags"][0], str):
            e["tags"] = sp["tags"]
        ents.append(e)
    write("ad-service-principals", ents, [])


# ---- authorization ----------------------------------------------------------

AUTHZ = "resource-manager/authorization/__recordings__/"
UNMODELLED = ("createdOn", "updatedOn", "createdBy", "updatedBy")


def role_assignments():
    ents = []
    for ra in items(AUTHZ + "active-directory-step-role-assignments_332628170/recording.har",
                    "roleAssignments"):
        m = hoist(ra, drop=UNMODELLED)
        p = ra["properties"]
        assign = {"name": ra["name"], "displayName": ra["name"], "type": ra["type"],
                  "scope": p.get("scope"), "roleDefinitionId": p.get("roleDefinitionId"),
                  "principalId": p.get("principalId"), "principalType": p.get("principalType"),
                  "canDelegate": p.get("canDelegate"), "webLink": weblink(ra["id"])}
        ents.append(build(m, ["AccessPolicy"], "azure_role_assignment", ra["id"], assign))
    write("rm-authorization-role-assignments", ents, [])
    return ents


PRINCIPALS = {"Application": "azure_application", "DirectoryObjectOrGroup": "azure_directory",
              "DirectoryRoleTemplate": "azure_directory_role_template",
              "Everyone": "azure_everyone", "ForeignGroup": "azure_foreign_group",
              "Group": "azure_user_group", "MSI": "azure_msi",
              "ServicePrincipal": "azure_service_principal", "Unknown": "azure_unknown",
              "User": "azure_user"}


def principal_relationships(ras):
    mapped = []
    for ra in ras:
        t = PRINCIPALS.get(ra.get("principalType"), "azure_unknown_principal_type")
        mapped.append({"_class": "ASSIGNED", "_type": "mapping_source_assigned_" + t,
                       "_key": "%s|assigned|%s" % (ra["_key"], ra["principalId"]),
                       "displayName": "ASSIGNED",
                       "_mapping": {"relationshipDirection": "FORWARD",
                                    "sourceEntityKey": ra["_key"],
                                    "targetFilterKeys": [["_type", "_key"]],
                                    "targetEntity": {"_type": t, "_key": ra["principalId"]}}})
    write("rm-authorization-role-assignment-principal-relationships-mapped", [], mapped)
    # With the directory: the group c13d20a5-... is an ingested azure_user_group.
    gid = "c13d20a5-a062-4635-b243-1e1688085d87"
    mixed = []
    for ra, m in zip(ras, mapped):
        if ra["principalId"] == gid:
            mixed.append(direct("ASSIGNED", ra["_key"], "azure_role_assignment", gid,
                                "azure_user_group"))
        else:
            mixed.append(m)
    write("rm-authorization-role-assignment-principal-relationships-directory", [], mixed)


def scope_relationships(ras):
    sub = "/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
    rels = [direct("ALLOWS", ra["_key"], "azure_role_assignment", sub, "azure_subscription")
            for ra in ras if ra.get("scope", "").lower() == sub.lower()]
    write("rm-authorization-role-assignment-scope-relationships", [], rels)


def role_definitions():
    rd = har_bodies(AUTHZ + "active-directory-step-role-definitions_2121799178/recording.har",
                    "roleDefinitions")[0]
    m = hoist(rd, drop=UNMODELLED, renames={"type": "roleType"})
    e = convert_properties(m)
    perms = m.get("permissions") or []
    e.update({"_key": rd["id"], "_type": "azure_role_definition", "_class": ["AccessRole"],
              "displayName": m.get("roleName"), "description": m.get("description"),
              "actions": sum((p.get("actions") or [] for p in perms), []),
              "notActions": sum((p.get("notActions") or [] for p in perms), []),
              "dataActions": sum((p.get("dataActions") or [] for p in perms), []),
              "notDataActions": sum((p.get("notDataActions") or [] for p in perms), []),
              "webLink": weblink(rd["id"])})
    ra_key = "/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7/providers/Microsoft.Authorization/roleAssignments/test-assignment-0001"
    write("rm-authorization-role-definitions", [e],
          [direct("USES", ra_key, "azure_role_assignment", rd["id"], "azure_role_definition")])


def classic_admins():
    group = {"_key": "azure_classic_admin_group", "_type": "azure_classic_admin_group",
             "_class": ["UserGroup"], "name": "Azure Classic Administrator",
             "displayName": "Azure Classic Administrator"}
    rels = []
    for ca in items(AUTHZ + "active-directory-step-classic-administrators_3012456868/recording.har",
                    "classicAdministrators"):
        email = ca["properties"]["emailAddress"]
        r = {"_class": "HAS", "_type": "azure_classic_admin_group_has_user",
             "_key": "azure_classic_admin_group|has|FORWARD:_type=azure_user:userPrincipalName=" + email,
             "displayName": "HAS", "id": ca["id"], "name": ca["name"], "type": ca["type"],
             "emailAddress": email, "role": ca["properties"]["role"], "webLink": weblink(ca["id"]),
             "_mapping": {"relationshipDirection": "FORWARD",
                          "sourceEntityKey": "azure_classic_admin_group",
                          "targetFilterKeys": [["_type", "userPrincipalName"]],
                          "targetEntity": {"_type": "azure_user", "userPrincipalName": email}}}
        rels.append(r)
    write("rm-authorization-classic-administrators", [group], rels)


# ---- policy -----------------------------------------------------------------


def flatten(obj, cur=""):
    out = {}
    for k, v in obj.items():
        nk = k if not cur else (cur if k == "value" else cur + "." + k)
        if v is None or isinstance(v, (bool, int, float, str)):
            out[nk] = v
        elif isinstance(v, list):
            if v and not isinstance(v[0], (dict, list)):
                out[nk] = v
        elif isinstance(v, dict):
            out.update(flatten(v, nk))
    return out


def policy():
    rec = "resource-manager/policy/__recordings__/resource-manager-step-redis-caches_687386006/recording.har"
    ents, rels = [], []
    for pa in items(rec, "policyAssignments"):
        m = hoist(pa)
        meta = m.get("metadata") or {}
        pa_m = {k: v for k, v in m.items() if k != "metadata"}
        assign = flatten(pa_m)
        assign.update({"id": m["id"], "name": m.get("displayName"), "webLink": weblink(m["id"]),
                       "scope": m.get("scope"), "policyDefinitionId": m.get("policyDefinitionId")})
        for k in ("assignedBy", "createdBy", "updatedBy"):
            if meta.get(k):
                assign[k] = meta[k]
        for k in ("createdOn", "updatedOn"):
            if meta.get(k) and iso_ms(meta[k]) is not None:
                assign[k] = iso_ms(meta[k])
        e = build(m, ["ControlPolicy"], "azure_policy_assignment", m["id"], assign)
        e["displayName"] = e["name"]
        ents.append(e)
        if m.get("scope", "").lower() == "/subscriptions/40474ebe-55a2-4071-8fa8-b610acdd8e56":
            rels.append(direct("HAS", "/subscriptions/40474ebe-55a2-4071-8fa8-b610acdd8e56",
                               "azure_subscription", m["id"], "azure_policy_assignment",
                               "azure_resource_has_policy_assignment"))
    write("rm-policy-assignments", ents, rels)


# ---- monitor ----------------------------------------------------------------

MON = "resource-manager/monitor/__recordings__/"


def log_profiles():
    sub = "/subscriptions/40474ebe-55a2-4071-8fa8-b610acdd8e56"
    ents, rels = [], []
    for lp in items(MON + "resource-manager-step-monitor-log-profiles_3087885473/recording.har",
                    "logprofiles"):
        p = lp["properties"]
        assign = {"id": lp["id"], "webLink": weblink(lp["id"]), "name": lp["name"],
                  "displayName": lp["name"], "storageAccountId": p.get("storageAccountId"),
                  "serviceBusRuleId": p.get("serviceBusRuleId"), "locations": p.get("locations"),
                  "categories": p.get("categories"),
                  "retentionPolicy.enabled": p["retentionPolicy"]["enabled"],
                  "retentionPolicy.days": p["retentionPolicy"]["days"]}
        ents.append(build(hoist(lp), ["Configuration"], "azure_monitor_log_profile", lp["id"], assign))
        rels.append(direct("HAS", sub, "azure_subscription", lp["id"], "azure_monitor_log_profile"))
        sa = "/subscriptions/40474ebe-55a2-4071-8fa8-b610acdd8e56/resourceGroups/j1dev/providers/Microsoft.Storage/storageAccounts/keionnedj1dev"
        if p.get("storageAccountId", "").lower() == sa.lower():
            rels.append(direct("USES", lp["id"], "azure_monitor_log_profile", sa,
                               "azure_storage_account"))
    write("rm-monitor-log-profiles", ents, rels)


def condition(all_of, field):
    for c in all_of:
        if c.get("field") == field:
            if c.get("equals"):
                return c["equals"]
            return c.get("containsAny")
    return "ANY"


def activity_log_alerts():
    rg = "/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7/resourceGroups/j1dev"
    sub = "/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
    ents, rels, scope_rels = [], [], []
    for a in items(MON + "rm-monitor-activity-log-alerts_530143872/recording.har",
                   "activityLogAlerts"):
        p = a["properties"]
        all_of = p["condition"]["allOf"]
        assign = {"id": a["id"], "name": a["name"], "description": p.get("description"),
                  "enabled": p.get("enabled"), "scopes": p.get("scopes") or None,
                  "webLink": weblink(a["id"])}
        e = build(hoist(a), ["Rule"], "azure_monitor_activity_log_alert", a["id"], assign)
        for f in ("category", "operationName", "level", "status", "caller"):
            e["condition." + f] = condition(all_of, f)
        for k, v in (a.get("tags") or {}).items():
            if v:
                e["tag." + k] = v
        ents.append(e)
        rels.append(direct("HAS", rg, "azure_resource_group", a["id"],
                           "azure_monitor_activity_log_alert"))
        for s in p.get("scopes") or []:
            if s.lower() == sub.lower():
                scope_rels.append(direct("MONITORS", a["id"], "azure_monitor_activity_log_alert",
                                         sub, "azure_subscription"))
    write("rm-monitor-activity-log-alerts", ents, rels)
    write("rm-monitor-activity-log-alert-scope-relationships", [], scope_rels)


# ---- security ---------------------------------------------------------------

SEC = "resource-manager/security/__recordings__/"


def assessments():
    sub = "/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
    ents, rels = [], []
    for a in items(SEC + "resource-manager-step-security-assessments_3815676715/recording.har",
                   "assessments"):
        m = hoist(a)
        p = a.get("properties") or {}
        rd = p.get("resourceDetails") or {}
        assign = convert_properties(m)
        if p.get("metadata"):
            assign.update(convert_properties(p["metadata"], prefix="metadata"))
        if rd:
            assign.update(convert_properties(rd, prefix="resourceDetails"))
        status = p.get("status") or {}
        scanned = None
        if (rd.get("source") or rd.get("Source")) == "Azure":
            scanned = rd.get("id") or rd.get("Id")
        cat = (p.get("metadata") or {}).get("category")
        assign.update({"id": a["id"], "name": a.get("name"), "displayName": p.get("displayName"),
                       "category": json.dumps(cat, separators=(",", ":")) if cat else "Security Assessment",
                       "summary": p.get("displayName"), "internal": True, "type": a.get("type"),
                       "statusCode": status.get("code"), "statusCause": status.get("cause"),
                       "statusDescription": status.get("description"),
                       "scannedResourceId": scanned, "webLink": weblink(a["id"])})
        ents.append(build(m, ["Assessment"], "azure_security_assessment", a["id"], assign))
        rels.append(direct("PERFORMED", sub, "azure_subscription", a["id"],
                           "azure_security_assessment",
                           "azure_subscription_performed_security_assessment"))
    write("rm-security-assessments", ents, rels)


def contacts_and_pricings():
    sub = "/subscriptions/40474ebe-55a2-4071-8fa8-b610acdd8e56"
    ents, rels = [], []
    for c in items(SEC + "resource-manager-step-security-center-contacts_4083088945/recording.har",
                   "securityContacts"):
        p = c["properties"]
        assign = {"id": c["id"], "webLink": weblink(c["id"]), "email": p.get("email"),
                  "phone": p.get("phone"), "alertNotifications": p.get("alertNotifications"),
                  "alertsToAdmins": p.get("alertsToAdmins")}
        ents.append(build(hoist(c), ["Resource"], "azure_security_center_contact", c["id"], assign))
        rels.append(direct("HAS", sub, "azure_subscription", c["id"],
                           "azure_security_center_contact"))
    write("rm-security-center-contacts", ents, rels)

    sub = "/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
    ents, rels = [], []
    for pr in items(SEC + "rm-security-center-pricing-configs_1738543608/recording.har", "pricings"):
        assign = {"id": pr["id"], "name": pr["name"], "type": pr["type"],
                  "pricingTier": pr["properties"].get("pricingTier"), "webLink": weblink(pr["id"])}
        ents.append(build(hoist(pr), ["Configuration"],
                          "azure_security_center_subscription_pricing", pr["id"], assign))
        rels.append(direct("HAS", sub, "azure_subscription", pr["id"],
                           "azure_security_center_subscription_pricing",
                           "azure_subscription_has_security_center_subscription_pricing"))
    write("rm-security-center-pricing-configs", ents, rels)


# ---- advisor ----------------------------------------------------------------


def advisor():
    rec = "resource-manager/advisor/__recordings__/resource-manager-step-recommendations_1999680629/recording.har"
    ents, rels = [], []
    storage = "/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7/resourceGroups/j1dev/providers/Microsoft.Storage/storageAccounts/ndowmon1j1devblobstorage"
    for r in items(rec, "recommendations"):
        m = hoist(r)
        p = r["properties"]
        ext = p.get("extendedProperties") or {}
        sd = p.get("shortDescription") or {}
        rm = p.get("resourceMetadata") or {}
        assign = convert_properties(m)
        assign.pop("lastUpdated", None)
        try:
            score = float(re.match(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", ext.get("score") or "").group(0))
            if score == int(score):
                score = int(score)
        except (AttributeError, ValueError):
            score = None
        impact = p.get("impact")
        assign.update({"id": r["id"], "name": r["name"], "category": p.get("category"),
                       "assessment": ext.get("assessmentKey"), "severity": impact,
                       "numericSeverity": {"High": 10, "Medium": 5, "Low": 1}.get(impact, 5),
                       "score": score, "impact": impact.lower() if impact else None,
                       "recommendation": sd.get("solution"),
                       "targets": [x for x in (p.get("impactedField"), p.get("impactedValue")) if x],
                       "shortDescriptionProblem": sd.get("problem"),
                       "shortDescriptionSolution": sd.get("solution"),
                       "resourceId": rm.get("resourceId"), "source": rm.get("source"), "open": True,
                       "updatedOn": iso_ms(p["lastUpdated"]) if p.get("lastUpdated") else None,
                       "webLink": weblink(r["id"])})
        ents.append(build(m, ["Finding"], "azure_advisor_recommendation", r["id"], assign))
        if (rm.get("resourceId") or "").lower() == storage.lower():
            rels.append(direct("HAS", storage, "azure_storage_account", r["id"],
                               "azure_advisor_recommendation", "azure_resource_has_finding"))
    write("rm-advisor-recommendations", ents, rels)


def main():
    ad_account()
    ad_users()
    ad_groups()
    ad_group_members()
    ad_service_principals()
    ras = role_assignments()
    principal_relationships(ras)
    scope_relationships(ras)
    role_definitions()
    classic_admins()
    policy()
    log_profiles()
    activity_log_alerts()
    assessments()
    contacts_and_pricings()
    advisor()
    return 0


if __name__ == "__main__":
    sys.exit(main())
