// Run by exit-hooks.test.ts: registers a restore callback, then ends the way argv[2] says.
import { onTerminalExit } from "../../src/terminal/exit-hooks.ts";

const mode = process.argv[2];
// Like a real stop(): restores, then unregisters itself.
const unregister = onTerminalExit(() => {
  process.stderr.write("restored\n");
  unregister();
});

if (mode === "unregistered") unregister();
if (mode === "throw") setTimeout(() => { throw new Error("boom"); }, 5);
if (mode === "exit") setTimeout(() => {}, 5);
if (mode === "alone" || mode === "unregistered" || mode === "handled") {
  // Wait for the test's signal.
  const keepAlive = setInterval(() => {}, 1000);
  if (mode === "handled") {
    process.on("SIGTERM", () => {
      process.stderr.write("program handler\n");
      setTimeout(() => {
        process.stderr.write("program stopped gracefully\n");
        clearInterval(keepAlive);
      }, 20);
    });
  }
}
process.stdout.write("ready\n");
