"""What the fake remembers: requests, spec violations, injected faults and interactions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LOADING = 1 << 7
EPHEMERAL = 1 << 6


@dataclass
class RecordedRequest:
    """One REST request the client made, and how the fake answered it."""

    method: str
    path: str
    """The path under ``/api/v10``, e.g. ``/channels/123/messages``."""
    query: dict[str, str]
    headers: Mapping[str, str]
    """Case-insensitive: ``headers.get("authorization")`` works."""
    json: Any
    """The JSON body; for a multipart body, its ``payload_json`` part; else None."""
    route: str | None
    """The spec-style template that matched, e.g. ``/channels/{channel_id}/messages``."""
    params: dict[str, str] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    at: float = 0.0
    status: int = 0
    response: Any = None

    def __str__(self) -> str:
        """``POST /channels/1/messages -> 200`` style summary."""
        return f"{self.method} {self.path} -> {self.status or '...'}"


@dataclass
class Violation:
    """A request whose body breaks the OpenAPI description or a Discord limit."""

    request: RecordedRequest
    problems: list[str]
    source: str
    """``"openapi"`` for the description's schema, ``"discord"`` for a limit Discord enforces."""

    def __str__(self) -> str:
        """The request and its problems, one per line."""
        lines = "\n".join(f"    - {problem}" for problem in self.problems)
        return f"{self.request.method} {self.request.route} ({self.source}):\n{lines}"


@dataclass
class Fault:
    """A failure to inject into the next ``remaining`` requests that match."""

    route: str
    method: str | None
    status: int
    remaining: int
    retry_after: float = 0.0
    is_global: bool = False

    def matches(self, request: RecordedRequest) -> bool:
        """Whether the request's method and route (template or concrete path) match."""
        if self.method is not None and self.method.upper() != request.method:
            return False
        return self.route in (request.route, request.path)


@dataclass
class InteractionRecord:
    """An interaction the fake sent, and everything the client did to answer it."""

    payload: dict[str, Any]
    created_at: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original_id: int | None = None
    """The message ``@original`` names: the response, or the message a component is on."""
    followup_ids: list[int] = field(default_factory=list)
    reply_id: int | None = None
    """The message a person sees as the answer, once there is one (see ``wait_for_reply``)."""

    @property
    def id(self) -> int:
        """The interaction's id."""
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        """The interaction's token."""
        return str(self.payload["token"])

    @property
    def response_type(self) -> int | None:
        """The callback type of the first (and only) response, if answered."""
        return self.callbacks[0]["type"] if self.callbacks else None
