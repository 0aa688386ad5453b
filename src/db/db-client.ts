import { SQL } from "bun";
import { errorMessage } from "../errors.ts";
import { redactDbUrl, type DbTarget } from "./db-url.ts";

/** A query that has not answered after this long is given up and its connections reset. */
export const QUERY_TIMEOUT_MS = 30_000;

export type DbRow = Record<string, unknown>;

/** A failed query, its message free of the URL. `server` = PostgreSQL answered with an error. */
export class DbError extends Error {
  override name = "DbError";
  constructor(
    message: string,
    /** The server refused the statement (bad SQL, a constraint): retrying the same will not help. */
    readonly server: boolean,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface DbClient {
  readonly target: DbTarget;
  /** One statement with `$1..$n` parameters. Rejects with DbError. */
  unsafe(text: string, params?: unknown[]): Promise<DbRow[]>;
  /** Ends every connection; a later query opens new ones. */
  close(): Promise<void>;
}

export interface DbClientOptions {
  target: DbTarget;
  /** @default QUERY_TIMEOUT_MS */
  queryTimeoutMs?: number;
  /** Connections in the pool. @default 2 */
  max?: number;
}

/**
 * Bun's SQL client behind a small interface. Every query has a deadline; after a
 * connection failure or a timeout the pool is thrown away and the next query builds a new
 * one, so a pool left broken by a restarting server (oven-sh/bun #30947) or a query that
 * never answers cannot stall replication. Idle and lifetime timeouts stay off: they have
 * killed in-flight queries (oven-sh/bun #30646).
 */
export function createDbClient(options: DbClientOptions): DbClient {
  const { target } = options;
  const timeoutMs = options.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  let sql: SQL | undefined;

  const open = () => (sql ??= new SQL({ url: target.url, max: options.max ?? 2, connectionTimeout: Math.max(1, Math.ceil(timeoutMs / 1000)), idleTimeout: 0, maxLifetime: 0 }));
  const reset = () => {
    const old = sql;
    sql = undefined;
    old?.close({ timeout: 0 }).catch(() => {});
  };

  return {
    target,
    async unsafe(text, params = []) {
      const pool = open();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DbError(`no answer from the database ${target.label} within ${timeoutMs / 1000}s`, false, "TIMEOUT")), timeoutMs);
      });
      try {
        return (await Promise.race([pool.unsafe(text, params as never[]), timeout])) as DbRow[];
      } catch (err) {
        const error = toDbError(err, target);
        if (!error.server && sql === pool) reset();
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const old = sql;
      sql = undefined;
      await old?.close({ timeout: 1 }).catch(() => {});
    },
  };
}

// --- internal ---

function toDbError(err: unknown, target: DbTarget): DbError {
  if (err instanceof DbError) return err;
  const code = (err as { code?: string; errno?: string }).errno ?? (err as { code?: string }).code;
  const server = (err as { code?: string }).code === "ERR_POSTGRES_SERVER_ERROR" && !isConnectionClass(code);
  const message = redactDbUrl(errorMessage(err), target);
  return new DbError(server ? message : `database ${target.label}: ${message}`, server, code);
}

/** SQLSTATE class 08 (connection exception), 57P0x (server shutting down), 53 (resources). */
function isConnectionClass(code: string | undefined): boolean {
  return code !== undefined && (/^08/.test(code) || /^57P0/.test(code) || /^53/.test(code));
}
