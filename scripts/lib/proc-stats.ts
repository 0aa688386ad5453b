import { readFileSync } from "node:fs";

/** Linux clock ticks per second (`getconf CLK_TCK`): 100 on every mainstream kernel build. */
const CLK_TCK = 100;

/** CPU time (user + system) a live process has used so far, ms (10 ms resolution). */
export function cpuTimeMs(pid: number): number {
  const { userMs, sysMs } = cpuTimes(pid);
  return userMs + sysMs;
}

/** User and system CPU time of a live process so far, ms (10 ms resolution). */
export function cpuTimes(pid: number): { userMs: number; sysMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { userMs: (Number(fields[11]) * 1000) / CLK_TCK, sysMs: (Number(fields[12]) * 1000) / CLK_TCK };
}

/** Resident set size now and its peak (VmHWM) of a live process, KiB. */
export function memoryKb(pid: number): { rssKb: number; peakKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssKb: field("VmRSS"), peakKb: field("VmHWM") };
}

/** Samples a process's RSS every `everyMs` until stopped; keeps every sample. */
export function sampleRss(pid: number, everyMs = 1000): { stop(): number[]; readonly samples: number[] } {
  const samples: number[] = [];
  const take = () => {
    try {
      samples.push(memoryKb(pid).rssKb);
    } catch {} // the process is gone (a kill in a crash test)
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}
