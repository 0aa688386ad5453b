import { describe, expect, test } from "bun:test";
import { escapeLabelValue, formatValue, renderExposition, type MetricFamily } from "../../src/metrics/exposition.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prom-parser.ts";

describe("renderExposition", () => {
  test("HELP and TYPE per family, then one line per series, labels in the order given", () => {
    const text = renderExposition([
      { name: "a_total", help: "Things counted.", type: "counter", samples: [{ labels: { symbol: "BTCUSDT", interval: "1s" }, value: 3 }, { labels: { symbol: "ETHUSDT", interval: "1s" }, value: 0 }] },
      { name: "b", help: "A level.", type: "gauge", samples: [{ value: 1.5 }] },
    ]);
    expect(text).toBe(
      [
        "# HELP a_total Things counted.",
        "# TYPE a_total counter",
        'a_total{symbol="BTCUSDT",interval="1s"} 3',
        'a_total{symbol="ETHUSDT",interval="1s"} 0',
        "# HELP b A level.",
        "# TYPE b gauge",
        "b 1.5",
        "",
      ].join("\n"),
    );
  });

  test.each([
    ["plain", "plain"],
    ['say "hi"', 'say \\"hi\\"'],
    ["C:\\dir", "C:\\\\dir"],
    ["two\nlines", "two\\nlines"],
    ['\\"\n', '\\\\\\"\\n'],
  ])("label value %j is escaped as %s", (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
    const text = renderExposition([{ name: "x", help: "h", type: "gauge", samples: [{ labels: { v: raw }, value: 1 }] }]);
    expect(text).toContain(`x{v="${escaped}"} 1\n`);
    expect(parsePrometheusText(text).get("x")!.samples[0]!.labels.v).toBe(raw);
  });

  test("HELP escapes backslash and line feed only", () => {
    const text = renderExposition([{ name: "x", help: 'a\\b\nc "q"', type: "gauge", samples: [{ value: 1 }] }]);
    expect(text).toStartWith('# HELP x a\\\\b\\nc "q"\n');
    expect(parsePrometheusText(text).get("x")!.help).toBe('a\\b\nc "q"');
  });

  test.each([
    [0, "0"],
    [42, "42"],
    [0.25, "0.25"],
    [1e-7, "1e-7"],
    [1.7e21, "1.7e+21"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
  ])("value %p is written %s", (value, text) => {
    expect(formatValue(value)).toBe(text);
  });

  test("a histogram's buckets are cumulative, end with +Inf equal to _count, then _sum and _count", () => {
    const family: MetricFamily = { name: "w_seconds", help: "h", type: "histogram", samples: [{ bounds: [0.001, 0.01, 0.1], counts: [2, 0, 3, 1], sum: 0.9 }] };
    const text = renderExposition([family]);
    expect(text.split("\n").slice(2)).toEqual([
      'w_seconds_bucket{le="0.001"} 2',
      'w_seconds_bucket{le="0.01"} 2',
      'w_seconds_bucket{le="0.1"} 5',
      'w_seconds_bucket{le="+Inf"} 6',
      "w_seconds_sum 0.9",
      "w_seconds_count 6",
      "",
    ]);
    const parsed = parsePrometheusText(text);
    expect(sampleValue(parsed, "w_seconds_count")).toBe(6);
  });

  test("a labelled histogram puts le after its labels", () => {
    const text = renderExposition([{ name: "h", help: "h", type: "histogram", samples: [{ labels: { kind: "a" }, bounds: [1], counts: [1, 0], sum: 0.5 }] }]);
    expect(text).toContain('h_bucket{kind="a",le="1"} 1\nh_bucket{kind="a",le="+Inf"} 1\nh_sum{kind="a"} 0.5\nh_count{kind="a"} 1\n');
    parsePrometheusText(text);
  });

  test("a family without samples is left out", () => {
    expect(renderExposition([{ name: "x_total", help: "h", type: "counter", samples: [] }])).toBe("");
  });

  test.each([
    ["a counter not ending in _total", { name: "candles", help: "h", type: "counter", samples: [{ value: 1 }] }, /must end in _total/],
    ["a bad metric name", { name: "1x", help: "h", type: "gauge", samples: [{ value: 1 }] }, /not a metric name/],
    ["a bad label name", { name: "x", help: "h", type: "gauge", samples: [{ labels: { "a-b": "1" }, value: 1 }] }, /not a label name/],
    ["an le label outside a histogram", { name: "x", help: "h", type: "gauge", samples: [{ labels: { le: "1" }, value: 1 }] }, /not a label name/],
    ["unsorted bounds", { name: "h", help: "h", type: "histogram", samples: [{ bounds: [1, 0.5], counts: [0, 0, 0], sum: 0 }] }, /bounds must ascend/],
    ["counts that do not fit the bounds", { name: "h", help: "h", type: "histogram", samples: [{ bounds: [1], counts: [0], sum: 0 }] }, /1 counts for 1 bounds/],
  ] as [string, MetricFamily, RegExp][])("%s is a bug: it throws", (_what, family, message) => {
    expect(() => renderExposition([family])).toThrow(message);
  });
});
