#!/usr/bin/env bash
# Runs the conformance corpus (or the given categories) and adds every test
# that passed to the ratchet list. Never removes entries.
set -uo pipefail
DTRACE=$(realpath "${DTRACE:-build/dtrace}")
CONF=${CONF:-../shared/conformance}
out=$(mktemp)
"$CONF/run" --dtrace "$DTRACE" -j "${JOBS:-2}" --json "$out" "$@" >/dev/null 2>&1
python3 - "$out" tests/conformance/ratchet.txt <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
path = sys.argv[2]
lines = open(path).read().splitlines()
header = [l for l in lines if l.startswith('#')]
known = set(l for l in lines if l and not l.startswith('#'))
new = set(t['path'] for t in res['tests'] if t['status'] in ('PASS', 'XPASS'))
# Tests whose outcome depends on the machine, not on dtrace, stay out.
flaky = set(l.strip() for l in open('tests/conformance/flaky.txt') if l.strip() and not l.startswith('#'))
new -= flaky
added = sorted(new - known)
with open(path, 'w') as f:
    f.write('\n'.join(header) + '\n')
    for p in sorted(known | new):
        f.write(p + '\n')
print(f"ratchet: {len(added)} added, {len(known | new)} in all")
PY
rm -f "$out"
