import type { ConsolaInstance } from "consola";
import type { ResolvedConfig } from "../config/load.ts";
import type { ReplicationSnapshot } from "../db/replication-lag.ts";
import { startStatusServer, type StatusPages } from "../http/status-server.ts";
import { DEFAULT_MAX_AGE_MS, judgeHealth } from "../state/health.ts";
import type { RecorderState } from "../state/state-file.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { renderExposition } from "./exposition.ts";
import { createProcessMetrics } from "./process-metrics.ts";
import { buildInfo, createRecorderMetrics, type AlertChannelCounts } from "./recorder-metrics.ts";
import { createWriteLatency } from "./write-latency.ts";

export interface RunMonitorOptions {
  config: ResolvedConfig;
  version: string;
  log: ConsolaInstance;
  /** The alerter's figures per service. */
  alertChannels?: () => readonly AlertChannelCounts[];
}

/** What the pages read once the recorder runs. */
export interface RunMonitorSources {
  supervisor: Supervisor;
  /** The heartbeat's state (supervisor.state() plus replication). */
  state(): RecorderState;
  replication(): ReplicationSnapshot | undefined;
}

export interface RunMonitor {
  /** For createSupervisor: times closing events (undefined without --listen: nothing is timed). */
  readonly onCloseReceived: ((stream: string, openTime: number) => void) | undefined;
  /** For the supervisor's onDurable. */
  durable(stream: string, openTime: number): void;
  /** The recorder has started: the pages read it from now on. */
  attach(sources: RunMonitorSources): void;
  /** Idempotent. */
  stop(): void;
}

/**
 * `run --listen`: binds the status server at once (a port in use stops the start, exit 2,
 * before anything is opened), answers "starting" until `attach`, then serves the recorder's
 * metrics, health and state. Without --listen, a monitor that does nothing.
 */
export function startRunMonitor(options: RunMonitorOptions): RunMonitor {
  const { config, log } = options;
  if (!config.listen) return { onCloseReceived: undefined, durable() {}, attach() {}, stop() {} };
  const latency = createWriteLatency();
  const processMetrics = createProcessMetrics();
  const starting = { healthy: false, problems: ["the recorder is starting"] };
  let recorder: ReturnType<typeof createRecorderMetrics> | undefined;
  let sources: RunMonitorSources | undefined;

  const pages: StatusPages = {
    metrics: () => renderExposition([...(recorder ? recorder.collect() : [buildInfo(options.version, config.market)]), ...processMetrics.collect()]),
    state: () => sources?.state(),
    health() {
      const state = sources?.state();
      return state ? judgeHealth(state, { now: Date.now(), maxAgeMs: DEFAULT_MAX_AGE_MS, pidAlive: true }) : starting;
    },
  };
  const server = startStatusServer({ address: config.listen, pages, onError: (err) => log.error("a /metrics, /healthz or /state page failed (a bug; the recorder goes on):", err) });
  log.info(`metrics on ${server.url}/metrics, health on ${server.url}/healthz, state on ${server.url}/state`);

  return {
    onCloseReceived: latency.received,
    durable: latency.durable,
    attach(attached) {
      sources = attached;
      const { supervisor } = attached;
      recorder = createRecorderMetrics({
        version: options.version,
        market: config.market,
        counters: () => supervisor.counters,
        streams: () => supervisor.streams,
        pool: () => supervisor.pool(),
        rest: () => supervisor.budget.answers(),
        writeSeconds: latency.histogram,
        alerts: options.alertChannels,
        replication: attached.replication,
      });
    },
    stop: () => server.stop(),
  };
}
