import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { startExchange } from "../../src/sim/exchange.ts";
import { waitFor } from "./process-io.ts";
import { BINARY, ensureBinary, spawnRecorder, stopProcess } from "./recorder.ts";

export interface SecurityCheck {
  name: string;
  ok: boolean;
  /** What was seen, when not ok (never the secret itself). */
  detail: string;
}

/** A Slack-shaped webhook path; no piece of it may ever reach an output. */
const TEAM = "T01SECRETX";
const BOT = "B02SECRETY";
const TOKEN = "abcdefghijklmnopqrstuvwx";
const SECRET_PIECES = [TEAM, BOT, TOKEN.slice(0, 12), TOKEN.slice(8, 20)];

/**
 * Security checks of the compiled binary:
 * - no webhook URL (nor a piece of one) in any output, state file or log, whatever Slack
 *   does (500, 404, a redirect, no answer, nothing listening), at debug log level, in
 *   `run` and `watchdog`, nor in the errors about malformed webhooks in a config;
 * - CSV locks are respected: a second recorder on the same files, `gaps --fill` on a live
 *   file and a lock from another host are refused and leave the files alone; a dead
 *   recorder's lock is taken over;
 * - tmux session names are validated before tmux runs, and matched exactly.
 */
export async function runSecurityChecks(dir: string): Promise<SecurityCheck[]> {
  ensureBinary();
  mkdirSync(dir, { recursive: true });
  const groups = await Promise.all([_webhookChecks(join(dir, "webhooks")), _lockChecks(join(dir, "locks")), _tmuxChecks(join(dir, "tmux"))]);
  return groups.flat();
}

// --- internal ---

async function _webhookChecks(dir: string): Promise<SecurityCheck[]> {
  const slack = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const mode = new URL(req.url).pathname.split("/")[2];
      if (mode === "redirect") return new Response(null, { status: 302, headers: { location: new URL(req.url).pathname.replace("/redirect/", "/500/") } });
      if (mode === "slow") await Bun.sleep(60_000);
      return new Response(mode === "404" ? "no_service" : "internal_error", { status: mode === "404" ? 404 : 500 });
    },
  });
  const closed = Bun.serve({ port: 0, fetch: () => new Response() });
  const closedPort = closed.port;
  await closed.stop(true);
  const url = (mode: string) => `http://127.0.0.1:${slack.port}/m/${mode}/services/${TEAM}/${BOT}/${TOKEN}`;
  const variants: [string, Record<string, string>, string?][] = [
    ["Slack answers 500", { RESILIENCE_SLACK_WEBHOOK: url("500") }],
    ["Slack answers 404", { RESILIENCE_SLACK_WEBHOOK: url("404") }],
    ["Slack redirects", { RESILIENCE_SLACK_WEBHOOK: url("redirect") }],
    ["Slack never answers", { RESILIENCE_SLACK_WEBHOOK: url("slow") }],
    ["nothing listens", { RESILIENCE_SLACK_WEBHOOK: `http://127.0.0.1:${closedPort}/services/${TEAM}/${BOT}/${TOKEN}` }],
    ["malformed webhooks in the config", {}, `credentials:\n  sops_hb: "htps://hooks.slack.com/services/${TEAM}/${BOT}/${TOKEN}"\n  sops_mainnet: "hooks slack ${TEAM}/${BOT}/${TOKEN}"\n`],
  ];
  try {
    const outputs = await Promise.all(variants.map(([name, env, config], i) => _runWithWebhook(join(dir, String(i)), env, config).catch((err) => `failed: ${err}`)));
    const checks = variants.map(([name], i) => _noSecret(`no webhook in the output of run when ${name}`, outputs[i]!));
    // The watchdog alerts about a recorder that died: the first run's state file, made to say so.
    const state = JSON.parse(readFileSync(join(dir, "0", "state.json"), "utf8"));
    const old = new Date(Date.now() - 120_000).toISOString();
    writeFileSync(join(dir, "0", "dead.json"), JSON.stringify({ ...state, status: "connected", updated_at: old, timestamp: old, pid: _deadPid() }));
    // Not spawnSync: the fake Slack lives in this process and must keep answering.
    const watchdog = Bun.spawn([BINARY, "watchdog", "--once", "--state", join(dir, "0", "dead.json")], { cwd: join(dir, "0"), env: { ...process.env, RESILIENCE_SLACK_WEBHOOK: url("500"), RESILIENCE_LOG_LEVEL: "5", NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    const said = (await Promise.all([new Response(watchdog.stdout).text(), new Response(watchdog.stderr).text()])).join("\n");
    await watchdog.exited;
    checks.push(_noSecret("no webhook in the output of watchdog --once when Slack answers 500", said));
    return checks;
  } finally {
    await slack.stop(true);
  }
}

/** `run --simulate` with a drop and a stall (alerts to send), debug logs, then SIGTERM: all it printed and wrote. */
async function _runWithWebhook(dir: string, env: Record<string, string>, config?: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  if (config) writeFileSync(join(dir, "resilience.yml"), config);
  const proc = Bun.spawn([BINARY, "run", "--simulate", "--interval", "1s", "--stale-after", "2s", "--faults", "drop@1s,stall:3s@2s", "--out", "csv", "--state", "state.json", "--no-dashboard"], {
    cwd: dir, env: { ...process.env, ...env, RESILIENCE_LOG_LEVEL: "5", NO_COLOR: "1" }, stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  await Bun.sleep(6000);
  const code = await stopProcess(proc);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const files = ["state.json", ...readdirSync(join(dir, "csv")).map((f) => join("csv", f))].filter((f) => existsSync(join(dir, f))).map((f) => readFileSync(join(dir, f), "utf8"));
  return `exit ${code}\n${out}\n${err}\n${files.join("\n")}`;
}

/** No piece of the webhook in `text`, which must show that the alerter did speak of its webhook. */
function _noSecret(name: string, text: string): SecurityCheck {
  const leaked = SECRET_PIECES.filter((p) => text.includes(p));
  if (text.startsWith("failed:")) return { name, ok: false, detail: text.slice(0, 200) };
  if (!/Slack \w+ webhook/.test(text)) return { name, ok: false, detail: "the output never mentions the webhook: the check proved nothing" };
  return { name, ok: leaked.length === 0, detail: leaked.length ? `${leaked.length} piece(s) of the webhook path appear in the output` : "" };
}

async function _lockChecks(dir: string): Promise<SecurityCheck[]> {
  const exchange = await startExchange({ symbols: ["BTCUSDT"], seed: 4, log: () => {} });
  const out = join(dir, "csv");
  const csv = join(out, "candles_BTCUSDT_1s.csv");
  mkdirSync(dir, { recursive: true });
  const first = spawnRecorder({ symbols: ["BTCUSDT"], interval: "1s", wsUrl: exchange.wsUrl, restUrl: exchange.url, out, state: join(dir, "state.json"), logPath: join(dir, "first.log") });
  const checks: SecurityCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail: ok ? "" : detail });
  try {
    await waitFor(() => existsSync(csv) && readFileSync(csv, "utf8").split("\n").length > 3, "the first recorder's rows", 20_000);
    const run = (args: string[], cwd = dir) => Bun.spawnSync([BINARY, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    const before = readFileSync(csv, "utf8");
    const second = run(["run", "--symbol", "BTCUSDT", "--interval", "1s", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--out", out, "--state", join(dir, "second.json"), "--no-dashboard"]);
    const message = second.stderr.toString().trim();
    check("a second recorder on the same CSV is refused (exit 2, one line naming the holder)", second.exitCode === 2 && !message.includes("\n") && message.includes(`pid ${first.pid}`), `exit ${second.exitCode}: ${message.slice(0, 200)}`);
    const fill = run(["gaps", "--fill", "--rest-url", exchange.url, csv]);
    check("gaps --fill on a file a live recorder holds is refused", fill.exitCode === 2, `exit ${fill.exitCode}: ${fill.stderr.toString().slice(0, 200)}`);
    const after = readFileSync(csv, "utf8");
    check("the refused commands left the live CSV alone", after.startsWith(before) && !existsSync(`${csv}.bak`), "the CSV changed other than by appends, or a .bak appeared");
  } finally {
    await stopProcess(first);
  }
  // A fresh lock from another host: its pid cannot be checked, so it counts as live while its lease (mtime) is younger than 60 s.
  writeFileSync(`${csv}.lock`, JSON.stringify({ pid: 1, hostname: `not-${hostname()}` }));
  const foreign = Bun.spawnSync([BINARY, "run", "--symbol", "BTCUSDT", "--interval", "1s", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--out", out, "--state", join(dir, "third.json"), "--no-dashboard"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  check("a lock held on another host is respected", foreign.exitCode === 2 && foreign.stderr.toString().includes(`not-${hostname()}`), `exit ${foreign.exitCode}: ${foreign.stderr.toString().slice(0, 200)}`);
  // A lock whose pid is dead on this host is stale: taken over with a warning.
  writeFileSync(`${csv}.lock`, JSON.stringify({ pid: _deadPid(), hostname: hostname() }));
  const heir = spawnRecorder({ symbols: ["BTCUSDT"], interval: "1s", wsUrl: exchange.wsUrl, restUrl: exchange.url, out, state: join(dir, "heir.json"), logPath: join(dir, "heir.log") });
  try {
    await waitFor(() => readFileSync(join(dir, "heir.log"), "utf8").includes("took over the lock"), "the stale lock to be taken over", 15_000).catch(() => {});
    check("a dead recorder's lock is taken over", readFileSync(join(dir, "heir.log"), "utf8").includes("took over the lock") && heir.exitCode === null, readFileSync(join(dir, "heir.log"), "utf8").slice(0, 200));
  } finally {
    await stopProcess(heir);
    await exchange.stop();
  }
  return checks;
}

async function _tmuxChecks(dir: string): Promise<SecurityCheck[]> {
  if (!Bun.which("tmux")) return [{ name: "tmux session names", ok: true, detail: "skipped: tmux is not installed" }];
  mkdirSync(dir, { recursive: true });
  const socket = `resilience-sec-${process.pid}`;
  const env = { ...process.env, RESILIENCE_TMUX_SOCKET: socket, NO_COLOR: "1" };
  const tmux = (...args: string[]) => Bun.spawnSync(["tmux", "-L", socket, ...args], { stdout: "pipe", stderr: "pipe" });
  const names = ["a;touch pwned", "$(touch pwned)", "`touch pwned`", "-t", "=resilience", "x:y", "x.y", "", " ", "a b", "x".repeat(65), "résumé", "../x", "*", "a\nb"];
  const checks: SecurityCheck[] = [];
  try {
    const bad: string[] = [];
    const multiLine: string[] = [];
    for (const name of names) {
      for (const command of ["start", "stop", "attach", "logs", "status"]) {
        const run = Bun.spawnSync([BINARY, command, "--name", name, ...(command === "start" ? ["--", "--simulate"] : [])], { cwd: dir, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
        const err = run.stderr.toString().trim();
        if (run.exitCode !== 2 || !err.includes("not a valid session name")) bad.push(`${command} --name ${JSON.stringify(name)}: exit ${run.exitCode}, ${err.slice(0, 120)}`);
        else if (err.includes("\n")) multiLine.push(`${command} --name ${JSON.stringify(name)}`);
      }
    }
    const sessions = tmux("ls").stdout.toString().trim();
    checks.push({ name: "bad tmux session names are refused before tmux runs (exit 2)", ok: bad.length === 0 && sessions === "" && !existsSync(join(dir, "pwned")), detail: [...bad.slice(0, 3), sessions && `sessions made: ${sessions}`].filter(Boolean).join("; ") });
    checks.push({ name: "the refusal of a bad session name is one line", ok: multiLine.length === 0, detail: `the name is quoted raw, so a name with a newline gives a two-line error: ${multiLine.slice(0, 2).join(", ")}` });
    // Exact matching: `stop --name resilience` must not touch `resilience-other`.
    tmux("new-session", "-d", "-s", "resilience-other", "sleep", "300");
    Bun.spawnSync([BINARY, "stop", "--name", "resilience"], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
    const still = tmux("has-session", "-t", "=resilience-other").exitCode === 0;
    checks.push({ name: "session names are matched exactly (stop resilience leaves resilience-other alone)", ok: still, detail: "resilience-other was stopped" });
  } finally {
    tmux("kill-server");
  }
  return checks;
}

/** A pid that is not running (a finished child's). */
function _deadPid(): number {
  const child = Bun.spawnSync(["true"]);
  return child.pid;
}
