import type { Hash } from "node:crypto";
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from "yaml";
import { UserError } from "../errors.ts";
import { decryptValue, macBytes, parseEncryptedValue, SopsValueError, type SopsLeaf } from "./sops-values.ts";

/** Which values a file says are encrypted (exactly one rule; sops' default is `unencrypted_suffix: _unencrypted`). */
export type CryptRule =
  | { kind: "unencrypted_suffix" | "encrypted_suffix"; suffix: string }
  | { kind: "unencrypted_regex" | "encrypted_regex"; regex: RegExp };

export interface TreeContext {
  file: string;
  rule: CryptRule;
  macOnlyEncrypted: boolean;
  key: CryptoKey;
  /** SHA-512 over every leaf's bytes, in document order. */
  hash: Hash;
}

/**
 * Decrypts one YAML document (its top-level `sops` key left out) and feeds the MAC hash,
 * following sops' walk (`sops.go` `walkBranch`/`walkSlice`): keys joined with `:` plus a
 * trailing `:` are the additional data, list items add no index, nulls and comments are
 * not hashed. A value the rule says is encrypted must be an `ENC[…]` string or `""`.
 */
export async function decryptDocument(doc: Document, ctx: TreeContext): Promise<Record<string, unknown>> {
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return {};
  if (!isMap(root)) throw new UserError(`${ctx.file}: the top level must be a mapping of keys (sops does not support other documents)`);
  return (await _walk(root, [], ctx, doc, true)) as Record<string, unknown>;
}

/** True when sops would encrypt the value at `path` (`shouldBeEncrypted`: any path component decides). */
export function shouldBeEncrypted(path: string[], rule: CryptRule): boolean {
  switch (rule.kind) {
    case "unencrypted_suffix":
      return !path.some((p) => p.endsWith(rule.suffix));
    case "encrypted_suffix":
      return path.some((p) => p.endsWith(rule.suffix));
    case "unencrypted_regex":
      return !path.some((p) => rule.regex.test(p));
    case "encrypted_regex":
      return path.some((p) => rule.regex.test(p));
  }
}

// --- internal ---

async function _walk(node: unknown, path: string[], ctx: TreeContext, doc: Document, top = false): Promise<unknown> {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return _walk(node.resolve(doc), path, ctx, doc);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== "string") {
        throw new UserError(`${ctx.file}: ${_where(path)} has a key that is not a string; sops supports only string keys (quote it)`);
      }
      if (top && key === "sops") continue;
      // defineProperty: a key named __proto__ stays a plain key.
      Object.defineProperty(out, key, { value: await _walk(pair.value, [...path, key], ctx, doc), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (isSeq(node)) {
    const out: unknown[] = [];
    for (const item of node.items) out.push(await _walk(item, path, ctx, doc));
    return out;
  }
  if (isScalar(node)) return _leaf(node.value, path, ctx);
  throw new UserError(`${ctx.file}: ${_where(path)} holds a YAML node sops cannot read`);
}

async function _leaf(value: unknown, path: string[], ctx: TreeContext): Promise<unknown> {
  if (value === null || value === undefined) return null;
  const encrypted = shouldBeEncrypted(path, ctx.rule);
  let leaf: SopsLeaf;
  let bytes: Uint8Array;
  if (encrypted) {
    if (value === "") {
      leaf = "";
      bytes = new Uint8Array(0);
    } else {
      const parsed = typeof value === "string" ? parseEncryptedValue(value) : undefined;
      if (!parsed) {
        const why = typeof value === "string" && value.startsWith("ENC[") ? "is a malformed ENC[...] value" : "is not encrypted although the file's rules say it must be (edited by hand?)";
        throw new UserError(`${ctx.file}: ${_where(path)} ${why}; the file cannot be trusted`);
      }
      try {
        ({ value: leaf, macBytes: bytes } = await decryptValue(parsed, ctx.key, `${path.join(":")}:`));
      } catch (err) {
        if (err instanceof SopsValueError) throw new UserError(`${ctx.file}: the value at ${_where(path)} cannot be decrypted: ${err.message}`);
        throw err;
      }
    }
  } else {
    leaf = _plainLeaf(value, path, ctx);
    bytes = macBytes(leaf);
  }
  if (!ctx.macOnlyEncrypted || encrypted) ctx.hash.update(bytes);
  return _output(leaf, path, ctx);
}

function _plainLeaf(value: unknown, path: string[], ctx: TreeContext): SopsLeaf {
  if (typeof value === "string" || typeof value === "bigint" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new UserError(`${ctx.file}: ${_where(path)} holds a value sops cannot hash (${typeof value === "number" ? "not a finite number" : typeof value})`);
}

/** Ints are read as bigint for an exact MAC; the config gets numbers. */
function _output(leaf: SopsLeaf, path: string[], ctx: TreeContext): string | number | boolean {
  if (typeof leaf !== "bigint") return leaf;
  if (leaf > BigInt(Number.MAX_SAFE_INTEGER) || leaf < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new UserError(`${ctx.file}: the integer at ${_where(path)} is too large; quote it to keep it as text`);
  }
  return Number(leaf);
}

function _where(path: string[]): string {
  return path.length === 0 ? "the top level" : path.join(".");
}
