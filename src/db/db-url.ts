import { UserError } from "../errors.ts";

/** Where replication goes: the URL (a secret) and what may be shown of it. */
export interface DbTarget {
  /** `postgres://user[:password]@host[:port]/dbname`, as given. Never logged. */
  url: string;
  /** `host:port/dbname`: no user, no password, safe for logs, status and alerts. */
  label: string;
}

/** The table name when `--db-table` is not given. */
export const DEFAULT_DB_TABLE = "candles";

/**
 * Checks a `--db` URL. A bad one is a one-line UserError that never repeats the URL
 * (it may hold a password): it names what is wrong and the expected form.
 */
export function parseDbUrl(text: string, what: string): DbTarget {
  const expected = "give postgres://user[:password]@host[:port]/dbname";
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UserError(`${what} is not a URL; ${expected}`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new UserError(`${what} must start with postgres:// (it starts with ${url.protocol}//); ${expected}`);
  const dbname = decodeURIComponent(url.pathname.replace(/^\/+/, ""));
  if (dbname === "" || dbname.includes("/")) throw new UserError(`${what} names no database; ${expected}`);
  const host = url.hostname || url.searchParams.get("host") || "localhost";
  const port = url.port || "5432";
  return { url: text.trim(), label: `${host}:${port}/${dbname}` };
}

/**
 * A table name for `--db-table`: `name` or `schema.name`, lower-case letters, digits and
 * `_` (PostgreSQL folds unquoted names to lower case; we only accept the folded form, so
 * the name in psql and the name here are the same).
 */
export function parseTableName(text: string, what: string): string {
  const name = text.trim();
  if (!/^[a-z_][a-z0-9_]{0,50}(\.[a-z_][a-z0-9_]{0,50})?$/.test(name)) {
    throw new UserError(`${what}: "${name}" is not a table name; use lower-case letters, digits and _, optionally schema.name, e.g. candles`);
  }
  return name;
}

/** Removes the URL (and its password, wherever it appears) from a message. */
export function redactDbUrl(message: string, target: DbTarget): string {
  let out = message.split(target.url).join(target.label);
  try {
    const password = decodeURIComponent(new URL(target.url).password);
    if (password) out = out.split(password).join("***");
  } catch {
    // parseDbUrl already checked it.
  }
  return out.replace(/postgres(ql)?:\/\/[^\s"'<>]+/g, target.label);
}
