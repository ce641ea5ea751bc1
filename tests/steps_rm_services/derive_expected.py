#!/usr/bin/env python3
"""Derives the expected graph of the CDN, Batch, API Management and Event Grid
steps from the recordings, following the reference converters
(graph-azure 32eaf0f8 src/steps/resource-manager/{cdn,batch,api-management,
event-grid}/converters.ts, index.ts) and the SDK builder rules of
docs/spec/azure-sources part A §1.8-§1.10 and §1.14 (diagnostic settings),
written independently of the C code.  The SDK rules (convertProperties,
schema pass-through, relationship keys and types) are the governance
suite's (tests/steps_governance/derive_expected.py), imported.

SDK model facts used (what the reference's Azure SDK objects hold):
- Date-typed fields (pool lastModified / creationTime / *TransitionTime,
  certificate *TransitionTime, API Management createdAtUtc, event
  subscription expirationTimeUtc) are Date objects: convertProperties and
  the pass-through skip them; createdOn is still inferred from creationTime.
- The CDN Profile model has no `kind` (the golden snapshot's SDK object
  lacks it although the API returns it).
- ApiManagementServiceResource.enableClientCertificate defaults to false
  (the reference's index.test.ts expects it although the API omits it).

Output: tests/steps_rm_services/expected/<step id>.json, each
  {"entities": [...], "relationships": [...]} sorted by _key, _rawData left
out.  Rerun after changing a rule:
  python3 tests/steps_rm_services/derive_expected.py
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
import sdk_rules as sdk  # noqa: E402  (SDK rules shared by the step suites)

OUT = os.path.join(HERE, "expected")
RM = "resource-manager/%s/__recordings__/%s/recording.har"
SUB = "87f62f44-9dad-4284-a08f-f2fb3d8b528a"
GROUP = "/subscriptions/%s/resourceGroups/j1dev" % SUB
STORAGE = GROUP + "/providers/Microsoft.Storage/storageAccounts/keionnedj1dev"
UNDEF = None


def har(folder, name):
    return RM % (folder, name)


assign_tags = sdk.assign_tags   # SDK assignTags


def arm_entity(item, classes, type_, assign, sdk_drop=(), dates=(), defaults=None):
    """createIntegrationEntity({source: SDK object, assign: {...convertProperties(SDK
    object), ...assign}}) of an ARM item."""
    src = sdk.hoist(item)
    for k in sdk_drop:
        src.pop(k, None)
    for k, v in (defaults or {}).items():
        if src.get(k) is None:
            src[k] = v
    conv_src = {k: v for k, v in src.items() if k not in dates}
    full = sdk.convert_properties(conv_src)
    full.update(assign)
    pass_src = {k: v for k, v in src.items() if k not in dates}
    e = sdk.build(pass_src, classes, type_, item["id"], full)
    if "createdOn" not in e:
        for k in ("createdAt", "creationDate", "creationTime", "creationTimestamp"):
            if src.get(k):
                e["createdOn"] = sdk.iso_ms(src[k])
                break
    e.pop("tags", None)
    assign_tags(e, src.get("tags"))
    return e


def normalized_weblink(id_):
    return sdk.weblink(id_ if id_.startswith("/") else "/" + id_)


def diagnostic_settings(rel_path, resource_key):
    """§1.14: one entity per setting, resource HAS setting, setting USES the
    (seeded) storage account."""
    ents, rels = [], []
    for s in sdk.items(rel_path, "diagnosticSettings"):
        p = s.get("properties") or {}
        assign = {"id": s["id"], "webLink": sdk.weblink(s["id"]), "name": s["name"],
                  "type": s.get("type")}
        e = sdk.build(sdk.hoist(s), ["Configuration"], "azure_diagnostic_setting", s["id"], assign)
        for k in ("storageAccountId", "eventHubName", "eventHubAuthorizationRuleId",
                  "workspaceId", "logAnalyticsDestinationType", "serviceBusRuleId"):
            e[k] = p.get(k)
        ents.append(e)
        rels.append(sdk.direct("HAS", resource_key, "ANY", s["id"], "azure_diagnostic_setting",
                               "azure_resource_has_diagnostic_setting"))
        if p.get("storageAccountId") and p["storageAccountId"].lower() == STORAGE.lower():
            rels.append(sdk.direct("USES", s["id"], "azure_diagnostic_setting", STORAGE,
                                   "azure_storage_account"))
    return ents, rels


def group_has(item_id, type_):
    # the seeded group's key; the item ids name it resourceGroups/resourcegroups
    assert item_id.lower().startswith(GROUP.lower() + "/"), item_id
    return sdk.direct("HAS", GROUP, "azure_resource_group", item_id, type_)


def write(case, entities, relationships):
    sdk.write_expected(OUT, case, entities, relationships)


def list_items(rel_path, pattern):
    return sdk.items(rel_path, pattern)


# ---- CDN -----------------------------------------------------------------

CDN_PROFILES = har("cdn", "resource-manager-step-cdn-profiles_2065488323")
CDN_ENDPOINTS = har("cdn", "resource-manager-step-cdn-endpoints_3672320481")


def cdn():
    ents, rels = [], []
    profiles = list_items(CDN_PROFILES, r"/providers/Microsoft.Cdn/profiles\?")
    for p in profiles:
        ents.append(arm_entity(p, ["Service"], "azure_cdn_profile",
                               {"id": p["id"], "name": p["name"], "category": ["infrastructure"],
                                "webLink": sdk.weblink(p["id"])}, sdk_drop=("kind",)))
        rels.append(group_has(p["id"], "azure_cdn_profile"))
        de, dr = diagnostic_settings(CDN_PROFILES, p["id"])
        ents += de
        rels += dr
    write("rm-cdn-profiles", ents, rels)

    ents, rels = [], []
    for p in profiles:
        for ep in list_items(CDN_ENDPOINTS, r"/profiles/%s/endpoints\?" % p["name"]):
            ents.append(arm_entity(ep, ["Gateway"], "azure_cdn_endpoint",
                                   {"id": ep["id"], "name": ep["name"], "category": ["data"],
                                    "function": ["content-distribution"], "public": True,
                                    "webLink": sdk.weblink(ep["id"])}))
            rels.append(sdk.direct("HAS", p["id"], "azure_cdn_profile", ep["id"],
                                   "azure_cdn_endpoint"))
            de, dr = diagnostic_settings(CDN_ENDPOINTS, ep["id"])
            ents += de
            rels += dr
    write("rm-cdn-endpoints", ents, rels)


# ---- Batch ---------------------------------------------------------------

BATCH = {k: har("batch", v) for k, v in {
    "accounts": "resource-manager-step-batch-accounts_1786796716",
    "pools": "resource-manager-step-batch-pools_2021074335",
    "applications": "resource-manager-step-batch-applications_2822445119",
    "certificates": "resource-manager-step-batch-certificates_694013396"}.items()}


def batch():
    ents, rels = [], []
    accounts = list_items(BATCH["accounts"], r"/batchAccounts\?")
    for a in accounts:
        ents.append(arm_entity(a, ["Service"], "azure_batch_account",
                               {"id": a["id"], "name": a["name"], "category": ["infrastructure"],
                                "webLink": normalized_weblink(a["id"])}))
        rels.append(group_has(a["id"], "azure_batch_account"))
        de, dr = diagnostic_settings(BATCH["accounts"], a["id"])
        ents += de
        rels += dr
    write("rm-batch-account", ents, rels)

    children = {
        "pools": ("azure_batch_pool", ["Cluster"],
                  ("lastModified", "creationTime", "provisioningStateTransitionTime",
                   "allocationStateTransitionTime"),
                  lambda x: {"id": x["id"], "name": x["name"], "webLink": normalized_weblink(x["id"]),
                             "type": x.get("type")}),
        "applications": ("azure_batch_application", ["Process"], (),
                         lambda x: {"id": x["id"], "name": x.get("displayName"),
                                    "webLink": normalized_weblink(x["id"])}),
        "certificates": ("azure_batch_certificate", ["Certificate"],
                         ("provisioningStateTransitionTime",
                          "previousProvisioningStateTransitionTime"),
                         lambda x: {"id": x["id"], "webLink": normalized_weblink(x["id"])}),
    }
    for kind, (type_, classes, dates, assign) in children.items():
        ents, rels = [], []
        for a in accounts:
            for x in list_items(BATCH[kind], r"/batchAccounts/%s/%s\?" % (a["name"], kind)):
                ents.append(arm_entity(x, classes, type_, assign(x), dates=dates))
                rels.append(sdk.direct("HAS", a["id"], "azure_batch_account", x["id"], type_))
        write("rm-batch-" + kind[:-1], ents, rels)


# ---- API Management --------------------------------------------------------

APIM_SERVICES = har("api-management", "resource-manager-step-api-management-services_1373891418")
APIM_APIS = har("api-management", "resource-manager-step-api-management-apis_837383619")


def api_management():
    ents, rels = [], []
    services = {s["id"]: s for s in list_items(APIM_SERVICES, r"/Microsoft.ApiManagement/service\?")}
    for s in services.values():
        pub = (s.get("properties") or {}).get("publicIPAddresses")
        ents.append(arm_entity(s, ["Gateway"], "azure_api_management_service",
                               {"id": s["id"], "name": s["name"], "public": bool(pub),
                                "function": ["api-gateway"], "category": ["application"],
                                "webLink": sdk.weblink(s["id"])},
                               dates=("createdAtUtc",), defaults={"enableClientCertificate": False}))
        rels.append(group_has(s["id"], "azure_api_management_service"))
        de, dr = diagnostic_settings(APIM_SERVICES, s["id"])
        ents += de
        rels += dr
    write("rm-api-management-services", ents, rels)

    ents, rels = [], []
    for s in services.values():
        for api in list_items(APIM_APIS, r"/service/%s/apis\?" % s["name"]):
            ents.append(arm_entity(api, ["ApplicationEndpoint"], "azure_api_management_api",
                                   {"id": api["id"], "name": api["name"],
                                    "address": (api.get("properties") or {}).get("path"),
                                    "webLink": sdk.weblink(api["id"])}))
            rels.append(sdk.direct("HAS", s["id"], "azure_api_management_service", api["id"],
                                   "azure_api_management_api"))
    write("rm-api-management-apis", ents, rels)


# ---- Event Grid ------------------------------------------------------------

EG = {k: har("event-grid", v) for k, v in {
    "domains": "resource-manager-step-event-grid-domains_2490659508",
    "domain-topics": "resource-manager-step-event-grid-domain-topics_972963110",
    "domain-topic-subscriptions":
        "resource-manager-step-event-grid-domain-topic-subscriptions_1953692490",
    "topics": "resource-manager-step-event-grid-topics_2972238543",
    "topic-subscriptions": "resource-manager-step-event-grid-topic-subscriptions_1748134953"}.items()}


def eg_entity(x, classes, type_, extra=None, dates=()):
    assign = {"id": x["id"], "name": x["name"], "webLink": sdk.weblink(x["id"]),
              "type": x.get("type")}
    assign.update(extra or {})
    return arm_entity(x, classes, type_, assign, dates=dates)


def event_grid():
    ents, rels = [], []
    domains = list_items(EG["domains"], r"/Microsoft.EventGrid/domains\?")
    for d in domains:
        ents.append(eg_entity(d, ["Service"], "azure_event_grid_domain",
                              {"category": ["infrastructure"]}))
        rels.append(group_has(d["id"], "azure_event_grid_domain"))
        de, dr = diagnostic_settings(EG["domains"], d["id"])
        ents += de
        rels += dr
    write("rm-event-grid-domains", ents, rels)

    ents, rels, topics_of_domains = [], [], []
    for d in domains:
        for t in list_items(EG["domain-topics"], r"/domains/%s/topics\?" % d["name"]):
            ents.append(eg_entity(t, ["Queue"], "azure_event_grid_domain_topic"))
            rels.append(sdk.direct("HAS", d["id"], "azure_event_grid_domain", t["id"],
                                   "azure_event_grid_domain_topic"))
            topics_of_domains.append((d, t))
    write("rm-event-grid-domain-topics", ents, rels)

    ents, rels = [], []
    for d, t in topics_of_domains:
        for s in list_items(EG["domain-topic-subscriptions"],
                            r"/domains/%s/topics/%s/providers/Microsoft.EventGrid/eventSubscriptions\?"
                            % (d["name"], t["name"])):
            ents.append(eg_entity(s, ["Subscription"], "azure_event_grid_topic_subscription",
                                  dates=("expirationTimeUtc",)))
            rels.append(sdk.direct("HAS", t["id"], "azure_event_grid_domain_topic", s["id"],
                                   "azure_event_grid_topic_subscription"))
    write("rm-event-grid-domain-topic-subscriptions", ents, rels)

    ents, rels = [], []
    topics = list_items(EG["topics"], r"/Microsoft.EventGrid/topics\?")
    for t in topics:
        ents.append(eg_entity(t, ["Queue"], "azure_event_grid_topic"))
        rels.append(group_has(t["id"], "azure_event_grid_topic"))
        de, dr = diagnostic_settings(EG["topics"], t["id"])
        ents += de
        rels += dr
    write("rm-event-grid-topics", ents, rels)

    ents, rels = [], []
    for t in topics:
        ns, rtype = t["type"].split("/")[:2]
        for s in list_items(EG["topic-subscriptions"],
                            r"/providers/%s/%s/%s/providers/Microsoft.EventGrid/eventSubscriptions\?"
                            % (ns, rtype, t["name"])):
            ents.append(eg_entity(s, ["Subscription"], "azure_event_grid_topic_subscription",
                                  dates=("expirationTimeUtc",)))
            rels.append(sdk.direct("HAS", t["id"], "azure_event_grid_topic", s["id"],
                                   "azure_event_grid_topic_subscription"))
    write("rm-event-grid-topic-subscriptions", ents, rels)


def main():
    cdn()
    batch()
    api_management()
    event_grid()
    return 0


if __name__ == "__main__":
    sys.exit(main())
