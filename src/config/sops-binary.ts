import { UserError } from "../errors.ts";

/** How long `sops --decrypt` may take (a KMS or PGP agent round trip). */
export const SOPS_BINARY_TIMEOUT_MS = 30_000;

/** The `sops` executable on `env.PATH`, or undefined. */
export function findSopsBinary(env: Record<string, string | undefined>): string | undefined {
  return Bun.which("sops", { PATH: env.PATH ?? "" }) ?? undefined;
}

/**
 * Runs `sops --decrypt --output-type yaml FILE` (an argument vector, never a shell) and
 * returns its output. A failure is a UserError with the first line of sops' message,
 * which names the problem but never a decrypted value.
 */
export async function decryptWithSopsBinary(
  binary: string,
  path: string,
  env: Record<string, string | undefined>,
  timeoutMs = SOPS_BINARY_TIMEOUT_MS,
): Promise<string> {
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    proc = Bun.spawn([binary, "--decrypt", "--output-type", "yaml", path], {
      env: _definedOnly(env),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
  } catch (err) {
    throw new UserError(`${path}: cannot run ${binary} (${(err as NodeJS.ErrnoException).code ?? "failed to start"})`);
  }
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (proc.signalCode === "SIGKILL") {
    throw new UserError(`${path}: sops --decrypt did not finish within ${Math.round(timeoutMs / 1000)}s; check its key service (KMS, gpg-agent)`);
  }
  if (code !== 0) {
    const first = stderr.split("\n").find((l) => l.trim() !== "")?.trim().slice(0, 200) ?? "no message";
    throw new UserError(`${path}: sops --decrypt failed (exit ${code}): ${first}`);
  }
  return stdout;
}

// --- internal ---

function _definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
