/**
 * The value layer of the sops format (getsops/sops `aes/cipher.go`, `sops.go` `ToBytes`):
 * `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` strings, their typed plaintext, and the
 * bytes each leaf contributes to the MAC. Nothing here ever puts a plaintext or key
 * into an error message.
 */

/** A leaf of a decrypted sops tree, as sops types it. */
export type SopsLeaf = string | number | bigint | boolean;

export interface EncryptedValue {
  data: Uint8Array<ArrayBuffer>;
  iv: Uint8Array<ArrayBuffer>;
  tag: Uint8Array<ArrayBuffer>;
  type: string;
}

/** Why a value could not be read; the caller adds the file and key path. */
export class SopsValueError extends Error {
  override name = "SopsValueError";
}

const ENC = /^ENC\[AES256_GCM,data:([^,\]]+),iv:([^,\]]+),tag:([^,\]]+),type:([a-z0-9]+)\]$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isEncryptedValue(text: string): boolean {
  return ENC.test(text);
}

/** Splits an `ENC[…]` string; undefined when it is not one. */
export function parseEncryptedValue(text: string): EncryptedValue | undefined {
  const m = ENC.exec(text);
  if (!m) return undefined;
  const [data, iv, tag] = [m[1]!, m[2]!, m[3]!].map(_base64);
  if (!data || !iv || !tag || tag.length !== 16 || iv.length === 0) return undefined;
  return { data, iv, tag, type: m[4]! };
}

/** Imports a 32-byte sops data key for AES-256-GCM. */
export async function importDataKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 32) throw new SopsValueError(`the data key has ${raw.length} bytes instead of 32`);
  return crypto.subtle.importKey("raw", new Uint8Array(raw), { name: "AES-GCM" }, false, ["decrypt"]);
}

/**
 * Decrypts one value with the key path as additional data (`a:b:`) and returns it typed,
 * with the exact bytes sops hashes for the MAC.
 */
export async function decryptValue(value: EncryptedValue, key: CryptoKey, aad: string): Promise<{ value: SopsLeaf; macBytes: Uint8Array }> {
  const sealed = new Uint8Array(value.data.length + value.tag.length);
  sealed.set(value.data);
  sealed.set(value.tag, value.data.length);
  let plain: Uint8Array;
  try {
    const out = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: value.iv, additionalData: new TextEncoder().encode(aad), tagLength: 128 },
      key,
      sealed,
    );
    plain = new Uint8Array(out);
  } catch {
    throw new SopsValueError("it fails authentication (tampered, moved to another key, or encrypted with another data key)");
  }
  const text = new TextDecoder().decode(plain);
  switch (value.type) {
    case "str":
      return { value: text, macBytes: plain };
    case "bytes":
      return { value: text, macBytes: plain };
    case "int":
    case "int64":
      return _leaf(_goInt(text));
    case "float":
      return _leaf(_goFloat(text));
    case "bool":
      return _leaf(_goBool(text));
    default:
      throw new SopsValueError(`its type "${value.type}" is not supported`);
  }
}

/**
 * The bytes sops hashes for a leaf (`ToBytes`): strings as UTF-8, ints in decimal,
 * floats as Go's `FormatFloat(v, 'f', -1, 64)`, booleans as `True`/`False`.
 */
export function macBytes(value: SopsLeaf): Uint8Array {
  switch (typeof value) {
    case "string":
      return new TextEncoder().encode(value);
    case "bigint":
      return new TextEncoder().encode(value.toString());
    case "boolean":
      return new TextEncoder().encode(value ? "True" : "False");
    case "number":
      // Ints arrive as bigint (the YAML is read with intAsBigInt), so a number is a float.
      return new TextEncoder().encode(formatGoFloat(value));
  }
}

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest round-trip digits, never an exponent. */
export function formatGoFloat(v: number): string {
  if (!Number.isFinite(v)) throw new SopsValueError("non-finite numbers are not supported");
  if (Object.is(v, -0)) return "-0";
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = "", expText] = m;
  const digits = lead! + frac;
  const exp = Number(expText);
  if (exp >= 0) {
    const point = exp + 1;
    return sign + (digits.length <= point ? digits + "0".repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`);
  }
  return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
}

/**
 * The additional data of the encrypted MAC: `lastmodified` as Go's
 * `time.Parse(RFC3339).Format(RFC3339)` writes it (no fraction, `Z` for a zero offset).
 */
export function lastModifiedAad(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|z|[+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const zone = m[2]!.toUpperCase() === "Z" || /^[+-]00:00$/.test(m[2]!) ? "Z" : m[2]!;
  return `${m[1]!.replace("t", "T")}${zone}`;
}

// --- internal ---

function _leaf(value: SopsLeaf): { value: SopsLeaf; macBytes: Uint8Array } {
  return { value, macBytes: macBytes(value) };
}

function _base64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** Go `strconv.Atoi`: optional sign, decimal digits, within int64. */
function _goInt(text: string): bigint {
  if (!/^[+-]?\d+$/.test(text)) throw new SopsValueError("its int plaintext is not an integer");
  const n = BigInt(text.startsWith("+") ? text.slice(1) : text);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw new SopsValueError("its int plaintext is out of range");
  return n;
}

/** Go `strconv.ParseFloat` for plain decimal and exponent forms; inf, nan and hex floats are refused. */
function _goFloat(text: string): number {
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) throw new SopsValueError("its float plaintext is not a finite decimal number");
  const v = Number(text);
  if (!Number.isFinite(v)) throw new SopsValueError("its float plaintext is out of range");
  return v;
}

/** Go `strconv.ParseBool`. */
function _goBool(text: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw new SopsValueError("its bool plaintext is not a boolean");
}
