#!/usr/bin/env python3
"""Converts the reference's golden entity snapshots (graph-azure
converters.test.ts.snap, Jest pretty-format) of the platform services into
JSON: tests/steps_rm_platform/golden/<folder>.json = {"<export name>":
<entity>}.  Jest's `undefined` values are dropped (absent in JSON), Date
values (unquoted ISO-8601) become strings.  Rerun:
  python3 tests/steps_rm_platform/golden_from_snapshots.py
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SNAPS = os.path.join(ROOT, "tests/fixtures/graph-azure-snapshots/steps/resource-manager")
FOLDERS = ("dns", "private-dns", "container-registry", "container-instance", "service-bus",
           "redis-cache")


def to_json(body):
    lines = []
    for line in body.splitlines():
        if re.match(r'^\s*"[^"]*": undefined,$', line):
            continue
        line = re.sub(r"^(\s*)Object \{", r"\1{", line)
        line = re.sub(r"^(\s*)Array \[", r"\1[", line)
        line = re.sub(r'(": )Object \{', r"\1{", line)
        line = re.sub(r'(": )Array \[', r"\1[", line)
        line = re.sub(r'(": |^\s*)(\d{4}-\d\d-\d\dT[\d:.]+Z)(,?)$', r'\1"\2"\3', line)
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    return json.loads(text)


def main():
    out_dir = os.path.join(HERE, "golden")
    os.makedirs(out_dir, exist_ok=True)
    for folder in FOLDERS:
        src = open(os.path.join(SNAPS, folder, "__snapshots__", "converters.test.ts.snap")).read()
        out = {}
        for name, body in re.findall(r"exports\[`(.*?)`\] = `\n(.*?)\n`;", src, re.S):
            out[name.strip() or "linked server relationship properties"] = to_json(body)
        with open(os.path.join(out_dir, folder + ".json"), "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
