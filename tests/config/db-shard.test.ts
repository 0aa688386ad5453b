import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { loadConfig } from "../../src/config/load.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { decryptSopsYaml } from "../../src/config/sops.ts";
import { UserError } from "../../src/errors.ts";
import { userErrorOf as failure } from "../helpers/user-error.ts";
import { inShard, shardOf } from "../../src/exchange/symbol-shard.ts";
import { selectSymbols } from "../../src/exchange/symbol-selection.ts";
import { encryptSopsYaml } from "../helpers/sops-encrypt.ts";

const dir = mkdtempSync(join(tmpdir(), "db-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


test("--db and --db-table: the label shows host, port and database, never user or password", () => {
  const c = resolveConfig({}, undefined, { db: "postgres://rec:pa55@db.internal:6432/market", dbTable: "research.klines" });
  expect(c.db).toEqual({ target: { url: "postgres://rec:pa55@db.internal:6432/market", label: "db.internal:6432/market" }, table: "research.klines" });
  expect(resolveConfig({}, undefined, { db: "postgresql://root@127.0.0.1/test" }).db).toEqual({ target: { url: "postgresql://root@127.0.0.1/test", label: "127.0.0.1:5432/test" }, table: "candles" });
  expect(resolveConfig({}, undefined, {}).db).toBeUndefined();
});

test("a bad --db or --db-table is one line that never repeats the URL", () => {
  for (const [db, expected] of [
    ["mysql://u:topsecret@h/x", "must start with postgres://"],
    ["postgres://u:topsecret@h", "names no database"],
    ["not a url topsecret", "is not a URL"],
  ] as const) {
    const message = failure(() => resolveConfig({}, undefined, { db }));
    expect(message).toContain(expected);
    expect(message).not.toContain("topsecret");
  }
  expect(failure(() => resolveConfig({}, undefined, { db: "postgres://h/x", dbTable: "Drop Table" }))).toContain('"Drop Table" is not a table name');
  expect(failure(() => resolveConfig({}, undefined, { dbTable: "candles" }))).toContain("--db-table is set without --db");
});

test("db.url from a sops-encrypted config file, and RESILIENCE_DB from the environment", async () => {
  const identity = await generateX25519Identity();
  const keyFile = join(dir, "keys.txt");
  writeFileSync(keyFile, `${identity}\n`);
  const text = await encryptSopsYaml("db:\n  url: postgres://rec:sops-secret@10.0.0.5:5432/candles_db\n  table: klines\n", { recipients: [await identityToRecipient(identity)] });
  expect(text).not.toContain("sops-secret");
  const path = join(dir, "resilience.sops.yml");
  writeFileSync(path, text);
  const decrypt = (t: string, p: string) => decryptSopsYaml(t, p, { env: { SOPS_AGE_KEY_FILE: keyFile, PATH: "" }, home: join(dir, "home") });
  const c = await loadConfig({ configPath: path, env: {}, decrypt });
  expect(c.db).toEqual({ target: { url: "postgres://rec:sops-secret@10.0.0.5:5432/candles_db", label: "10.0.0.5:5432/candles_db" }, table: "klines" });
  const fromEnv = await loadConfig({ configPath: path, env: { RESILIENCE_DB: "postgres://root@127.0.0.1:5432/test", RESILIENCE_DB_TABLE: "other" }, decrypt });
  expect(fromEnv.db).toEqual({ target: { url: "postgres://root@127.0.0.1:5432/test", label: "127.0.0.1:5432/test" }, table: "other" });
  const encrypted = join(dir, "still-encrypted.yml");
  writeFileSync(encrypted, "db:\n  url: ENC[AES256_GCM,data:xyz,type:str]\n");
  const refused = await loadConfig({ configPath: encrypted, env: {} }).then(() => undefined, (e: unknown) => e);
  expect(refused).toBeInstanceOf(UserError);
  expect((refused as UserError).message).toContain("db.url is still encrypted");
});

test("FNV-1a shards: documented values, every symbol in exactly one shard, the same on every call", () => {
  // FNV-1a 32 of "BTCUSDT" = 0xe82cd26c = 3895251564 (reproducible in any language).
  expect(shardOf("BTCUSDT", 2 ** 32 - 1)).toBe(3895251564 % (2 ** 32 - 1));
  expect(shardOf("btcusdt", 3)).toBe(0);
  expect(shardOf("ETHUSDT", 3)).toBe(2);
  expect(shardOf("BNBUSDT", 2)).toBe(1);
  const symbols = Array.from({ length: 1500 }, (_, i) => `S${i}USDT`);
  const shards = [0, 1, 2].map((index) => inShard(symbols, { index, count: 3 }));
  expect(shards.flat().sort()).toEqual([...symbols].sort());
  for (const shard of shards) expect(shard.length).toBeGreaterThan(400); // roughly even
});

test("--shard K/N: --symbol all takes its shard of the TRADING symbols; a named list too", () => {
  const c = resolveConfig({}, undefined, { symbol: "all", shard: "1/2" });
  expect(c.symbolSelection.shard).toEqual({ index: 1, count: 2 });
  const info = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"].map((symbol) => ({ symbol, status: "TRADING", quoteAsset: "USDT", spotTradingAllowed: true }));
  const picked = selectSymbols(info as never, { symbols: "all", shard: { index: 1, count: 2 } }).trading;
  expect(picked).toEqual(["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"].filter((s) => shardOf(s, 2) === 1).sort());
  expect(resolveConfig({}, undefined, { symbol: "btcusdt,ethusdt,bnbusdt", shard: "0/2" }).symbols).toEqual(["BTCUSDT", "ETHUSDT"]);
  expect(resolveConfig({ binance: { stream: { symbols: "all", shard: "2/3" } } }, "r.yml", {}).symbolSelection.shard).toEqual({ index: 2, count: 3 });
});

test("a bad --shard is one line with what to give", () => {
  for (const shard of ["2/2", "1", "a/b", "0/0", "-1/2"]) expect(failure(() => resolveConfig({}, undefined, { symbol: "all", shard }))).toContain("with 0 <= K < N");
  expect(failure(() => resolveConfig({}, undefined, { symbol: "bnbusdt", shard: "0/2" }))).toContain("none of the 1 symbols named falls in shard 0/2");
});
