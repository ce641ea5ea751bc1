#!/usr/bin/env python3
"""Derives the expected graph of each platform-service step (dns,
private-dns, container-registry, container-instance, service-bus,
redis-cache) from the recordings, following the reference converters
(graph-azure src/steps/resource-manager/<folder>/converters.ts and index.ts)
and the SDK rules of docs/spec/azure-sources/part-a §1.7-§1.10, written
independently of the C code.

Output: tests/steps_rm_platform/expected/<case>.json, each
  {"entities": [...], "relationships": [...]}
sorted by _key, without _rawData (gov_case checks its shape).  The seeded
entities named here are the ones test_rm_platform_steps.c seeds.  Rerun:
  python3 tests/steps_rm_platform/derive_expected.py
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
import sdk_rules as rules  # noqa: E402  (SDK rules shared by the step suites)

OUT = os.path.join(HERE, "expected")
RM = "resource-manager/"
SUB_D = "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
SUB_4 = "40474ebe-55a2-4071-8fa8-b610acdd8e56"
SUB_8 = "87f62f44-9dad-4284-a08f-f2fb3d8b528a"

# Seeded resource groups: deliberately cased unlike the ids Azure returns
# where the step's own paths do not depend on the key (subscription lists).
RG_D_ODD = "/subscriptions/%s/resourcegroups/J1DEV" % SUB_D
RG_4 = "/subscriptions/%s/resourceGroups/j1dev" % SUB_4
RG_8 = "/subscriptions/%s/resourceGroups/j1dev" % SUB_8

UNDEF = None          # assignment of undefined: property removed


class _Null:          # assignment of null: JSON null
    pass


NULL = _Null()


def recorded_items(har, contains):
    return rules.items(RM + har, contains)


def no_tags(src):
    assert not src.get("tags"), "tags in recordings: add the SDK tag rules here"


def infer_active(status):
    if re.search(r"(?<!in)active|enabled|online", status, re.I):
        return True
    if re.search(r"inactive|disabled|offline", status, re.I):
        return False
    return None


def entity(src, classes, type_, key, assign):
    """createIntegrationEntity({source: src, assign}) (part A §1.8)."""
    no_tags(src)
    e = rules.passthrough(src, classes)
    for k, v in assign.items():
        if v is UNDEF:
            e.pop(k, None)
        else:
            e[k] = None if v is NULL else v
    if "createdOn" not in e:
        for f in ("createdAt", "creationDate", "creationTime", "creationTimestamp"):
            if f in src:
                t = rules.iso_ms(src[f]) if isinstance(src[f], str) else None
                if t is not None:
                    e["createdOn"] = t
                break
    if "active" not in e and isinstance(src.get("status"), str) and src["status"]:
        a = infer_active(src["status"])
        if a is not None:
            e["active"] = a
    if not e.get("displayName") and e.get("name"):
        e["displayName"] = e["name"]
    e["_key"] = key
    e["_type"] = type_
    e["_class"] = classes
    return e


def sdk(item, dates=(), renames=None):
    """The SDK model: properties hoisted (renamed), date-time fields kept
    apart (Date objects: convertProperties skips them)."""
    m = rules.hoist(item, renames=renames)
    visible = {k: v for k, v in m.items() if k not in dates}
    return m, visible


def arm_entity(item, classes, type_, extra, dates=(), renames=None, unknown=()):
    """`unknown`: members of `properties` the SDK model drops (never seen by
    the reference converter)."""
    if unknown:
        item = dict(item, properties={k: v for k, v in item["properties"].items()
                                      if k not in unknown})
    src, visible = sdk(item, dates, renames)
    assign = dict(rules.convert_properties(visible))
    assign.update({"id": item["id"], "name": item["name"], "webLink": rules.weblink(item["id"])})
    assign.update(extra)
    return entity(src, classes, type_, item["id"], assign)


def rg_has(rg_key, e):
    return rules.direct("HAS", rg_key, "azure_resource_group", e["_key"], e["_type"])


def has(parent_key, parent_type, e):
    return rules.direct("HAS", parent_key, parent_type, e["_key"], e["_type"])


def write(case, ents, rels):
    rules.write_expected(OUT, case, ents, rels)


# ---- dns / private-dns -------------------------------------------------------

def dns():
    zones = recorded_items("dns/__recordings__/resource-manager-step-dns-zones_89672344/"
                          "recording.har", r"/dnszones\?")
    ents, rels = [], []
    for z in zones:
        e = arm_entity(z, ["DomainZone"], "azure_dns_zone",
                       {"domainName": z["name"],
                        "recordsCount": z["properties"].get("numberOfRecordSets", UNDEF)})
        ents.append(e)
        rels.append(rg_has(RG_D_ODD, e))
    write("rm-dns-zones", ents, rels)

    zone_key = ("/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.Network/dnszones/"
                "jupiterone-dev.com" % SUB_D)
    sets = recorded_items("dns/__recordings__/resource-manager-step-dns-record-sets_3249218698/"
                         "recording.har", r"/recordsets\?")
    ents, rels = [], []
    renames = {"TTL": "tTL", "ARecords": "aRecords", "NSRecords": "nsRecords",
               "SOARecord": "soaRecord"}
    for r in sets:
        e = arm_entity(r, ["DomainRecord"], "azure_dns_record_set",
                       {"TTL": r["properties"].get("TTL", UNDEF),
                        "type": r["type"].replace("Microsoft.Network/dnszones/", "", 1),
                        "azureType": r["type"]}, renames=renames)
        ents.append(e)
        rels.append(has(zone_key, "azure_dns_zone", e))
    write("rm-dns-record-sets", ents, rels)


def private_dns():
    zones = recorded_items("private-dns/__recordings__/resource-manager-step-private-dns-zones_"
                          "199134906/recording.har", r"/privateDnsZones\?")
    ents, rels = [], []
    for z in zones:
        e = arm_entity(z, ["DomainZone"], "azure_private_dns_zone",
                       {"domainName": z["name"],
                        "recordsCount": z["properties"].get("numberOfRecordSets", UNDEF)})
        ents.append(e)
        rels.append(rg_has(RG_D_ODD, e))
    write("rm-private-dns-zones", ents, rels)

    zone_key = ("/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.Network/"
                "privateDnsZones/jupiterone-dev.com" % SUB_D)
    sets = recorded_items("private-dns/__recordings__/resource-manager-step-private-dns-record-"
                         "sets_3220285724/recording.har", r"/ALL\?")
    ents, rels = [], []
    for r in sets:
        e = arm_entity(r, ["DomainRecord"], "azure_private_dns_record_set",
                       {"TTL": r["properties"].get("ttl", UNDEF),
                        "type": r["type"].replace("Microsoft.Network/privateDnsZones/", "", 1),
                        "azureType": r["type"]})
        ents.append(e)
        rels.append(has(zone_key, "azure_private_dns_zone", e))
    write("rm-private-dns-record-sets", ents, rels)


# ---- container-registry --------------------------------------------------------

STORAGE_8 = ("/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.Storage/"
             "storageAccounts/keionnedj1dev" % SUB_8)


def diagnostic_setting(d):
    """monitor createDiagnosticSettingEntity, no log categories."""
    src = rules.hoist(d)
    p = d.get("properties") or {}

    def val(k):
        if k not in p:
            return UNDEF
        return NULL if p[k] is None else p[k]

    assign = {"id": d["id"], "webLink": rules.weblink(d["id"]), "name": d["name"],
              "type": d["type"]}
    for k in ("storageAccountId", "eventHubName", "eventHubAuthorizationRuleId", "workspaceId",
              "logAnalyticsDestinationType", "serviceBusRuleId"):
        assign[k] = val(k)
    return entity(src, ["Configuration"], "azure_diagnostic_setting", d["id"], assign)


def container_registry():
    har = "container-registry/__recordings__/resource-manager-step-container-registries_" \
          "2250806650/recording.har"
    ents, rels = [], []
    for r in recorded_items(har, r"/registries\?"):
        e = arm_entity(r, ["DataStore"], "azure_container_registry",
                       {"classification": NULL,
                        "encrypted": (r["properties"].get("encryption") or {}).get("status")
                        == "enabled"},
                       dates=("creationDate",),
                       # newer than the 2019-12-01-preview Registry model
                       unknown=("networkRuleBypassOptions",))
        ents.append(e)
        rels.append(rg_has(RG_8, e))
        for d in recorded_items(har, re.escape(r["id"].split("/", 1)[1]) +
                               "/providers/microsoft.insights/diagnosticSettings"):
            s = diagnostic_setting(d)
            ents.append(s)
            rels.append(rules.direct("HAS", e["_key"], e["_type"], s["_key"], s["_type"],
                                   "azure_resource_has_diagnostic_setting"))
            sa = (d.get("properties") or {}).get("storageAccountId")
            if sa and sa.lower() == STORAGE_8.lower():
                rels.append(rules.direct("USES", s["_key"], s["_type"], STORAGE_8,
                                       "azure_storage_account"))
    write("rm-container-registries", ents, rels)

    registry_key = ("/subscriptions/%s/resourceGroups/j1dev/providers/"
                    "Microsoft.ContainerRegistry/registries/ndowmon1j1dev" % SUB_D)
    ents, rels = [], []
    for w in recorded_items("container-registry/__recordings__/resource-manager-step-container-"
                           "registry-webhooks_891010703/recording.har", r"/webhooks\?"):
        e = arm_entity(w, ["ApplicationEndpoint"], "azure_container_registry_webhook",
                       {"address": "NOT_RETURNED_FROM_AZURE_API"})
        ents.append(e)
        rels.append(has(registry_key, "azure_container_registry", e))
    write("rm-container-registry-webhooks", ents, rels)


# ---- container-instance -------------------------------------------------------

FILE_SHARE_4 = ("/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.Storage/"
                "storageAccounts/keionnedj1dev/fileServices/default/shares/j1dev" % SUB_4)


def container_instance():
    ents, rels = [], []
    for g in recorded_items("container-instance/__recordings__/resource-manager-step-container-"
                           "groups_3996809593/recording.har", r"/containerGroups\?"):
        ge = arm_entity(g, ["Group"], "azure_container_group", {})
        ents.append(ge)
        rels.append(rg_has(RG_4, ge))
        props = g["properties"]
        for v in props.get("volumes") or []:
            vid = "%s/volumes/%s" % (g["id"], v["name"])
            ve = entity(v, ["Disk"], "azure_container_volume", vid,
                        dict(rules.convert_properties(v), id=vid, name=v["name"],
                             classification=NULL, encrypted=NULL))
            ents.append(ve)
            rels.append(has(ge["_key"], ge["_type"], ve))
            af = v.get("azureFile") or {}
            m = re.search(r"/subscriptions/[^/]+/resource[G|g]roups/[^/]+/providers/[M|m]icrosoft."
                          r"[S|s]torage/storage[A|a]ccounts/([^/]+)/fileServices/default/shares/"
                          r"([^/]+)", FILE_SHARE_4)
            if af.get("shareName") and af.get("storageAccountName") and \
                    (af["storageAccountName"], af["shareName"]) == m.groups():
                rels.append(rules.direct("USES", vid, "azure_container_volume", FILE_SHARE_4,
                                       "azure_storage_file_share"))
        for c in props.get("containers") or []:
            cid = "%s/containers/%s" % (g["id"], c["name"])
            src = rules.hoist(c)
            ce = entity(src, ["Container"], "azure_container", cid,
                        dict(rules.convert_properties(src), id=cid, name=c["name"],
                             image=src.get("image", UNDEF)))
            ents.append(ce)
            rels.append(has(ge["_key"], ge["_type"], ce))
            for mount in src.get("volumeMounts") or []:
                vid = "%s/volumes/%s" % (g["id"], mount["name"])
                if any(x["_key"] == vid for x in ents):
                    r = rules.direct("USES", cid, "azure_container", vid, "azure_container_volume")
                    r.update({k: v for k, v in mount.items() if v is not None})
                    rels.append(r)
    write("rm-container-groups", ents, rels)


# ---- service-bus ----------------------------------------------------------------

SB_DATES = ("createdAt", "updatedAt", "accessedAt")
NS_KEY = ("/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.ServiceBus/namespaces/"
          "ndowmon1j1dev" % SUB_D)
TOPIC_KEY = NS_KEY + "/topics/j1dev-topic"


def service_bus():
    base = "service-bus/__recordings__/resource-manager-step-service-bus-"
    ents, rels = [], []
    for n in recorded_items(base + "namespaces_4034164300/recording.har", r"/namespaces\?"):
        e = arm_entity(n, ["Service"], "azure_service_bus_namespace",
                       {"category": ["infrastructure"]}, dates=SB_DATES,
                       # SBNamespace (2017-04-01) has no status: the golden
                       # snapshot of this namespace lacks it
                       unknown=("status",))
        ents.append(e)
        rels.append(rg_has(RG_D_ODD, e))
    write("rm-service-bus-namespaces", ents, rels)

    for case, har, pattern, cls, type_, parent, parent_type in (
            ("rm-service-bus-queues", "queues_2589142572", r"/queues\?", ["Queue"],
             "azure_service_bus_queue", NS_KEY, "azure_service_bus_namespace"),
            ("rm-service-bus-topics", "topics_2901142508", r"/topics\?", ["Queue"],
             "azure_service_bus_topic", NS_KEY, "azure_service_bus_namespace"),
            ("rm-service-bus-subscriptions", "subscriptions_3505050870", r"/topics/[^/]+/subscriptions\?",
             ["Subscription"], "azure_service_bus_subscription", TOPIC_KEY,
             "azure_service_bus_topic")):
        ents, rels = [], []
        for q in recorded_items(base + har + "/recording.har", pattern):
            e = arm_entity(q, cls, type_, {}, dates=SB_DATES)
            ents.append(e)
            rels.append(has(parent, parent_type, e))
        write(case, ents, rels)


# ---- redis-cache ----------------------------------------------------------------

CACHE_KEY = ("/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.Cache/Redis/"
             "keionned-j1dev-redis-cache" % SUB_4)
PRIMARY_KEY = ("/subscriptions/%s/resourceGroups/j1dev/providers/Microsoft.Cache/Redis/"
               "keionned-j1dev-primary-redis-cache" % SUB_4)
SECONDARY_KEY = ("/subscriptions/%s/resourceGroups/j1dev-secondary-redis-cache-resource-group/"
                 "providers/Microsoft.Cache/Redis/keionned-j1dev-secondary-redis-cache" % SUB_4)


def redis_cache():
    base = "redis-cache/__recordings__/resource-manager-step-redis-"
    ents, rels = [], []
    for c in recorded_items(base + "caches_687386006/recording.har", r"/Redis\?"):
        e = arm_entity(c, ["Database", "DataStore", "Cluster"], "azure_redis_cache",
                       {"encrypted": NULL, "classification": NULL})
        ents.append(e)
        rels.append(rg_has(RG_4, e))
    write("rm-redis-caches", ents, rels)

    ents, rels = [], []
    for r in recorded_items(base + "firewall-rules_1967924207/recording.har", r"/firewallRules\?"):
        p = r["properties"]
        e = arm_entity(r, ["Firewall"], "azure_firewall_rule",
                       {"category": ["host"], "ipRangeStart": p.get("startIP", UNDEF),
                        "ipRangeEnd": p.get("endIP", UNDEF), "isStateful": False})
        ents.append(e)
        rels.append(has(CACHE_KEY, "azure_redis_cache", e))
    write("rm-redis-firewall-rules", ents, rels)

    # The seeded caches: (key, id, name).  Only the primary's answer (role
    # Secondary) gives a relationship, when the secondary is ingested.
    caches = {CACHE_KEY: "keionned-j1dev-redis-cache",
              PRIMARY_KEY: "keionned-j1dev-primary-redis-cache",
              SECONDARY_KEY: "keionned-j1dev-secondary-redis-cache"}
    rels = []
    h = json.load(open(os.path.join(rules.REC, RM + base + "linked-servers_136758809/"
                                    "recording.har")))
    for entry in h["log"]["entries"]:
        url = entry["request"]["url"]
        if "/linkedServers?" not in url:
            continue
        owner = [k for k in caches if url.split("/linkedServers?")[0].lower().endswith(
            k.split("/providers/")[1].lower())]
        owner = [k for k in owner if k.split("/providers/")[0].lower() in url.lower()]
        assert len(owner) == 1, url
        primary = owner[0]
        for ls in json.loads(entry["response"]["content"]["text"])["value"]:
            p = ls["properties"]
            if p.get("serverRole") != "Secondary":
                continue
            target = [k for k in caches if k.lower() == p["linkedRedisCacheId"].lower()]
            if not target:
                continue
            r = rules.direct("CONNECTS", primary, "azure_redis_cache", target[0],
                           "azure_redis_cache")
            r.update({"linkedServerId": ls["id"], "webLink": rules.weblink(ls["id"]),
                      "primaryCacheId": primary, "primaryCacheName": caches[primary],
                      "secondaryCacheId": p["linkedRedisCacheId"],
                      "secondaryCacheName": ls["name"],
                      "secondaryCacheLocation": p["linkedRedisCacheLocation"],
                      "type": ls["type"], "provisioningState": p["provisioningState"]})
            rels.append(r)
    write("rm-redis-linked-servers", [], rels)


def main():
    dns()
    private_dns()
    container_registry()
    container_instance()
    service_bus()
    redis_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
