import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ConsolaInstance } from "consola";
import type { Alerter } from "../alerts/alerter.ts";
import type { WatchdogEvent } from "../alerts/events.ts";
import { sleep, systemClock, type Clock } from "../clock.ts";
import { errorMessage } from "../errors.ts";
import { logger } from "../logger.ts";
import { writeFileAtomic } from "../state/state-file.ts";
import { INITIAL_EPISODE, nextEpisode, parseEpisode, type Episode, type Observation } from "./episodes.ts";
import { exitCodeFor, judgeStateFile, type Judgement } from "./judge.ts";

export interface WatchdogOptions {
  /** The recorder's heartbeat state file. */
  statePath: string;
  /** Heartbeat age that counts as frozen. */
  maxAgeMs: number;
  /** Time between looks in `run`. */
  everyMs: number;
  alerter: Alerter;
  /** @default systemClock */
  clock?: Clock;
  /** @default logger.withTag("watchdog") */
  log?: ConsolaInstance;
  /**
   * Where the episode is remembered between processes, so `--once` from cron alerts once
   * per episode too. null keeps it in memory. @default `<statePath>.watchdog.json`
   */
  episodeFile?: string | null;
}

export interface CheckResult {
  /** `status`'s codes: 0 healthy, 1 trouble or stopped, 2 no readable state file. */
  exitCode: 0 | 1 | 2;
  judgement: Judgement;
  /** The alert raised by this look, if the episode changed. */
  alert?: WatchdogEvent;
}

export interface Watchdog {
  /** One look: judge, alert on a change of episode, remember it. */
  check(options?: { startupGrace?: boolean }): CheckResult;
  /** Looks every `everyMs` until `signal` aborts. A missing state file during the first `maxAgeMs` is not an alarm (the recorder may be starting). */
  run(signal: AbortSignal): Promise<void>;
}

/**
 * A separate process that can speak when the recorder is frozen or dead: it judges the
 * state file like `status` and alerts the watchdog channel once per episode.
 */
export function createWatchdog(options: WatchdogOptions): Watchdog {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? logger.withTag("watchdog");
  const episodeFile = options.episodeFile === undefined ? `${options.statePath}.watchdog.json` : options.episodeFile;
  let episode: Episode = episodeFile && existsSync(episodeFile) ? parseEpisode(_read(episodeFile)) : INITIAL_EPISODE;
  let saveWarned = false;

  function check({ startupGrace = false } = {}): CheckResult {
    const now = clock.now();
    const judgement = judgeStateFile(options.statePath, now, options.maxAgeMs);
    const exitCode = exitCodeFor(judgement);
    if (startupGrace && judgement.kind === "unreadable" && episode.phase === "unknown") {
      log.debug(`waiting for ${options.statePath}: ${judgement.problem}`);
      return { exitCode, judgement };
    }
    const next = nextEpisode(episode, _observe(judgement), now);
    if (next.episode === episode) return { exitCode, judgement };
    episode = next.episode;
    _save();
    if (!next.alert) return { exitCode, judgement };
    const streams = judgement.kind === "judged" ? judgement.streams : undefined;
    const alert = { ...next.alert, stateFile: options.statePath, ...(streams?.length ? { streams } : {}) } as WatchdogEvent;
    _log(alert);
    options.alerter.alert(alert);
    return { exitCode, judgement, alert };
  }

  async function run(signal: AbortSignal): Promise<void> {
    const startedAt = clock.now();
    while (!signal.aborted) {
      try {
        check({ startupGrace: clock.now() - startedAt < options.maxAgeMs });
      } catch (err) {
        log.error(`watchdog check failed: ${errorMessage(err)}`);
      }
      await sleep(clock, options.everyMs, signal);
    }
  }

  function _save(): void {
    if (!episodeFile || !existsSync(dirname(episodeFile))) return;
    try {
      writeFileAtomic(episodeFile, JSON.stringify(episode) + "\n");
    } catch (err) {
      if (!saveWarned) log.warn(`cannot remember the watchdog episode in ${episodeFile}: ${errorMessage(err)}`);
      saveWarned = true;
    }
  }

  function _log(alert: WatchdogEvent): void {
    if (alert.type === "watchdog_stale") log.warn(`${alert.verdict === "unreadable" ? "no readable state file" : `recorder ${alert.verdict}`}: ${alert.problems.join("; ")}`);
    else if (alert.type === "watchdog_recovered") log.success("recorder healthy again");
    else log.info(`recorder stopped gracefully${alert.reason ? ` (${alert.reason})` : ""}`);
  }

  return { check, run };
}

// --- internal ---

function _observe(judgement: Judgement): Observation {
  if (judgement.kind === "unreadable") return { kind: "trouble", verdict: "unreadable", problems: [judgement.problem] };
  const { health, state } = judgement;
  if (health.verdict === "healthy") return { kind: "healthy" };
  if (health.verdict === "stopped") return { kind: "stopped", reason: typeof state.stop_reason === "string" ? state.stop_reason : null };
  return { kind: "trouble", verdict: health.verdict, problems: health.problems };
}

function _read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
