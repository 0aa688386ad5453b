import { readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import pkg from "../../package.json" with { type: "json" };

/** One line naming the machine, the date and the versions figures were taken with. */
export function describeMachine(): string {
  const cpu = cpus();
  const model = (cpu[0]?.model ?? "unknown CPU").trim();
  const gb = Math.round(totalmem() / 1024 ** 3);
  const date = new Date().toISOString().slice(0, 10);
  return `${cpu.length} x ${model} vCPU, ${gb} GB RAM, Linux ${release()} (${_distro()}); Bun ${Bun.version}; resilience ${pkg.version}; ${date}`;
}

// --- internal ---

function _distro(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "unknown distribution";
  } catch {
    return "unknown distribution";
  }
}
