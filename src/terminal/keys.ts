/**
 * Keys from a raw-mode terminal's byte stream. One read can hold several keys
 * (`"d\x1b[21~"` is `d` then F10) and an escape sequence can be cut between two reads,
 * so the parser returns what it could not finish as `pending`, to pass back in with the
 * next chunk.
 */
export type Key =
  | "q"
  | "d"
  | "r"
  | "tab"
  | "shift-tab"
  | "enter"
  | "escape"
  | "up"
  | "down"
  | "left"
  | "right"
  | "pgup"
  | "pgdn"
  | "home"
  | "end"
  | "f10"
  | "ctrl-c"
  | "ctrl-d";

/** Longer "sequences" are garbage (or a paste), not a key: the ESC is dropped. */
const MAX_SEQUENCE_LENGTH = 32;

const SINGLE: Record<string, Key> = {
  q: "q",
  Q: "q",
  d: "d",
  D: "d",
  r: "r",
  R: "r",
  "\t": "tab",
  "\r": "enter",
  "\n": "enter",
  // In raw mode Ctrl-C is a byte, not SIGINT.
  "\x03": "ctrl-c",
  "\x04": "ctrl-d",
};

/** CSI sequences by final byte, for those without parameters that matter (xterm's Home/End are `ESC[H`/`ESC[F`). */
const CSI_FINAL: Record<string, Key> = { A: "up", B: "down", C: "right", D: "left", H: "home", F: "end", Z: "shift-tab" };

/**
 * CSI `<n>~` sequences by their first parameter: xterm, tmux, rxvt and the Linux console
 * agree on F10 and PgUp/PgDn; Home/End are `1~`/`4~` (tmux, screen, Linux console) or
 * `7~`/`8~` (rxvt).
 */
const CSI_TILDE: Record<string, Key> = { "1": "home", "4": "end", "5": "pgup", "6": "pgdn", "7": "home", "8": "end", "21": "f10" };

/** SS3 sequences: arrows and Home/End in the cursor-key application mode. */
const SS3: Record<string, Key> = { A: "up", B: "down", C: "right", D: "left", H: "home", F: "end" };

/**
 * Parses `pending + bytes` (bytes as one character per byte, e.g. `chunk.toString("latin1")`).
 * Unknown keys and sequences are skipped; `pending` holds an unfinished escape sequence.
 */
export function parseKeys(bytes: string, pending = ""): { keys: Key[]; pending: string } {
  const input = pending + bytes;
  const keys: Key[] = [];
  let i = 0;
  while (i < input.length) {
    if (input[i] !== "\x1b") {
      const key = SINGLE[input[i]!];
      if (key) keys.push(key);
      i++;
      continue;
    }
    const seq = _escapeSequence(input, i);
    if (seq === "incomplete") {
      if (input.length - i <= MAX_SEQUENCE_LENGTH) return { keys, pending: input.slice(i) };
      i++;
      continue;
    }
    if (seq.key) keys.push(seq.key);
    i += seq.length;
  }
  return { keys, pending: "" };
}

/**
 * Ends a `pending` that no more bytes completed (the reader waits a few milliseconds):
 * a lone ESC was the Escape key; a cut sequence is dropped.
 */
export function flushPending(pending: string): Key[] {
  return pending === "\x1b" ? ["escape"] : [];
}

// --- internal ---

/** The escape sequence starting at `input[start]` (an ESC), or "incomplete" at the end of input. */
function _escapeSequence(input: string, start: number): { key?: Key; length: number } | "incomplete" {
  const next = input[start + 1];
  if (next === undefined) return "incomplete";
  if (next === "\x1b") return { key: "escape", length: 1 };
  if (next === "O") {
    const final = input[start + 2];
    if (final === undefined) return "incomplete";
    return { key: SS3[final], length: 3 };
  }
  if (next !== "[") return { length: 2 }; // Alt+key: not one of ours.
  if (input[start + 2] === "[") {
    // Linux console F1-F5: ESC [ [ A..E.
    return input[start + 3] === undefined ? "incomplete" : { length: 4 };
  }
  // CSI: parameter bytes 0x30-0x3f, intermediate bytes 0x20-0x2f, one final byte 0x40-0x7e.
  let j = start + 2;
  while (j < input.length) {
    const code = input.charCodeAt(j);
    if (code >= 0x40 && code <= 0x7e) {
      const params = input.slice(start + 2, j);
      const final = input[j]!;
      const key = final === "~" ? CSI_TILDE[params.split(";")[0]!] : params.replace(/^1?(;\d+)?$/, "") === "" ? CSI_FINAL[final] : undefined;
      return { key, length: j - start + 1 };
    }
    if (code < 0x20 || code > 0x3f) return { length: j - start }; // broken: drop it, read on from here
    j++;
  }
  return "incomplete";
}
