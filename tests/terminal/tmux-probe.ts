// Run inside a real tmux pane by tmux.test.ts: the dashboard loop and the key reader on
// the pane's terminal. Keys are appended to the file argv[2]; q / F10 / Ctrl-C stop both
// and the script then ends by itself (nothing may keep it alive). argv[3] = "crash"
// makes the r key throw, to check the terminal is given back after a crash; "many" shows
// 500 streams with a view that scrolls on the arrow and page keys (as run-recorder wires it).
import { appendFileSync } from "node:fs";
import { startDashboard, detectUtf8 } from "../../src/dashboard/terminal.ts";
import { createKeyReader } from "../../src/terminal/key-reader.ts";
import { createDashboardView } from "../../src/dashboard/view-state.ts";
import { connected, manyStreams } from "../dashboard/fixtures.ts";

const [out, mode] = process.argv.slice(2) as [string, string | undefined];
const record = (line: string) => appendFileSync(out, `${line}\n`);
let drops = 0;
const view = createDashboardView();
const many = manyStreams(500, { utf8: detectUtf8() });

const dashboard = startDashboard({
  intervalMs: 100,
  view,
  getSnapshot: () => {
    if (mode === "many") return many;
    const base = connected({ now: Date.now(), utf8: detectUtf8(), lastMessageAt: Date.now() });
    return { ...base, counters: { ...base.counters, reconnectsReactive: drops } };
  },
});
const keys = createKeyReader({
  onKey(key) {
    record(`key ${key}`);
    if (key === "d") drops++;
    if (key === "r" && mode === "crash") throw new Error("crash on r");
    if (view.onKey(key)) dashboard.redraw();
    if (key === "q" || key === "f10" || key === "ctrl-c") {
      keys.stop();
      dashboard.stop();
      record("stopped");
    }
  },
});
record(`ready ${process.pid} ${keys.active} ${process.stdout.columns}x${process.stdout.rows}`);
