import { readdirSync } from "node:fs";
import { openFileLimit } from "../supervisor/open-files.ts";
import type { MetricFamily } from "./exposition.ts";

/**
 * The standard `process_*` families (the names every Prometheus client library uses), read
 * when scraped: resident memory and CPU from the runtime, open files from /proc/self/fd and
 * their limit from /proc/self/limits (both left out where there is no /proc).
 */
export function createProcessMetrics(): { collect(): MetricFamily[] } {
  const startSeconds = Math.round(Date.now() - process.uptime() * 1000) / 1000;
  return {
    collect() {
      const cpu = process.cpuUsage();
      const families: MetricFamily[] = [
        { name: "process_cpu_seconds_total", help: "User and system CPU time spent, in seconds.", type: "counter", samples: [{ value: (cpu.user + cpu.system) / 1e6 }] },
        { name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", type: "gauge", samples: [{ value: process.memoryUsage.rss() }] },
        { name: "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds.", type: "gauge", samples: [{ value: startSeconds }] },
      ];
      const open = _openFds();
      if (open !== undefined) families.push({ name: "process_open_fds", help: "Number of open file descriptors.", type: "gauge", samples: [{ value: open }] });
      const max = openFileLimit();
      if (max !== undefined) families.push({ name: "process_max_fds", help: "Maximum number of open file descriptors.", type: "gauge", samples: [{ value: max }] });
      return families;
    },
  };
}

// --- internal ---

function _openFds(): number | undefined {
  try {
    // Reading the directory holds one descriptor of its own.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return undefined;
  }
}
