import { describe, expect, test } from "bun:test";
import { seg, spread, toAnsi, truncate } from "../../src/dashboard/styled-line.ts";

describe("toAnsi", () => {
  test("wraps styled segments in SGR codes and resets after each", () => {
    expect(toAnsi([seg("a"), seg("b", "bold", "green"), seg("c")], 80, true)).toBe("a\x1b[1;32mb\x1b[0mc");
  });

  test("gives plain text when colour is off", () => {
    expect(toAnsi([seg("a"), seg("b", "red")], 80, false)).toBe("ab");
  });

  test("clips to the width, counting wide characters as two columns", () => {
    expect(toAnsi([seg("abc"), seg("def", "red")], 4, true)).toBe("abc\x1b[31md\x1b[0m");
    expect(toAnsi([seg("日本語")], 5, false)).toBe("日本");
  });

  test("drops trailing blanks but keeps them inside an inverse segment", () => {
    expect(toAnsi([seg("a  "), seg("   ", "red")], 80, true)).toBe("a");
    expect(toAnsi([seg("a"), seg("  ", "inverse")], 80, true)).toBe("a\x1b[7m  \x1b[0m");
  });
});

test("seg turns control characters into spaces", () => {
  expect(seg("a\x1b[2Jb\nc\u009bd\x07").text).toBe("a [2Jb c d ");
});

test("truncate ends a cut text in an ellipsis (ASCII ~)", () => {
  expect(truncate("abcdef", 4)).toBe("abc…");
  expect(truncate("abcdef", 4, false)).toBe("abc~");
  expect(truncate("abcd", 4)).toBe("abcd");
  expect(truncate("abcd", 0)).toBe("");
});

test("spread pushes the right part to the last column", () => {
  expect(toAnsi(spread([seg("left")], [seg("right")], 12), 12, false)).toBe("left   right");
  expect(toAnsi(spread([seg("left")], [seg("right")], 5), 80, false)).toBe("left right");
});
