// A test-only sops encryptor (YAML, age recipients), written apart from src/config/sops*.ts
// so that a mistake in the decoder is not mirrored here. It follows getsops/sops:
// 32-byte IVs, the key path as additional data, a SHA-512 MAC over the leaves in order.
import { createHash } from "node:crypto";
import { armor, Encrypter } from "age-encryption";
import { isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";

export interface SopsEncryptOptions {
  /** age recipients (`age1…`). */
  recipients: string[];
  /** One rule at most; none means sops' default `unencrypted_suffix: _unencrypted`. */
  rule?: { unencrypted_suffix: string } | { encrypted_suffix: string } | { encrypted_regex: string } | { unencrypted_regex: string };
  macOnlyEncrypted?: boolean;
  /** @default "2024-03-25T22:08:10Z" */
  lastModified?: string;
  /** Reuse a data key (to build a second file with the same key). */
  dataKey?: Uint8Array;
}

/** Encrypts a plain YAML mapping the way `sops --encrypt` would; returns the file text. */
export async function encryptSopsYaml(plainYaml: string, options: SopsEncryptOptions): Promise<string> {
  const dataKey = options.dataKey ?? crypto.getRandomValues(new Uint8Array(32));
  const key = await crypto.subtle.importKey("raw", new Uint8Array(dataKey), "AES-GCM", false, ["encrypt"]);
  const doc = parseDocument(plainYaml, { intAsBigInt: true });
  const hash = createHash("sha512");
  if (options.macOnlyEncrypted) hash.update(createHash("sha256").update("sops").digest());
  const encryptHere = (path: string[]) => _shouldEncrypt(path, options.rule);
  await _encryptNode(doc.contents, [], { key, hash, encryptHere, macOnly: options.macOnlyEncrypted === true });

  const lastModified = options.lastModified ?? "2024-03-25T22:08:10Z";
  const mac = await _encryptLeaf(hash.digest("hex").toUpperCase(), key, lastModified);
  const age = [];
  for (const recipient of options.recipients) {
    const e = new Encrypter();
    e.addRecipient(recipient);
    age.push({ recipient, enc: armor.encode(await e.encrypt(new Uint8Array(dataKey))) });
  }
  const meta: Record<string, unknown> = { age, lastmodified: lastModified, mac, ...(options.rule ?? { unencrypted_suffix: "_unencrypted" }) };
  if (options.macOnlyEncrypted) meta.mac_only_encrypted = true;
  meta.version = "3.8.1";
  (doc as Document).set("sops", meta);
  return doc.toString({ lineWidth: 0 });
}

// --- internal ---

interface Ctx {
  key: CryptoKey;
  hash: ReturnType<typeof createHash>;
  encryptHere: (path: string[]) => boolean;
  macOnly: boolean;
}

async function _encryptNode(node: unknown, path: string[], ctx: Ctx): Promise<void> {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : "";
      await _encryptNode(pair.value, [...path, k], ctx);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) await _encryptNode(item, path, ctx);
  } else if (isScalar(node) && node.value !== null) {
    const encrypt = ctx.encryptHere(path);
    if (!ctx.macOnly || encrypt) ctx.hash.update(_bytes(node.value));
    if (encrypt && node.value !== "") {
      node.value = await _encryptLeaf(node.value, ctx.key, `${path.join(":")}:`);
      node.type = "PLAIN";
    }
  }
}

async function _encryptLeaf(value: unknown, key: CryptoKey, aad: string): Promise<string> {
  const type = typeof value === "bigint" ? "int" : typeof value === "number" ? "float" : typeof value === "boolean" ? "bool" : "str";
  const iv = crypto.getRandomValues(new Uint8Array(32));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(aad) }, key, _bytes(value)));
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
  return `ENC[AES256_GCM,data:${b64(sealed.subarray(0, -16))},iv:${b64(iv)},tag:${b64(sealed.subarray(-16))},type:${type}]`;
}

function _bytes(value: unknown): Uint8Array<ArrayBuffer> {
  let text: string;
  if (typeof value === "boolean") text = value ? "True" : "False";
  else if (typeof value === "number") {
    if (Number.isInteger(value)) text = BigInt(value).toString();
    else if (!String(value).includes("e")) text = String(value);
    else throw new Error("test encryptor: use a float without an exponent");
  } else text = String(value);
  return new TextEncoder().encode(text);
}

function _shouldEncrypt(path: string[], rule: SopsEncryptOptions["rule"]): boolean {
  const r = rule ?? { unencrypted_suffix: "_unencrypted" };
  if ("unencrypted_suffix" in r) return path.every((p) => !p.endsWith(r.unencrypted_suffix));
  if ("encrypted_suffix" in r) return path.some((p) => p.endsWith(r.encrypted_suffix));
  if ("encrypted_regex" in r) return path.some((p) => new RegExp(r.encrypted_regex).test(p));
  return path.every((p) => !new RegExp(r.unencrypted_regex).test(p));
}
