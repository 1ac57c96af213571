// -x metrics and the JSON lines' envelope: the Prometheus text format
// (names, label escaping, histogram cumulation), aggregations as metric
// families, the HTTP answers, ADDR:PORT, timestamps and JSON messages.
#include "output/json.h"
#include "output/prometheus.h"
#include "runtime/metrics.h"
#include "runtime/metrics_server.h"
#include "util/listen_address.h"

#include <gtest/gtest.h>

namespace prom = dtrace::output::prometheus;
using dtrace::output::DecodedValue;
using dtrace::program::AggFunc;
using dtrace::program::AggregationDesc;
using dtrace::program::ValueDesc;
using dtrace::runtime::AggregationEntry;
using dtrace::runtime::AggregationSnapshot;

namespace {

DecodedValue stringKey(std::string s) {
    DecodedValue v;
    v.desc.kind = ValueDesc::Kind::String;
    v.text = std::move(s);
    return v;
}

DecodedValue intKey(int64_t n) {
    DecodedValue v;
    v.desc.kind = ValueDesc::Kind::Integer;
    v.desc.isSigned = true;
    v.bits = static_cast<uint64_t>(n);
    return v;
}

} // namespace

TEST(Prometheus, MetricNames) {
    EXPECT_EQ(prom::metricName("dtrace_calls"), "dtrace_calls");
    EXPECT_EQ(prom::metricName("a-b.c d"), "a_b_c_d");
    EXPECT_EQ(prom::metricName("9lives"), "_9lives");
    EXPECT_EQ(prom::metricName("ns:sub_1"), "ns:sub_1");
    EXPECT_EQ(prom::metricName(""), "_");
}

TEST(Prometheus, LabelValuesEscaped) {
    EXPECT_EQ(prom::escapeLabelValue("plain"), "plain");
    EXPECT_EQ(prom::escapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    EXPECT_EQ(prom::escapeHelp("x\\y\nz\"q"), "x\\\\y\\nz\"q");
}

TEST(Prometheus, Values) {
    EXPECT_EQ(prom::formatValue(42), "42");
    EXPECT_EQ(prom::formatValue(-7), "-7");
    EXPECT_EQ(prom::formatValue(1e18), "1000000000000000000");
    EXPECT_EQ(prom::formatValue(0.5), "0.5");
    EXPECT_EQ(prom::formatValue(1.0 / 0.0), "+Inf");
}

TEST(Prometheus, CounterAndGauge) {
    prom::Family c{"dtrace_calls_total", "help", prom::MetricType::Counter, {"key0", "key1"}, {}};
    c.series.push_back({{"sh", "read"}, 3, {}, 0});
    prom::Family g{"dtrace_bytes", "h", prom::MetricType::Gauge, {}, {}};
    g.series.push_back({{}, -5, {}, 0});
    std::vector<prom::Family> fs{c, g};
    EXPECT_EQ(prom::format(fs), "# HELP dtrace_calls_total help\n"
                                "# TYPE dtrace_calls_total counter\n"
                                "dtrace_calls_total{key0=\"sh\",key1=\"read\"} 3\n"
                                "# HELP dtrace_bytes h\n"
                                "# TYPE dtrace_bytes gauge\n"
                                "dtrace_bytes -5\n");
}

TEST(Prometheus, HistogramCumulative) {
    prom::Family h{"dtrace_lat", "h", prom::MetricType::Histogram, {"key0"}, {}};
    prom::Series s;
    s.labelValues = {"a\"b"};
    s.buckets = {{-1, 1}, {0, 0}, {3, 2}, {7, 4}, {std::nullopt, 5}};
    s.sum = 40;
    h.series.push_back(s);
    std::vector<prom::Family> fs{h};
    EXPECT_EQ(prom::format(fs), "# HELP dtrace_lat h\n"
                                "# TYPE dtrace_lat histogram\n"
                                "dtrace_lat_bucket{key0=\"a\\\"b\",le=\"-1\"} 1\n"
                                "dtrace_lat_bucket{key0=\"a\\\"b\",le=\"0\"} 1\n"
                                "dtrace_lat_bucket{key0=\"a\\\"b\",le=\"3\"} 3\n"
                                "dtrace_lat_bucket{key0=\"a\\\"b\",le=\"7\"} 7\n"
                                "dtrace_lat_bucket{key0=\"a\\\"b\",le=\"+Inf\"} 12\n"
                                "dtrace_lat_sum{key0=\"a\\\"b\"} 40\n"
                                "dtrace_lat_count{key0=\"a\\\"b\"} 12\n");
}

TEST(Metrics, CountIsCounterWithKeys) {
    AggregationDesc d;
    d.name = "@calls";
    d.func = AggFunc::Count;
    d.keys.resize(2);
    AggregationSnapshot snap;
    snap.desc = &d;
    AggregationEntry e;
    e.keys = {stringKey("bash"), intKey(-3)};
    e.data = {7};
    snap.entries.push_back(e);
    prom::Family f = dtrace::runtime::aggregationFamily(snap, nullptr);
    EXPECT_EQ(f.name, "dtrace_calls_total");
    EXPECT_EQ(f.type, prom::MetricType::Counter);
    ASSERT_EQ(f.labelNames, (std::vector<std::string>{"key0", "key1"}));
    ASSERT_EQ(f.series.size(), 1u);
    EXPECT_EQ(f.series[0].labelValues, (std::vector<std::string>{"bash", "-3"}));
    EXPECT_EQ(f.series[0].value, 7);
}

TEST(Metrics, AnonymousSumIsGauge) {
    AggregationDesc d;
    d.name = "@";
    d.func = AggFunc::Sum;
    AggregationSnapshot snap;
    snap.desc = &d;
    AggregationEntry e;
    e.data = {-12};
    snap.entries.push_back(e);
    prom::Family f = dtrace::runtime::aggregationFamily(snap, nullptr);
    EXPECT_EQ(f.name, "dtrace_agg");
    EXPECT_EQ(f.type, prom::MetricType::Gauge);
    EXPECT_EQ(f.series.at(0).value, -12);
}

TEST(Metrics, QuantizeBucketsAreUpperBounds) {
    AggregationDesc d;
    d.name = "@q";
    d.func = AggFunc::Quantize;
    d.valueSize = 8 * (dtrace::program::kQuantizeBuckets + 1);
    AggregationSnapshot snap;
    snap.desc = &d;
    AggregationEntry e;
    e.data.assign(dtrace::program::kQuantizeBuckets, 0);
    const size_t zero = dtrace::program::kQuantizeZeroBucket;
    e.data[zero + 1] = 2; // value 1
    e.data[zero + 3] = 3; // values 4 to 7
    snap.entries.push_back(e);
    prom::Family f = dtrace::runtime::aggregationFamily(snap, nullptr);
    EXPECT_EQ(f.type, prom::MetricType::Histogram);
    const auto &b = f.series.at(0).buckets;
    ASSERT_EQ(b.size(), 3u); // from the lowest used to the highest
    EXPECT_EQ(b[0].le, 1);
    EXPECT_EQ(b[1].le, 3);
    EXPECT_EQ(b[2].le, 7);
    EXPECT_EQ(b[2].count, 3);
    EXPECT_EQ(f.series[0].sum, 2 * 1 + 3 * 4); // the buckets' values times counts
    std::vector<prom::Family> fs{f};
    std::string text = prom::format(fs);
    EXPECT_NE(text.find("dtrace_q_bucket{le=\"7\"} 5\n"), std::string::npos) << text;
    EXPECT_NE(text.find("dtrace_q_bucket{le=\"+Inf\"} 5\n"), std::string::npos) << text;
    EXPECT_NE(text.find("dtrace_q_count 5\n"), std::string::npos) << text;
}

TEST(Metrics, LquantizeOverflowOnlyInInf) {
    AggregationDesc d;
    d.name = "@l";
    d.func = AggFunc::Lquantize;
    d.params = {0, 10, 5}; // below 0, [0,4], [5,9], 10 and above
    d.valueSize = 8 * 5;
    AggregationSnapshot snap;
    snap.desc = &d;
    AggregationEntry e;
    e.data = {1, 2, 0, 4};
    snap.entries.push_back(e);
    prom::Family f = dtrace::runtime::aggregationFamily(snap, nullptr);
    const auto &b = f.series.at(0).buckets;
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(b[0].le, -1);
    EXPECT_EQ(b[1].le, 4);
    EXPECT_EQ(b[2].le, 9);
    EXPECT_FALSE(b[3].le.has_value());
    std::vector<prom::Family> fs{f};
    std::string text = prom::format(fs);
    EXPECT_NE(text.find("dtrace_l_bucket{le=\"9\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("dtrace_l_bucket{le=\"+Inf\"} 7\n"), std::string::npos) << text;
}

TEST(Metrics, NamesTakenGetTheId) {
    AggregationDesc d;
    d.name = "@drops"; // dtrace_drops_total is dtrace's own
    d.id = 3;
    d.func = AggFunc::Count;
    AggregationSnapshot snap;
    snap.desc = &d;
    std::vector<AggregationSnapshot> snaps{snap};
    std::string text = dtrace::runtime::metricsText(snaps, {}, nullptr);
    EXPECT_NE(text.find("# TYPE dtrace_drops_total_3 counter\n"), std::string::npos) << text;
    EXPECT_NE(text.find("# TYPE dtrace_errors_total counter\n"), std::string::npos) << text;
}

TEST(MetricsServer, HttpAnswers) {
    auto body = [] { return std::string("x 1\n"); };
    EXPECT_FALSE(dtrace::runtime::httpResponse("GET /metrics HTTP/1.1\r\nHost: a\r\n", body));
    auto ok = dtrace::runtime::httpResponse("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", body);
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->starts_with("HTTP/1.1 200 OK\r\n")) << *ok;
    EXPECT_NE(ok->find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
              std::string::npos);
    EXPECT_TRUE(ok->ends_with("\r\n\r\nx 1\n"));
    auto missing = dtrace::runtime::httpResponse("GET / HTTP/1.0\n\n", body);
    ASSERT_TRUE(missing);
    EXPECT_TRUE(missing->starts_with("HTTP/1.1 404 "));
    auto post = dtrace::runtime::httpResponse("POST /metrics HTTP/1.1\r\n\r\n", body);
    EXPECT_TRUE(post && post->starts_with("HTTP/1.1 405 "));
    auto bad = dtrace::runtime::httpResponse("garbage\r\n\r\n", body);
    EXPECT_TRUE(bad && bad->starts_with("HTTP/1.1 400 "));
}

TEST(MetricsServer, ListenAddresses) {
    std::string why;
    auto a = dtrace::parseListenAddress("127.0.0.1:9464");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 9464);
    auto v6 = dtrace::parseListenAddress("[::1]:0");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->ipv6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_FALSE(dtrace::parseListenAddress("9464", &why));
    EXPECT_NE(why.find("ADDR:PORT"), std::string::npos);
    EXPECT_FALSE(dtrace::parseListenAddress("localhost:9464", &why));
    EXPECT_FALSE(dtrace::parseListenAddress("127.0.0.1:65536", &why));
    EXPECT_FALSE(dtrace::parseListenAddress("127.0.0.1:x", &why));
    EXPECT_FALSE(dtrace::parseListenAddress("::1:80", &why)); // IPv6 needs brackets
}

TEST(JsonEnvelope, TimestampAndSchema) {
    EXPECT_EQ(dtrace::output::rfc3339(0), "1970-01-01T00:00:00.000000000Z");
    EXPECT_EQ(dtrace::output::rfc3339(1700000000123456789), "2023-11-14T22:13:20.123456789Z");
    EXPECT_EQ(dtrace::output::jsonHead("drop", 0),
              "{\"schema\":1,\"timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"type\":\"drop\"");
}

TEST(JsonEnvelope, Messages) {
    dtrace::MessageDetail d{"D_SYNTAX", "x.d", "syntax error", 3};
    std::string m = dtrace::output::jsonMessage(dtrace::Severity::Error, "failed\n", &d);
    EXPECT_NE(m.find("\"type\":\"message\",\"severity\":\"error\",\"message\":\"failed\","
                     "\"tag\":\"D_SYNTAX\",\"source\":\"x.d\",\"line\":3,"
                     "\"summary\":\"syntax error\"}"),
              std::string::npos)
        << m;
    std::string w = dtrace::output::jsonMessage(dtrace::Severity::Warning, "w", nullptr);
    EXPECT_NE(w.find("\"severity\":\"warning\",\"message\":\"w\"}"), std::string::npos) << w;
}
