import { expect, test } from "bun:test";
import { runArgValue, statePathFromRunArgs, watchdogArgs } from "../../src/tmux/run-args.ts";

test.each([
  [["--config", "a.yml"], "a.yml"],
  [["--config=b.yml"], "b.yml"],
  [["--config", "a.yml", "--config=c.yml"], "c.yml"],
  [["--config"], undefined],
  [["--config="], undefined],
  [["--configx", "a"], undefined],
  [["--", "--config", "a.yml"], undefined],
  [[], undefined],
])("--config in %j is %p", (args, value) => {
  expect(runArgValue(args, "--config")).toBe(value);
});

test("the watchdog gets the run's state file and config file", () => {
  expect(watchdogArgs(["--symbol", "X"], "/s.json")).toEqual(["--state", "/s.json"]);
  expect(watchdogArgs(["--config", "cfg/r.yml", "--state", "x"], "/s.json")).toEqual(["--state", "/s.json", "--config", "cfg/r.yml"]);
});

test.each([
  [[], "/srv/rec/state/heartbeat.state.json"],
  [["--config", "c.yml"], "/srv/rec/state/heartbeat.state.json"],
  [["--state", "s.json"], "/srv/rec/s.json"],
  [["--state=/var/lib/r/s.json"], "/var/lib/r/s.json"],
  [["--state", "a.json", "--state", "b.json"], "/srv/rec/b.json"],
  [["--state"], "/srv/rec/state/heartbeat.state.json"],
  [["--", "--state", "x.json"], "/srv/rec/state/heartbeat.state.json"],
])("run %j in /srv/rec writes %s", (args, path) => {
  expect(statePathFromRunArgs(args, "/srv/rec")).toBe(path);
});
