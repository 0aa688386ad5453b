import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { socketPath } from "../../src/tmux/attach.ts";
import { createTmuxRunner, type TmuxRunner } from "../../src/tmux/runner.ts";

/** Absolute paths used by the tmux tests. */
export const REPO = resolve(import.meta.dir, "../..");
export const CLI = join(REPO, "src/cli.ts");
export const FAKE_RECORDER = join(REPO, "tests/fixtures/fake-recorder.ts");

/**
 * A private tmux server for one test file: a unique socket (so no test touches anyone's
 * sessions), exported as RESILIENCE_TMUX_SOCKET, and killed after the file's tests.
 */
export function useTmuxServer(): { socket: string; tmux: TmuxRunner; env: Record<string, string> } {
  const socket = `resilience-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  process.env.RESILIENCE_TMUX_SOCKET = socket;
  const tmux = useExtraTmuxServer(socket);
  afterAll(() => {
    delete process.env.RESILIENCE_TMUX_SOCKET;
  });
  const env = { ...process.env, RESILIENCE_TMUX_SOCKET: socket } as Record<string, string>;
  delete env.TMUX;
  return { socket, tmux, env };
}

/** Another tmux server on `socket`, killed (and its socket file removed) after the file's tests. */
export function useExtraTmuxServer(socket: string): TmuxRunner {
  const tmux = createTmuxRunner({ socket });
  afterAll(async () => {
    await tmux.run(["kill-server"]);
    // tmux leaves its socket file behind.
    rmSync(socketPath(socket), { force: true });
  });
  return tmux;
}

/** A temp directory removed after the file's tests. */
export function useTempDir(prefix = "resilience-tmux-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls `check` every 50 ms until it returns a value other than undefined/false, or throws after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Runs the CLI from source; returns exit code and output. */
export async function runCli(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, CLI, ...args], { cwd: options.cwd, env: options.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
