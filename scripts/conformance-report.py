#!/usr/bin/env python3
"""Summarises a conformance run (--json output): per category, how many of
the tests that compare output or an error tag pass."""
import json
import os
import re
import sys

def main():
    if len(sys.argv) < 2:
        print("usage: conformance-report.py RESULTS.json [--failures]", file=sys.stderr)
        return 2
    data = json.load(open(sys.argv[1]))
    tests_dir = data["tests_dir"]
    arch = data.get("arch", os.uname().machine)
    cats = {}
    failures = []
    for t in data["tests"]:
        path = t["path"]
        base = path[:-2]
        name = os.path.basename(path)
        has_r = os.path.exists(os.path.join(tests_dir, base + "." + arch + ".r")) or \
            os.path.exists(os.path.join(tests_dir, base + ".r"))
        tagged = re.match(r"(err|drp)\.D?[A-Z_]+\.", name) is not None and \
            (name.startswith("err.D_") or name.startswith("drp."))
        compares = has_r or tagged
        c = cats.setdefault(t["category"], [0, 0, 0, 0])
        c[0] += 1
        ok = t["status"] in ("PASS", "XPASS")
        if ok:
            c[1] += 1
        if compares and t["status"] != "SKIP":
            c[2] += 1
            if ok:
                c[3] += 1
            else:
                failures.append(path)
    tot = [sum(v[i] for v in cats.values()) for i in range(4)]
    print(f"{'category':24} {'tests':>5} {'pass':>5} {'cmp':>5} {'cmp-pass':>8} {'pct':>5}")
    for k in sorted(cats):
        v = cats[k]
        pct = 100.0 * v[3] / v[2] if v[2] else 100.0
        print(f"{k:24} {v[0]:5} {v[1]:5} {v[2]:5} {v[3]:8} {pct:5.1f}")
    pct = 100.0 * tot[3] / tot[2] if tot[2] else 100.0
    print(f"{'TOTAL':24} {tot[0]:5} {tot[1]:5} {tot[2]:5} {tot[3]:8} {pct:5.1f}")
    if "--failures" in sys.argv:
        for f in failures:
            print("FAIL", f)
    return 0

if __name__ == "__main__":
    sys.exit(main())
