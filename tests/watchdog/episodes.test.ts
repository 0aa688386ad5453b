import { describe, expect, test } from "bun:test";
import { INITIAL_EPISODE, nextEpisode, parseEpisode, type Episode, type Observation } from "../../src/watchdog/episodes.ts";

const healthy: Observation = { kind: "healthy" };
const stale: Observation = { kind: "trouble", verdict: "stale", problems: ["the heartbeat is 45s old"] };
const dead: Observation = { kind: "trouble", verdict: "dead", problems: ["pid 7 is gone"] };
const stopped: Observation = { kind: "stopped", reason: "SIGTERM" };

/** Runs observations one second apart from the initial episode; returns the alert types raised. */
function alertsFor(seen: Observation[]): string[] {
  let episode: Episode = INITIAL_EPISODE;
  const out: string[] = [];
  seen.forEach((s, i) => {
    const next = nextEpisode(episode, s, 1000 * (i + 1));
    episode = next.episode;
    if (next.alert) out.push(next.alert.type);
  });
  return out;
}

describe("nextEpisode", () => {
  test.each<[string, Observation[], string[]]>([
    ["healthy all along: silence", [healthy, healthy, healthy], []],
    ["trouble alerts once per episode, then recovery once", [healthy, stale, stale, dead, healthy, healthy], ["watchdog_stale", "watchdog_recovered"]],
    ["a graceful stop is one info message, not an alarm", [healthy, stopped, stopped, stopped], ["watchdog_stopped"]],
    ["a second episode alerts again", [stale, healthy, stale], ["watchdog_stale", "watchdog_recovered", "watchdog_stale"]],
    ["started while the recorder is already down", [dead], ["watchdog_stale"]],
    ["restarted after a stop: no message until trouble", [stopped, healthy, stale], ["watchdog_stopped", "watchdog_stale"]],
    ["stopped while in trouble", [stale, stopped], ["watchdog_stale", "watchdog_stopped"]],
  ])("%s", (_name, seen, expected) => {
    expect(alertsFor(seen)).toEqual(expected);
  });

  test("recovery says how long the trouble lasted", () => {
    const trouble = nextEpisode(INITIAL_EPISODE, stale, 10_000).episode;
    expect(nextEpisode(trouble, healthy, 75_000).alert).toEqual({ type: "watchdog_recovered", troubleMs: 65_000 });
  });
});

describe("parseEpisode", () => {
  test("reads what was saved and ignores anything else", () => {
    expect(parseEpisode(JSON.stringify({ phase: "trouble", since: 5 }))).toEqual({ phase: "trouble", since: 5 });
    expect(parseEpisode("{not json")).toEqual(INITIAL_EPISODE);
    expect(parseEpisode(JSON.stringify({ phase: "weird", since: 5 }))).toEqual(INITIAL_EPISODE);
  });
});
