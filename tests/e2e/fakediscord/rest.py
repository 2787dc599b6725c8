"""The fake REST API under ``/api/v10``: one handler per route the bot may call.

Handlers take the recorded request and its path parameters and return a :class:`Reply` or raise
:class:`ApiError` with Discord's error code and message. Templates use the OpenAPI
description's parameter names, so a request's ``route`` is the description's path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import (
    GUILD_TEXT,
    PUBLIC_THREAD,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    THREAD_TYPES,
    VIEW_CHANNEL,
    Channel,
    Guild,
    channel_payload,
    client_user_payload,
    guild_payload,
    member_payload,
    user_payload,
)
from .records import EPHEMERAL, LOADING, InteractionRecord, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeDiscord

JSON = dict[str, Any]


class ApiError(Exception):
    """A Discord error reply: HTTP status, JSON error code and message."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> JSON:
        """The JSON body Discord sends with this error."""
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


class LimitError(ApiError):
    """A body Discord rejects for breaking one of its limits (400 Invalid Form Body)."""

    def __init__(self, problems: list[str]) -> None:
        errors = {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": p} for p in problems]}
        super().__init__(400, 50035, "Invalid Form Body", errors)
        self.problems = problems


@dataclass
class Reply:
    """A successful reply: status and JSON body (None for 204)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[RecordedRequest, dict[str, str]], Awaitable[Reply]]

UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
UNKNOWN_MESSAGE = (404, 10008, "Unknown Message")
UNKNOWN_WEBHOOK = (404, 10015, "Unknown Webhook")
UNKNOWN_INTERACTION = (404, 10062, "Unknown interaction")
MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")

EMBED_LIMITS = {"title": 256, "description": 4096}


def discord_limits(body: JSON, *, creating: bool, files: int = 0) -> list[str]:
    """Limits Discord enforces on a message body that the OpenAPI description does not."""
    problems: list[str] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > 2000:
        problems.append(f"content: {len(content)} characters, Discord allows 2000")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"embeds: {len(embeds)}, Discord allows 10")
    total = 0
    for index, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                problems.append(f"embeds/{index}/{key}: {len(text)} characters, limit {limit}")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append(f"embeds/{index}/fields: {len(fields)}, Discord allows 25")
        for position, item in enumerate(fields):
            name, value = item.get("name") or "", item.get("value") or ""
            total += len(name) + len(value)
            if len(name) > 256 or len(value) > 1024:
                problems.append(f"embeds/{index}/fields/{position}: name > 256 or value > 1024")
        for key, subkey, limit in (("footer", "text", 2048), ("author", "name", 256)):
            text = (embed.get(key) or {}).get(subkey) or ""
            total += len(text)
            if len(text) > limit:
                problems.append(f"embeds/{index}/{key}/{subkey}: {len(text)} characters")
    if total > 6000:
        problems.append(f"embeds: {total} characters in all, Discord allows 6000")
    rows = [c for c in body.get("components") or [] if c.get("type") == 1]
    if len(rows) > 5:
        problems.append(f"components: {len(rows)} action rows, Discord allows 5")
    if creating and not (
        content
        or embeds
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or files
    ):
        problems.append("Cannot send an empty message (no content, embeds, components or files)")
    return problems


def without_nulls(value: Any) -> Any:
    """A copy of a JSON value without null object members (how Discord echoes embeds)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def number_components(components: list[JSON]) -> list[JSON]:
    """Echo components as Discord does: every component gets a numeric ``id``."""
    counter = iter(range(1, 1000))

    def number(component: JSON) -> JSON:
        copy = without_nulls(component)
        copy.setdefault("id", next(counter))
        if "components" in copy:
            copy["components"] = [number(child) for child in copy["components"]]
        return copy

    return [number(component) for component in components]


class RestApi:
    """Route table and handlers; state lives on the :class:`FakeDiscord`."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world
        a, g = "/applications/{application_id}", "/guilds/{guild_id}"
        c, m = "/channels/{channel_id}", "/channels/{channel_id}/messages/{message_id}"
        w = "/webhooks/{webhook_id}/{webhook_token}"
        self.routes: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self.get_me),
            ("GET", "/users/{user_id}", self.get_user),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", f"{a}/commands", self.get_commands),
            ("PUT", f"{a}/commands", self.put_commands),
            ("GET", f"{a}/guilds/{{guild_id}}/commands", self.get_commands),
            ("PUT", f"{a}/guilds/{{guild_id}}/commands", self.put_commands),
            ("GET", g, self.get_guild),
            ("GET", f"{g}/channels", self.get_guild_channels),
            ("GET", f"{g}/members/{{user_id}}", self.get_member),
            ("GET", c, self.get_channel),
            ("GET", f"{c}/messages", self.get_messages),
            ("POST", f"{c}/messages", self.post_message),
            ("POST", f"{c}/typing", self.no_content),
            ("POST", f"{c}/threads", self.create_thread),
            ("GET", m, self.get_message),
            ("PATCH", m, self.edit_message),
            ("DELETE", m, self.delete_message),
            ("POST", f"{m}/threads", self.create_thread),
            ("PUT", f"{m}/reactions/{{emoji_name}}/@me", self.no_content),
            ("DELETE", f"{m}/reactions/{{emoji_name}}/@me", self.no_content),
            (
                "POST",
                "/interactions/{interaction_id}/{interaction_token}/callback",
                self.interaction_callback,
            ),
            ("GET", w, self.get_webhook),
            ("POST", w, self.post_followup),
            ("GET", f"{w}/messages/@original", self.get_webhook_message),
            ("PATCH", f"{w}/messages/@original", self.edit_webhook_message),
            ("DELETE", f"{w}/messages/@original", self.delete_webhook_message),
            ("GET", f"{w}/messages/{{message_id}}", self.get_webhook_message),
            ("PATCH", f"{w}/messages/{{message_id}}", self.edit_webhook_message),
            ("DELETE", f"{w}/messages/{{message_id}}", self.delete_webhook_message),
        ]
        self.unauthenticated = {"/gateway", "/interactions/", "/webhooks/"}
        self._compiled = sorted(
            (
                (method, template, _compile(template), handler)
                for method, template, handler in self.routes
            ),
            key=lambda item: -sum(1 for s in item[1].split("/") if s and "{" not in s),
        )

    def match(self, method: str, path: str) -> tuple[str, dict[str, str], Handler] | None:
        """The template, path parameters and handler for a request, if any route matches."""
        for route_method, template, pattern, handler in self._compiled:
            found = pattern.match(path)
            if found and route_method == method:
                return template, found.groupdict(), handler
        return None

    def needs_token(self, template: str) -> bool:
        """Whether Discord requires the bot token on this route."""
        return not any(template.startswith(prefix) for prefix in self.unauthenticated)

    # ---- users, application, gateway -------------------------------------------------------

    async def get_me(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The bot's own user."""
        return Reply(body=client_user_payload(self.world.bot))

    async def get_user(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """Any user the fake knows."""
        user = self.world.users.get(int(params["user_id"]))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return Reply(body=user_payload(user))

    async def create_dm(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """Open (or return) the DM channel with a user."""
        user = self.world.users.get(int((request.json or {}).get("recipient_id") or 0))
        if user is None:
            raise ApiError(400, 50035, "Invalid Form Body")
        return Reply(body=channel_payload(self.world.dm_channel(user)))

    async def get_application(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The bot's application, owned by the first guild's owner."""
        world = self.world
        owner = world.users[world.guild.owner_id]
        app_id = str(world.application_id)
        return Reply(
            body={
                "id": app_id,
                "name": world.bot.username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "hook": True,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": hashlib.sha256(app_id.encode()).hexdigest(),
                "flags": self.fake.application_flags,
                "flags_new": str(self.fake.application_flags),
                "explicit_content_filter": 0,
                "eligible_oauth2_scopes": ["bot", "applications.commands"],
                "approximate_user_authorization_count": 0,
                "owner": user_payload(owner),
                "team": None,
                "bot": user_payload(world.bot),
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "event_webhooks_url": None,
                "event_webhooks_status": 1,
                "tags": [],
                "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
                "integration_types_config": {"0": {}},
                "approximate_guild_count": len(world.guilds),
                "approximate_user_install_count": 0,
                "is_monetized": False,
                "is_verified": False,
                "is_discoverable": False,
                "storefront_available": False,
            }
        )

    async def get_gateway(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """Where the gateway is."""
        return Reply(body={"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """Where the gateway is, with shard advice (AutoShardedClient asks this)."""
        return Reply(
            body={
                "url": self.fake.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    # ---- application commands --------------------------------------------------------------

    def _check_application(self, params: dict[str, str]) -> int | None:
        """The guild id of a command route (None for global), after checking the app id."""
        if int(params["application_id"]) != self.world.application_id:
            raise ApiError(403, 50001, "Missing Access")
        guild_id = params.get("guild_id")
        if guild_id is not None and int(guild_id) not in self.world.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return int(guild_id) if guild_id else None

    async def get_commands(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The commands last registered globally or for a guild."""
        return Reply(body=self.fake.commands.get(self._check_application(params), []))

    async def put_commands(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """Replace the global or guild commands; names keep their ids across syncs."""
        guild_id = self._check_application(params)
        previous = {c["name"]: c for c in self.fake.commands.get(guild_id, [])}
        stored = []
        for command in request.json or []:
            old = previous.get(command["name"])
            stored.append(
                {
                    "id": old["id"] if old else str(self.world.ids.next()),
                    "application_id": str(self.world.application_id),
                    "version": str(self.world.ids.next()),
                    "type": command.get("type", 1),
                    "name": command["name"],
                    "name_localizations": command.get("name_localizations"),
                    "description": command.get("description", ""),
                    "description_localizations": command.get("description_localizations"),
                    "options": command.get("options") or [],
                    "default_member_permissions": _as_str(
                        command.get("default_member_permissions")
                    ),
                    "dm_permission": command.get("dm_permission", True),
                    "contexts": command.get("contexts"),
                    "integration_types": command.get("integration_types") or [0],
                    "nsfw": command.get("nsfw", False),
                    **({"guild_id": str(guild_id)} if guild_id else {}),
                }
            )
        self.fake.commands[guild_id] = stored
        return Reply(body=stored)

    # ---- guilds and channels ---------------------------------------------------------------

    def _guild(self, guild_id: str) -> Guild:
        """A guild the bot is in, or 404."""
        guild = self.world.guilds.get(int(guild_id))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    async def get_guild(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """A guild."""
        return Reply(body=guild_payload(self._guild(params["guild_id"])))

    async def get_guild_channels(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """A guild's channels (threads excluded, as Discord does)."""
        guild = self._guild(params["guild_id"])
        return Reply(
            body=[channel_payload(c) for c in guild.channels.values() if c.type not in THREAD_TYPES]
        )

    async def get_member(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """A guild member."""
        member = self._guild(params["guild_id"]).members.get(int(params["user_id"]))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return Reply(body=member_payload(member))

    def channel(self, channel_id: str | int) -> Channel:
        """A channel the bot can see, or Discord's error."""
        channel = self.world.channel(int(channel_id))
        if channel is None:
            raise ApiError(*UNKNOWN_CHANNEL)
        if channel.guild_id is not None:
            guild = self.world.guilds[channel.guild_id]
            if not guild.permissions(self.world.bot.id, channel) & VIEW_CHANNEL:
                raise ApiError(*MISSING_ACCESS)
        return channel

    async def get_channel(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """A channel."""
        return Reply(body=channel_payload(self.channel(params["channel_id"])))

    async def no_content(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """Typing indicators and reactions: accepted, nothing to return."""
        self.channel(params["channel_id"])
        return Reply(status=204)

    # ---- channel messages ------------------------------------------------------------------

    def message(self, channel: Channel, message_id: str | int) -> JSON:
        """A stored message in a channel, or 404."""
        message = self.fake.messages.get(int(message_id))
        if message is None or message["channel_id"] != str(channel.id):
            raise ApiError(*UNKNOWN_MESSAGE)
        return message

    async def get_messages(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """A channel's history, newest first."""
        channel = self.channel(params["channel_id"])
        limit = int(request.query.get("limit", 50))
        history = [m for m in self.fake.messages.values() if m["channel_id"] == str(channel.id)]
        return Reply(body=list(reversed(history))[:limit])

    async def get_message(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """One message."""
        channel = self.channel(params["channel_id"])
        return Reply(body=self.message(channel, params["message_id"]))

    async def post_message(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The bot sends a message (a reply when it has a message_reference)."""
        channel = self.channel(params["channel_id"])
        body = request.json or {}
        if channel.guild_id is not None:
            guild = self.world.guilds[channel.guild_id]
            needed = SEND_MESSAGES_IN_THREADS if channel.type in THREAD_TYPES else SEND_MESSAGES
            if not guild.permissions(self.world.bot.id, channel) & needed:
                raise ApiError(*MISSING_PERMISSIONS)
        self.fake.check_limits(request, body, creating=True)
        reference = None
        if body.get("message_reference"):
            ref = body["message_reference"]
            target_channel = self.channel(ref.get("channel_id") or channel.id)
            try:
                reference = self.message(target_channel, ref["message_id"])
            except ApiError:
                if ref.get("fail_if_not_exists", True):
                    raise ApiError(
                        400,
                        50035,
                        "Invalid Form Body",
                        {
                            "message_reference": {
                                "_errors": [
                                    {
                                        "code": "REPLIES_UNKNOWN_MESSAGE",
                                        "message": "Unknown message",
                                    }
                                ]
                            }
                        },
                    ) from None
        message = await self.fake.create_message(
            channel,
            self.world.bot,
            body,
            kind=19 if reference else 0,
            reference=reference,
            files=request.files,
        )
        return Reply(body=message)

    async def edit_message(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The bot edits one of its messages."""
        channel = self.channel(params["channel_id"])
        message = self.message(channel, params["message_id"])
        if message["author"]["id"] != str(self.world.bot.id):
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self.fake.check_limits(request, request.json or {}, creating=False)
        return Reply(body=await self.fake.edit_message(message, request.json or {}, request.files))

    async def delete_message(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The bot deletes a message."""
        channel = self.channel(params["channel_id"])
        await self.fake.delete_message(self.message(channel, params["message_id"]))
        return Reply(status=204)

    async def create_thread(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The bot starts a thread, from a message or not; THREAD_CREATE follows."""
        parent = self.channel(params["channel_id"])
        if parent.type != GUILD_TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        message_id = params.get("message_id")
        starter = self.message(parent, message_id) if message_id else None
        body = request.json or {}
        thread = Channel(
            int(message_id) if message_id else self.world.ids.next(),
            body.get("type", PUBLIC_THREAD),
            body.get("name", "thread"),
            parent.guild_id,
            parent_id=parent.id,
            owner_id=self.world.bot.id,
        )
        self.world.guilds[parent.guild_id or 0].channels[thread.id] = thread
        if starter is not None:
            starter["thread"] = channel_payload(thread)
        await self.fake.thread_created(thread)
        return Reply(status=201, body=channel_payload(thread))

    # ---- interactions and their webhooks ---------------------------------------------------

    def interaction(self, interaction_id: str, token: str) -> InteractionRecord:
        """A live interaction by id and token, or Discord's 404."""
        record = self.fake.interactions.get(int(interaction_id))
        if record is None or record.token != token:
            raise ApiError(*UNKNOWN_INTERACTION)
        return record

    def by_token(self, webhook_id: str, token: str) -> InteractionRecord:
        """The interaction a follow-up webhook (application id + token) belongs to."""
        if int(webhook_id) != self.world.application_id:
            raise ApiError(*UNKNOWN_WEBHOOK)
        for record in self.fake.interactions.values():
            if record.token == token:
                return record
        raise ApiError(*UNKNOWN_WEBHOOK)

    async def interaction_callback(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The first response to an interaction: types 4, 5, 6, 7, 8 and 9."""
        record = self.interaction(params["interaction_id"], params["interaction_token"])
        fake = self.fake
        late = request.at - record.created_at
        if fake.interaction_deadline is not None and late > fake.interaction_deadline:
            raise ApiError(*UNKNOWN_INTERACTION)
        if record.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = request.json or {}
        kind, data = body.get("type"), body.get("data") or {}
        interaction_type = record.payload["type"]
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[interaction_type]
        if kind not in allowed:
            raise ApiError(400, 40043, f"Interaction callback type {kind} is not valid here")
        channel = self.channel(record.payload["channel_id"])
        resource: JSON | None = None
        response_message_id: int | None = None
        if kind == 4:
            fake.check_limits(request, data, creating=True)
            message = await fake.create_message(
                channel,
                self.world.bot,
                data,
                interaction=record,
                flags=data.get("flags") or 0,
                files=request.files,
            )
            record.original_id = record.reply_id = response_message_id = int(message["id"])
            resource = {"type": 4, "message": message}
        elif kind == 5:
            flags = LOADING | ((data.get("flags") or 0) & EPHEMERAL)
            message = await fake.create_message(
                channel,
                self.world.bot,
                {"content": ""},
                interaction=record,
                flags=flags,
            )
            record.original_id = response_message_id = int(message["id"])
        elif kind == 6:
            record.original_id = int(record.payload["message"]["id"])
        elif kind == 7:
            fake.check_limits(request, data, creating=False)
            target = fake.messages[int(record.payload["message"]["id"])]
            message = await fake.edit_message(target, data, request.files)
            record.original_id = record.reply_id = response_message_id = int(message["id"])
            resource = {"type": 7, "message": message}
        record.callbacks.append(body)
        fake.notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return Reply(status=204)
        answer: JSON = {"id": str(record.id), "type": interaction_type}
        if response_message_id is not None:
            answer.update(
                response_message_id=str(response_message_id),
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(
                    fake.messages[response_message_id]["flags"] & EPHEMERAL
                ),
            )
        reply: JSON = {"interaction": answer}
        if resource is not None:
            reply["resource"] = resource
        return Reply(body=reply)

    async def get_webhook(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The application webhook behind an interaction token."""
        record = self.by_token(params["webhook_id"], params["webhook_token"])
        return Reply(
            body={
                "id": str(self.world.application_id),
                "type": 3,
                "name": self.world.bot.username,
                "avatar": None,
                "channel_id": record.payload["channel_id"],
                "guild_id": record.payload.get("guild_id"),
                "application_id": str(self.world.application_id),
            }
        )

    async def post_followup(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """A follow-up; after a defer, the first one fills in the loading message."""
        record = self.by_token(params["webhook_id"], params["webhook_token"])
        if not record.callbacks:
            raise ApiError(*UNKNOWN_WEBHOOK)
        body = request.json or {}
        self.fake.check_limits(request, body, creating=True, files=len(request.files))
        original = self.fake.messages.get(record.original_id or 0)
        if original is not None and original["flags"] & LOADING:
            message = await self.fake.edit_message(original, body, request.files, finish=True)
            record.reply_id = int(message["id"])
        else:
            channel = self.channel(record.payload["channel_id"])
            message = await self.fake.create_message(
                channel,
                self.world.bot,
                body,
                interaction=record,
                flags=body.get("flags") or 0,
                files=request.files,
                followup=True,
            )
            record.followup_ids.append(int(message["id"]))
            if record.reply_id is None:
                record.reply_id = int(message["id"])
        self.fake.notify()
        if request.query.get("wait") in ("1", "true", "True"):
            return Reply(body=message)
        return Reply(status=204)

    def _webhook_message(self, params: dict[str, str]) -> tuple[InteractionRecord, JSON]:
        """The interaction and the message a webhook message route names."""
        record = self.by_token(params["webhook_id"], params["webhook_token"])
        message_id = params.get("message_id")
        if message_id is None:
            wanted = record.original_id
        else:
            wanted = int(message_id)
            if wanted not in (record.original_id, *record.followup_ids):
                raise ApiError(*UNKNOWN_MESSAGE)
        message = self.fake.messages.get(wanted or 0)
        if message is None:
            raise ApiError(*UNKNOWN_MESSAGE)
        return record, message

    async def get_webhook_message(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """The original response or a follow-up."""
        return Reply(body=self._webhook_message(params)[1])

    async def edit_webhook_message(self, request: RecordedRequest, params: dict[str, str]) -> Reply:
        """Edit the original response (completing a defer) or a follow-up."""
        record, message = self._webhook_message(params)
        self.fake.check_limits(request, request.json or {}, creating=False)
        edited = await self.fake.edit_message(
            message, request.json or {}, request.files, finish=True
        )
        if int(edited["id"]) == record.original_id:
            record.reply_id = record.original_id
        self.fake.notify()
        return Reply(body=edited)

    async def delete_webhook_message(
        self, request: RecordedRequest, params: dict[str, str]
    ) -> Reply:
        """Delete the original response or a follow-up."""
        _, message = self._webhook_message(params)
        await self.fake.delete_message(message)
        return Reply(status=204)


def _compile(template: str) -> re.Pattern[str]:
    """``/a/{b}`` -> a regex with a named group per parameter."""
    parts = re.split(r"\{([^}]+)\}", template)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


def _as_str(value: Any) -> str | None:
    """Permissions are strings in Discord's replies."""
    return None if value is None else str(value)
