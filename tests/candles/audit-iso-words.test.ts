import { describe, expect, test } from "bun:test";
import { createHourWords, isoWordsEnd } from "../../src/candles/audit-iso-words.ts";

/** The spelling at the start of a buffer with room to spare (the fast path leaves 512 bytes). */
function bytes(text: string): Uint8Array {
  const buf = new Uint8Array(64).fill(44);
  for (let i = 0; i < text.length; i++) buf[i] = text.charCodeAt(i);
  return buf;
}

function seconds(t: number): string {
  return `${new Date(t).toISOString().slice(0, 19)}Z`;
}

describe("isoWordsEnd", () => {
  const hour = createHourWords();
  let seed = 11;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const times = [
    0,
    Date.UTC(2015, 0, 1),
    Date.UTC(2024, 1, 29, 23, 59, 59, 999),
    Date.UTC(2023, 11, 31, 23, 59),
    Date.UTC(2100, 2, 1),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ...Array.from({ length: 2_000 }, () => Math.floor(random() * Date.UTC(2200, 0, 1))),
  ];

  test("takes exactly the time it is asked for, spelled with seconds or milliseconds", () => {
    for (const t of times) {
      const whole = t - (t % 1000);
      expect({ t, end: isoWordsEnd(bytes(seconds(whole)), 0, whole, false, hour) }).toEqual({ t, end: 20 });
      expect({ t, end: isoWordsEnd(bytes(new Date(t).toISOString()), 0, t, true, hour) }).toEqual({ t, end: 24 });
    }
  });

  test("refuses the neighbours of the time asked for: one ms, second, minute, hour, day, month or year off", () => {
    for (const t of times.slice(0, 300)) {
      const whole = t - (t % 1000);
      const d = new Date(whole);
      const others = [1_000, 60_000, 3_600_000, 86_400_000].flatMap((ms) => [whole + ms, whole - ms]);
      others.push(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
      others.push(Date.UTC(d.getUTCFullYear() + 1, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
      for (const other of others.filter((o) => o >= 0 && o !== whole && seconds(o) !== seconds(whole))) {
        expect({ asked: whole, written: seconds(other), end: isoWordsEnd(bytes(seconds(other)), 0, whole, false, hour) }).toEqual({ asked: whole, written: seconds(other), end: -1 });
      }
      expect(isoWordsEnd(bytes(new Date(t + 1).toISOString()), 0, t, true, hour)).toBe(-1);
    }
  });

  test("any other spelling is left to the parser", () => {
    const t = Date.UTC(2024, 0, 1, 12, 34, 56);
    for (const text of ["2024-01-01 12:34:56Z", "2024-01-01T12:34:56+00:00", "2024-01-01T12:34:56,", "2024-01-01T12:34:56.000Z", "2024-01-01t12:34:56Z"]) {
      expect({ text, end: isoWordsEnd(bytes(text), 0, t, false, hour) }).toEqual({ text, end: -1 });
    }
    expect(isoWordsEnd(bytes("2024-01-01T12:34:56Z"), 0, t, true, hour)).toBe(-1);
  });

  test("times before 1970 are spelled as any other", () => {
    expect(isoWordsEnd(bytes("1969-12-31T23:00:00Z"), 0, -3_600_000, false, hour)).toBe(20);
    expect(isoWordsEnd(bytes("1969-12-31T23:00:00Z"), 0, -3_540_000, false, hour)).toBe(-1);
  });

  test("reads at any offset in a buffer, and keeps working when the buffer changes", () => {
    const t = Date.UTC(2024, 5, 15, 8, 30);
    const text = seconds(t);
    for (let offset = 0; offset < 8; offset++) {
      const buf = new Uint8Array(64);
      for (let i = 0; i < text.length; i++) buf[offset + i] = text.charCodeAt(i);
      expect(isoWordsEnd(buf, offset, t, false, hour)).toBe(offset + 20);
      expect(isoWordsEnd(buf.subarray(offset), 0, t, false, hour)).toBe(20);
    }
  });
});
