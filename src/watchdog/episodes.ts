/**
 * The watchdog's memory between looks: one alert when trouble starts, one when it ends,
 * one info message for a graceful stop (kstlib alarmed after every intentional stop and
 * never said "recovered").
 */
export type WatchdogPhase = "unknown" | "healthy" | "trouble" | "stopped";

export interface Episode {
  phase: WatchdogPhase;
  /** Epoch ms when this phase began. */
  since: number;
}

/** One look at the recorder, reduced to what the episode logic needs. */
export type Observation =
  | { kind: "healthy" }
  | { kind: "stopped"; reason: string | null }
  | { kind: "trouble"; verdict: string; problems: string[] };

export type EpisodeAlert =
  | { type: "watchdog_stale"; verdict: string; problems: string[] }
  | { type: "watchdog_recovered"; troubleMs: number }
  | { type: "watchdog_stopped"; reason: string | null };

export const INITIAL_EPISODE: Episode = { phase: "unknown", since: 0 };

/** The next episode and the alert to raise, if any (pure). */
export function nextEpisode(prev: Episode, seen: Observation, now: number): { episode: Episode; alert?: EpisodeAlert } {
  switch (seen.kind) {
    case "healthy":
      if (prev.phase === "healthy") return { episode: prev };
      return {
        episode: { phase: "healthy", since: now },
        ...(prev.phase === "trouble" ? { alert: { type: "watchdog_recovered", troubleMs: Math.max(0, now - prev.since) } } : {}),
      };
    case "stopped":
      if (prev.phase === "stopped") return { episode: prev };
      return { episode: { phase: "stopped", since: now }, alert: { type: "watchdog_stopped", reason: seen.reason } };
    case "trouble":
      if (prev.phase === "trouble") return { episode: prev };
      return { episode: { phase: "trouble", since: now }, alert: { type: "watchdog_stale", verdict: seen.verdict, problems: seen.problems } };
  }
}

/** Reads a persisted episode (the `--once` sidecar file); anything malformed starts afresh. */
export function parseEpisode(text: string): Episode {
  try {
    const value = JSON.parse(text) as Partial<Episode>;
    const phases: WatchdogPhase[] = ["unknown", "healthy", "trouble", "stopped"];
    if (value && phases.includes(value.phase as WatchdogPhase) && typeof value.since === "number") return { phase: value.phase!, since: value.since };
  } catch {
    // fall through
  }
  return INITIAL_EPISODE;
}
