#!/usr/bin/env python3
"""Derives the expected graph of the base Resource Manager steps
(subscriptions, locations, resource groups, key vaults, storage) from the
recordings, following docs/spec/azure-sources part-a (SDK builder rules of
§1.5, §1.8-§1.10, §1.14, §2.2, §2.3, §2.7) and part-b (§2 storage, §3 key
vault), written independently of the C code (the XML of the storage data
plane is read with Python's own parser).

Output: tests/steps_rm_base/expected/<case>.json, each
  {"entities": [...], "relationships": [...]}
sorted by _key, _rawData left out (the case runner checks its shape).
Rerun after changing a rule:
  python3 tests/steps_rm_base/derive_expected.py
"""
import json
import os
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "support"))
import sdk_rules as sdk  # noqa: E402
from sdk_rules import (INSTANCE_ID, UNDEF, assign_tags, direct, hoist,  # noqa: E402,F401
                       is_prim, normalize_location, passthrough, resource_group,
                       resource_link)

REC = os.path.join(sdk.REC, "resource-manager")
OUT = os.path.join(sdk.ROOT, "tests/steps_rm_base/expected")


def bodies(rel_path, pattern):
    return sdk.har_texts(rel_path, pattern, REC)


def items(rel_path, pattern):
    return sdk.items(rel_path, pattern, REC)


# ---- SDK rules (part A §1.8-§1.10) -----------------------------------------

def iso_ms(s):
    return sdk.iso_ms(s, apply_offset=False)


def create_entity(source, classes, type_, key, assign, tags=False, tag_properties=()):
    """createIntegrationEntity: pass-through, assignments, createdOn, tags,
    displayName default."""
    e = passthrough(source, classes)
    sdk.apply_assign(e, assign)
    if "createdOn" not in e:
        for k in ("createdAt", "creationDate", "creationTime", "creationTimestamp"):
            if source.get(k):
                e["createdOn"] = iso_ms(source[k])
                break
    e.pop("tags", None)
    for p in tag_properties:
        if isinstance(source.get("tags"), dict) and p in source["tags"]:
            e[p] = source["tags"][p]
    if tags:
        assign_tags(e, source.get("tags"))
    return sdk.finish(e, assign, key, type_, classes)


def weblink(id_):
    if not id_:
        return UNDEF
    m = re.search(r"(/subscriptions/.+/resourceGroups/.+/providers/Microsoft.Storage/"
                  r"storageAccounts/.+)/blobServices/.+/containers/(.+)", id_)
    if m:
        return ("https://portal.azure.com/#blade/Microsoft_Azure_Storage/ContainerMenuBlade/"
                "overview/storageAccountId/%s/path/%s"
                % (urllib.parse.quote(m.group(1), safe="-_.!~*'()"), m.group(2)))
    return resource_link(id_)


def resource_group_id(id_):
    m = re.search(r"/subscriptions/([^/]+)/resource[G|g]roups/([^/]+)", id_)
    return "/subscriptions/%s/resourceGroups/%s" % (m.group(1), m.group(2).lower())


def write(case, ents, rels):
    keys = [e["_key"] for e in ents] + [r["_key"] for r in rels]
    assert len(keys) == len(set(keys)), case
    sdk.write_expected(OUT, case, ents, rels)


# ---- diagnostic settings (part A §1.14, §2.7) ------------------------------

def diagnostic_settings(rel_path, resource_key, categories, storage_keys=()):
    ents, rels = [], []
    for s in items(rel_path, r"diagnosticSettings"):
        p = s.get("properties") or {}
        assign = {"id": s["id"], "webLink": weblink(s["id"]), "name": s["name"],
                  "type": s["type"]}
        for k in ("storageAccountId", "eventHubName", "eventHubAuthorizationRuleId",
                  "workspaceId", "logAnalyticsDestinationType", "serviceBusRuleId"):
            if k in p:
                assign[k] = p[k]   # null kept as null
            else:
                assign[k] = UNDEF
        for c in categories:
            log = next((l for l in p.get("logs") or [] if l.get("category") == c), None)
            if log is None:
                continue
            assign["log.%s.enabled" % c] = log["enabled"]
            rp = log.get("retentionPolicy")
            if rp:
                assign["log.%s.retentionPolicy.days" % c] = rp["days"]
                assign["log.%s.retentionPolicy.enabled" % c] = rp["enabled"]
        ents.append(create_entity(hoist(s), ["Configuration"], "azure_diagnostic_setting",
                                  s["id"], assign))
        rels.append(direct("HAS", resource_key, "ANY", s["id"], "azure_diagnostic_setting",
                           "azure_resource_has_diagnostic_setting"))
        for sk in storage_keys:
            if p.get("storageAccountId", "").lower() == sk.lower():
                rels.append(direct("USES", s["id"], "azure_diagnostic_setting", sk,
                                   "azure_storage_account"))
    return ents, rels


# ---- subscriptions (part A §2.2) -------------------------------------------

SUBS = "subscriptions/__recordings__/"
SUB_CATEGORIES = ["Administrative", "Alert", "Policy", "Security"]


def subscription_entity(s):
    return create_entity(s, ["Account"], "azure_subscription", s["id"], {
        "id": s["id"], "subscriptionId": s["subscriptionId"], "state": s["state"],
        "authorizationSource": s["authorizationSource"], "name": s["displayName"],
        "displayName": s["displayName"], "webLink": weblink(s["id"])})


def subscriptions():
    rec = SUBS + "resource-manager-step-resource-groups_2102244318/recording.har"
    subs = items(rec, r"/subscriptions\?")
    sub = subs[0]
    ents = [subscription_entity(sub)]
    # the storage account the setting names is seeded by the test
    storage = ("/subscriptions/40474ebe-55a2-4071-8fa8-b610acdd8e56/resourceGroups/j1dev/"
               "providers/Microsoft.Storage/storageAccounts/keionnedj1dev")
    de, dr = diagnostic_settings(rec, sub["id"], SUB_CATEGORIES, [storage])
    write("rm-subscriptions", ents + de, dr)


def locations():
    rec = SUBS + "rm-subscription-locations_2346918759/recording.har"
    sub_key = "/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
    ents, rels = [], []
    for loc in items(rec, r"/locations\?"):
        ents.append(create_entity(loc, ["Site"], "azure_location", loc["id"], {
            "id": loc["id"], "name": loc["name"], "displayName": loc["displayName"],
            "webLink": weblink(loc["id"])}))
        rels.append(direct("USES", sub_key, "azure_subscription", loc["id"], "azure_location"))
    write("rm-subscription-locations", ents, rels)


# ---- resource groups (part A §2.3) -----------------------------------------

def resource_groups():
    rec = "resources/__recordings__/resource-manager-step-resource-groups_2102244318/recording.har"
    ents, rels = [], []
    for g in items(rec, r"/resourcegroups\?"):
        ents.append(create_entity(g, ["Group"], "azure_resource_group", g["id"], {
            "id": g["id"], "name": g["name"], "displayName": g["name"], "type": g["type"],
            "location": g["location"], "managedBy": g.get("managedBy", UNDEF),
            "provisioningState": (g.get("properties") or {}).get("provisioningState", UNDEF),
            "webLink": weblink(g["id"])}, tags=True))
        sub = re.match(r"/subscriptions/[^/]+", g["id"]).group(0)
        rels.append(direct("HAS", sub, "azure_subscription", g["id"], "azure_resource_group"))
    write("rm-resources-resource-groups", ents, rels)


# ---- key vaults (part B §3) ------------------------------------------------

def vault_entity(v):
    uri = (v.get("properties") or {}).get("vaultUri")
    return create_entity(v, ["Service"], "azure_keyvault_service", v["id"], {
        "webLink": weblink(v["id"]), "region": normalize_location(v.get("location")),
        "resourceGroup": resource_group(v["id"]),
        "endpoints": [uri] if uri else UNDEF,
        "category": ["infrastructure"]}, tags=True, tag_properties=["environment"])


def key_vaults(rec, case, group_keys, storage_keys, account_key=INSTANCE_ID):
    ents, rels = [], []
    for body in bodies(rec, r"/vaults/[^/?]+\?api-version="):
        v = json.loads(body)
        e = vault_entity(v)
        ents.append(e)
        rels.append(direct("HAS", account_key, "azure_account", v["id"],
                           "azure_keyvault_service"))
        want = resource_group_id(v["id"]).lower()
        for gk in group_keys:
            if gk.lower() == want:
                rels.append(direct("HAS", gk, "azure_resource_group", v["id"],
                                   "azure_keyvault_service"))
        de, dr = diagnostic_settings(rec, v["id"], ["AuditEvent"], storage_keys)
        ents += de
        rels += dr
    if case:
        write(case, ents, rels)
    return ents


# ---- storage (part B §2) ---------------------------------------------------

STORAGE = "storage/__recordings__/"
XML_NAMES = {"Version": ("version", str), "Delete": ("deleteProperty", "bool"),
             "Read": ("read", "bool"), "Write": ("write", "bool"),
             "Enabled": ("enabled", "bool"), "Days": ("days", int),
             "IncludeAPIs": ("includeAPIs", "bool"), "RetentionPolicy": ("retentionPolicy", dict),
             "HourMetrics": ("hourMetrics", dict), "MinuteMetrics": ("minuteMetrics", dict),
             "DeleteRetentionPolicy": ("deleteRetentionPolicy", dict),
             "StaticWebsite": ("staticWebsite", dict), "Cors": ("cors", list),
             "DefaultServiceVersion": ("defaultServiceVersion", str),
             "IndexDocument": ("indexDocument", str),
             "ErrorDocument404Path": ("errorDocument404Path", str)}


def xml_object(el, logging):
    out = {}
    for c in el:
        if c.tag == "Logging" and logging:
            out[logging] = xml_object(c, None)
            continue
        if c.tag not in XML_NAMES:
            continue
        name, kind = XML_NAMES[c.tag]
        text = (c.text or "").strip()
        if kind == "bool":
            out[name] = text.lower() == "true"
        elif kind is int:
            out[name] = int(text)
        elif kind is str:
            out[name] = text
        elif kind is dict:
            out[name] = xml_object(c, None)
        else:
            out[name] = [xml_object(r, None) for r in c]
    return out


def service_properties(text, logging):
    return xml_object(ET.fromstring(text.lstrip("\ufeff").encode()), logging)


def account_endpoints(pe):
    if pe is None:
        return UNDEF
    order = ["blob", "queue", "table", "file", "web", "dfs"]
    vals = [pe.get(k) for k in order]
    vals += [(pe.get("microsoftEndpoints") or {}).get(k) for k in order]
    vals += [(pe.get("internetEndpoints") or {}).get(k) for k in ("blob", "file", "web", "dfs")]
    return [v for v in vals if v is not None]


def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        key = prefix + k
        if v is None:
            out[key] = None
        elif isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif is_prim(v):
            out[key] = v
    return out


def storage_accounts(rec, vault_ents, group_keys):
    ents, rels = [], []
    vault_by_uri = {}
    for v in vault_ents:
        if v["_type"] != "azure_keyvault_service":
            continue
        for body in bodies(rec, r"/vaults/[^/?]+\?api-version="):
            raw = json.loads(body)
            if raw["id"] == v["_key"]:
                vault_by_uri[re.sub(r"/$", "", raw["properties"]["vaultUri"])] = v["_key"]
    for a in items(rec, r"/storageAccounts\?"):
        p = a.get("properties") or {}
        name = a["name"]
        blob = service_properties(bodies(rec, r"//%s\.blob\.core" % name)[0],
                                  "blobAnalyticsLogging")
        queue = None
        if a.get("kind") in ("Storage", "StorageV2"):
            queue = service_properties(bodies(rec, r"//%s\.queue\.core" % name)[0],
                                       "queueAnalyticsLogging")
        enc = p.get("encryption") or {}
        services = enc.get("services") or {}
        kvp = enc.get("keyvaultproperties")
        kv_model = None
        if kvp is not None:   # SDK model names; unknown fields and Dates dropped
            names = {"keyname": "keyName", "keyversion": "keyVersion",
                     "keyvaulturi": "keyVaultUri",
                     "currentVersionedKeyIdentifier": "currentVersionedKeyIdentifier"}
            kv_model = {names[k]: v for k, v in kvp.items() if k in names}
        acls = p.get("networkAcls") or {}

        def svc(name_):
            s = services.get(name_)
            return s["enabled"] if s is not None and "enabled" in s else UNDEF

        def opt(d, *path):
            for k in path:
                if d is None or k not in d:
                    return UNDEF
                d = d[k]
            return d

        assign = {
            "displayName": name, "webLink": weblink(a["id"]), "region": a["location"],
            "resourceGroup": resource_group(a["id"]), "kind": a["kind"],
            "sku": opt(a, "sku", "name"),
            "endpoints": account_endpoints(p.get("primaryEndpoints")),
            "enableHttpsTrafficOnly": p.get("supportsHttpsTrafficOnly", UNDEF),
            "category": ["infrastructure"],
            "encryptedFileShare": svc("file"), "encryptedBlob": svc("blob"),
            "encryptedTable": svc("table"), "encryptedQueue": svc("queue"),
            "allowBlobPublicAccess": p.get("allowBlobPublicAccess", UNDEF),
            "networkRuleSetDefaultAction": acls.get("defaultAction", UNDEF),
            "networkRuleSetBypass": acls.get("bypass", UNDEF),
            "blobSoftDeleteEnabled": opt(blob, "deleteRetentionPolicy", "enabled"),
            "blobSoftDeleteRetentionDays": opt(blob, "deleteRetentionPolicy", "days"),
            "blobAnalyticsLoggingReadEnabled": opt(blob, "blobAnalyticsLogging", "read"),
            "blobAnalyticsLoggingWriteEnabled": opt(blob, "blobAnalyticsLogging", "write"),
            "blobAnalyticsLoggingDeleteEnabled": opt(blob, "blobAnalyticsLogging",
                                                     "deleteProperty"),
            "queueAnalyticsLoggingReadEnabled": opt(queue, "queueAnalyticsLogging", "read"),
            "queueAnalyticsLoggingWriteEnabled": opt(queue, "queueAnalyticsLogging", "write"),
            "queueAnalyticsLoggingDeleteEnabled": opt(queue, "queueAnalyticsLogging",
                                                      "deleteProperty"),
        }
        flat_src = {}
        if "keySource" in enc:
            flat_src["keySource"] = enc["keySource"]
        if kv_model is not None:
            flat_src["keyVaultProperties"] = kv_model
        assign.update(flatten({"encryption": flat_src}))
        sdk = hoist(a)
        e = create_entity(sdk, ["Service"], "azure_storage_account", a["id"], assign,
                          tags=True, tag_properties=["environment"])
        ents.append(e)
        want = resource_group_id(a["id"]).lower()
        for gk in group_keys:
            if gk.lower() == want:
                rels.append(direct("HAS", gk, "azure_resource_group", a["id"],
                                   "azure_storage_account"))
        if enc.get("keySource") == "Microsoft.Keyvault" and kv_model and kv_model.get("keyVaultUri"):
            vk = vault_by_uri.get(re.sub(r"/$", "", kv_model["keyVaultUri"]))
            if vk:
                props = {k: kv_model[k] for k in ("keyName", "keyVaultUri", "keyVersion")
                         if k in kv_model}
                rels.append(direct("USES", a["id"], "azure_storage_account", vk,
                                   "azure_keyvault_service", props=props))
    return ents, rels


def children(rec, pattern, case, type_, classes, account, assign_fn):
    ents, rels = [], []
    for c in items(rec, pattern):
        assign = {"webLink": weblink(c["id"]), "resourceGroup": resource_group(c["id"])}
        assign.update(assign_fn(c, account))
        ents.append(create_entity(hoist(c), classes, type_, c["id"], assign))
        rels.append(direct("HAS", account["_key"], "azure_storage_account", c["id"], type_))
    write(case, ents, rels)


def truthy(v):
    return bool(v)


def main():
    subscriptions()
    locations()
    resource_groups()
    kv_groups = ["/subscriptions/87f62f44-9dad-4284-a08f-f2fb3d8b528a/resourceGroups/J1Dev"]
    kv_storage = ["/subscriptions/87f62f44-9dad-4284-a08f-f2fb3d8b528a/resourceGroups/j1dev/"
                  "providers/Microsoft.Storage/storageAccounts/keionnedj1dev"]
    key_vaults("key-vault/__recordings__/resource-manager-step-key-vaults_311334852/recording.har",
               "rm-keyvault-vaults", kv_groups, kv_storage)

    rec = STORAGE + "resource-manager-step-storage-accounts_690738595/recording.har"
    groups = ["/subscriptions/d3803fd6-2ba4-4286-80aa-f3d613ad59a7/resourceGroups/j1dev"]
    vaults = key_vaults(rec, None, groups, [])
    ents, rels = storage_accounts(rec, vaults, groups)
    write("rm-storage-resources", ents, rels)
    accounts = {e["name"]: e for e in ents}

    acct = accounts["ndowmon1j1dev"]
    children(STORAGE + "resource-manager-step-storage-containers_2223249107/recording.har",
             r"/containers\?", "rm-storage-containers", "azure_storage_container", ["DataStore"],
             acct, lambda c, a: {
                 "public": bool((c["properties"].get("publicAccess") or "") and
                                re.search(r"(container|blob)", c["properties"]["publicAccess"],
                                          re.I)),
                 "publicAccess": c["properties"].get("publicAccess", UNDEF),
                 "classification": None, "encrypted": a.get("encryptedBlob") or False})
    children(STORAGE + "resource-manager-step-storage-file-shares_3496468620/recording.har",
             r"/shares\?", "rm-storage-file-shares", "azure_storage_file_share", ["DataStore"],
             acct, lambda c, a: {"classification": None,
                                 "encrypted": a.get("encryptedFileShare") or False})
    children(STORAGE + "resource-manager-step-storage-queues_3406153319/recording.har",
             r"/queues\?", "rm-storage-queues", "azure_storage_queue", ["Queue"],
             acct, lambda c, a: {"name": c["name"], "displayName": c["name"], "type": c["type"],
                                 "encrypted": a.get("encryptedQueue", UNDEF)})
    children(STORAGE + "resource-manager-step-storage-tables_3841669886/recording.har",
             r"/tables\?", "rm-storage-tables", "azure_storage_table", ["DataStore", "Database"],
             acct, lambda c, a: {"name": c["name"], "displayName": c["name"],
                                 "tableName": c["properties"].get("tableName", UNDEF),
                                 "type": c["type"], "classification": None,
                                 "encrypted": truthy(a.get("encryptedTable"))})


if __name__ == "__main__":
    main()
