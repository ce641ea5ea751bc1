#!/usr/bin/env python3
"""Derives the expected graph of each compute step and of
rm-compute-network-relationships from the recordings (and the seeds of
test_rm_compute_steps.c), following docs/spec/azure-sources/part-b §1 and the
reference's interservice step, written independently of the C code.

Output: tests/steps_rm_compute/expected/<step>.json, each
  {"entities": [...], "relationships": [...]}
sorted by _key, _rawData left out (the runner checks its shape).  Rerun after
changing a rule:
  python3 tests/steps_rm_compute/derive_expected.py

Deliberate differences from the reference (see steps/compute.c,
steps/interservice.c): managed disks and NICs are found by id
case-insensitively and relationships use the stored _key.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
import sdk_rules as rules  # noqa: E402  (SDK rules shared by the step suites)

OUT = os.path.join(HERE, "expected")
COMPUTE = "resource-manager/compute/__recordings__/"
VM_HAR = COMPUTE + "rm-compute-virtual-machines_2119333431/recording.har"
EXT_HAR = COMPUTE + "rm-compute-virtual-machine-extensions_2158791775/recording.har"
DISK_HAR = COMPUTE + "iterateVirtualMachineDisks_438678801/recording.har"
IMAGE_HAR = "../../../steps_rm_compute/recordings/images.har"  # relative to .../azure-recordings/steps
SUB_D = "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
SUB_DC = "dccea45f-7035-4a17-8731-1fd46aaa74a0"


def write(name, entities, relationships):
    rules.write_expected(OUT, name, entities, relationships)


def rg_name(id_):
    parts = id_.split("/")
    for i, p in enumerate(parts):
        if p.lower() == "resourcegroups" and i + 1 < len(parts):
            return parts[i + 1].lower()
    return None


def parse_tag(v):
    if isinstance(v, str):
        if v.lower() in ("true", "false"):
            return v.lower() == "true"
        if v.isdigit():
            return int(v)
    return v


def assign_tags(e, tags):
    for k, v in (tags or {}).items():
        if v:
            e["tag." + k] = parse_tag(v)


def apply(e, assign):
    rules.apply_assign(e, assign, None)


def finish(e, key, type_, classes):
    e["_key"] = key
    e["_type"] = type_
    e["_class"] = classes
    return e


def rel(cls, fk, tk, type_, props=None):
    r = {"_key": "%s|%s|%s" % (fk, cls.lower(), tk), "_type": type_, "_class": cls,
         "_fromEntityKey": fk, "_toEntityKey": tk, "displayName": cls}
    r.update(props or {})
    return r


def find(keys, id_):
    """Case-insensitive look-up among stored keys."""
    for k in keys:
        if k.lower() == id_.lower():
            return k
    return None


def get(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


# ---- virtual machines ---------------------------------------------------------

def vms():
    return rules.items(VM_HAR, r"/virtualMachines\?")


def uses_managed(sp):
    if not sp or not isinstance(sp.get("osDisk"), dict) or "managedDisk" not in sp["osDisk"]:
        return False
    return all("managedDisk" in d for d in sp.get("dataDisks") or [])


def virtual_machines():
    rg = "/subscriptions/%s/resourceGroups/J1DEV" % SUB_D
    ents, rels = [], []
    for vm in vms():
        p = vm["properties"]
        e = rules.convert_properties(rules.hoist(vm))
        assign = {}
        sp, op = p.get("storageProfile"), p.get("osProfile")
        if sp:
            ost = get(sp, "osDisk", "osType")
            assign.update({"platform": ost.lower() if ost else None,
                           "osName": get(sp, "imageReference", "offer"),
                           "osVersion": get(sp, "imageReference", "exactVersion")})
        if op:
            assign.update({"adminUser": op.get("adminUsername"),
                           "disablePasswordAuthentication":
                               get(op, "linuxConfiguration", "disablePasswordAuthentication"),
                           "enableAutomaticUpdates":
                               get(op, "windowsConfiguration", "enableAutomaticUpdates"),
                           "timeZone": get(op, "windowsConfiguration", "timeZone")})
        assign.update({"displayName": vm["name"], "vmId": p.get("vmId"), "type": vm.get("type"),
                       "region": vm.get("location"), "resourceGroup": rg_name(vm["id"]),
                       "state": p.get("provisioningState"),
                       "vmSize": get(p, "hardwareProfile", "vmSize"),
                       "usesManagedDisks": uses_managed(sp), "webLink": rules.weblink(vm["id"])})
        apply(e, assign)
        assign_tags(e, vm.get("tags"))
        ents.append(finish(e, vm["id"], "azure_vm", ["Host"]))
        rels.append(rel("HAS", rg, vm["id"], "azure_resource_group_has_vm"))
    write("rm-compute-virtual-machines", ents, rels)


# ---- disks and images ------------------------------------------------------------

def disks():
    rg = "/subscriptions/%s/resourceGroups/j1dev" % SUB_DC
    ents, rels = [], []
    for d in rules.items(DISK_HAR, r"/disks\?"):
        p = d["properties"]
        e = rules.convert_properties(rules.hoist(d))
        e.pop("timeCreated", None)   # a Date in the SDK model: skipped
        enc = get(p, "encryption", "type")
        state = p.get("diskState")
        apply(e, {"displayName": d["name"], "region": d.get("location"),
                  "resourceGroup": rg_name(d["id"]),
                  "createdOn": rules.iso_ms(p["timeCreated"]) if p.get("timeCreated") else None,
                  "webLink": rules.weblink(d["id"]), "encrypted": bool(enc), "encryption": enc,
                  "state": state.lower() if state else None, "attached": state == "Attached"})
        assign_tags(e, d.get("tags"))
        ents.append(finish(e, d["id"], "azure_managed_disk", ["DataStore", "Disk"]))
        rels.append(rel("HAS", rg, d["id"], "azure_resource_group_has_managed_disk"))
    write("rm-compute-virutal-machine-disks", ents, rels)


def images():
    rg = "/subscriptions/%s/resourceGroups/j1dev" % SUB_D
    ents, rels = [], []
    for im in rules.items(IMAGE_HAR, r"/images\?"):
        e = rules.convert_properties(rules.hoist(im))
        apply(e, {"displayName": im["name"], "region": im.get("location"),
                  "resourceGroup": rg_name(im["id"]), "webLink": rules.weblink(im["id"])})
        assign_tags(e, im.get("tags"))
        ents.append(finish(e, im["id"], "azure_image", ["Image"]))
        if rg_name(im["id"]) == "j1dev":   # the only seeded group
            rels.append(rel("HAS", rg, im["id"], "azure_resource_group_has_image"))
    write("rm-compute-virtual-machine-images", ents, rels)


# ---- disk relationships ---------------------------------------------------------

def disk_relationships():
    base = "/subscriptions/%s/resourceGroups/J1DEV/providers/Microsoft.Compute/disks/" % SUB_D
    seeded_disks = [base + "j1dev_OsDisk_1_fbe4fa95c1df46038f280eb2a23f1e86",
                    base + "non-managed-data-disk-cmk"]
    accounts = {"ndowmon1j1dev.blob.core.windows.net":
                "/subscriptions/%s/resourceGroups/J1DEV/providers/Microsoft.Storage/"
                "storageAccounts/ndowmon1j1dev" % SUB_D}
    rels = []
    for vm in vms():
        sp = vm["properties"].get("storageProfile")
        if not sp:
            continue
        disks_ = [("osDisk", sp.get("osDisk") or {})]
        disks_ += [("dataDisk", d) for d in sp.get("dataDisks") or []]
        for kind, d in disks_:
            mid, vhd = get(d, "managedDisk", "id"), get(d, "vhd", "uri")
            if mid:
                k = find(seeded_disks, mid)
                if k:
                    rels.append(rel("USES", vm["id"], k, "azure_vm_uses_managed_disk", {kind: True}))
            elif vhd:
                host = vhd.split("/")[2].lower()
                if host in accounts:
                    rels.append(rel("USES", vm["id"], accounts[host],
                                    "azure_vm_uses_storage_account",
                                    {"vhdUri": vhd, "diskType": kind}))
    write("rm-compute-virtual-machine-disk-relationships", [], rels)


# ---- extensions -------------------------------------------------------------------

def extensions():
    ents, rels = {}, []
    for vm in rules.items(EXT_HAR, r"/virtualMachines\?"):
        path = "/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s/extensions" % (
            rg_name(vm["id"]), vm["name"])
        for x in rules.items(EXT_HAR, path.replace(".", r"\.")):
            p = x["properties"]
            key = "vm-extension:%s:%s" % (p.get("publisher") or "unknown-publisher", x["name"])
            if key not in ents:
                shared = {k: v for k, v in x.items() if k not in ("id", "location")}
                shared["properties"] = {k: v for k, v in p.items() if k != "provisioningState"}
                sdk = rules.hoist(shared, renames={"type": "virtualMachineExtensionType"})
                ents[key] = rules.build(sdk, ["Application"], "azure_vm_extension", key,
                                    {"name": x["name"]})
            rels.append(rel("USES", vm["id"], key, "azure_vm_uses_extension",
                            {"id": x["id"], "location": x["location"],
                             "provisioningState": p["provisioningState"]}))
    write("rm-compute-virtual-machine-extensions", list(ents.values()), rels)


# ---- compute-network relationships ----------------------------------------------

def compute_network():
    nic = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/networkInterfaces/%s"
    subnet = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/j1dev/subnets/%s"
    pip = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/publicIPAddresses/%s"
    # the seeds of test_compute_network_relationships: NIC key -> ip configurations
    nics = {nic % (SUB_D, "J1DEV", "J1DEV"): [(subnet % (SUB_D, "j1dev", "j1dev"),
                                                pip % (SUB_D, "j1dev", "j1dev"))],
            nic % (SUB_D, "j1dev", "non-managed-data544"): [
                (subnet % (SUB_D, "j1dev", "other"), None),
                (subnet % (SUB_D, "j1dev", "other"), pip % (SUB_D, "j1dev", "gone"))]}
    subnets = [subnet % (SUB_D, "J1DEV", "j1dev")]
    ips = [pip % (SUB_D, "j1dev", "j1dev")]
    rels = []
    for vm in vms():
        vm_id = vm["properties"]["vmId"]
        seen = set()
        for ref in get(vm, "properties", "networkProfile", "networkInterfaces") or []:
            k = find(nics, ref["id"])
            if not k:
                continue
            rels.append(rel("USES", vm["id"], k, "azure_vm_uses_nic", {"vmId": vm_id}))
            for sn, ip in nics[k]:
                if sn:
                    sk = find(subnets, sn) or sn
                    r = rel("HAS", sk, vm["id"], "azure_subnet_has_vm")
                    if r["_key"] not in seen:
                        seen.add(r["_key"])
                        rels.append(r)
                if ip:
                    rels.append(rel("USES", vm["id"], find(ips, ip) or ip,
                                    "azure_vm_uses_public_ip", {"vmId": vm_id}))
    write("rm-compute-network-relationships", [], rels)


def main():
    virtual_machines()
    disks()
    images()
    disk_relationships()
    extensions()
    compute_network()
    return 0


if __name__ == "__main__":
    sys.exit(main())
