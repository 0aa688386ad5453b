import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Shape of the planted market directory, for the tests that read it. */
export const DIR_FILES = 300;
export const DIR_ROWS = 2_000;
export const START = Date.UTC(2024, 0, 1);
export const MINUTE = 60_000;

/** What was planted, by file index: the finding the audit must report and where. */
export const PLANTED = {
  gap: { file: 7, line: 502, missing: 3, firstMissing: START + 500 * MINUTE },
  duplicate: { file: 123, lines: [1002, 1003], time: START + 1000 * MINUTE },
  corrupt: { file: 150, line: 13 },
  outOfOrder: { file: 299, line: 103, time: START + 100 * MINUTE },
} as const;

/** `dir/candles_S000_1m.csv` … the first half at the top, the second half in `dir/sub/`; plus files that are not candles. */
export function candlePath(dir: string, index: number): string {
  const name = `candles_S${String(index).padStart(3, "0")}_1m.csv`;
  return index < DIR_FILES / 2 ? join(dir, name) : join(dir, "sub", name);
}

/**
 * Writes DIR_FILES gap-free 1m files of DIR_ROWS rows (the seed's 6 columns) with the
 * PLANTED holes, and a README and a notes.csv that the directory walk must skip.
 */
export function writeCandleDir(dir: string): void {
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "README.txt"), "not candles\n");
  writeFileSync(join(dir, "sub", "notes.csv"), "a,b\n1,2\n");
  for (let f = 0; f < DIR_FILES; f++) {
    const lines = ["timestamp,open,high,low,close,volume"];
    for (let i = 0; i < DIR_ROWS; i++) lines.push(row(i));
    if (f === PLANTED.gap.file) lines.splice(500 + 1, 3); // rows 500..502
    if (f === PLANTED.duplicate.file) lines.splice(1000 + 2, 0, row(1000));
    if (f === PLANTED.corrupt.file) lines.splice(12, 0, "2024-01-01T00:11:00Z,oops");
    if (f === PLANTED.outOfOrder.file) lines.splice(101, 2, row(101), row(100));
    writeFileSync(candlePath(dir, f), `${lines.join("\n")}\n`);
  }
}

export function row(i: number): string {
  const iso = new Date(START + i * MINUTE).toISOString().slice(0, 19);
  const p = 100 + (i % 50);
  return `${iso}Z,${p}.00,${p + 1}.00,${p - 1}.00,${p}.50,${(i % 7) + 1}.25`;
}
