import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "run", description: "Record Binance klines to CSV, forever, without losing one" },
  args: {},
  run() {
    throw new Error("not yet");
  },
});
