# -x oformat=json: every record, aggregation, error and drop as one JSON
# object a line on stdout, each parseable, with DTrace's values in them,
# each with the schema's version and a timestamp; dtrace's own messages
# as JSON lines on stderr; -l as JSON lines (docs/json-output.md).
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: no python3 to parse JSON"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every line a JSON object: schema 1 first, an RFC 3339 UTC timestamp with
# nanoseconds, then its type.
envelope='
import json, re, sys
def lines(stream):
    objs = []
    for l in stream:
        if not l.strip(): continue
        o = json.loads(l)
        keys = list(o)
        assert keys[:3] == ["schema", "timestamp", "type"], l
        assert o["schema"] == 1, l
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", o["timestamp"]), l
        objs.append(o)
    return objs
'

out=$(timeout 20 "$DTRACE" -x oformat=json -x dynvarsize=64 -n '
BEGIN { printf("hello %s %d\n", "x", 42); trace(-7); @c["a"] = count(); @q = quantize(5); }
BEGIN { x = *(int *)16; }
tick-1ms { a[timestamp] = 1; }
tick-300ms { exit(0); }' 2>"$tmp/err")
echo "$out"
echo "$out" | python3 -c "$envelope"'
objs = lines(sys.stdin)
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
# stderr: the "matched" note, as JSON.
python3 -c "$envelope"'
objs = lines(open(sys.argv[1]))
note = next(o for o in objs if o["type"] == "message" and "matched" in o["message"])
assert note["severity"] == "info", note
' "$tmp/err" || { cat "$tmp/err"; fail "messages as JSON"; }

# A compile error: one JSON line on stderr with its tag, source and line.
printf 'BEGIN\n{\n  x = ;\n}\n' > "$tmp/bad.d"
"$DTRACE" -x oformat=json -s "$tmp/bad.d" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "compile error status"
python3 -c "$envelope"'
objs = lines(open(sys.argv[1]))
assert len(objs) == 1, objs
e = objs[0]
assert e["type"] == "message" and e["severity"] == "error", e
assert e["tag"] == "D_SYNTAX" and e["line"] == 3 and e["source"].endswith("bad.d"), e
assert e["column"] == 7 and "\n" not in e["message"], e
assert e["message"].startswith("failed to compile script ") and "line 3" in e["message"], e
assert e["summary"].startswith("syntax error"), e
' "$tmp/err" || { cat "$tmp/err"; fail "compile error as JSON"; }
[ -s "$tmp/out" ] && fail "compile error wrote to stdout"

# A bad option: an error too, before anything runs.
"$DTRACE" -x oformat=json -x metrics=nowhere -n BEGIN >/dev/null 2>"$tmp/err"
python3 -c "$envelope"'
e = lines(open(sys.argv[1]))[0]
assert e["severity"] == "error" and e["message"].startswith("failed to set -x metrics: "), e
' "$tmp/err" || { cat "$tmp/err"; fail "option error as JSON"; }

# -l: a probe a line; -v adds attributes and argument types.
"$DTRACE" -x oformat=json -l -n 'dtrace:::BEGIN' -n 'syscall::read:entry' >"$tmp/out" 2>&1 ||
    fail "-l JSON"
python3 -c "$envelope"'
objs = lines(open(sys.argv[1]))
assert [o["type"] for o in objs] == ["probe", "probe"], objs
b = objs[0]
assert (b["provider"], b["module"], b["function"], b["name"]) == ("dtrace", "", "", "BEGIN"), b
assert isinstance(b["id"], int) and "attributes" not in b, b
assert objs[1]["provider"] == "syscall" and objs[1]["function"] == "read", objs
' "$tmp/out" || { cat "$tmp/out"; fail "-l JSON lines"; }
"$DTRACE" -x oformat=json -lv -n 'syscall::read:entry' >"$tmp/out" 2>&1 || fail "-lv JSON"
python3 -c "$envelope"'
p = lines(open(sys.argv[1]))[0]
assert p["argument_types"][1:3] == ["char *", "size_t"], p
a = p["attributes"]
assert set(a) == {"probe", "arguments"}, a
assert set(a["probe"]) == {"names", "data", "class"}, a
' "$tmp/out" || { cat "$tmp/out"; fail "-lv JSON lines"; }
exit 0
