import { existsSync, lstatSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse } from "yaml";
import { UserError, errorMessage } from "../errors.ts";

export type ConfigTree = Record<string, unknown>;

/** Which file set each value: dotted key (`binance.reconnect.margin_seconds`) to the file's path. */
export type KeyOrigins = Record<string, string>;

/** A merged config tree and where each of its values came from. */
export interface ConfigFiles {
  tree: ConfigTree;
  origins: KeyOrigins;
}

/** Decrypts a sops-encrypted document (its text and path); see src/config/sops.ts. */
export type SopsDecrypt = (text: string, path: string) => Promise<unknown>;

const MAX_INCLUDE_DEPTH = 10;
const MAX_CONFIG_BYTES = 10 * 1024 * 1024;

/** The merged tree of `readConfigFiles`, without the origins. */
export async function readConfigTree(path: string, decrypt?: SopsDecrypt): Promise<ConfigTree> {
  return (await readConfigFiles(path, decrypt)).tree;
}

/**
 * Reads a YAML config file and its `include:` files (a string or a list, relative to the
 * including file), merged in order with the including file's own keys winning.
 * A sops-encrypted file is decrypted by `decrypt`. Errors name the file. `origins` names,
 * for each value, the file it was read from (an include as `config/binance.yml`, i.e.
 * joined to the including file's path as given), so later checks can say what to edit.
 */
export async function readConfigFiles(path: string, decrypt?: SopsDecrypt, seen: string[] = []): Promise<ConfigFiles> {
  const abs = resolve(path);
  if (seen.includes(abs)) throw new UserError(`${path}: include cycle (${[...seen, abs].join(" -> ")}); remove one include`);
  if (seen.length > MAX_INCLUDE_DEPTH) throw new UserError(`${path}: includes nest deeper than ${MAX_INCLUDE_DEPTH} files`);
  const text = _readText(path, seen);
  let doc: unknown;
  try {
    // Warnings (an unknown tag) would go to stderr as a multi-line block; the value is
    // read anyway and checked for its type like any other.
    doc = parse(text, { logLevel: "error" });
  } catch (err) {
    throw new UserError(`${path} is not valid YAML: ${errorMessage(err).split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new UserError(`${path}: the top level must be a mapping of keys`);
  if ("sops" in (doc as ConfigTree)) {
    if (!decrypt) throw new UserError(`${path} is encrypted with sops and cannot be decrypted here`);
    doc = await decrypt(text, path);
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new UserError(`${path}: the top level must be a mapping of keys`);
  }
  const own = doc as ConfigTree;
  const includes = own.include;
  delete own.include;
  let merged: ConfigTree = {};
  let origins: KeyOrigins = {};
  if (includes !== undefined) {
    const list = typeof includes === "string" ? [includes] : includes;
    if (!Array.isArray(list) || list.some((p) => typeof p !== "string")) {
      throw new UserError(`${path}: include must be a file name or a list of file names`);
    }
    for (const rel of list as string[]) {
      const target = resolve(dirname(abs), rel);
      if (!existsSync(target)) throw new UserError(`${path}: included file ${rel} does not exist (looked for ${target}); create it or remove the include`);
      const included = await readConfigFiles(isAbsolute(rel) ? rel : join(dirname(path), rel), decrypt, [...seen, abs]);
      merged = mergeTrees(merged, included.tree);
      origins = { ...origins, ...included.origins };
    }
  }
  return { tree: mergeTrees(merged, own), origins: { ...origins, ..._leafOrigins(own, "", path) } };
}

/**
 * Deep merge: mappings merge key by key, anything else in `over` replaces `base`. An empty
 * section in `over` (`reconnect:` with every key commented out, i.e. null) keeps `base`'s.
 */
export function mergeTrees(base: ConfigTree, over: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (isTree(prev) && (isTree(value) || value === null)) out[key] = value === null ? prev : mergeTrees(prev, value);
    else out[key] = value;
  }
  return out;
}

export function isTree(x: unknown): x is ConfigTree {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

// --- internal ---

/** `path` as the origin of every value (not mapping) in `tree`, by dotted key. */
function _leafOrigins(tree: ConfigTree, prefix: string, path: string): KeyOrigins {
  const out: KeyOrigins = {};
  for (const [key, value] of Object.entries(tree)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (isTree(value)) Object.assign(out, _leafOrigins(value, dotted, path));
    else out[dotted] = path;
  }
  return out;
}

function _readText(path: string, seen: string[]): string {
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) throw new UserError(`${path} is a directory, not a config file`);
    if (st.size > MAX_CONFIG_BYTES) throw new UserError(`${path} is larger than 10 MiB; is it really a config file?`);
    return readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const from = seen.length > 0 ? ` (included from ${seen[seen.length - 1]})` : "";
    throw new UserError(`cannot read config ${path}${from}: ${code === "ENOENT" ? "no such file" : (code ?? errorMessage(err))}`);
  }
}
