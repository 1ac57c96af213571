# -x metrics=ADDR:PORT: dtrace serves its live aggregations at /metrics in
# Prometheus's text format while tracing goes on (docs/metrics.md): the
# values, the histograms' cumulative buckets, label escaping; promtool
# accepts what is served, and a real Prometheus scrapes it.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
tmp=$(mktemp -d)
dpid='' ppid=''
cleanup() {
    [ -n "$ppid" ] && kill "$ppid" 2>/dev/null && wait "$ppid" 2>/dev/null
    [ -n "$dpid" ] && kill -INT "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

get() { # URL -> body on stdout; HTTP status in $tmp/status
    python3 - "$1" "$tmp/status" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        open(sys.argv[2], "w").write("%d %s" % (r.status, r.headers["Content-Type"]))
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    open(sys.argv[2], "w").write("%d" % e.code)
PY
}

# Bad values: clear errors before anything runs.
"$DTRACE" -x metrics=9464 -n BEGIN 2>"$tmp/err" && fail "metrics without ADDR"
grep -q 'failed to set -x metrics: expected ADDR:PORT' "$tmp/err" || { cat "$tmp/err"; fail "message"; }
"$DTRACE" -x metrics=localhost:9464 -n BEGIN 2>"$tmp/err" && fail "metrics with a host name"
grep -q 'failed to set -x metrics: .*not an IPv4 address' "$tmp/err" || { cat "$tmp/err"; fail "host"; }
"$DTRACE" -n '#pragma D option metrics=127.0.0.1:0
BEGIN { exit(0); }' 2>"$tmp/err" && fail "metrics from a #pragma"
grep -q 'Option cannot be used from within a D program' "$tmp/err" || { cat "$tmp/err"; fail "pragma"; }

cat >"$tmp/w.d" <<'D'
BEGIN
{
    @calls["read", 1] = count(); @calls["read", 1] = count(); @calls["write", 2] = count();
    @bytes["sda"] = sum(100); @bytes["sda"] = sum(23);
    @lat["x"] = avg(10); @lat["x"] = avg(20);
    @q["k\"ey"] = quantize(1); @q["k\"ey"] = quantize(5); @q["k\"ey"] = quantize(6);
    @q["k\"ey"] = quantize(100);
    @l[3] = lquantize(4, 0, 10, 2); @l[3] = lquantize(12, 0, 10, 2); @l[3] = lquantize(-1, 0, 10, 2);
}
tick-100ms { @ = count(); }
tick-60s { exit(0); }
D
"$DTRACE" -q -x metrics=127.0.0.1:0 -s "$tmp/w.d" >"$tmp/out" 2>"$tmp/err" &
dpid=$!
port=''
for _ in $(seq 100); do
    port=$(sed -n 's|^dtrace: serving metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$tmp/err")
    [ -n "$port" ] && break
    kill -0 "$dpid" 2>/dev/null || { cat "$tmp/err"; fail "dtrace ended"; }
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/err"; fail "no port reported"; }
sleep 0.5
get "http://127.0.0.1:$port/metrics" >"$tmp/m1"
[ "$(cat "$tmp/status")" = "200 text/plain; version=0.0.4; charset=utf-8" ] ||
    fail "status and type: $(cat "$tmp/status")"
cat "$tmp/m1"
python3 - "$tmp/m1" <<'PY' || fail "metric values"
import sys
text = open(sys.argv[1]).read()
lines = set(text.splitlines())
want = r'''# TYPE dtrace_calls_total counter
dtrace_calls_total{key0="read",key1="1"} 2
dtrace_calls_total{key0="write",key1="2"} 1
# TYPE dtrace_bytes gauge
dtrace_bytes{key0="sda"} 123
# TYPE dtrace_lat gauge
dtrace_lat{key0="x"} 15
# TYPE dtrace_q histogram
dtrace_q_bucket{key0="k\"ey",le="1"} 1
dtrace_q_bucket{key0="k\"ey",le="3"} 1
dtrace_q_bucket{key0="k\"ey",le="7"} 3
dtrace_q_bucket{key0="k\"ey",le="63"} 3
dtrace_q_bucket{key0="k\"ey",le="127"} 4
dtrace_q_bucket{key0="k\"ey",le="+Inf"} 4
dtrace_q_count{key0="k\"ey"} 4
dtrace_q_sum{key0="k\"ey"} 73
# TYPE dtrace_l histogram
dtrace_l_bucket{key0="3",le="-1"} 1
dtrace_l_bucket{key0="3",le="3"} 1
dtrace_l_bucket{key0="3",le="5"} 2
dtrace_l_bucket{key0="3",le="9"} 2
dtrace_l_bucket{key0="3",le="+Inf"} 3
dtrace_l_count{key0="3"} 3
# TYPE dtrace_agg_total counter
# TYPE dtrace_drops_total counter
dtrace_drops_total{kind="principal"} 0
# TYPE dtrace_errors_total counter
dtrace_errors_total 0'''.splitlines()
missing = [w for w in want if w not in lines]
assert not missing, missing
assert 'dtrace_q_bucket{key0="k\\"ey",le="255"}' not in text  # past the highest bucket used
PY
# The live counter grows between scrapes: the aggregations are read now.
ticks() { sed -n 's/^dtrace_agg_total \([0-9]*\)$/\1/p' "$1"; }
sleep 0.5
get "http://127.0.0.1:$port/metrics" >"$tmp/m2"
[ "$(ticks "$tmp/m2")" -gt "$(ticks "$tmp/m1")" ] || fail "@ did not grow"
get "http://127.0.0.1:$port/" >/dev/null
[ "$(cat "$tmp/status")" = 404 ] || fail "/ is not 404: $(cat "$tmp/status")"

# The address in use: an error before tracing starts.
"$DTRACE" -x metrics=127.0.0.1:"$port" -n 'BEGIN { trace("began"); }' >"$tmp/out2" 2>"$tmp/err2" &&
    fail "a second server on the same port"
grep -q "cannot serve metrics on 127.0.0.1:$port: Address already in use" "$tmp/err2" ||
    { cat "$tmp/err2"; fail "address in use message"; }
grep -q began "$tmp/out2" && fail "traced with the address in use"

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
    echo "SKIP: promtool and prometheus are not installed (Debian's package prometheus)"
    exit 77
fi
promtool check metrics <"$tmp/m2" || fail "promtool check metrics"

# A real Prometheus scraping dtrace every second, on ports of its own.
pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: dtrace
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF2
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$pport" >"$tmp/prometheus.log" 2>&1 &
ppid=$!
query() { # PromQL -> the first result's value, or nothing
    python3 - "http://127.0.0.1:$pport/api/v1/query" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
try:
    url = sys.argv[1] + "?" + urllib.parse.urlencode({"query": sys.argv[2]})
    r = json.load(urllib.request.urlopen(url, timeout=5))
    print(r["data"]["result"][0]["value"][1])
except Exception:
    pass
PY
}
value=''
for _ in $(seq 60); do
    value=$(query 'dtrace_calls_total{key0="read",key1="1"}')
    [ -n "$value" ] && break
    kill -0 "$ppid" 2>/dev/null || { cat "$tmp/prometheus.log"; fail "prometheus ended"; }
    sleep 0.5
done
[ "$value" = 2 ] || { tail -20 "$tmp/prometheus.log"; fail "Prometheus has dtrace_calls_total = '$value'"; }
[ "$(query 'up{job="dtrace"}')" = 1 ] || fail "the target is not up"
[ "$(query 'dtrace_q_count{key0="k\"ey"}')" = 4 ] || fail "histogram count in Prometheus"
[ "$(query 'histogram_quantile(1, dtrace_l_bucket)')" != "" ] || fail "histogram_quantile"
kill "$ppid"
wait "$ppid" 2>/dev/null
ppid=''

# Tracing went on as usual: the aggregations print at the end.
kill -INT "$dpid"
wait "$dpid" || fail "dtrace's exit status"
dpid=''
grep -q 'write  *2  *1' "$tmp/out" || { cat "$tmp/out"; fail "the aggregations at the end"; }
exit 0
