"""JSON Lines answers: one JSON object a line, encoded a chunk of lines at a time."""

from collections.abc import AsyncIterator
from typing import Any

import orjson

JSONL_MEDIA_TYPE = "application/x-ndjson"
CHUNK_LINES = 1000


async def jsonl_chunks(items: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """One JSON object a line, `CHUNK_LINES` lines a chunk."""
    buffer: list[bytes] = []
    async for item in items:
        buffer.append(orjson.dumps(item) + b"\n")
        if len(buffer) == CHUNK_LINES:
            yield b"".join(buffer)
            buffer.clear()
    yield b"".join(buffer)
