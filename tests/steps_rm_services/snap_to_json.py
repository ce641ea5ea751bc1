#!/usr/bin/env python3
"""Converts the reference's golden entity snapshots (jest
converters.test.ts.snap of cdn, batch, event-grid under
tests/fixtures/graph-azure-snapshots/) into JSON:
tests/steps_rm_services/golden/<folder>.json = {"<snapshot name>": entity}.

Conversions: `Object {`/`Array [` -> JSON, trailing commas dropped, Date
values (unquoted ISO timestamps) -> ISO strings (the SDK object's Date
fields, as Azure sends them), `undefined` properties dropped (JSON has no
undefined: the SDK serializes them away), template-literal escapes undone.
Rerun after updating the snapshots:
  python3 tests/steps_rm_services/snap_to_json.py
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SNAPS = os.path.join(ROOT, "tests/fixtures/graph-azure-snapshots/steps/resource-manager")
UNDEF = "__undefined__"


def escape_newlines_in_strings(text):
    out, in_str, esc = [], False, False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            elif ch == "\n":
                out.append("\\n")
                continue
        elif ch == '"':
            in_str = True
        out.append(ch)
    return "".join(out)


def drop_undefined(x):
    if isinstance(x, dict):
        return {k: drop_undefined(v) for k, v in x.items() if v != UNDEF}
    if isinstance(x, list):
        return [drop_undefined(v) for v in x]
    return x


def convert(body):
    body = body.replace("\\`", "`").replace("\\\\", "\\")
    body = body.replace("Object {", "{").replace("Array [", "[")
    body = re.sub(r":\s*undefined,", ': "%s",' % UNDEF, body)
    body = re.sub(r":\s*(\d{4}-\d\d-\d\dT[0-9:.]+Z),", r': "\1",', body)
    body = escape_newlines_in_strings(body)
    body = re.sub(r",(\s*[}\]])", r"\1", body)
    return drop_undefined(json.loads(body))


def main():
    os.makedirs(os.path.join(HERE, "golden"), exist_ok=True)
    for folder in ("cdn", "batch", "event-grid"):
        text = open(os.path.join(SNAPS, folder, "__snapshots__/converters.test.ts.snap")).read()
        out = {}
        for name, body in re.findall(r"exports\[`(.*?)`\] = `\n(.*?)\n`;\n", text, re.S):
            out[name] = convert(body)
        with open(os.path.join(HERE, "golden", folder + ".json"), "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
