// Runs before every test file (bunfig.toml): no test may reach a real Slack or Binance,
// and logs stay quiet unless a test captures them.
delete process.env.RESILIENCE_SLACK_WEBHOOK;
for (const key of Object.keys(process.env)) {
  if (key.startsWith("RESILIENCE_") && key !== "RESILIENCE_LOG_LEVEL") delete process.env[key];
}
process.env.RESILIENCE_LOG_LEVEL ??= "1";
process.env.NO_COLOR = "1";
