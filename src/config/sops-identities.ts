import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Decrypter } from "age-encryption";
import { UserError } from "../errors.ts";

export interface IdentityLookupOptions {
  /** Environment to read `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `XDG_CONFIG_HOME` from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Home directory for the default key file. @default os.homedir() */
  home?: string;
}

export interface AgeIdentities {
  /** `AGE-SECRET-KEY-1…` / `AGE-SECRET-KEY-PQ-1…` strings, in the order found. Never log them. */
  identities: string[];
  /** Where we looked and what we found there, for an error message (no key material). */
  places: string[];
}

/**
 * Collects age identities the way sops does (`age/keysource.go` `loadIdentities`), all
 * sources merged: `SOPS_AGE_KEY`, the file in `SOPS_AGE_KEY_FILE`, and
 * `$XDG_CONFIG_HOME/sops/age/keys.txt` (else `~/.config/sops/age/keys.txt`).
 * `SOPS_AGE_KEY_CMD` and SSH keys are not read; the places list says so when set.
 */
export function findAgeIdentities(options: IdentityLookupOptions = {}): AgeIdentities {
  const env = options.env ?? process.env;
  const identities: string[] = [];
  const places: string[] = [];

  const inline = env.SOPS_AGE_KEY;
  if (inline && inline.trim()) {
    const found = _parseIdentities(inline, "SOPS_AGE_KEY");
    identities.push(...found);
    places.push(`SOPS_AGE_KEY (${_count(found.length)})`);
  } else {
    places.push("SOPS_AGE_KEY (not set)");
  }

  const keyFile = env.SOPS_AGE_KEY_FILE;
  if (keyFile) {
    const text = _readKeyFile(keyFile, true);
    const found = _parseIdentities(text ?? "", `SOPS_AGE_KEY_FILE ${keyFile}`);
    identities.push(...found);
    places.push(`SOPS_AGE_KEY_FILE=${keyFile} (${_count(found.length)})`);
  } else {
    places.push("SOPS_AGE_KEY_FILE (not set)");
  }

  const defaultFile = defaultKeyFile(options);
  const text = _readKeyFile(defaultFile, false);
  if (text === undefined) {
    places.push(`${defaultFile} (not found)`);
  } else {
    const found = _parseIdentities(text, defaultFile);
    identities.push(...found);
    places.push(`${defaultFile} (${_count(found.length)})`);
  }

  if (env.SOPS_AGE_KEY_CMD) places.push("SOPS_AGE_KEY_CMD is set but not supported here; put the key in a file and set SOPS_AGE_KEY_FILE");
  return { identities, places };
}

/** sops' default key file: `$XDG_CONFIG_HOME/sops/age/keys.txt`, else the user config dir's. */
export function defaultKeyFile(options: IdentityLookupOptions = {}): string {
  const env = options.env ?? process.env;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "sops", "age", "keys.txt");
  const home = options.home ?? homedir();
  const configDir = process.platform === "darwin" ? join(home, "Library", "Application Support") : join(home, ".config");
  return join(configDir, "sops", "age", "keys.txt");
}

// --- internal ---

function _count(n: number): string {
  return n === 1 ? "1 key" : `${n} keys`;
}

/** The file's text; undefined when it does not exist and `required` is false. */
function _readKeyFile(path: string, required: boolean): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return undefined;
    throw new UserError(`cannot read the age key file ${path} (${code ?? "unreadable"}); fix the path or its permissions`);
  }
}

/**
 * One identity per line (several per line are split on whitespace); `#` comments and
 * blank lines skipped. A malformed line is an error naming the source and line, never its text.
 */
function _parseIdentities(text: string, source: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    for (const word of trimmed.split(/\s+/)) {
      if (word.startsWith("AGE-PLUGIN-")) throw new UserError(`${source}: line ${index + 1} is an age plugin identity, which is not supported; use a native age key`);
      if (!word.startsWith("AGE-SECRET-KEY-")) throw new UserError(`${source}: line ${index + 1} is not an age identity (they start with AGE-SECRET-KEY-)`);
      try {
        new Decrypter().addIdentity(word);
      } catch {
        throw new UserError(`${source}: line ${index + 1} is not a valid age identity (bad length or checksum)`);
      }
      out.push(word);
    }
  }
  return out;
}
