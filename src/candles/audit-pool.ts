/**
 * Audits candle files on every core: `resilience gaps DIR` over a whole market is 1,500
 * files, and one file can be months of 1m rows. A job is a whole file, or a range of a
 * large one (audit-split.ts), run by child processes of this same program (`resilience
 * gaps` with AUDIT_WORKER_ENV set); each file's outcome comes back in the files' order.
 *
 * Why processes, not Worker threads: a worker that imports the audit's modules needs its own
 * entrypoint in `bun build --compile`, and `src/cli.ts` is the only one (a Blob-URL worker,
 * as in `sync-pool.ts`, can only hold self-contained code). The binary itself is always there,
 * starts in ~15 ms, and is the code under test.
 */
import { statSync } from "node:fs";
import { createInterface } from "node:readline";
import { UserError } from "../errors.ts";
import type { AuditReport } from "./audit.ts";
import { auditFile, type AuditFileOptions } from "./audit-file.ts";
import type { AuditPart } from "./audit-parts.ts";
import { auditRange, joinRanges, planRanges, type RangeJob, type SplitOptions } from "./audit-split.ts";

/** Set (to the audit options as JSON) in the environment of a worker process. */
export const AUDIT_WORKER_ENV = "RESILIENCE_GAPS_WORKER";

/** Jobs posted to one worker ahead of its answers, so it never waits for the next one. */
const WORKER_QUEUE = 2;

/** A file's audit, or the one-line reason it could not be read as candles. */
export type AuditOutcome = { file: string; report: AuditReport; error?: undefined } | { file: string; report?: undefined; error: string };

export interface AuditFilesOptions {
  audit: AuditFileOptions;
  /** Worker processes; 1 audits in this process, one file after the other. @default 1 */
  workers?: number;
  /** How to start this program; a worker runs `[...command, "gaps"]`. @default selfCommand() */
  command?: string[];
  /** When a file is large enough to split, and into what ranges (with more than one worker). */
  split?: SplitOptions;
}

/** A worker's job: a whole file (its path) or a range of one. */
type Job = string | RangeJob;
/** A worker's answer: a whole file's outcome, or a range's part. */
type Answer = AuditOutcome | { file: string; part: AuditPart; error?: undefined } | { file: string; part?: undefined; error: string };

/**
 * Audits `files`, yielding each outcome in the order of `files` as soon as it and every
 * file before it are done. A worker that dies (a bug) rejects the iteration.
 */
export async function* auditFiles(files: string[], options: AuditFilesOptions): AsyncGenerator<AuditOutcome> {
  const plans = (options.workers ?? 1) > 1 ? files.map((file) => _plan(file, options)) : files.map((file) => [file]);
  const jobs = plans.flat();
  const workers = Math.min(options.workers ?? 1, jobs.length);
  if (workers <= 1) {
    for (const file of files) yield auditOne(file, options.audit);
    return;
  }
  const pool = _startPool(jobs, workers, options.command ?? selfCommand(), options.audit);
  try {
    let next = 0;
    for (const [k, plan] of plans.entries()) {
      const answers = await Promise.all(plan.map(() => pool.answers[next++]!));
      yield _outcomeOf(files[k]!, plan, answers, options.audit);
    }
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

/** The worker's side: jobs (JSON, one a line) on stdin, one answer (JSON) a line on stdout. */
export async function runAuditWorker(optionsJson: string): Promise<void> {
  const audit = JSON.parse(optionsJson) as AuditFileOptions;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line === "") continue;
    const outcome = _answer(JSON.parse(line) as Job, audit);
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

/** A file's jobs: its ranges when it is worth splitting, else the file. A head that is not a candle file is audited whole, to fail as such. */
function _plan(file: string, options: AuditFilesOptions): Job[] {
  try {
    return planRanges(file, statSync(file).size, options.workers ?? 1, options.audit, options.split) ?? [file];
  } catch (err) {
    if (err instanceof UserError || (err as NodeJS.ErrnoException).code !== undefined) return [file];
    throw err;
  }
}

function _answer(job: Job, audit: AuditFileOptions): Answer {
  if (typeof job === "string") return auditOne(job, audit);
  try {
    return { file: job.file, part: auditRange(job, audit) };
  } catch (err) {
    if (err instanceof UserError) return { file: job.file, error: err.message };
    throw err;
  }
}

/** A file's outcome from the answers to its jobs. */
function _outcomeOf(file: string, plan: Job[], answers: Answer[], audit: AuditFileOptions): AuditOutcome {
  if (typeof plan[0] === "string") return answers[0] as AuditOutcome;
  const failed = answers.find((a) => a.error !== undefined);
  if (failed) return { file, error: failed.error! };
  try {
    return { file, report: joinRanges(plan as RangeJob[], answers.map((a) => (a as { part: AuditPart }).part), audit) };
  } catch (err) {
    if (err instanceof UserError) return { file, error: err.message };
    throw err;
  }
}

interface _Deferred {
  promise: Promise<Answer>;
  resolve(answer: Answer): void;
  reject(err: Error): void;
}

function _deferred(): _Deferred {
  let resolve!: (o: Answer) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<Answer>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {}); // observed when its turn comes; a worker's death must not be "unhandled" before that
  return { promise, resolve, reject };
}

/** Starts `count` workers that take the next job whenever they answer one. */
function _startPool(jobs: Job[], count: number, command: string[], audit: AuditFileOptions) {
  const outcomes = jobs.map(() => _deferred());
  const procs: ReturnType<typeof Bun.spawn<"pipe", "pipe", "inherit">>[] = [];
  let next = 0;
  let stopped = false;

  const post = (proc: (typeof procs)[number], queue: number[]): void => {
    if (next >= jobs.length) {
      try {
        void Promise.resolve(proc.stdin.end()).catch(() => {});
      } catch {}
      return;
    }
    queue.push(next);
    // A worker that died cannot take it (EPIPE): the job stays queued, and its exit fails it with a message that says so.
    try {
      void Promise.resolve(proc.stdin.write(`${JSON.stringify(jobs[next++])}\n`)).catch(() => {});
      void Promise.resolve(proc.stdin.flush()).catch(() => {});
    } catch {}
  };

  for (let i = 0; i < count; i++) {
    const proc = Bun.spawn([...command, "gaps"], { stdin: "pipe", stdout: "pipe", stderr: "inherit", env: { ...process.env, [AUDIT_WORKER_ENV]: JSON.stringify(audit) } });
    procs.push(proc);
    const queue: number[] = [];
    for (let q = 0; q < WORKER_QUEUE; q++) post(proc, queue);
    const fail = (error: Error): void => {
      for (const index of queue.splice(0)) outcomes[index]!.reject(error);
      // Jobs never posted would wait forever: fail them too.
      while (next < jobs.length) outcomes[next++]!.reject(error);
    };
    _readLines(proc.stdout, (line) => {
      const index = queue.shift();
      if (index === undefined) throw new Error(`an audit worker answered a job it was not given: ${line.slice(0, 200)}`);
      outcomes[index]!.resolve(JSON.parse(line) as Answer);
      post(proc, queue);
    })
      .then(() => proc.exited)
      .then((code) => {
        if (queue.length > 0 && !stopped) fail(new Error(`an audit worker (pid ${proc.pid}) exited with code ${code} before auditing ${JSON.stringify(jobs[queue[0]!])}`));
      })
      .catch((err: Error) => fail(err));
  }
  return {
    answers: outcomes.map((d) => d.promise),
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
