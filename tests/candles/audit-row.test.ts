import { describe, expect, test } from "bun:test";
import { findGluedRow, formatOfHeader, formatOfRow, parseCandleRow, parsedRow, type CandleFormat } from "../../src/candles/audit-row.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
function parse(line: string, format: CandleFormat = "basic") {
  const b = bytes(line);
  const reason = parseCandleRow(b, 0, b.length, format);
  return reason ?? { time: new Date(parsedRow.time).toISOString(), closeTime: parsedRow.closeTime, micros: parsedRow.micros };
}

describe("parseCandleRow", () => {
  test.each([
    ["2024-02-29T23:59:00Z,1,2,0.5,1,0", "2024-02-29T23:59:00.000Z"],
    ["2024-03-01T00:00:00+01:00,1,2,0.5,1,0", "2024-02-29T23:00:00.000Z"],
    ["2024-03-01T00:00:00-0530,1,2,0.5,1,0", "2024-03-01T05:30:00.000Z"],
    ["2024-03-01 00:00:00,1,2,0.5,1,0", "2024-03-01T00:00:00.000Z"],
    ["2024-03-01T00:00:00.250Z,1,2,0.5,1,0", "2024-03-01T00:00:00.250Z"],
    ["1999-12-31T23:00:00Z,1,2,0.5,1,0\r", "1999-12-31T23:00:00.000Z"],
    ["2100-03-01T00:00:00z,1,2,0.5,1,0", "2100-03-01T00:00:00.000Z"],
  ])("reads the ISO time of %s", (line, iso) => {
    expect(parse(line)).toMatchObject({ time: iso });
  });

  test("reads the same hour prefix again after a different one (the prefix cache)", () => {
    expect(parse("2024-01-01T05:00:00Z,1,2,0.5,1,0")).toMatchObject({ time: "2024-01-01T05:00:00.000Z" });
    expect(parse("2023-01-01T05:00:00Z,1,2,0.5,1,0")).toMatchObject({ time: "2023-01-01T05:00:00.000Z" });
    expect(parse("2024-01-01T05:59:00Z,1,2,0.5,1,0")).toMatchObject({ time: "2024-01-01T05:59:00.000Z" });
  });

  test.each([
    ["2023-02-29T00:00:00Z,1,2,0.5,1,0", 'bad time in timestamp: "2023-02-29T00:00:00Z"'],
    ["2024-01-01T24:00:00Z,1,2,0.5,1,0", "bad time"],
    ["2024-01-01T00:60:00Z,1,2,0.5,1,0", "bad time"],
    ["2024-01-01,1,2,0.5,1,0", "bad time"],
    ["2024-01-01T00:00:00Q,1,2,0.5,1,0", "bad time"],
    ["2024-01-01T00:00:00Z,1,2,0.5,1", "5 fields, expected 6"],
    ["2024-01-01T00:00:00Z,1,2,0.5,1,0,7", "7 fields, expected 6"],
    ["2024-01-01T00:00:00Z,1.,2,0.5,1,0", 'bad number in open: "1."'],
    ["2024-01-01T00:00:00Z,1,.2,0.5,1,0", 'bad number in high: ".2"'],
    ["2024-01-01T00:00:00Z,1,2,0.5,1e3,0", 'bad number in close: "1e3"'],
    ["2024-01-01T00:00:00Z,1,2,0.5,1, 5", 'bad number in volume: " 5"'],
    ["2024-01-01T00:00:00Z,1,2,0.5,1,", 'bad number in volume: ""'],
    ["2024-01-01T00:00:00Z,1,2,-0.5,1,0", "negative price: low -0.5"],
    ["2024-01-01T00:00:00Z,1,2,1.5,1,0", "low 1.5 is above open 1"],
    ["2024-01-01T00:00:00Z,1,2,0.5,2.5,0", "high 2 is below close 2.5"],
    ["", "empty line"],
  ])("refuses %p: %s", (line, reason) => {
    expect(String(parse(line))).toContain(reason);
  });

  test("compares decimals exactly enough: 8-decimal prices and long volumes", () => {
    expect(parse("2024-01-01T00:00:00Z,0.00000912,0.00000913,0.00000911,0.00000912,123456789012.12345678")).toMatchObject({ time: expect.any(String) });
    expect(parse("2024-01-01T00:00:00Z,0.00000912,0.00000913,0.00000913,0.00000912,1")).toBe("low 0.00000913 is above open 0.00000912");
  });

  test("reads Binance dumps in milliseconds and microseconds", () => {
    const ms = "1679659200000,28080.00000000,28080.00000000,28080.00000000,28080.00000000,0.00000000,1679661581646,0.00000000,0,0.00000000,0.00000000,0";
    expect(parse(ms, "dump")).toEqual({ time: "2023-03-24T12:00:00.000Z", closeTime: 1679661581646, micros: false });
    const us = "1735689600000000,93576.00000000,93610.93000000,93537.50000000,93610.93000000,8.21827000,1735689659999999,768978.86064750,1794,3.89393000,364343.13087760,0";
    expect(parse(us, "dump")).toEqual({ time: "2025-01-01T00:00:00.000Z", closeTime: 1735689659999.999, micros: true });
    expect(parse(us.replace("1735689600000000", "173568960000000"), "dump")).toContain("bad time in open_time");
    expect(parse(ms.replace(",0,0.00000000", ",-1,0.00000000"), "dump")).toContain("bad count in count");
  });

  test("reads our full format and its close time", () => {
    const line = "2024-01-01T00:00:00Z,1,2,0.5,1,3,2024-01-01T00:59:59.999Z,3.5,7,1.5,1.75";
    expect(parse(line, "full")).toEqual({ time: "2024-01-01T00:00:00.000Z", closeTime: Date.UTC(2024, 0, 1, 0, 59, 59, 999), micros: false });
    expect(parse(line.replace(",7,", ",x,"), "full")).toBe('bad count in trades: "x"');
  });
});

describe("formats", () => {
  test.each([
    ["timestamp,open,high,low,close,volume", "basic"],
    [" Timestamp,Open,High,Low,Close,Volume ", "basic"],
    ["timestamp,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote", "full"],
    ["open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore", "dump"],
    ["time,open,high,low,close", undefined],
  ])("header %p is %p", (header, format) => {
    expect(formatOfHeader(header)).toBe(format as CandleFormat | undefined);
  });

  test.each([
    ["2024-01-01T00:00:00Z,1,2,0.5,1,3", "basic"],
    ["2024-01-01T00:00:00Z,1,2,0.5,1,3,2024-01-01T00:59:59.999Z,3.5,7,1.5,1.75", "full"],
    ["1679659200000,1,1,1,1,0,1679661581646,0,0,0,0,0", "dump"],
    ["1679659200000,1,1,1,1,0", undefined],
    ["hello,world", undefined],
  ])("a header-less first row %p is %p", (line, format) => {
    const b = bytes(line);
    expect(formatOfRow(b, 0, b.length)).toBe(format as CandleFormat | undefined);
  });
});

describe("findGluedRow", () => {
  test("finds the row appended onto a torn one, even when the cut fell inside a number", () => {
    const torn = "2024-01-01T05:00:00Z,100.00,10";
    const line = bytes(`${torn}2024-01-01T06:00:00Z,1,2,0.5,1,3`);
    expect(findGluedRow(line, 0, line.length, "basic")).toBe(torn.length);
  });

  test("finds nothing in a row that is merely wrong", () => {
    const line = bytes("2024-01-01T05:00:00Z,100.00,10,1");
    expect(findGluedRow(line, 0, line.length, "basic")).toBe(-1);
  });
});
