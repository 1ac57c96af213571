# -x oformat=json: every record, aggregation, error and drop as one JSON
# object a line on stdout, each parseable, with DTrace's values in them.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: no python3 to parse JSON"; exit 77; }
out=$(timeout 20 "$DTRACE" -x oformat=json -x dynvarsize=64 -n '
BEGIN { printf("hello %s %d\n", "x", 42); trace(-7); @c["a"] = count(); @q = quantize(5); }
BEGIN { x = *(int *)16; }
tick-1ms { a[timestamp] = 1; }
tick-300ms { exit(0); }' 2>/dev/null)
echo "$out"
echo "$out" | python3 -c '
import json, sys
objs = [json.loads(l) for l in sys.stdin if l.strip()]
kinds = [o["type"] for o in objs]
rec = next(o for o in objs if o["type"] == "record" and o["probe"] == "dtrace:::BEGIN")
assert rec["values"] == ["x", 42, -7], rec
assert rec["output"] == "hello x 42\n-7", rec
err = next(o for o in objs if o["type"] == "error")
assert err["fault_type"] == 1 and err["fault"] == "invalid address (0x10)", err
aggs = {o["name"]: o for o in objs if o["type"] == "aggregation"}
assert aggs["@c"]["entries"] == [{"keys": ["a"], "value": 1}], aggs
assert aggs["@q"]["entries"][0]["buckets"] == [{"min": 4, "count": 1}], aggs
drop = next(o for o in objs if o["type"] == "drop")
assert drop["kind"] == "dynamic" and drop["option"] == "dynvarsize" and drop["count"] > 0, drop
' || fail "JSON output"
exit 0
