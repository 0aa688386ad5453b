import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { isCandleFileName } from "./audit-file.ts";

export interface CandlePaths {
  /** Files to audit: each argument in command-line order, a directory's files sorted by path in its place. */
  files: string[];
  /** How many of the arguments were directories. */
  directories: number;
}

/**
 * Expands `resilience gaps` arguments: a directory becomes every candle file under it
 * (recursively; ours, kstlib's and Binance's dump names), sorted by path; a file named
 * explicitly is audited whatever its name (a missing one is reported by the audit).
 * A file reached twice is audited once.
 */
export function expandCandlePaths(args: string[]): CandlePaths {
  const files: string[] = [];
  const seen = new Set<string>();
  let directories = 0;
  for (const arg of args) {
    if (!_isDirectory(arg)) {
      if (!seen.has(arg)) files.push(arg);
      seen.add(arg);
      continue;
    }
    directories++;
    const found = _candleFilesUnder(arg).sort(_byPath);
    if (found.length === 0) throw new UserError(`${arg}: no candle file in this directory (candles_<SYMBOL>_<interval>.csv or <SYMBOL>-<interval>-YYYY-MM.csv); name the files to audit them whatever their names`);
    for (const file of found) {
      if (!seen.has(file)) files.push(file);
      seen.add(file);
    }
  }
  return { files, directories };
}

// --- internal ---

function _isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function _candleFilesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new UserError(`${dir}: cannot list it (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return _candleFilesUnder(path);
    return (e.isFile() || e.isSymbolicLink()) && isCandleFileName(e.name) ? [path] : [];
  });
}

/** Byte order of the path, not the locale's: the same order on every machine. */
function _byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
