import { expect, test } from "bun:test";
import { join } from "node:path";

const PROBE = join(import.meta.dir, "exit-hooks-probe.ts");

/** Runs the probe; with `signal`, sends it once the probe says "ready". */
async function run(mode: string, signal?: NodeJS.Signals) {
  const proc = Bun.spawn([process.execPath, PROBE, mode], { stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!out.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  if (signal) proc.kill(signal);
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { err, code, signal: proc.signalCode };
}

test("restores once on a normal exit", async () => {
  const { err, code } = await run("exit");
  expect(code).toBe(0);
  expect(err).toBe("restored\n");
});

test("restores on a crash before the stack trace is printed", async () => {
  const { err, code } = await run("throw");
  expect(code).toBe(1);
  expect(err).toStartWith("restored\n");
  expect(err).toContain("boom");
  expect(err.split("\n").filter((line) => line === "restored")).toHaveLength(1);
});

test("restores on a signal nobody handles, then still dies of it", async () => {
  const { err, signal } = await run("alone", "SIGTERM");
  expect(err).toBe("restored\n");
  expect(signal).toBe("SIGTERM");
});

test("restores at once on a signal the program handles, and lets the program stop itself", async () => {
  const { err, code, signal } = await run("handled", "SIGTERM");
  expect(signal).toBeNull();
  expect(code).toBe(0);
  expect(err.split("\n").filter(Boolean).sort()).toEqual(["program handler", "program stopped gracefully", "restored"]);
});

test("does nothing once unregistered", async () => {
  const { err, signal } = await run("unregistered", "SIGTERM");
  expect(err).toBe("");
  expect(signal).toBe("SIGTERM");
});
