import { fileURLToPath } from "node:url";

/**
 * The argv that runs this very program: the compiled binary itself (its argv[1] is a
 * `/$bunfs/` path), or Bun with our `src/cli.ts` when running from source.
 */
export function selfCommand(argv: readonly string[] = process.argv, execPath: string = process.execPath): string[] {
  if (argv[1]?.startsWith("/$bunfs/")) return [execPath];
  return [execPath, fileURLToPath(new URL("../cli.ts", import.meta.url))];
}
