import { SQL } from "bun";
import { test } from "bun:test";
import { underCi } from "../../scripts/lib/soak-run.ts";

/**
 * The PostgreSQL the development and CI machines run (trust auth for root, database
 * `test`). RESILIENCE_TEST_PG points elsewhere. Each test gets a database of its own.
 */
export const ADMIN_URL = process.env.RESILIENCE_TEST_PG ?? "postgres://root@127.0.0.1:5432/test";

/** Why PostgreSQL cannot be used here, or undefined when it answers. Asked once per file. */
export async function postgresMissing(): Promise<string | undefined> {
  const sql = new SQL({ url: ADMIN_URL, max: 1, connectionTimeout: 3 });
  try {
    await sql`SELECT 1`;
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${new URL(ADMIN_URL).host} does not answer (${(err as Error).message}); start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`;
  } finally {
    await sql.close({ timeout: 0 }).catch(() => {});
  }
}

/**
 * `test` when PostgreSQL answers; otherwise skipped with one line saying why, except under
 * CI=true, where the test runs and fails on the missing server (a skip proves nothing).
 */
export async function pgTest(): Promise<typeof test> {
  const why = await postgresMissing();
  if (why === undefined) return test;
  if (underCi()) {
    const failing = ((name: string) => test(name, () => { throw new Error(why); })) as unknown as typeof test;
    return failing;
  }
  console.warn(`SKIPPED: ${why}; under CI=true these tests fail`);
  return test.skip;
}

export interface TestDatabase {
  /** URL of a new, empty database. */
  url: string;
  name: string;
  /** Drops it (ending its other sessions first). */
  drop(): Promise<void>;
}

let counter = 0;

/** A fresh database, unique to this process and call. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `resilience_t${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new SQL({ url: ADMIN_URL, max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.close({ timeout: 0 });
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const sql = new SQL({ url: ADMIN_URL, max: 1, connectionTimeout: 5 });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } catch {
        // the server is gone (a test stopped it): nothing to drop now
      } finally {
        await sql.close({ timeout: 0 }).catch(() => {});
      }
    },
  };
}

/** A short-lived client on `url` for a test's own checks. */
export function testSql(url: string): SQL {
  return new SQL({ url, max: 2 });
}

/** The local cluster's version directory (`15`), or undefined when pg_ctlcluster cannot manage one here. */
export function localCluster(): string | undefined {
  if (process.env.RESILIENCE_TEST_PG) return undefined; // someone else's server: not ours to stop
  const ls = Bun.spawnSync(["bash", "-c", "command -v pg_ctlcluster >/dev/null && ls /etc/postgresql"], { stdout: "pipe", stderr: "pipe" });
  const version = ls.stdout.toString().trim().split("\n")[0];
  return ls.exitCode === 0 && version ? version : undefined;
}

/** Stops or starts the local cluster for real (the outage tests). */
export function controlPostgres(action: "stop" | "start"): void {
  const version = localCluster();
  if (!version) throw new Error("no local PostgreSQL cluster to control");
  const run = Bun.spawnSync(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], { stdout: "pipe", stderr: "pipe" });
  const out = run.stderr.toString();
  if (run.exitCode !== 0 && !/already running|is not running/.test(out)) throw new Error(`pg_ctlcluster ${action}: ${out.trim()}`);
}

/** Waits until the server answers again (after controlPostgres("start")). */
export async function waitForPostgres(timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await postgresMissing()) === undefined) return;
    await Bun.sleep(200);
  }
  throw new Error(`PostgreSQL did not come back within ${timeoutMs / 1000}s`);
}
