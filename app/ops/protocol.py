"""The HTTP/1.1 protocol `lab-registry serve` runs: uvicorn's httptools one, with a cap on the request head.

httptools (llhttp) puts no limit on the request line and headers, and gathers a header value piece by piece: a
100 MB header costs the worker that memory and seconds of CPU while its other requests wait. Here a head that
arrived whole is measured when it is complete, and one still arriving by the bytes received so far; past
MAX_HEADER_BYTES the request is answered 431 and the connection closed, before the parser is fed any more. The
close lingers: the answer is followed by a FIN and what the client still sends is read and dropped for a moment,
since closing a socket with unread data sends a reset that can destroy the answer before the client reads it.
"""

import asyncio
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from app.core.errors import PROBLEM_JSON, problem_type
from app.core.security import redact_keys

DEFAULT_MAX_HEAD_BYTES = 32_768
LINGER_SECONDS = 2.0


class HeadLimitedProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` that refuses a request line and headers over `h11_max_incomplete_event_size` bytes
    (the setting uvicorn gives h11 for the same purpose; `serve` sets it from MAX_HEADER_BYTES)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_head_bytes = config.h11_max_incomplete_event_size or DEFAULT_MAX_HEAD_BYTES
        # Bytes received since the current request's head began; between requests a new head may begin.
        self.head_bytes = 0
        self.in_head = True
        self.refused = False

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        # Counted before parsing, judged after: a chunk that completes a small head and carries a body is fine.
        if self.in_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.in_head and self.head_bytes > self.max_head_bytes and not self.refused:
            self._refuse_head()

    def on_headers_complete(self) -> None:
        # Once refused, the connection is closing: what else the chunk held is not served.
        if self.refused:
            return
        self.in_head = False
        if len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers) > self.max_head_bytes:
            self._refuse_head()
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self.refused:
            return
        super().on_message_complete()
        self.in_head = True
        self.head_bytes = 0

    def _refuse_head(self) -> None:
        """431 as problem+json, then a lingering close: the rest of the head is never parsed."""
        self.logger.warning("Request line and headers over %d bytes refused.", self.max_head_bytes)
        path = getattr(self, "url", b"").partition(b"?")[0][:200].decode("latin-1")
        body = orjson.dumps(
            {
                "type": problem_type("request-header-fields-too-large"),
                "title": "Request Header Fields Too Large",
                "status": 431,
                "detail": f"The request line and headers exceed {self.max_head_bytes} bytes.",
                "instance": redact_keys(path),
            }
        )
        content = [STATUS_LINE[431]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: " + PROBLEM_JSON.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
        )
        self.refused = True
        self.transport.write(b"".join(content))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
