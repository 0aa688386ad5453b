/**
 * A Python 3 that can `import websockets`: Debian's python3-websockets installs into the
 * system interpreter, which may not be the first `python3` on PATH (pyenv). Undefined
 * when there is none: `apt-get install -y python3-websockets`.
 */
export function pythonWithWebsockets(): { path: string; version: string } | undefined {
  for (const path of ["/usr/bin/python3", Bun.which("python3")]) {
    if (!path) continue;
    const probe = Bun.spawnSync([path, "-c", "import sys, websockets; print(sys.version.split()[0], websockets.__version__)"], { stdout: "pipe", stderr: "pipe" });
    if (probe.exitCode === 0) {
      const [python, websockets] = probe.stdout.toString().trim().split(" ");
      return { path, version: `Python ${python}, websockets ${websockets}` };
    }
  }
  return undefined;
}
