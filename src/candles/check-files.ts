import { UserError } from "../errors.ts";
import { auditFiles } from "./audit-pool.ts";
import { auditOptionsOf, checkCandleFile, type FileCheck, type GapsOptions } from "./gaps-check.ts";

/** A file's check, or the one-line reason it could not be checked (exit 2 for it). */
export type CheckOutcome = { file: string; check: FileCheck; error?: undefined } | { file: string; check?: undefined; error: string };

export interface CheckFilesOptions {
  /** Files audited at once, each in a worker process; 1 = in this process. --fill and --verify always go one file at a time. @default 1 */
  jobs?: number;
  /** How to start this program for a worker. @default selfCommand() */
  command?: string[];
}

/**
 * Checks `files` in their order. A plain audit runs on `jobs` worker processes, its
 * outcomes still yielded in the order of `files`; --fill and --verify talk to the exchange
 * (one REST budget) and rewrite files, so they stay sequential.
 */
export async function* checkCandleFiles(files: string[], options: GapsOptions, run: CheckFilesOptions = {}): AsyncGenerator<CheckOutcome> {
  if (options.fill || options.verify) {
    for (const file of files) {
      try {
        yield { file, check: await checkCandleFile(file, options) };
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        yield { file, error: err.message };
      }
    }
    return;
  }
  for await (const outcome of auditFiles(files, { audit: auditOptionsOf(options), workers: run.jobs, command: run.command })) {
    yield outcome.error === undefined ? { file: outcome.file, check: { file: outcome.file, report: outcome.report } } : { file: outcome.file, error: outcome.error };
  }
}
