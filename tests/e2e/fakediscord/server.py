"""FakeDiscord: a Discord-compatible REST API and gateway on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import BodyPartReader, hdrs, web
from multidict import CIMultiDict

from . import spec as openapi
from .gateway import (
    GUILD_MEMBERS,
    GUILD_PRESENCES,
    MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    Connection,
    Gateway,
    Heartbeat,
)
from .messages import Messages
from .model import Channel, Guild, User, World
from .people import People
from .records import Fault, InteractionRecord, RecordedRequest, Violation
from .rest import JSON, ApiError, LimitError, RestApi
from .rest import discord_limits as _discord_limits
from .tracking import Tracking

T = TypeVar("T")
DEFAULT_TOKEN = "fake-discord-bot-token"
_spec_cache: dict[Path, openapi.OpenApiSpec | None] = {}


def load_spec(path: Path | None = None) -> openapi.OpenApiSpec | None:
    """The OpenAPI description at ``path`` (default: next to the project), loaded once."""
    key = path or openapi.SPEC_PATH
    if key not in _spec_cache:
        _spec_cache[key] = openapi.load_spec(key)
    return _spec_cache[key]


class FakeDiscord(Messages, People, Tracking):
    """A fake Discord: REST under ``/api/v10`` and a gateway websocket, both on 127.0.0.1.

    Start it (``await fake.start()`` or ``async with FakeDiscord() as fake``), point discord.py
    at :attr:`url` and :attr:`gateway_url`, then act as people do (:meth:`user_message`,
    :meth:`slash_command`, ...) and await what the bot sends (:meth:`wait_for_request`,
    :meth:`wait_for_reply`). Every JSON body is checked against Discord's OpenAPI description
    and limits; :meth:`problems` lists what went wrong.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        world: World | None = None,
        heartbeat_interval: float = 0.25,
        granted_intents: int = PRIVILEGED_INTENTS,
        spec_path: Path | None = None,
        validate: bool = True,
        compress: bool = True,
        interaction_deadline: float | None = 3.0,
        ack_heartbeats: bool = True,
    ) -> None:
        self.token = token
        self.world = world or World.default()
        self.heartbeat_interval = heartbeat_interval
        self.granted_intents = granted_intents
        self.compress = compress
        self.interaction_deadline = interaction_deadline
        self.ack_heartbeats = ack_heartbeats
        self.spec = load_spec(spec_path) if validate else None

        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.reply_violations: list[Violation] = []
        self.fake_errors: list[str] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.notes: list[str] = []
        self.faults: list[Fault] = []
        self.messages: dict[int, JSON] = {}
        self.attachments: dict[int, bytes] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.dispatched: list[tuple[str, JSON]] = []
        self.dropped: list[tuple[str, str]] = []

        self.rest = RestApi(self)
        self.gateway = Gateway(self)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._changed = asyncio.Event()
        self._awaited_requests: set[int] = set()

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle_api)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self._handle_stray)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Close gateway connections and stop listening."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        """Start on entry."""
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop on exit."""
        await self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``; REST lives under ``/api/v10``."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """The value for ``discord.http.Route.BASE``."""
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (a ws:// URL)."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """Where READY tells the client to resume (a different path, as Discord's differs)."""
        return f"ws://127.0.0.1:{self._port}/resume"

    @property
    def application_flags(self) -> int:
        """Application flags that grant the privileged intents in :attr:`granted_intents`."""
        flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        for intent, flag in ((GUILD_PRESENCES, 13), (GUILD_MEMBERS, 15), (MESSAGE_CONTENT, 19)):
            if self.granted_intents & intent:
                flags |= 1 << flag
        return flags

    # ---- the world, by name ------------------------------------------------------------------

    @property
    def bot_user(self) -> User:
        """The bot's user (its id is also the application id)."""
        return self.world.bot

    @property
    def guild(self) -> Guild:
        """The first guild."""
        return self.world.guild

    def user(self, username: str) -> User:
        """A person by username (``alice``, ``bob`` in the default world)."""
        return self.world.user(username)

    def add_person(self, username: str, *, permissions: int = 0) -> User:
        """A new member of the first guild with a role granting ``permissions`` (a bitfield).

        Add people before the client connects: GUILD_CREATE carries the guild as it is then.
        """
        return self.world.add_person(username, permissions=permissions)

    def channel(self, name: str) -> Channel:
        """A guild channel by name (``general``, ``questions``, ``locked`` by default)."""
        return self.world.channel_named(name)

    # ---- recording, validation and waiting ---------------------------------------------------

    def notify(self) -> None:
        """Wake everything waiting in :meth:`wait_until`."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_until(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        """Wait until ``check()`` returns something other than None/False, or time out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None and result is not False:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n".join(f"  {r}" for r in self.requests[-8:]) or "  (none)"
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}; recent requests:\n{recent}"
                )
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,
    ) -> RecordedRequest:
        """The first answered request matching ``predicate`` that no earlier wait returned."""

        def check() -> RecordedRequest | None:
            for index, request in enumerate(self.requests):
                if index in self._awaited_requests or not request.status:
                    continue
                if predicate is None or predicate(request):
                    self._awaited_requests.add(index)
                    return request
            return None

        return await self.wait_until(check, timeout, "a matching request")

    async def wait_for_gateway(
        self, predicate: Callable[[JSON], bool], timeout: float = 5.0
    ) -> JSON:
        """The first frame the client sent over the gateway (any connection) that matches."""

        def check() -> JSON | None:
            for connection in self.gateway.connections:
                for frame in connection.received:
                    if predicate(frame):
                        return frame
            return None

        return await self.wait_until(check, timeout, "a matching gateway frame")

    async def wait_for_callback(self, interaction: JSON, timeout: float = 5.0) -> JSON:
        """The body of the client's response to an interaction (``{"type": ..., "data": ...}``)."""
        record = self.interactions[int(interaction["id"])]
        return await self.wait_until(
            lambda: record.callbacks[0] if record.callbacks else None,
            timeout,
            f"a response to interaction {record.id}",
        )

    async def wait_for_reply(self, interaction: JSON, timeout: float = 5.0) -> JSON:
        """The message a person sees as the answer to an interaction, however it was sent.

        That is the type 4 response, a deferred response once edited or followed up, the
        message a component is on once a type 7 response (or a type 6 then an edit) updated it,
        or else the first follow-up.
        """
        record = self.interactions[int(interaction["id"])]
        return await self.wait_until(
            lambda: self.messages.get(record.reply_id) if record.reply_id else None,
            timeout,
            f"a reply to interaction {record.id}",
        )

    def problems(self) -> list[str]:
        """What a test should fail on: bad bodies, unknown routes, and the fake's own bugs."""
        found = [f"request body violates {v.source} rules: {v}" for v in self.violations]
        found += [f"unknown route: {r.method} {r.path}" for r in self.unknown_routes]
        found += [f"the fake itself failed (fix the fake): {error}" for error in self.fake_errors]
        found += [
            f"the fake's own reply breaks the description (fix the fake): {v}"
            for v in self.reply_violations
        ]
        return found

    def check_limits(
        self, request: RecordedRequest, body: JSON, *, creating: bool, files: int | None = None
    ) -> None:
        """Record and raise (400) when a message body breaks a limit Discord enforces."""
        count = len(request.files) if files is None else files
        problems = _discord_limits(body, creating=creating, files=count)
        if problems:
            self.violations.append(Violation(request, problems, "discord"))
            raise LimitError(problems)

    def fail_next(
        self, route: str, *, status: int = 500, times: int = 1, method: str | None = None
    ) -> None:
        """Answer the next ``times`` requests to ``route`` (template or path) with ``status``."""
        self.faults.append(Fault(route, method, status, times))

    def rate_limit_next(
        self,
        route: str,
        *,
        retry_after: float = 0.25,
        times: int = 1,
        method: str | None = None,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``times`` requests to ``route`` with 429 and ``retry_after`` seconds."""
        self.faults.append(Fault(route, method, 429, times, retry_after, is_global))

    # ---- HTTP --------------------------------------------------------------------------------

    def _record(self, request: web.Request, path: str) -> RecordedRequest:
        """Start the record of one request (body, route and answer are filled in later)."""
        recorded = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=CIMultiDict(request.headers),
            json=None,
            route=None,
            at=asyncio.get_running_loop().time(),
        )
        self.requests.append(recorded)
        return recorded

    async def _read_body(self, request: web.Request, recorded: RecordedRequest) -> bool:
        """Parse a JSON or multipart body into ``recorded.json`` and ``recorded.files``.

        Returns False (and records a violation) when a JSON body does not parse.
        """
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read()
                if part.name == "payload_json":
                    recorded.json = json.loads(data)
                else:
                    recorded.files.append(
                        {
                            "field": part.name,
                            "filename": part.filename,
                            "content_type": part.headers.get(hdrs.CONTENT_TYPE),
                            "size": len(data),
                            "data": bytes(data),
                        }
                    )
        elif request.can_read_body:
            text = await request.text()
            try:
                recorded.json = json.loads(text) if text else None
            except json.JSONDecodeError as error:
                recorded.json = text
                self.violations.append(Violation(recorded, [f"not JSON: {error}"], "discord"))
                return False
        return True

    def _validate(self, request: web.Request, recorded: RecordedRequest) -> None:
        """Check the body against the OpenAPI description, recording violations and notes."""
        if self.spec is None or recorded.json is None or recorded.route is None:
            return
        if not self.spec.describes_body(recorded.method, recorded.route):
            self.notes.append(f"{recorded.method} {recorded.route}: body sent, none described")
            return
        if request.content_type == "multipart/form-data":
            self.notes.append(
                f"{recorded.method} {recorded.route}: multipart; payload_json validated, "
                f"{len(recorded.files)} file(s) not validated"
            )
        problems = self.spec.validate(recorded.method, recorded.route, recorded.json)
        if problems:
            self.violations.append(Violation(recorded, problems, "openapi"))

    def validate_recorded(self, spec: openapi.OpenApiSpec) -> int:
        """Validate every recorded JSON request body now; returns how many were checked.

        For a fake started with ``validate=False`` so that validation (milliseconds a body)
        does not slow it down while it is being measured: violations are recorded as usual.
        """
        checked = 0
        for recorded in self.requests:
            if recorded.json is None or recorded.route is None:
                continue
            if not spec.describes_body(recorded.method, recorded.route):
                continue
            checked += 1
            problems = spec.validate(recorded.method, recorded.route, recorded.json)
            if problems:
                self.violations.append(Violation(recorded, problems, "openapi"))
        return checked

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        """Record, validate, authenticate, inject faults, then run the route's handler."""
        path = "/" + request.match_info["tail"]
        recorded = self._record(request, path)
        if not await self._read_body(request, recorded):
            invalid = {"message": "The request body contains invalid JSON.", "code": 50109}
            return self._respond(recorded, 400, invalid)
        found = self.rest.match(request.method, path)
        if found is None:
            self.unknown_routes.append(recorded)
            return self._respond(recorded, 404, {"message": "404: Not Found", "code": 0})
        recorded.route, recorded.params, handler = found
        self._validate(request, recorded)
        if (
            self.rest.needs_token(recorded.route)
            and request.headers.get(hdrs.AUTHORIZATION) != f"Bot {self.token}"
        ):
            return self._respond(recorded, 401, {"message": "401: Unauthorized", "code": 0})
        fault = next((f for f in self.faults if f.remaining > 0 and f.matches(recorded)), None)
        if fault is not None:
            fault.remaining -= 1
            return self._fault_response(recorded, fault)
        try:
            reply = await handler(recorded, recorded.params)
        except ApiError as error:
            return self._respond(recorded, error.status, error.body())
        except Exception as error:  # a bug in the fake: fail the test, not the client's retries
            self.fake_errors.append(
                f"{recorded.method} {recorded.path}: {error!r}\n" + traceback.format_exc()
            )
            body = {"message": f"the fake Discord failed: {error!r}", "code": 0}
            return self._respond(recorded, 503, body)
        return self._respond(recorded, reply.status, reply.body, reply.headers)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        """An uploaded file's bytes, as Discord's CDN serves them (no token needed)."""
        recorded = self._record(request, request.path)
        data = self.attachments.get(int(request.match_info["attachment_id"]))
        if data is None:
            return self._respond(recorded, 404, {"message": "404: Not Found", "code": 0})
        recorded.status = 200
        self.notify()
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle_stray(self, request: web.Request) -> web.StreamResponse:
        """Anything outside ``/api/v10`` and the gateway (a wrong API version, say)."""
        recorded = self._record(request, request.path)
        self.unknown_routes.append(recorded)
        return self._respond(recorded, 404, {"message": "404: Not Found", "code": 0})

    def _fault_response(self, recorded: RecordedRequest, fault: Fault) -> web.Response:
        """The injected 5xx or 429, with the headers discord.py reads."""
        if fault.status != 429:
            status_text = {500: "Internal Server Error", 502: "Bad Gateway"}.get(fault.status, "")
            body = {"message": f"{fault.status}: {status_text}".strip(), "code": 0}
            return self._respond(recorded, fault.status, body)
        scope = "global" if fault.is_global else "user"
        headers = {
            "Retry-After": str(math.ceil(fault.retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
            "X-RateLimit-Bucket": secrets.token_hex(16),
            "X-RateLimit-Scope": scope,
            "Via": "1.1 google",
        }
        if fault.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": fault.retry_after,
            "global": fault.is_global,
            "code": 0,
        }
        return self._respond(recorded, 429, body, headers)

    def _respond(
        self,
        recorded: RecordedRequest,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        """A reply with Content-Type exactly ``application/json`` (none on 204)."""
        recorded.status, recorded.response = status, body
        if self.spec is not None and recorded.route is not None and 200 <= status < 300:
            problems = self.spec.validate_response(recorded.method, recorded.route, status, body)
            if problems:
                self.reply_violations.append(Violation(recorded, problems, "reply"))
        self.notify()
        if status == 204:
            return web.Response(status=204, headers=headers)
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers={**(headers or {}), hdrs.CONTENT_TYPE: "application/json"},
        )

    # ---- gateway -----------------------------------------------------------------------------

    async def dispatch(
        self, event: str, data: JSON, *, intent: int | None = None, required: bool = True
    ) -> bool:
        """Send a gateway event if the client asked for ``intent``; returns whether it did.

        With no identified client this raises, unless ``required`` is false (the echo of
        something done over REST), when the event is only noted in :attr:`dropped`.
        """
        intents = self.gateway.intents
        if intents is None:
            if not required:
                self.dropped.append((event, "no client has identified"))
                return False
            raise RuntimeError(f"cannot dispatch {event}: no client has identified yet")
        if intent is not None and not intents & intent:
            self.dropped.append((event, f"the client did not ask for intent {intent}"))
            return False
        await self.gateway.dispatch(event, data)
        return True

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the client's gateway connection; it should reconnect and RESUME."""
        await self.gateway.drop(code)

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client should reconnect and RESUME."""
        await self.gateway.reconnect()

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; a non-resumable one makes the client IDENTIFY again."""
        await self.gateway.invalidate(resumable)

    @property
    def connections(self) -> list[Connection]:
        """Every gateway connection so far, in order."""
        return self.gateway.connections

    @property
    def heartbeats(self) -> list[Heartbeat]:
        """Every heartbeat the client sent, with whether it was acknowledged."""
        return self.gateway.heartbeats

    @property
    def identify(self) -> JSON | None:
        """The IDENTIFY payload (``d``) of the current session."""
        return self.gateway.session.identify if self.gateway.session else None

    @property
    def intents(self) -> int | None:
        """The intents the client sent in IDENTIFY."""
        return self.gateway.intents
