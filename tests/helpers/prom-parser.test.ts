import { describe, expect, test } from "bun:test";
import { parsePrometheusText } from "./prom-parser.ts";

describe("the strict parser used by the tests", () => {
  test.each([
    ["a sample without TYPE", "x 1\n", /before any TYPE/],
    ["a counter without _total", "# TYPE x counter\nx 1\n", /not named _total/],
    ["a sample of another family", "# TYPE x gauge\ny 1\n", /does not belong/],
    ["a duplicate series", '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', /duplicate series/],
    ["a bad value", "# TYPE x gauge\nx one\n", /bad value/],
    ["a bad escape", '# TYPE x gauge\nx{a="\\t"} 1\n', /bad escape/],
    ["a bad name", "# TYPE x-y gauge\n", /bad metric name/],
    ["no +Inf bucket", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /no \+Inf bucket/],
    ["+Inf not _count", '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', /!= _count/],
    ["buckets not cumulative", '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n', /not cumulative/],
    ["a family split in two", "# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE x gauge\n", /declared again/],
    ["no final line feed", "# TYPE x gauge\nx 1", /line feed/],
  ])("refuses %s", (_what, text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});
