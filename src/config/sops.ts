import { createHash } from "node:crypto";
import { armor, Decrypter } from "age-encryption";
import { isMap, parseAllDocuments, type Document } from "yaml";
import { UserError } from "../errors.ts";
import { decryptWithSopsBinary, findSopsBinary } from "./sops-binary.ts";
import { findAgeIdentities, type IdentityLookupOptions } from "./sops-identities.ts";
import { decryptDocument, type CryptRule } from "./sops-tree.ts";
import { decryptValue, importDataKey, lastModifiedAad, parseEncryptedValue } from "./sops-values.ts";

export interface SopsOptions extends IdentityLookupOptions {
  /** Limit for a `sops --decrypt` run (PGP/KMS files). @default 30_000 */
  sopsTimeoutMs?: number;
}

/** sops seeds the hash with sha256("sops") when `mac_only_encrypted` is set (`MACOnlyEncryptedInitialization`). */
const MAC_ONLY_ENCRYPTED_INIT = createHash("sha256").update("sops").digest();
const OTHER_KEY_TYPES = ["pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"] as const;
const RULE_KEYS = ["unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex", "unencrypted_comment_regex", "encrypted_comment_regex"] as const;

/**
 * Decrypts a sops-encrypted YAML file natively when it is encrypted to age recipients:
 * the data key is unwrapped with an identity from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE` or
 * the default keys.txt, every value is decrypted with its key path as additional data,
 * and the MAC is verified the way sops does. It fails closed: no MAC, a wrong MAC, a
 * tampered or plaintext value, or no matching identity is a UserError naming the file.
 * Files sops encrypted only to PGP/KMS are handed to a `sops` binary on PATH.
 * Returns the document (an array for a multi-document file). Errors never hold key material or plaintext.
 */
export async function decryptSopsYaml(text: string, path: string, options: SopsOptions = {}): Promise<unknown> {
  const env = options.env ?? process.env;
  const docs = _parse(text, path);
  const meta = _metadata(docs[0]!, path);
  const age = _ageEntries(meta, path);
  const others = OTHER_KEY_TYPES.filter((k) => Array.isArray(meta[k]) && (meta[k] as unknown[]).length > 0);
  const unsupported = _unsupported(meta, age.length, others);
  if (unsupported) return _viaSopsBinary(path, env, unsupported, options.sopsTimeoutMs);

  const mac = typeof meta.mac === "string" ? meta.mac : "";
  if (mac === "") throw new UserError(`${path} has no MAC (sops always writes one), so its values cannot be trusted; re-encrypt it with sops`);
  const aad = typeof meta.lastmodified === "string" ? lastModifiedAad(meta.lastmodified) : undefined;
  if (!aad) throw new UserError(`${path}: sops.lastmodified is missing or not an RFC 3339 time; the file is damaged`);

  const { identities, places } = findAgeIdentities(options);
  const dataKey = await _unwrapDataKey(age, identities, path);
  if (!dataKey) {
    if (others.length > 0 && findSopsBinary(env)) return _viaSopsBinary(path, env, "", options.sopsTimeoutMs);
    const to = age.map((a) => a.recipient).join(", ");
    throw new UserError(`${path}: no age identity for its recipients (${to}); looked in ${places.join(", ")}`);
  }
  const key = await importDataKey(dataKey);
  const hash = createHash("sha512");
  if (meta.mac_only_encrypted === true) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const ctx = { file: path, rule: _rule(meta, path), macOnlyEncrypted: meta.mac_only_encrypted === true, key, hash };
  const values: unknown[] = [];
  for (const doc of docs) values.push(await decryptDocument(doc, ctx));

  const stored = parseEncryptedValue(mac);
  if (!stored) throw new UserError(`${path}: sops.mac is not an ENC[...] value; the file is damaged`);
  let expected: unknown;
  try {
    expected = (await decryptValue(stored, key, aad)).value;
  } catch {
    throw new UserError(`${path}: its MAC cannot be decrypted (the MAC or lastmodified was changed); the file cannot be trusted`);
  }
  if (typeof expected !== "string" || expected !== hash.digest("hex").toUpperCase()) {
    throw new UserError(`${path}: MAC mismatch: the file was changed after sops encrypted it; restore it or re-encrypt it with sops`);
  }
  return values.length === 1 ? values[0] : values;
}

// --- internal ---

type Metadata = Record<string, unknown>;

function _parse(text: string, path: string): Document[] {
  const parsed = parseAllDocuments(text, { intAsBigInt: true, uniqueKeys: true, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) throw new UserError(`${path} is not valid YAML: ${err.message.split("\n")[0]}`);
  }
  if (docs.length === 0) throw new UserError(`${path} is empty, not a sops-encrypted file`);
  return docs;
}

/** The `sops:` block of the first document (sops reads metadata only there). */
function _metadata(doc: Document, path: string): Metadata {
  const root = doc.contents;
  const node = isMap(root) ? root.get("sops", true) : undefined;
  const meta = node && typeof node === "object" && "toJS" in node ? (node as { toJS(d: Document): unknown }).toJS(doc) : undefined;
  if (!meta || typeof meta !== "object" || Array.isArray(meta)) throw new UserError(`${path} has no sops: metadata block; it is not a sops-encrypted file`);
  return meta as Metadata;
}

function _ageEntries(meta: Metadata, path: string): { recipient: string; enc: string }[] {
  const list = meta.age ?? [];
  if (!Array.isArray(list)) throw new UserError(`${path}: sops.age must be a list`);
  return list.map((entry, i) => {
    const e = entry as { recipient?: unknown; enc?: unknown } | null;
    if (!e || typeof e.recipient !== "string" || typeof e.enc !== "string") throw new UserError(`${path}: sops.age item ${i + 1} needs recipient and enc`);
    return { recipient: e.recipient, enc: e.enc };
  });
}

/** Why the native decoder cannot read the file (then a `sops` binary may), or undefined. */
function _unsupported(meta: Metadata, ageCount: number, others: readonly string[]): string | undefined {
  if (Array.isArray(meta.key_groups) && meta.key_groups.length > 0) return "uses key_groups (Shamir secret sharing)";
  const commentRule = RULE_KEYS.slice(4).find((k) => typeof meta[k] === "string" && meta[k] !== "");
  if (commentRule) return `uses ${commentRule}`;
  if (ageCount === 0) return others.length > 0 ? `is encrypted only to ${others.join("/")} keys` : "names no recipient at all";
  return undefined;
}

async function _viaSopsBinary(path: string, env: Record<string, string | undefined>, reason: string, timeoutMs?: number): Promise<unknown> {
  const binary = findSopsBinary(env);
  if (!binary) {
    throw new UserError(`${path} ${reason}; resilience decrypts only age-encrypted sops files itself: install sops (github.com/getsops/sops) or re-encrypt the file to an age recipient`);
  }
  const plain = await decryptWithSopsBinary(binary, path, env, timeoutMs);
  const docs = parseAllDocuments(plain);
  const list = Array.isArray(docs) ? docs : [];
  if (list.some((d) => d.errors.length > 0)) throw new UserError(`${path}: sops --decrypt printed something that is not YAML`);
  const values = list.map((d) => d.toJS() as unknown);
  return values.length === 1 ? values[0] : values;
}

/** The 32-byte data key, from the first age stanza one of `identities` opens; undefined when none matches. */
async function _unwrapDataKey(entries: { recipient: string; enc: string }[], identities: string[], path: string): Promise<Uint8Array | undefined> {
  if (identities.length === 0) return undefined;
  let damaged: string | undefined;
  for (const { recipient, enc } of entries) {
    const decrypter = new Decrypter();
    for (const id of identities) decrypter.addIdentity(id);
    try {
      const key = await decrypter.decrypt(armor.decode(enc));
      if (key.length === 32) return key;
      damaged = recipient;
    } catch (err) {
      if (!(err instanceof Error && err.message.includes("no identity matched"))) damaged = recipient;
    }
  }
  if (damaged) throw new UserError(`${path}: the data key for ${damaged} cannot be unwrapped (its sops.age entry is damaged)`);
  return undefined;
}

/** The file's one encryption rule (sops refuses files with more than one). */
function _rule(meta: Metadata, path: string): CryptRule {
  const set = RULE_KEYS.filter((k) => typeof meta[k] === "string" && meta[k] !== "");
  if (set.length > 1) throw new UserError(`${path}: sops metadata sets more than one of ${set.join(", ")}; sops refuses such files too`);
  const kind = set[0];
  if (kind === undefined) return { kind: "unencrypted_suffix", suffix: "_unencrypted" };
  const value = meta[kind] as string;
  if (kind === "unencrypted_suffix" || kind === "encrypted_suffix") return { kind, suffix: value };
  if (kind === "unencrypted_regex" || kind === "encrypted_regex") return { kind, regex: _goRegex(value, kind, path) };
  throw new UserError(`${path}: ${kind} is not supported`);
}

/** A Go RE2 pattern as a JS RegExp; a leading `(?i)`-style flag group becomes JS flags. */
function _goRegex(pattern: string, what: string, path: string): RegExp {
  const m = /^\(\?([ims]+)\)/.exec(pattern);
  const flags = m ? [...new Set(m[1]!)].join("") : "";
  try {
    return new RegExp(m ? pattern.slice(m[0].length) : pattern, flags);
  } catch {
    throw new UserError(`${path}: sops.${what} is not a regular expression this decoder can read`);
  }
}
