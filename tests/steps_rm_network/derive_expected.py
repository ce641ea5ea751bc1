#!/usr/bin/env python3
"""Derives the expected graph of each network step from the recordings (and
the seeds of test_rm_network_steps.c), following
docs/spec/azure-sources/part-b §5, part A §1.8-§1.10 and §1.14 (diagnostic
settings) and the reference's converters (graph-azure 32eaf0f8
src/steps/resource-manager/network/), written independently of the C code.

Output: tests/steps_rm_network/expected/<case>.json, each
  {"entities": [...], "relationships": [...]}
sorted by _key, _rawData left out (the runner checks its shape).  Rerun
after changing a rule:
  python3 tests/steps_rm_network/derive_expected.py

Where this follows the reference rather than the spec text (the reference
is the source of truth, docs/spec/azure-sources/README.md):
- a rule target's key suffix is JavaScript's Object.values(target).join(':'),
  in which an undefined publicIpAddress joins as "" (Host:10.0.0.4::10.0.0.4);
- skipTargetCreation is `!!target._key`, false for every rule target (the
  Internet target is {internet: true} until it is mapped);
- the SDK's isHost is "/32" (or "/128") only: an address without a mask is a
  range (private -> subnet target);
- convertProperties(rule, {stringifyArray}) skips empty arrays.
Where our graph rules force a difference (see steps/network.c):
- azure_public_ip and azure_nic carry `name`;
- _class is always an array;
- a load balancer's publicIp holds only the addresses present (no nulls).
Deliberate: the flow-log look-ups resolve case-insensitively.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
import sdk_rules as sdk  # noqa: E402  (SDK rules shared by the step suites)

OUT = os.path.join(HERE, "expected")
NET = "resource-manager/network/__recordings__/"
NET_HAR = NET + "network-steps_2570137323/recording.har"
FW_HAR = NET + "resource-manager-step-azure-firewalls_3370215710/recording.har"
WATCHERS_HAR = NET + "rm-network-watchers_532923575/recording.har"
FLOW_HAR = NET + "rm-network-flow-logs_1050087510/recording.har"
LOC_HAR = NET + "rm-network-location-watcher-relationships_2182636970/recording.har"
RULES_HAR = "../../../steps_rm_network/recordings/security-rules.har"
SUB_8 = "87f62f44-9dad-4284-a08f-f2fb3d8b528a"
SUB_D = "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
RULE_TYPE = "azure_security_group_rule"
INTERNET = {"_class": ["Internet", "Network"], "_type": "internet", "_key": "global:internet",
            "displayName": "Internet", "CIDR": "0.0.0.0/0", "CIDRv6": "::/0", "public": True}


def write(name, entities, relationships):
    os.makedirs(OUT, exist_ok=True)
    keys = [o["_key"].lower() for o in entities + relationships]
    assert len(keys) == len(set(keys)), name
    sdk.write_expected(OUT, name, entities, relationships)


def rg_key(sub, name):
    return "/subscriptions/%s/resourceGroups/%s" % (sub, name)


def rg_name(id_):
    m = re.search(r"/subscriptions/([^/]+)/resource[Gg]roups/([^/]+)", id_)
    return m.group(2).lower() if m else None


parse_value = sdk.tag_value   # SDK parseStringPropertyValue (tags)


def assign_tags(e, tags, props=()):
    for k, v in (tags or {}).items():
        if v is None:
            continue
        e["tag." + k] = parse_value(v)
        if re.match(r"^true$", v, re.I):
            e.setdefault("tags", []).append(k)
        if k.lower() == "name" and v:
            e.setdefault("name", v)
            e["displayName"] = v
        if k.lower() in ("classification", "owner", "email") or k.lower() in props:
            e[k.lower()] = v.lower()


def drop_none(d):
    return {k: v for k, v in d.items() if v is not None}


def raw_entity(props, key, type_, cls, tags):
    """Raw-object converter: only the listed properties, then assignTags."""
    e = drop_none(props)
    assign_tags(e, tags)
    e.update({"_key": key, "_type": type_, "_class": cls})
    return e


def sdk_entity(item, cls, type_, assign, tag_props=()):
    """createIntegrationEntity over the SDK object (properties hoisted)."""
    src = sdk.hoist(item)
    e = sdk.build(src, cls, type_, item["id"], assign)
    assign_tags(e, item.get("tags"), tag_props)
    return e


def has_rg(sub, item_id, type_):
    """createResourceGroupResourceRelationship with the seeded group (key
    /subscriptions/{sub}/resourceGroups/J1DEV for network-steps)."""
    return sdk.direct("HAS", rg_key(sub, "J1DEV"), "azure_resource_group", item_id, type_)


def diagnostic_settings(har, resource_key, storage_key):
    """§1.14 / the entity table of §2.7, no log categories for network."""
    ents, rels = [], []
    for body in sdk.har_bodies(har, "diagnosticSettings"):
        for s in body["value"]:
            if not s["id"].lower().startswith(resource_key.lower() + "/"):
                continue
            p = s.get("properties") or {}
            assign = {"id": s["id"], "webLink": sdk.weblink(s["id"]), "name": s["name"],
                      "type": s.get("type")}
            e = sdk.build(sdk.hoist(s), ["Configuration"], "azure_diagnostic_setting", s["id"],
                          assign)
            for k in ("storageAccountId", "eventHubName", "eventHubAuthorizationRuleId",
                      "workspaceId", "logAnalyticsDestinationType", "serviceBusRuleId"):
                e[k] = p.get(k)
            ents.append(e)
            rels.append(sdk.direct("HAS", resource_key, "ANY", s["id"], "azure_diagnostic_setting",
                                   "azure_resource_has_diagnostic_setting"))
            sa = p.get("storageAccountId")
            if sa and storage_key and sa.lower() == storage_key.lower():
                rels.append(sdk.direct("USES", s["id"], "azure_diagnostic_setting", storage_key,
                                       "azure_storage_account"))
    return ents, rels


STORAGE_8 = "/subscriptions/%s/resourceGroups/J1DEV/providers/Microsoft.Storage/storageAccounts/KEIONNEDJ1DEV" % SUB_8


# ---- public IPs and NICs ----------------------------------------------------

def public_ip_entity(ip):
    p = ip.get("properties", {})
    return raw_entity({
        "id": ip["id"], "resourceGuid": p.get("resourceGuid"), "resourceGroup": rg_name(ip["id"]),
        "name": ip["name"], "displayName": ip["name"], "type": ip.get("type"),
        "region": ip.get("location"), "publicIp": p.get("ipAddress"),
        "publicIpAddress": p.get("ipAddress"), "public": True, "webLink": sdk.weblink(ip["id"]),
        "sku": (ip.get("sku") or {}).get("name"),
    }, ip["id"], "azure_public_ip", ["IpAddress"], ip.get("tags"))


def public_ips():
    ents, rels = [], []
    for ip in sdk.items(NET_HAR, r"Microsoft.Network/publicIPAddresses\?api-version"):
        ents.append(public_ip_entity(ip))
        rels.append(has_rg(SUB_8, ip["id"], "azure_public_ip"))
        de, dr = diagnostic_settings(NET_HAR, ip["id"], STORAGE_8)
        ents += de
        rels += dr
    write("rm-network-ip-addresses", ents, rels)


def nics():
    ips = sdk.items(NET_HAR, r"Microsoft.Network/publicIPAddresses\?api-version")
    ents, rels = [], []
    for n in sdk.items(NET_HAR, r"Microsoft.Network/networkInterfaces\?api-version"):
        p = n.get("properties", {})
        configs = p.get("ipConfigurations")
        public = None
        if configs is not None:
            public = []
            for c in configs:
                ref = (c.get("properties", {}).get("publicIPAddress") or {}).get("id")
                for ip in ips:
                    if ip["id"] == ref and ip.get("properties", {}).get("ipAddress"):
                        public.append(ip["properties"]["ipAddress"])
        private = [c["properties"]["privateIPAddress"] for c in configs or []
                   if c.get("properties", {}).get("privateIPAddress")]
        ents.append(raw_entity({
            "id": n["id"], "resourceGuid": p.get("resourceGuid"), "resourceGroup": rg_name(n["id"]),
            "name": n["name"], "displayName": n["name"],
            "virtualMachineId": (p.get("virtualMachine") or {}).get("id"), "type": n.get("type"),
            "region": n.get("location"), "publicIp": public, "publicIpAddress": public,
            "privateIp": private, "privateIpAddress": private, "macAddress": p.get("macAddress"),
            "securityGroupId": (p.get("networkSecurityGroup") or {}).get("id"),
            "ipForwarding": p.get("enableIPForwarding"), "webLink": sdk.weblink(n["id"]),
        }, n["id"], "azure_nic", ["NetworkInterface"], n.get("tags")))
        rels.append(has_rg(SUB_8, n["id"], "azure_nic"))
    write("rm-network-interfaces", ents, rels)


# ---- security groups ----------------------------------------------------------

def rule_sdk(r):
    return sdk.hoist(r)


def any_any(rules, access):
    for r in rules:
        if (r.get("destinationAddressPrefix") == "*" and r.get("destinationPortRange") == "*"
                and r.get("sourcePortRange") == "*" and r.get("sourceAddressPrefix") == "*"
                and r.get("protocol") == "*" and r.get("access") == access):
            return r
    return None


def is_wide_open(p):
    rules = [rule_sdk(r) for r in (p.get("defaultSecurityRules") or []) + (p.get("securityRules") or [])]
    allow, deny = any_any(rules, "Allow"), any_any(rules, "Deny")
    if allow and allow.get("priority"):
        if deny and deny.get("priority"):
            return allow["priority"] < deny["priority"]
        return True
    return False


def nsg_entity(g):
    p = g.get("properties", {})
    category = []
    if p.get("subnets"):
        category.append("network")
    if p.get("networkInterfaces"):
        category.append("host")
    return sdk_entity(g, ["Firewall"], "azure_security_group", {
        "webLink": sdk.weblink(g["id"]), "region": g.get("location"),
        "resourceGroup": rg_name(g["id"]), "category": category, "isWideOpen": is_wide_open(p),
    }, tag_props=("environment",))


def security_groups_from(har, sub, rg_seed_key, storage_key):
    ents, rels = [], []
    for g in sdk.items(har, r"Microsoft.Network/networkSecurityGroups\?api-version"):
        ents.append(nsg_entity(g))
        rels.append(sdk.direct("HAS", rg_seed_key, "azure_resource_group", g["id"],
                               "azure_security_group"))
        for n in g.get("properties", {}).get("networkInterfaces") or []:
            rels.append(sdk.direct("PROTECTS", g["id"], "azure_security_group", n["id"], "azure_nic"))
        de, dr = diagnostic_settings(har, g["id"], storage_key)
        ents += de
        rels += dr
    return ents, rels


def security_groups():
    ents, rels = security_groups_from(NET_HAR, SUB_8, rg_key(SUB_8, "J1DEV"), STORAGE_8)
    write("rm-network-security-groups", ents, rels)


# ---- virtual networks ----------------------------------------------------------

def js_text(v):
    if v is None:
        return "undefined"
    if v is False:
        return "false"
    return v


def vnet_graph(har):
    subnet_nsg = {}
    for g in sdk.items(har, r"Microsoft.Network/networkSecurityGroups\?api-version"):
        for s in g.get("properties", {}).get("subnets") or []:
            subnet_nsg[s["id"]] = g["id"]
    ents, rels = [], []
    for v in sdk.items(har, r"Microsoft.Network/virtualNetworks\?api-version"):
        p = v.get("properties", {})
        for s in p.get("subnets") or []:
            cidr = s.get("properties", {}).get("addressPrefix")
            e = sdk.build(sdk.hoist(s), ["Network"], "azure_subnet", s["id"], {
                "displayName": "%s (%s)" % (s["name"], js_text(cidr)),
                "webLink": sdk.weblink(s["id"]), "CIDR": cidr, "public": False, "internal": True,
                "region": v.get("location"), "resourceGroup": rg_name(s["id"]),
                "environment": (v.get("tags") or {}).get("environment"),
            })
            ents.append(e)
            rels.append(sdk.direct("CONTAINS", v["id"], "azure_vnet", s["id"], "azure_subnet"))
            if s["id"] in subnet_nsg:
                rels.append(sdk.direct("PROTECTS", subnet_nsg[s["id"]], "azure_security_group",
                                       s["id"], "azure_subnet"))
        space = p.get("addressSpace")
        prefixes = (space or {}).get("addressPrefixes")
        cidr = None if space is None or prefixes is None else (prefixes[0] if prefixes else False)
        ents.append(sdk_entity(v, ["Network"], "azure_vnet", {
            "displayName": "%s (%s)" % (v["name"], js_text(cidr)), "webLink": sdk.weblink(v["id"]),
            "CIDR": cidr, "public": False, "internal": True, "region": v.get("location"),
            "resourceGroup": rg_name(v["id"]),
        }, tag_props=("environment",)))
        rels.append(has_rg(SUB_8, v["id"], "azure_vnet"))
    return ents, rels


def virtual_networks():
    ents, rels = vnet_graph(NET_HAR)
    for v in sdk.items(NET_HAR, r"Microsoft.Network/virtualNetworks\?api-version"):
        de, dr = diagnostic_settings(NET_HAR, v["id"], STORAGE_8)
        ents += de
        rels += dr
    write("rm-network-virtual-networks", ents, rels)


# ---- security group rules -------------------------------------------------------

def lodash_words(s):
    return re.findall(r"[A-Z]{2,}(?=[A-Z][a-z]|[^A-Za-z]|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+", s)


def service_type(tag):
    t = "azure_" + "_".join(w.lower() for w in lodash_words(tag))
    return t.replace("azure_azure_", "azure_", 1)


def is_ipv4(s):
    return re.match(r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?:/[0-9]{1,2})?$", s) is not None


def is_public(s):
    return not re.search(r"(^127\.)|(^10\.)|(^172\.1[6-9]\.)|(^172\.2[0-9]\.)|(^172\.3[0-1]\.)|(^192\.168\.)", s)


def js_int(s):
    m = re.match(r"^\s*([+-]?\d+)", s)
    return int(m.group(1)) if m else None


def port_range(r):
    if r == "*":
        return 0, 65535
    ports = r.split("-")
    return js_int(ports[0]), js_int(ports[1] if len(ports) > 1 and ports[1] else ports[0])


def rule_convert(rule):
    out = {}
    for k, v in rule.items():
        if v is None or isinstance(v, dict):
            continue
        if isinstance(v, list):
            if not v or v[0] is None:
                continue
            out[sdk.camel(k)] = json.dumps(v, separators=(",", ":"))
        else:
            out[sdk.camel(k)] = v
    return out


def targets(prefix):
    """(kind, target object as an ordered list of (key, value), with None for undefined)."""
    if prefix in ("Internet", "*"):
        return "internet", None
    if is_ipv4(prefix):
        if prefix.startswith("0.0.0.0"):
            return "internet", None
        if prefix.endswith("/32"):
            host = prefix.replace("/32", "", 1)
            return "mapped", [("_class", "Host"), ("ipAddress", host),
                              ("publicIpAddress", host if is_public(prefix) else None),
                              ("displayName", host)]
        if is_public(prefix):
            return "mapped", [("_class", "Network"), ("CIDR", prefix)]
        return "subnet", [("_class", "Network"), ("_type", "azure_subnet"), ("CIDR", prefix)]
    return "mapped", [("_class", "Service"), ("_type", service_type(prefix)), ("displayName", prefix)]


def rule_relationships(har, subnets):
    rels = []
    for g in sdk.items(har, r"Microsoft.Network/networkSecurityGroups\?api-version"):
        p = g.get("properties", {})
        for raw in (p.get("defaultSecurityRules") or []) + (p.get("securityRules") or []):
            rule = rule_sdk(raw)
            ranges = [x for x in [rule.get("destinationPortRange")] + (rule.get("destinationPortRanges") or []) if x]
            inbound = rule.get("direction") == "Inbound"
            if inbound:
                prefixes = [rule.get("sourceAddressPrefix")] + (rule.get("sourceAddressPrefixes") or [])
            else:
                prefixes = [rule.get("destinationAddressPrefix")] + (rule.get("destinationAddressPrefixes") or [])
            cls = "ALLOWS" if rule.get("access") == "Allow" else "DENIES"
            for pr in ranges:
                fp, tp = port_range(pr)
                props = rule_convert(rule)
                props.update({"ingress": inbound, "inbound": inbound,
                              "egress": rule.get("direction") == "Outbound",
                              "outbound": rule.get("direction") == "Outbound",
                              "portRange": pr, "fromPort": fp, "toPort": tp,
                              "protocol": rule["protocol"].lower(),
                              "ipProtocol": rule["protocol"].lower(),
                              "priority": rule["priority"], "ruleNumber": rule["priority"]})
                key_prefix = "%s:%s:%s" % (RULE_TYPE, rule["id"], pr)
                for prefix in prefixes:
                    if not prefix:
                        continue
                    kind, target = targets(prefix)
                    if kind == "subnet":
                        cidr = dict(target)["CIDR"]
                        for s in subnets:
                            if s.get("properties", {}).get("addressPrefix") != cidr:
                                continue
                            fk, tk = (s["id"], g["id"]) if inbound else (g["id"], s["id"])
                            r = {"_key": "%s:%s" % (key_prefix, s["id"]), "_type": RULE_TYPE,
                                 "_class": cls, "_fromEntityKey": fk, "_toEntityKey": tk,
                                 "displayName": cls}
                            r.update(props)
                            r["_key"] = "%s:%s" % (key_prefix, s["id"])
                            r["_type"] = RULE_TYPE
                            rels.append(r)
                        continue
                    if kind == "internet":
                        entity, filter_keys, suffix = dict(INTERNET), ["_key"], "internet"
                    else:
                        entity = {k: v for k, v in target if v is not None}
                        filter_keys = [k for k, _ in target]
                        suffix = ":".join("" if v is None else v for _, v in target)
                    r = {"_class": cls, "_type": RULE_TYPE, "_key": "%s:%s" % (key_prefix, suffix),
                         "displayName": cls,
                         "_mapping": {"relationshipDirection": "REVERSE" if inbound else "FORWARD",
                                      "sourceEntityKey": g["id"],
                                      "targetFilterKeys": [filter_keys],
                                      "targetEntity": entity, "skipTargetCreation": False}}
                    r.update(props)
                    r["_key"] = "%s:%s" % (key_prefix, suffix)
                    r["_type"] = RULE_TYPE
                    rels.append(r)
    return rels


def all_subnets(har):
    out = []
    for v in sdk.items(har, r"Microsoft.Network/virtualNetworks\?api-version"):
        out += v.get("properties", {}).get("subnets") or []
    return out


def security_group_rules():
    write("rm-network-security-group-rules", [], rule_relationships(NET_HAR, all_subnets(NET_HAR)))
    write("rm-network-security-group-rules-targets", [],
          rule_relationships(RULES_HAR, all_subnets(RULES_HAR)))


# ---- load balancers ---------------------------------------------------------------

def load_balancers():
    ents, rels = [], []
    seen = set()
    for lb in sdk.items(NET_HAR, r"Microsoft.Network/loadBalancers\?api-version"):
        p = lb.get("properties", {})
        fronts = p.get("frontendIPConfigurations") or []
        with_public = [f for f in fronts if f.get("properties", {}).get("publicIPAddress")]
        public_ips = [f["properties"]["publicIPAddress"].get("properties", {}).get("ipAddress")
                      for f in with_public]
        ents.append(sdk_entity(lb, ["Gateway"], "azure_lb", {
            "category": ["network"], "function": ["load-balancing"],
            "resourceGuid": p.get("resourceGuid"), "resourceGroup": rg_name(lb["id"]),
            "displayName": lb["name"], "type": lb.get("type"), "region": lb.get("location"),
            "publicIp": [x for x in public_ips if x is not None],
            "privateIp": [f["properties"]["privateIPAddress"] for f in fronts
                          if f.get("properties", {}).get("privateIPAddress")],
            "public": len(public_ips) > 0, "webLink": sdk.weblink(lb["id"]),
        }))
        rels.append(has_rg(SUB_8, lb["id"], "azure_lb"))
        for pool in p.get("backendAddressPools") or []:
            for ip in pool.get("properties", {}).get("backendIPConfigurations") or []:
                nic = ip["id"].split("/ipConfigurations")[0]
                r = sdk.direct("CONNECTS", lb["id"], "azure_lb", nic, "azure_nic")
                if r["_key"] not in seen:
                    seen.add(r["_key"])
                    rels.append(r)
        de, dr = diagnostic_settings(NET_HAR, lb["id"], STORAGE_8)
        ents += de
        rels += dr
    write("rm-network-load-balancers", ents, rels)


# ---- firewalls ------------------------------------------------------------------

def flatten(obj, prefix):
    out = {}
    for k, v in obj.items():
        key = prefix if k == "value" else prefix + "." + k
        if isinstance(v, dict):
            out.update(flatten(v, key))
        elif isinstance(v, list):
            if v and not isinstance(v[0], (dict, list)):
                out[key] = v
        else:
            out[key] = v
    return out


def firewalls():
    ents, rels = [], []
    for fw in sdk.items(FW_HAR, r"Microsoft.Network/azureFirewalls\?api-version"):
        p = fw.get("properties", {})
        assign = {"id": fw["id"], "displayName": fw["name"], "webLink": sdk.weblink(fw["id"]),
                  "category": ["network"], "region": fw.get("location"), "name": fw["name"],
                  "provisioningState": p.get("provisioningState"),
                  "threatIntelMode": p.get("threatIntelMode"), "type": fw.get("type")}
        for k in ("additionalProperties", "virtualHub", "firewallPolicy", "managementIpConfiguration"):
            if p.get(k):
                v = p[k]
                assign.update(flatten(sdk.hoist(v) if isinstance(v, dict) else v, k))
        if fw.get("zones") is not None:
            assign["zones"] = fw["zones"]
        ents.append(sdk_entity(fw, ["Firewall"], "azure_network_azure_firewall", assign))
        rels.append(sdk.direct("HAS", rg_key(SUB_8, "j1dev"), "azure_resource_group", fw["id"],
                               "azure_network_azure_firewall"))
        de, dr = diagnostic_settings(FW_HAR, fw["id"], None)
        ents += de
        rels += dr
    write("rm-network-azure-firewalls", ents, rels)


# ---- watchers, locations, flow logs ------------------------------------------------

def watcher_entity(w):
    return sdk_entity(w, ["Resource"], "azure_network_watcher", {
        "id": w["id"], "name": w["name"], "type": w.get("type"), "location": w.get("location"),
        "provisioningState": w.get("properties", {}).get("provisioningState"),
        "webLink": sdk.weblink(w["id"]),
    })


def watchers():
    ents, rels = [], []
    for w in sdk.items(WATCHERS_HAR, r"networkWatchers\?api-version"):
        ents.append(watcher_entity(w))
        rels.append(sdk.direct("HAS", rg_key(SUB_D, "NetworkWatcherRG"), "azure_resource_group",
                               w["id"], "azure_network_watcher"))
    write("rm-network-watchers", ents, rels)


def location_watchers():
    """locationNameMap: location name -> the first location entity of that
    name (rm-subscription-locations), its key the id Azure returned."""
    names = {}
    for loc in sdk.items(LOC_HAR, r"/locations\?api-version"):
        names.setdefault(loc["name"], loc["id"])
    rels = []
    for w in sdk.items(LOC_HAR, r"networkWatchers\?api-version"):
        if w.get("location") in names:
            rels.append(sdk.direct("HAS", names[w["location"]], "azure_location", w["id"],
                                   "azure_network_watcher", "azure_location_has_network_watcher"))
    write("rm-network-location-watcher-relationships", [], rels)


def flow_logs():
    storage = "/subscriptions/%s/resourceGroups/J1DEV/providers/Microsoft.Storage/storageAccounts/NDOWMON1J1DEV" % SUB_D
    nsgs = [g["id"] for g in sdk.items(FLOW_HAR, r"Microsoft.Network/networkSecurityGroups\?api-version")]
    watcher_ids = {w["name"]: w["id"] for w in sdk.items(FLOW_HAR, r"networkWatchers\?api-version")}
    ents, rels = [], []
    h = json.load(open(os.path.join(sdk.REC, FLOW_HAR)))
    for entry in h["log"]["entries"]:
        m = re.search(r"/networkWatchers/([^/]+)/flowLogs\?", entry["request"]["url"])
        if not m:
            continue
        for fl in json.loads(entry["response"]["content"]["text"])["value"]:
            p = fl.get("properties", {})
            rp = p.get("retentionPolicy") or {}
            ents.append(sdk_entity(fl, ["Logs"], "azure_security_group_flow_logs", {
                "id": fl["id"], "name": fl["name"], "type": fl.get("type"),
                "location": fl.get("location"), "targetResourceId": p.get("targetResourceId"),
                "storageId": p.get("storageId"), "enabled": p.get("enabled"),
                "retentionPolicy.enabled": rp.get("enabled"), "retentionPolicy.days": rp.get("days"),
                "webLink": sdk.weblink(fl["id"]),
            }))
            rels.append(sdk.direct("HAS", watcher_ids[m.group(1)], "azure_network_watcher",
                                   fl["id"], "azure_security_group_flow_logs"))
            target = [n for n in nsgs if n.lower() == (p.get("targetResourceId") or "").lower()]
            if target:
                rels.append(sdk.direct("HAS", target[0], "azure_security_group", fl["id"],
                                       "azure_security_group_flow_logs"))
            if (p.get("storageId") or "").lower() == storage.lower():
                rels.append(sdk.direct("USES", fl["id"], "azure_security_group_flow_logs", storage,
                                       "azure_storage_account"))
    write("rm-network-flow-logs", ents, rels)


def main():
    public_ips()
    nics()
    security_groups()
    virtual_networks()
    security_group_rules()
    load_balancers()
    firewalls()
    watchers()
    location_watchers()
    flow_logs()


if __name__ == "__main__":
    main()
