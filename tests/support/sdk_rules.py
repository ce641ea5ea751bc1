"""The JupiterOne SDK rules and recording helpers shared by the step suites'
derive scripts (tests/steps_*/derive_expected.py), written from
docs/spec/azure-sources part A (§1.7-§1.10 builder rules, §1.14) and
independently of the C code.  A script imports it with

    sys.path.insert(0, os.path.join(<tests dir>, "support"))
    import sdk_rules as sdk

Where the suites' rules differ on purpose, the difference is a parameter
(iso_ms's apply_offset, convert_properties's parse_time / dates) or stays in
the suite's script.
"""
import datetime
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REC = os.path.join(ROOT, "tests/fixtures/azure-recordings/steps")
SCHEMAS = os.path.join(ROOT, "data-model/class_schemas")

INSTANCE_ID = "azure-instance-0001"
DOMAIN = "ndowmongmail.onmicrosoft.com"   # default domain of the AD recording's organization
UNDEF = object()   # an assignment of undefined: removes the property


# ---- recordings (HAR) ------------------------------------------------------

def har_entries(rel_path, root=REC):
    return json.load(open(os.path.join(root, rel_path)))["log"]["entries"]


def har_texts(rel_path, pattern, root=REC):
    """The bodies (text) of the 200 answers whose URL matches pattern."""
    out = []
    for e in har_entries(rel_path, root):
        if re.search(pattern, e["request"]["url"]) and e["response"]["status"] == 200:
            out.append(e["response"]["content"]["text"])
    assert out, (rel_path, pattern)
    return out


def har_bodies(rel_path, pattern, root=REC):
    return [json.loads(t) for t in har_texts(rel_path, pattern, root)]


def har_last_body(rel_path, pattern, root=REC):
    """The last 200 answer whose URL matches pattern (the fake repeats the
    last one)."""
    return json.loads(har_texts(rel_path, pattern, root)[-1])


def items(rel_path, pattern, root=REC):
    """The "value" items of every matching page, in order."""
    vals = []
    for b in har_bodies(rel_path, pattern, root):
        vals.extend(b["value"])
    return vals


# ---- SDK rules ---------------------------------------------------------------

_schema_cache = {}


def schema_props(cls):
    """The property names a data-model class schema (with its $refs) allows."""
    if cls in _schema_cache:
        return _schema_cache[cls]
    props = set()

    def walk(name):
        d = json.load(open(os.path.join(SCHEMAS, name + ".json")))
        stack = [d]
        while stack:
            x = stack.pop()
            if isinstance(x, dict):
                if "$ref" in x and x["$ref"].startswith("#"):
                    walk(x["$ref"][1:])
                if "properties" in x:
                    props.update(x["properties"].keys())
                for k in ("allOf", "anyOf", "oneOf"):
                    if k in x:
                        stack.extend(x[k])
            elif isinstance(x, list):
                stack.extend(x)

    walk(cls)
    _schema_cache[cls] = props
    return props


def is_prim(v):
    return isinstance(v, (str, int, float, bool))


def passthrough(source, classes):
    """createIntegrationEntity's pass-through: the source's primitive (or
    list-of-primitive) properties that the classes' schemas allow."""
    allowed = set()
    for c in classes:
        allowed |= schema_props(c)
    out = {}
    for k, v in source.items():
        if k not in allowed or v is None:
            continue
        if is_prim(v):
            out[k] = v
        elif isinstance(v, list) and v and is_prim(v[0]):
            out[k] = v
    return out


def camel(key):
    """lodash.camelCase"""
    words = re.findall(r"[A-Z]{2,}(?=[A-Z][a-z]+[0-9]*|\b)|[A-Z]?[a-z]+[0-9]*|[A-Z]|[0-9]+", key)
    if not words:
        return ""
    return words[0].lower() + "".join(w[0].upper() + w[1:].lower() for w in words[1:])


TIME_KEY = re.compile(r"^\w+((T|_t)ime|(O|_o)n|(A|_a)t|(D|_d)ate)$")


def iso_ms(s, apply_offset=True):
    """Milliseconds since the epoch of an ISO 8601 time; None if s is not
    one.  apply_offset=False reads a +hh:mm offset as if it were Z."""
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$", s)
    if not m:
        return None
    frac = int((m.group(7) or ".0")[1:4].ljust(3, "0"))
    dt = datetime.datetime(*map(int, m.groups()[:6]), tzinfo=datetime.timezone.utc)
    tz = m.group(8)
    if apply_offset and tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        dt -= sign * datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    return int(dt.timestamp()) * 1000 + frac


def convert_properties(obj, prefix=None, parse_time=False, dates=()):
    """SDK convertProperties.  parse_time: string values of time-like keys
    become epoch milliseconds; dates: keys that are Date objects in the SDK
    model (skipped like any object)."""
    out = {}
    for k, v in (obj or {}).items():
        if v is None or k in dates:
            continue
        key = camel(k)
        if prefix:
            key = prefix + "." + key
        if isinstance(v, str) and parse_time and TIME_KEY.match(k):
            t = iso_ms(v)
            out[key] = t if t is not None else v
        elif is_prim(v):
            out[key] = v
        elif isinstance(v, list):
            if not v or v[0] is None or isinstance(v[0], (dict, list)):
                continue
            out[key] = [x if is_prim(x) else None for x in v]
    return out


def apply_assign(e, assign, remove=UNDEF):
    """The entity's assignments; a value that is `remove` deletes the
    property."""
    for k, v in assign.items():
        if v is remove:
            e.pop(k, None)
        else:
            e[k] = v


def finish(e, assign, key, type_, classes):
    """displayName defaults to name (unless assigned); _key, _type, _class."""
    if "displayName" not in assign and not e.get("displayName") and e.get("name"):
        e["displayName"] = e["name"]
    e["_key"] = key
    e["_type"] = type_
    e["_class"] = classes
    return e


def build(source, classes, type_, key, assign, passthrough_rules=True, extra=None):
    """createIntegrationEntity without tags or createdOn: pass-through,
    assignments (None removes), extra, displayName default."""
    e = passthrough(source, classes) if passthrough_rules else {}
    apply_assign(e, assign, None)
    for k, v in (extra or {}).items():
        e[k] = v
    return finish(e, assign, key, type_, classes)


def tag_value(v):
    """SDK parseStringPropertyValue (tags)."""
    if re.match(r"^(true|false)$", v, re.I):
        return v.lower() == "true"
    if re.match(r"^\d+$", v):
        return int(v)
    if re.match(r"^\d+\.\d+$", v):
        return float(v)
    return v


def assign_tags(e, tags):
    """SDK assignTags: tag.<k> (strings parsed), tags (the "true" ones),
    name, the classification / owner / email properties."""
    if not isinstance(tags, dict):
        return
    for k, v in tags.items():
        if not v:
            continue
        e["tag." + k] = tag_value(v) if isinstance(v, str) else v
        if isinstance(v, str) and re.match(r"^true$", v, re.I):
            e.setdefault("tags", []).append(k)
        if k.lower() == "name":
            e["displayName"] = v
            e.setdefault("name", v)
        if k.lower() in ("classification", "owner", "email"):
            e[k.lower()] = v.lower()


def hoist(item, drop=(), renames=None):
    """The item with its "properties" moved up (minus drop, renamed)."""
    m = {k: v for k, v in item.items() if k != "properties"}
    for k, v in (item.get("properties") or {}).items():
        if k in drop:
            continue
        m[(renames or {}).get(k, k)] = v
    return m


def resource_group(id_):
    """The lower-cased resource group name of a resource id; UNDEF if none."""
    m = re.search(r"/subscriptions/[^/]+/resource[Gg]roups/([^/]+)", id_)
    return m.group(1).lower() if m else UNDEF


def normalize_location(loc):
    return re.sub(r"\s+", "", loc.lower(), count=1) if loc else UNDEF


def resource_link(id_):
    return "https://portal.azure.com/#@%s/resource%s" % (DOMAIN, id_)


def weblink(id_):
    return resource_link(id_) if id_ else None


def gen_type(cls, from_t, to_t):
    """The SDK's generated relationship _type."""
    f, t = from_t.split("_"), to_t.split("_")
    i = 0
    while i < len(t) - 1 and i < len(f) and f[i] == t[i]:
        i += 1
    return "%s_%s_%s" % (from_t, cls.lower(), "_".join(t[i:]))


def direct(cls, fk, ft, tk, tt, type_=None, props=None, **more):
    """createDirectRelationship; props / more are added properties."""
    r = {"_key": "%s|%s|%s" % (fk, cls.lower(), tk), "_type": type_ or gen_type(cls, ft, tt),
         "_class": cls, "_fromEntityKey": fk, "_toEntityKey": tk, "displayName": cls}
    r.update(props or {})
    r.update(more)
    return r


def write_expected(out_dir, case, entities, relationships):
    """out_dir/<case>.json: {"entities", "relationships"} sorted by _key."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, case + ".json"), "w") as f:
        json.dump({"entities": sorted(entities, key=lambda e: e["_key"]),
                   "relationships": sorted(relationships, key=lambda r: r["_key"])},
                  f, indent=1, sort_keys=True)
        f.write("\n")
