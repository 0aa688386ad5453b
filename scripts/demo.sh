#!/usr/bin/env bash
# One minute of trouble, offline: the recorder against the exchange embedded in the binary,
# with a disconnect, a stall, a missed close event, REST 429s and a server shutdown; then the
# audit of what it wrote. Ctrl-C, q or F10 ends the recording early.
set -u
cd "$(dirname "$0")/.."
[ -x dist/resilience ] || npm run build
out=$(mktemp -d -t resilience-demo-XXXXXX)
echo "recording into $out for about a minute..."
timeout --foreground -s INT "${DEMO_SECONDS:-60}" dist/resilience run --simulate \
  --symbol BTCUSDT,ETHUSDT,PEPEUSDT --interval 1s --restart-every 15s --stale-after 3s \
  --faults "drop@8s,stall:6s@18s,skipclose@30s,rest429:2@36s,dupclose@40s,shutdown@47s" \
  --out "$out" --state "$out/state.json"
echo
echo "audit: resilience gaps $out/*.csv"
dist/resilience gaps "$out"/*.csv
