import { join } from "node:path";

/**
 * Compiles scripts/lib/floor-ingest.ts the way `npm run build` compiles the recorder, so
 * the floor runs on the same runtime image (a script run by `bun` also carries the
 * transpiler). Returns the binary's path.
 */
export function compileFloorClient(outDir: string): string {
  const out = join(outDir, "floor-client");
  const build = Bun.spawnSync(
    [join(import.meta.dir, "../../node_modules/.bin/bun"), "build", join(import.meta.dir, "floor-ingest.ts"), "--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--outfile", out],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) throw new Error(`cannot compile the floor client: ${build.stderr.toString()}`);
  return out;
}
