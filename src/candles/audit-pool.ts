/**
 * Audits many candle files on every core: `resilience gaps DIR` over a whole market is
 * 1,500 files. Each file is one `auditFile` call, so the work is split by file, over child
 * processes of this same program (`resilience gaps` with AUDIT_WORKER_ENV set).
 *
 * Why processes, not Worker threads: a worker that imports the audit's modules needs its own
 * entrypoint in `bun build --compile`, and `src/cli.ts` is the only one (a Blob-URL worker,
 * as in `sync-pool.ts`, can only hold self-contained code). The binary itself is always there,
 * starts in ~15 ms, and is the code under test.
 */
import { createInterface } from "node:readline";
import { UserError } from "../errors.ts";
import type { AuditReport } from "./audit.ts";
import { auditFile, type AuditFileOptions } from "./audit-file.ts";

/** Set (to the audit options as JSON) in the environment of a worker process. */
export const AUDIT_WORKER_ENV = "RESILIENCE_GAPS_WORKER";

/** Files posted to one worker ahead of its answers, so it never waits for the next one. */
const WORKER_QUEUE = 2;

/** A file's audit, or the one-line reason it could not be read as candles. */
export type AuditOutcome = { file: string; report: AuditReport; error?: undefined } | { file: string; report?: undefined; error: string };

export interface AuditFilesOptions {
  audit: AuditFileOptions;
  /** Worker processes; 1 audits in this process, one file after the other. @default 1 */
  workers?: number;
  /** How to start this program; a worker runs `[...command, "gaps"]`. @default selfCommand() */
  command?: string[];
}

/**
 * Audits `files`, yielding each outcome in the order of `files` as soon as it and every
 * file before it are done. A worker that dies (a bug) rejects the iteration.
 */
export async function* auditFiles(files: string[], options: AuditFilesOptions): AsyncGenerator<AuditOutcome> {
  const workers = Math.min(options.workers ?? 1, files.length);
  if (workers <= 1) {
    for (const file of files) yield auditOne(file, options.audit);
    return;
  }
  const pool = _startPool(files, workers, options.command ?? selfCommand(), options.audit);
  try {
    for (const pending of pool.outcomes) yield await pending;
  } finally {
    pool.stop();
  }
}

/** One file: its report, or a UserError's message (anything else is a bug and throws). */
export function auditOne(file: string, audit: AuditFileOptions): AuditOutcome {
  try {
    return { file, report: auditFile(file, audit) };
  } catch (err) {
    if (err instanceof UserError) return { file, error: err.message };
    throw err;
  }
}

/** The worker's side: file paths (JSON, one a line) on stdin, one outcome (JSON) a line on stdout. */
export async function runAuditWorker(optionsJson: string): Promise<void> {
  const audit = JSON.parse(optionsJson) as AuditFileOptions;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line === "") continue;
    const outcome = auditOne(JSON.parse(line) as string, audit);
    // Written in full before the next: cli.ts ends the process as soon as the command returns, which would cut a pending write.
    await new Promise<void>((resolve, reject) => process.stdout.write(`${JSON.stringify(outcome)}\n`, (err) => (err ? reject(err) : resolve())));
  }
}

/** This program: the compiled binary alone, or `bun src/cli.ts` from the sources. */
export function selfCommand(): string[] {
  const script = process.argv[1];
  return script === undefined || script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/") ? [process.execPath] : [process.execPath, script];
}

// --- internal ---

interface _Deferred {
  promise: Promise<AuditOutcome>;
  resolve(outcome: AuditOutcome): void;
  reject(err: Error): void;
}

function _deferred(): _Deferred {
  let resolve!: (o: AuditOutcome) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<AuditOutcome>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {}); // observed when its turn comes; a worker's death must not be "unhandled" before that
  return { promise, resolve, reject };
}

/** Starts `count` workers that take the next file whenever they answer one. */
function _startPool(files: string[], count: number, command: string[], audit: AuditFileOptions) {
  const outcomes = files.map(() => _deferred());
  const procs: ReturnType<typeof Bun.spawn<"pipe", "pipe", "inherit">>[] = [];
  let next = 0;
  let stopped = false;

  const post = (proc: (typeof procs)[number], queue: number[]): void => {
    if (next >= files.length) {
      proc.stdin.end();
      return;
    }
    queue.push(next);
    proc.stdin.write(`${JSON.stringify(files[next++])}\n`);
    proc.stdin.flush();
  };

  for (let i = 0; i < count; i++) {
    const proc = Bun.spawn([...command, "gaps"], { stdin: "pipe", stdout: "pipe", stderr: "inherit", env: { ...process.env, [AUDIT_WORKER_ENV]: JSON.stringify(audit) } });
    procs.push(proc);
    const queue: number[] = [];
    for (let q = 0; q < WORKER_QUEUE; q++) post(proc, queue);
    const fail = (error: Error): void => {
      for (const index of queue.splice(0)) outcomes[index]!.reject(error);
      // Files never posted would wait forever: fail them too.
      while (next < files.length) outcomes[next++]!.reject(error);
    };
    _readLines(proc.stdout, (line) => {
      const index = queue.shift();
      if (index === undefined) throw new Error(`an audit worker answered a file it was not given: ${line.slice(0, 200)}`);
      outcomes[index]!.resolve(JSON.parse(line) as AuditOutcome);
      post(proc, queue);
    })
      .then(() => proc.exited)
      .then((code) => {
        if (queue.length > 0 && !stopped) fail(new Error(`an audit worker (pid ${proc.pid}) exited with code ${code} before auditing ${files[queue[0]!]}`));
      })
      .catch((err: Error) => fail(err));
  }
  return {
    outcomes: outcomes.map((d) => d.promise),
    stop() {
      stopped = true;
      for (const proc of procs) if (proc.exitCode === null) proc.kill();
    },
  };
}

/** Calls `fn` with each complete line of a byte stream. */
async function _readLines(stream: ReadableStream<Uint8Array>, fn: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n", start)) {
      fn(rest.slice(start, nl));
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
}
