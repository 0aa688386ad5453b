import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { underCi } from "../../scripts/lib/soak-run.ts";
import { INTERVALS, intervalMs } from "../../src/time/intervals.ts";
import { ROOT } from "../helpers/binary.ts";
import { checkExpr } from "./metric-names.ts";

// deploy/prometheus: the rules use only the recorder's metrics, map every Binance interval,
// and each alert has a promtool unit test. promtool (Debian's prometheus package; .ci/run
// installs it) checks the rules and the example config and runs resilience-rules.test.yml.
// Without promtool those tests fail under CI=true and are skipped, loudly, elsewhere.

const DIR = join(ROOT, "deploy/prometheus");
const RULES = join(DIR, "resilience-rules.yml");
const RULE_TESTS = join(DIR, "resilience-rules.test.yml");
const CONFIG = join(DIR, "prometheus.yml");

interface Rule { record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const rules = (parse(readFileSync(RULES, "utf8")) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);
const records = rules.filter((r) => r.record);

/** Recording rules' names and the labels their series carry. */
const RECORDED: Record<string, string[]> = { "resilience:interval_seconds": ["interval"], "resilience:last_message_age_seconds": [] };

describe("the Prometheus rules", () => {
  test("use only the recorder's metrics and labels, up, and their own recording rules", () => {
    expect([...new Set(records.map((r) => r.record!))].sort()).toEqual(Object.keys(RECORDED).sort());
    expect(rules.flatMap((r) => checkExpr(r.expr, RECORDED).map((p) => `${r.alert ?? r.record}: ${p}`))).toEqual([]);
  });

  test("cover the alerts issue #14 asks for, each with a severity, a summary and a description", () => {
    const names = alerts.map((a) => a.alert!);
    for (const name of ["ResilienceDown", "ResilienceStreamStale", "ResilienceNoCandles", "ResilienceReplicationLagging", "ResilienceReconnectStorm"]) expect(names).toContain(name);
    expect(new Set(names).size).toBe(names.length);
    for (const a of alerts) {
      expect(["critical", "warning"], a.alert).toContain(a.labels?.severity ?? "");
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
    }
    const byName = (name: string) => alerts.find((a) => a.alert === name)!;
    expect(byName("ResilienceDown").expr.trim()).toBe('up{job="resilience"} == 0');
    expect(byName("ResilienceDown").for).toBe("2m");
    expect(byName("ResilienceStreamStale").expr.trim()).toBe("resilience:last_message_age_seconds > 60");
    expect(byName("ResilienceReplicationLagging").expr.trim()).toBe("resilience_replication_lag_seconds > 300");
  });

  test("map every Binance interval the recorder knows to its length in seconds (1M: 31 days)", () => {
    const mapped = Object.fromEntries(
      records.filter((r) => r.record === "resilience:interval_seconds").map((r) => [r.labels!.interval!, Number(/^vector\((\d+)\)$/.exec(r.expr)![1])]),
    );
    const expected = Object.fromEntries(INTERVALS.map((i) => [i, i === "1M" ? 31 * 86_400 : intervalMs(i) / 1000]));
    expect(mapped).toEqual(expected);
  });

  test("the example scrape job is the one the rules name, and it loads the rules", () => {
    const config = parse(readFileSync(CONFIG, "utf8")) as { rule_files: string[]; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    expect(config.rule_files).toEqual(["resilience-rules.yml"]);
    const job = config.scrape_configs.find((c) => c.job_name === "resilience");
    expect(job?.static_configs[0]?.targets).toEqual(["127.0.0.1:9464"]);
  });

  test("every alert has a promtool unit test that expects it to fire", () => {
    const file = parse(readFileSync(RULE_TESTS, "utf8")) as { rule_files: string[]; tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
    expect(file.rule_files).toEqual(["resilience-rules.yml"]);
    const fired = new Set(file.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect(alerts.map((a) => a.alert!).filter((name) => !fired.has(name))).toEqual([]);
  });
});

const CI = underCi();
const promtool = Bun.which("promtool");
if (!promtool && !CI) console.warn("SKIPPED: promtool checks of deploy/prometheus need promtool (apt-get install prometheus); under CI=true they fail");

function runPromtool(...args: string[]): { code: number; output: string } {
  const run = Bun.spawnSync([promtool!, ...args], { cwd: DIR, stdout: "pipe", stderr: "pipe" });
  return { code: run.exitCode, output: run.stdout.toString() + run.stderr.toString() };
}

describe("promtool", () => {
  test.skipIf(!promtool && !CI)("check rules: the rules file is valid", () => {
    expect(promtool, "promtool is not installed (apt-get install prometheus)").toBeTruthy();
    const { code, output } = runPromtool("check", "rules", RULES);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(code, output).toBe(0);
  });

  test.skipIf(!promtool && !CI)("check config: the example prometheus.yml and the rules it loads are valid", () => {
    expect(promtool, "promtool is not installed (apt-get install prometheus)").toBeTruthy();
    const { code, output } = runPromtool("check", "config", CONFIG);
    expect(output).toContain("1 rule files found");
    expect(code, output).toBe(0);
  });

  test.skipIf(!promtool && !CI)("test rules: input series give the expected alerts (resilience-rules.test.yml)", () => {
    expect(promtool, "promtool is not installed (apt-get install prometheus)").toBeTruthy();
    const { code, output } = runPromtool("test", "rules", RULE_TESTS);
    expect(output).toContain("SUCCESS");
    expect(code, output).toBe(0);
  });
});
