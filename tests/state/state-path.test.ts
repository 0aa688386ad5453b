import { expect, test } from "bun:test";
import { statePathFromRunArgs } from "../../src/state/state-path.ts";

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
