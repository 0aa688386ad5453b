/**
 * The runtime's floor for the ingest benchmark: a bare Bun WebSocket client that only
 * JSON.parses each message (and reads one field, so the parse is not dead code), then
 * says "done" after N messages. N = 0 listens forever (the footprint benchmark's floor).
 *
 *   bun scripts/lib/floor-ingest.ts URL N
 */
const [url, total] = [process.argv[2]!, Number(process.argv[3])];
let count = 0;
let closes = 0;
const ws = new WebSocket(url);
ws.onmessage = (event) => {
  const msg = JSON.parse(event.data as string);
  if (msg.data.k.x === true) closes++;
  if (++count === total) {
    ws.send(`done ${closes}`);
    ws.close();
  }
};
ws.onclose = () => process.exit(count === total ? 0 : 1);
