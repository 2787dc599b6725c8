"""The fake gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, and drops.

Sharded clients IDENTIFY once per shard with ``shard: [id, count]``; as Discord does, each
session is told of the guilds its shard holds (``(guild_id >> 22) % count``), and an event is
sent to the session of its guild's shard (DMs to shard 0).

One :class:`Session` is what IDENTIFY creates and RESUME continues; it numbers every dispatch
and keeps them, so a client that resumes after a drop is replayed what it missed, as Discord
does. Frames are JSON text, or zlib-stream binary when the client asks for it (discord.py does).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .model import client_user_payload, guild_create_payload, member_payload, now

if TYPE_CHECKING:
    from .server import FakeDiscord

# Opcodes.
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Intents.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Close codes.
UNKNOWN_OPCODE = 4001
NOT_AUTHENTICATED = 4003
AUTHENTICATION_FAILED = 4004
ALREADY_AUTHENTICATED = 4005
INVALID_SHARD = 4010
INVALID_INTENTS = 4013
DISALLOWED_INTENTS = 4014


@dataclass
class Heartbeat:
    """One heartbeat the client sent: when (loop time), its sequence, and whether it was acked."""

    at: float
    sequence: int | None
    acked: bool
    connection: int


@dataclass
class Connection:
    """One websocket connection from the client."""

    index: int
    path: str
    query: dict[str, str]
    opened_at: float
    received: list[dict[str, Any]] = field(default_factory=list)
    identified: bool = False
    resumed: bool = False
    close_code: int | None = None
    """The code the fake closed with, else the client's."""
    socket: web.WebSocketResponse | None = field(default=None, repr=False)
    compressor: Any = field(default=None, repr=False)


@dataclass
class Session:
    """A gateway session: created by IDENTIFY, continued by RESUME."""

    id: str
    intents: int
    identify: dict[str, Any]
    sequence: int = 0
    sent: list[tuple[int, str]] = field(default_factory=list)
    connection: Connection | None = None
    shard: tuple[int, int] | None = None

    def holds(self, guild_id: int | None) -> bool:
        """Whether this session's shard receives the events of a guild (None: a DM)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return shard_id == (0 if guild_id is None else (guild_id >> 22) % count)


def shard_of(data: dict[str, Any]) -> tuple[int, int] | None:
    """The ``[id, count]`` an IDENTIFY asks for, None when it asks for none, else ValueError."""
    shard = data.get("shard")
    if shard is None:
        return None
    if (
        not isinstance(shard, list)
        or len(shard) != 2
        or not all(isinstance(n, int) for n in shard)
        or not 0 <= shard[0] < shard[1]
    ):
        raise ValueError(f"invalid shard {shard!r}")
    return shard[0], shard[1]


def guild_of(event: str, data: dict[str, Any]) -> int | None:
    """The guild an event belongs to (None for a DM or an event of no guild)."""
    if "guild_id" in data and data["guild_id"] is not None:
        return int(data["guild_id"])
    if event.startswith("GUILD_") and "id" in data:
        return int(data["id"])
    return None


class Gateway:
    """Serves the gateway websocket for one :class:`FakeDiscord`."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.connections: list[Connection] = []
        self.heartbeats: list[Heartbeat] = []
        self.sessions: dict[str, Session] = {}
        self.session: Session | None = None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Run one websocket connection until it closes."""
        loop = asyncio.get_running_loop()
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        query = dict(request.query)
        connection = Connection(len(self.connections), request.path, query, loop.time())
        connection.socket = socket
        if query.get("compress") == "zlib-stream" and self.fake.compress:
            connection.compressor = zlib.compressobj()
        self.connections.append(connection)
        self.fake.notify()
        await self._send(
            connection,
            {
                "op": HELLO,
                "s": None,
                "t": None,
                "d": {
                    "heartbeat_interval": int(self.fake.heartbeat_interval * 1000),
                    "_trace": ['["fake-gateway"]'],
                },
            },
        )
        try:
            async for message in socket:
                if message.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                connection.received.append(payload)
                await self._receive(connection, payload)
                self.fake.notify()
        finally:
            if connection.close_code is None:
                connection.close_code = socket.close_code
            connection.socket = None
            for session in self.sessions.values():
                if session.connection is connection:
                    session.connection = None
            self.fake.notify()
        return socket

    async def _receive(self, connection: Connection, payload: dict[str, Any]) -> None:
        """Answer one client frame."""
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            acked = self.fake.ack_heartbeats
            loop_time = asyncio.get_running_loop().time()
            self.heartbeats.append(Heartbeat(loop_time, data, acked, connection.index))
            if acked:
                await self._send(connection, {"op": HEARTBEAT_ACK, "s": None, "t": None, "d": None})
        elif op == IDENTIFY:
            await self._identify(connection, data or {})
        elif op == RESUME:
            await self._resume(connection, data or {})
        elif not connection.identified:
            await self._close(connection, NOT_AUTHENTICATED)
        elif op == REQUEST_GUILD_MEMBERS:
            await self._request_members(data or {})
        elif op in (PRESENCE_UPDATE, VOICE_STATE_UPDATE):
            pass
        else:
            await self._close(connection, UNKNOWN_OPCODE)

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        """Check the token and intents, then send READY and one GUILD_CREATE per guild."""
        fake = self.fake
        if connection.identified:
            await self._close(connection, ALREADY_AUTHENTICATED)
            return
        if data.get("token") != fake.token:
            await self._close(connection, AUTHENTICATION_FAILED)
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await self._close(connection, INVALID_INTENTS)
            return
        if intents & PRIVILEGED_INTENTS & ~fake.granted_intents:
            await self._close(connection, DISALLOWED_INTENTS)
            return
        try:
            shard = shard_of(data)
        except ValueError:
            await self._close(connection, INVALID_SHARD)
            return
        connection.identified = True
        session = Session(secrets.token_hex(16), intents, data, connection=connection, shard=shard)
        self.sessions[session.id] = session
        self.session = session
        world = fake.world
        ready: dict[str, Any] = {
            "v": 10,
            "user": client_user_payload(world.bot),
            "user_settings": {},
            "guilds": [
                {"id": str(g), "unavailable": True} for g in world.guilds if session.holds(g)
            ],
            "presences": [],
            "private_channels": [],
            "relationships": [],
            "guild_join_requests": [],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": fake.resume_gateway_url,
            "application": {"id": str(world.application_id), "flags": fake.application_flags},
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "_trace": ['["fake-gateway"]'],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self.dispatch("READY", ready, session)
        joined = now()
        for guild in world.guilds.values():
            if not session.holds(guild.id):
                continue
            payload = guild_create_payload(
                guild, joined, world.bot.id, bool(intents & GUILD_PRESENCES)
            )
            await self.dispatch("GUILD_CREATE", payload, session)

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        """Replay what the session missed since the client's sequence, then send RESUMED."""
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.fake.token:
            await self._send(connection, {"op": INVALID_SESSION, "s": None, "t": None, "d": False})
            return
        connection.identified = connection.resumed = True
        session.connection = connection
        self.session = session
        seen = data.get("seq") or 0
        for sequence, frame in session.sent:
            if sequence > seen:
                await self._send_raw(connection, frame)
        await self.dispatch("RESUMED", {"_trace": ['["fake-gateway"]']}, session)

    async def _request_members(self, data: dict[str, Any]) -> None:
        """Answer a REQUEST_GUILD_MEMBERS with one GUILD_MEMBERS_CHUNK."""
        guild = self.fake.world.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        limit = data.get("limit") or len(guild.members)
        members = [
            m
            for m in guild.members.values()
            if (not wanted or m.user.id in wanted) and m.user.username.lower().startswith(query)
        ][:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [member_payload(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - {m.user.id for m in members}],
        }
        if data.get("presences"):
            chunk["presences"] = []
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(
        self, event: str, data: dict[str, Any], session: Session | None = None
    ) -> None:
        """Number a dispatch, keep it for RESUME, and send it if the client is connected; a
        sharded client's event goes to the session of its guild's shard."""
        session = session or self._session_for(guild_of(event, data))
        if session is None:
            raise RuntimeError(f"cannot dispatch {event}: no client has identified yet")
        session.sequence += 1
        frame = json.dumps({"op": DISPATCH, "t": event, "s": session.sequence, "d": data})
        session.sent.append((session.sequence, frame))
        self.fake.dispatched.append((event, data))
        if session.connection is not None:
            await self._send_raw(session.connection, frame)

    def _session_for(self, guild_id: int | None) -> Session | None:
        """The latest session that receives a guild's events (the current one when unsharded)."""
        if self.session is None or self.session.shard is None:
            return self.session
        holding = [s for s in self.sessions.values() if s.shard and s.holds(guild_id)]
        return holding[-1] if holding else None

    async def _send(self, connection: Connection, payload: dict[str, Any]) -> None:
        """Send one non-dispatch frame."""
        await self._send_raw(connection, json.dumps(payload))

    async def _send_raw(self, connection: Connection, frame: str) -> None:
        """Send one frame, compressed when the connection asked for zlib-stream."""
        socket = connection.socket
        if socket is None or socket.closed:
            return
        try:
            if connection.compressor is not None:
                compressed = connection.compressor.compress(frame.encode())
                await socket.send_bytes(compressed + connection.compressor.flush(zlib.Z_SYNC_FLUSH))
            else:
                await socket.send_str(frame)
        except (ConnectionResetError, RuntimeError):
            pass

    async def _close(self, connection: Connection, code: int) -> None:
        """Close one connection with a gateway close code (recorded as the close code)."""
        if connection.socket is not None:
            connection.close_code = code
            await connection.socket.close(code=code, message=b"fake gateway")

    async def drop(self, code: int = 4000) -> None:
        """Close the live connection as Discord does when it drops one; the session survives."""
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("no live gateway connection to drop")
        await self._close(session.connection, code)

    async def reconnect(self) -> None:
        """Ask the client to reconnect and resume (op 7 RECONNECT)."""
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("no live gateway connection")
        await self._send(session.connection, {"op": RECONNECT, "s": None, "t": None, "d": None})

    async def invalidate(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; unless resumable, the session is forgotten."""
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("no live gateway connection")
        connection = session.connection
        if not resumable:
            self.sessions.pop(session.id, None)
            self.session = None
        await self._send(connection, {"op": INVALID_SESSION, "s": None, "t": None, "d": resumable})

    async def close_all(self) -> None:
        """Close every open connection (used when the fake stops)."""
        for connection in self.connections:
            if connection.socket is not None and not connection.socket.closed:
                await connection.socket.close(code=1001, message=b"fake stopping")

    @property
    def intents(self) -> int | None:
        """The intents of the current session, or None before IDENTIFY."""
        return self.session.intents if self.session else None
