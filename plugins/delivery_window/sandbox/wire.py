"""Request and response values passed between the sandbox server and its service handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """One incoming HTTP request, already parsed (headers lower-cased, query flattened)."""

    method: str
    path: str  # full path, e.g. /whatsapp/v23.0/1065550100
    service: str  # first path segment, e.g. whatsapp
    subpath: str  # path after the service prefix, e.g. /v23.0/1065550100
    query: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    host: str
    params: dict[str, str] = field(default_factory=dict)  # named groups of the matched route

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not valid JSON."""
        return json.loads(self.body.decode("utf-8") or "null")

    def bearer(self) -> str | None:
        """The Bearer token of the Authorization header, if any."""
        auth = self.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None


@dataclass
class Response:
    """What a handler answers: dict/list bodies are sent as JSON, str as text/plain, bytes as given."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    def encode(self) -> tuple[bytes, str]:
        """Body bytes and content type."""
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/plain; charset=utf-8"
        if self.body is None:
            return b"", self.content_type or "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), self.content_type or "application/json"


# Sentinel a fault returns to make the server drop the connection without an answer.
DROP = object()
