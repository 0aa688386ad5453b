"""The anchor's stack for the ingest benchmark: Python `websockets` + `json`, parsing
each message and reading one field, then saying "done" after N messages.

    python3 scripts/lib/floor-ingest.py URL N
"""
import asyncio
import json
import sys

import websockets


async def main(url: str, total: int) -> None:
    count = 0
    closes = 0
    async with websockets.connect(url, max_size=None, compression=None) as ws:
        async for message in ws:
            msg = json.loads(message)
            if msg["data"]["k"]["x"]:
                closes += 1
            count += 1
            if count == total:
                await ws.send(f"done {closes}")
                return


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
