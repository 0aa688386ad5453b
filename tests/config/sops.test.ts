import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { decryptSopsYaml } from "../../src/config/sops.ts";
import { UserError } from "../../src/errors.ts";
import { encryptSopsYaml } from "../helpers/sops-encrypt.ts";

const FIXTURE = join(import.meta.dir, "../fixtures/sops-3.8.1-age");
const SLACK = `credentials:
  sops_hb: https://hooks.slack.com/services/xtest/xtest/heartbeatsecret
  sops_wd: https://hooks.slack.com/services/xtest/xtest/watchdogsecret
  sops_mainnet: https://hooks.slack.com/services/xtest/xtest/mainnetsecret
`;

let dir: string;
let identity: string;
let recipient: string;
let keyFile: string;
/** Env for a decrypt that finds `identity` through SOPS_AGE_KEY_FILE and nothing else. */
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sops-test-"));
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  keyFile = join(dir, "keys.txt");
  writeFileSync(keyFile, `# created for a test\n# public key: ${recipient}\n${identity}\n`);
  env = { SOPS_AGE_KEY_FILE: keyFile, XDG_CONFIG_HOME: join(dir, "no-xdg"), PATH: "" };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function decrypt(text: string, extraEnv: Record<string, string | undefined> = {}) {
  return decryptSopsYaml(text, "config/slack.sops.yml", { env: { ...env, ...extraEnv }, home: join(dir, "home") });
}

/** The UserError message a decrypt fails with (fails the test if it succeeds or throws something else). */
async function failure(text: string, extraEnv: Record<string, string | undefined> = {}): Promise<string> {
  const err = await decrypt(text, extraEnv).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return (err as UserError).message;
}

describe("decryptSopsYaml on files it encrypted itself", () => {
  test("decrypts the Slack credentials file", async () => {
    const text = await encryptSopsYaml(SLACK, { recipients: [recipient] });
    expect(text).not.toContain("heartbeatsecret");
    expect(await decrypt(text)).toEqual({
      credentials: {
        sops_hb: "https://hooks.slack.com/services/xtest/xtest/heartbeatsecret",
        sops_wd: "https://hooks.slack.com/services/xtest/xtest/watchdogsecret",
        sops_mainnet: "https://hooks.slack.com/services/xtest/xtest/mainnetsecret",
      },
    });
  });

  test("restores types, nesting, lists, empty and null values in document order", async () => {
    const plain = `"2": numeric-looking key first in the file
"123": quoted numeric key
text: "héllo wörld"
count: 42
negative: -7
ratio: 0.125
big_float: 1000000000000000000000.0
flag: false
on: true
empty: ""
nothing: null
nested:
  list: [one, 2, 3.5, true]
  deeper: {a: {b: c}}
comment_free_unencrypted: left as is
`;
    const text = await encryptSopsYaml(plain, { recipients: [recipient] });
    const out = (await decrypt(text)) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["2", "123", "text", "count", "negative", "ratio", "big_float", "flag", "on", "empty", "nothing", "nested", "comment_free_unencrypted"]);
    expect(out).toEqual({
      "2": "numeric-looking key first in the file",
      "123": "quoted numeric key",
      text: "héllo wörld",
      count: 42,
      negative: -7,
      ratio: 0.125,
      big_float: 1e21,
      flag: false,
      on: true,
      empty: "",
      nothing: null,
      nested: { list: ["one", 2, 3.5, true], deeper: { a: { b: "c" } } },
      comment_free_unencrypted: "left as is",
    });
  });

  test("keeps _unencrypted values in plaintext and still covers them with the MAC", async () => {
    const text = await encryptSopsYaml(`note_unencrypted: visible\nsecret: hidden\n`, { recipients: [recipient] });
    expect(text).toContain("note_unencrypted: visible");
    expect(await decrypt(text)).toEqual({ note_unencrypted: "visible", secret: "hidden" });
    expect(await failure(text.replace("visible", "changed"))).toContain("MAC mismatch");
  });

  test("honours encrypted_regex: only matching keys are encrypted", async () => {
    const text = await encryptSopsYaml(`credentials:\n  url: https://x/secret\nsettings:\n  level: 3\n`, { recipients: [recipient], rule: { encrypted_regex: "^credentials$" } });
    expect(text).toContain("level: 3");
    expect(text).not.toContain("https://x/secret");
    expect(await decrypt(text)).toEqual({ credentials: { url: "https://x/secret" }, settings: { level: 3 } });
    expect(await failure(text.replace("level: 3", "level: 4"))).toContain("MAC mismatch");
  });

  test("with mac_only_encrypted, plaintext values are outside the MAC but encrypted ones are not", async () => {
    const text = await encryptSopsYaml(`plain_unencrypted: a\nsecret: b\n`, { recipients: [recipient], macOnlyEncrypted: true });
    expect(await decrypt(text)).toEqual({ plain_unencrypted: "a", secret: "b" });
    // sops' documented behaviour: only encrypted values carry trust.
    expect(await decrypt(text.replace("plain_unencrypted: a", "plain_unencrypted: z"))).toEqual({ plain_unencrypted: "z", secret: "b" });
    const moved = text.replace(/secret: (ENC\[[^\]]+\])/, "secret: \"\"");
    expect(await failure(moved)).toContain("MAC mismatch");
  });

  test("a key named __proto__ stays a plain key", async () => {
    const text = await encryptSopsYaml(`"__proto__": {polluted: yes}\n`, { recipients: [recipient] });
    const out = (await decrypt(text)) as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("where the age identity comes from", () => {
  test("SOPS_AGE_KEY, several keys separated by whitespace", async () => {
    const other = await generateX25519Identity();
    const text = await encryptSopsYaml(SLACK, { recipients: [recipient] });
    const out = await decrypt(text, { SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: `${other}\n${identity}` });
    expect(out).toHaveProperty("credentials.sops_wd");
  });

  test("$XDG_CONFIG_HOME/sops/age/keys.txt, then ~/.config/sops/age/keys.txt", async () => {
    const text = await encryptSopsYaml(SLACK, { recipients: [recipient] });
    const xdg = join(dir, "xdg");
    mkdirSync(join(xdg, "sops", "age"), { recursive: true });
    writeFileSync(join(xdg, "sops", "age", "keys.txt"), `${identity}\n`);
    expect(await decrypt(text, { SOPS_AGE_KEY_FILE: undefined, XDG_CONFIG_HOME: xdg })).toHaveProperty("credentials");
    const home = join(dir, "home");
    mkdirSync(join(home, ".config", "sops", "age"), { recursive: true });
    writeFileSync(join(home, ".config", "sops", "age", "keys.txt"), `${identity}\n`);
    const out = await decryptSopsYaml(text, "f.yml", { env: { PATH: "" }, home });
    expect(out).toHaveProperty("credentials");
  });

  test("no matching identity names the file, the recipients and every place looked in", async () => {
    const stranger = await generateX25519Identity();
    const text = await encryptSopsYaml(SLACK, { recipients: [recipient] });
    const message = await failure(text, { SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: stranger });
    expect(message).toContain("config/slack.sops.yml");
    expect(message).toContain(recipient);
    expect(message).toContain("SOPS_AGE_KEY (1 key)");
    expect(message).toContain("SOPS_AGE_KEY_FILE (not set)");
    expect(message).toContain(join(dir, "no-xdg", "sops", "age", "keys.txt") + " (not found)");
    expect(message).not.toContain(stranger);
  });

  test("a malformed identity line is reported by line number, never echoed", async () => {
    const bad = join(dir, "bad-keys.txt");
    const broken = identity.slice(0, -3) + "QQQ";
    writeFileSync(bad, `# comment\n\n${broken}\n`);
    const text = await encryptSopsYaml(SLACK, { recipients: [recipient] });
    const message = await failure(text, { SOPS_AGE_KEY_FILE: bad });
    expect(message).toContain("line 3");
    expect(message).not.toContain(broken.slice(20));
  });

  test("an unreadable SOPS_AGE_KEY_FILE is an error naming it", async () => {
    const text = await encryptSopsYaml(SLACK, { recipients: [recipient] });
    const message = await failure(text, { SOPS_AGE_KEY_FILE: join(dir, "missing.txt") });
    expect(message).toContain("missing.txt");
  });
});

describe("fails closed on tampering", () => {
  let good: string;
  let otherFile: string;
  beforeAll(async () => {
    good = await encryptSopsYaml(`a: first\nb: second\nlist: [x, y]\nnote_unencrypted: n\n`, { recipients: [recipient] });
    otherFile = await encryptSopsYaml(`a: evil\n`, { recipients: [recipient] });
  });
  const line = (text: string, key: string) => new RegExp(`^${key}: (.*)$`, "m").exec(text)![1]!;

  const cases: [string, (t: string) => string, string][] = [
    ["a plaintext value in place of a ciphertext", (t) => t.replace(/^a: .*$/m, "a: https://attacker.example/hook"), "is not encrypted"],
    ["an empty value in place of a ciphertext", (t) => t.replace(/^a: .*$/m, 'a: ""'), "MAC mismatch"],
    ["a ciphertext moved to another key", (t) => t.replace(/^b: .*$/m, `b: ${line(t, "a")}`), "cannot be decrypted"],
    ["a ciphertext from another file", (t) => t.replace(/^a: .*$/m, `a: ${line(otherFile, "a")}`), "cannot be decrypted"],
    ["a key deleted", (t) => t.replace(/^b: .*\n/m, ""), "MAC mismatch"],
    ["list items swapped", (t) => _swapListItems(t), "MAC mismatch"],
    ["an _unencrypted value changed", (t) => t.replace("note_unencrypted: n", "note_unencrypted: m"), "MAC mismatch"],
    ["an _unencrypted key added", (t) => t.replace("note_unencrypted: n", "note_unencrypted: n\nextra_unencrypted: hi"), "MAC mismatch"],
    ["a corrupted ciphertext", (t) => t.replace(/^a: ENC\[AES256_GCM,data:(.)/m, (_, c: string) => `a: ENC[AES256_GCM,data:${c === "A" ? "B" : "A"}`), "cannot be decrypted"],
    ["a malformed ENC value", (t) => t.replace(/^a: ENC\[AES256_GCM,data:/m, "a: ENC[AES256_GCM,dat:"), "malformed"],
    ["the MAC removed", (t) => t.replace(/^ {4}mac: .*\n|^ {2}mac: .*\n/m, ""), "has no MAC"],
    ["the MAC emptied", (t) => t.replace(/^(\s+)mac: .*$/m, '$1mac: ""'), "has no MAC"],
    ["the MAC replaced by another file's", (t) => t.replace(/^(\s+)mac: .*$/m, `$1mac: ${/^\s+mac: (.*)$/m.exec(otherFile)![1]}`), "MAC cannot be decrypted"],
    ["lastmodified changed", (t) => t.replace("2024-03-25T22:08:10Z", "2024-03-25T22:08:11Z"), "MAC cannot be decrypted"],
    ["the metadata block removed", (t) => t.slice(0, t.indexOf("sops:")), "no sops: metadata"],
  ];

  test.each(cases)("%s", async (_name, tamper, expected) => {
    const text = tamper(good);
    expect(text).not.toBe(good);
    const message = await failure(text);
    expect(message).toContain("config/slack.sops.yml");
    expect(message).toContain(expected);
    for (const plain of ["first", "second", "evil", identity]) expect(message).not.toContain(plain);
  });

  test("two encryption rules in one file are refused", async () => {
    const text = good.replace(/^(\s+)version: /m, "$1encrypted_regex: ^a$\n$1version: ");
    expect(await failure(text)).toContain("more than one");
  });
});

describe("the real file written by sops 3.8.1", () => {
  test("decrypts to the published plaintext and verifies its MAC", async () => {
    const text = readFileSync(join(FIXTURE, "secret.enc.yaml"), "utf8");
    const out = await decryptSopsYaml(text, "secret.enc.yaml", { env: { SOPS_AGE_KEY_FILE: join(FIXTURE, "key.txt"), PATH: "" }, home: join(dir, "home") });
    // secret.json also lists a "0word" key that this encrypted file does not contain.
    const { "0word": _absent, ...expected } = JSON.parse(readFileSync(join(FIXTURE, "secret.json"), "utf8")) as Record<string, unknown>;
    expect(out).toEqual(expected);
  });

  test("rejects it once a value is swapped", async () => {
    const text = readFileSync(join(FIXTURE, "secret.enc.yaml"), "utf8");
    const swapped = text.replace(/^string: (.*)$/m, "string: PLACEHOLDER").replace(/^secret: (.*)$/m, (_, v: string) => `secret: ${/^string: (.*)$/m.exec(text)![1]}`).replace("string: PLACEHOLDER", `string: ${/^secret: (.*)$/m.exec(text)![1]}`);
    const err = await decryptSopsYaml(swapped, "secret.enc.yaml", { env: { SOPS_AGE_KEY_FILE: join(FIXTURE, "key.txt"), PATH: "" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toContain("this is a secret");
  });
});

describe("files encrypted only to PGP or KMS", () => {
  const pgpOnly = `secret: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]
sops:
  pgp:
    - fp: 1022470DE3F0BC54BC6AB62DE05550BC07FB1A0A
      enc: "-----BEGIN PGP MESSAGE-----"
  lastmodified: "2024-03-25T22:08:10Z"
  mac: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]
  version: 3.8.1
`;

  test("without a sops binary on PATH, a clear error", async () => {
    const message = await failure(pgpOnly);
    expect(message).toContain("encrypted only to pgp keys");
    expect(message).toContain("install sops");
  });

  test("are handed to the sops binary on PATH, with the file as one argument", async () => {
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    const argsLog = join(dir, "sops-args.txt");
    writeFileSync(join(bin, "sops"), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsLog}'\necho 'credentials:'\necho '  sops_hb: https://example.invalid/hb'\n`);
    chmodSync(join(bin, "sops"), 0o755);
    const out = await decryptSopsYaml(pgpOnly, "odd name; rm -rf x.yml", { env: { PATH: bin }, home: join(dir, "home") });
    expect(out).toEqual({ credentials: { sops_hb: "https://example.invalid/hb" } });
    expect(readFileSync(argsLog, "utf8")).toBe("--decrypt\n--output-type\nyaml\nodd name; rm -rf x.yml\n");
  });

  test("a sops binary that fails or hangs becomes a UserError", async () => {
    const bin = join(dir, "bin-bad");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "sops"), `#!/bin/sh\necho 'Failed to get the data key required to decrypt the SOPS file.' >&2\nexit 128\n`);
    chmodSync(join(bin, "sops"), 0o755);
    expect(await failure(pgpOnly, { PATH: bin })).toContain("sops --decrypt failed (exit 128): Failed to get the data key");

    const slow = join(dir, "bin-slow");
    mkdirSync(slow, { recursive: true });
    writeFileSync(join(slow, "sops"), `#!/bin/sh\nexec sleep 5\n`);
    chmodSync(join(slow, "sops"), 0o755);
    const err = await decryptSopsYaml(pgpOnly, "f.yml", { env: { PATH: `${slow}:/usr/bin:/bin` }, sopsTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain("did not finish");
  });
});

// --- internal ---

function _swapListItems(text: string): string {
  const m = /^list:\n(\s+- .*)\n(\s+- .*)$/m.exec(text);
  if (m) return text.replace(`${m[1]}\n${m[2]}`, `${m[2]}\n${m[1]}`);
  const flow = /^list: \[(.*), (.*)\]$/m.exec(text)!;
  return text.replace(flow[0], `list: [${flow[2]}, ${flow[1]}]`);
}
