"""Messages: stored in REST form, dispatched in gateway form, pinging whom Discord would.

Mixed into :class:`~.server.FakeDiscord`; REST handlers and the people helpers both use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .gateway import DIRECT_MESSAGES, GUILD_MESSAGES, GUILDS, MESSAGE_CONTENT
from .model import (
    THREAD_TYPES,
    Channel,
    Guild,
    User,
    World,
    iso,
    member_payload,
    now,
    thread_create_payload,
    user_payload,
)
from .records import EPHEMERAL, LOADING, InteractionRecord
from .rest import JSON, number_components, without_nulls

if TYPE_CHECKING:
    from .gateway import Gateway


class Messages:
    """Create, edit and delete messages, and send the matching gateway events."""

    if TYPE_CHECKING:
        world: World
        gateway: Gateway
        messages: dict[int, JSON]

        @property
        def url(self) -> str: ...

        @property
        def bot_user(self) -> User: ...

        def notify(self) -> None: ...

        async def dispatch(
            self, event: str, data: JSON, *, intent: int | None = None, required: bool = True
        ) -> bool: ...

    def _guild_of(self, channel: Channel) -> Guild | None:
        """The guild a channel belongs to (None for DMs)."""
        return self.world.guilds.get(channel.guild_id) if channel.guild_id else None

    def _attachment(self, channel: Channel, file: JSON) -> JSON:
        """The attachment object for an uploaded file (its URL is not served)."""
        url = f"{self.url}/attachments/{channel.id}/{file['filename']}"
        return {
            "id": str(self.world.ids.next()),
            "filename": file["filename"],
            "size": file["size"],
            "url": url,
            "proxy_url": url,
            "content_type": file["content_type"],
        }

    def _mentions(
        self,
        body: JSON,
        guild: Guild | None,
        reference: JSON | None,
    ) -> tuple[list[User], list[int], bool]:
        """Who a bot message really pings, applying ``allowed_mentions`` as Discord does."""
        users, roles, everyone = self.world.parse_mentions(body.get("content") or "")
        allowed = body.get("allowed_mentions")
        replied = reference is not None and (allowed is None or allowed.get("replied_user"))
        if allowed is not None:
            parse = allowed.get("parse") or []
            listed_users = {int(u) for u in allowed.get("users") or []}
            listed_roles = {int(r) for r in allowed.get("roles") or []}
            users = [u for u in users if "users" in parse or u in listed_users]
            roles = [r for r in roles if "roles" in parse or r in listed_roles]
            everyone = everyone and "everyone" in parse
        people = [self.world.users[u] for u in users if u in self.world.users]
        if replied and reference is not None:
            author = self.world.users.get(int(reference["author"]["id"]))
            if author is not None and author not in people:
                people.append(author)
        if guild is not None:
            roles = [r for r in roles if r in guild.roles]
        return people, roles, everyone

    async def create_message(
        self,
        channel: Channel,
        author: User,
        body: JSON,
        *,
        kind: int = 0,
        reference: JSON | None = None,
        interaction: InteractionRecord | None = None,
        flags: int = 0,
        files: Iterable[JSON] = (),
        followup: bool = False,
    ) -> JSON:
        """Store a new message, dispatch MESSAGE_CREATE, and return it in REST form."""
        guild = self._guild_of(channel)
        message_id = self.world.ids.next()
        mentioned, roles, everyone = self._mentions(body, guild, reference)
        message: JSON = {
            "type": kind,
            "content": body.get("content") or "",
            "mentions": [user_payload(u) for u in mentioned],
            "mention_roles": [str(r) for r in roles],
            "attachments": [self._attachment(channel, file) for file in files],
            "embeds": [{"type": "rich", **without_nulls(e)} for e in body.get("embeds") or []],
            "timestamp": iso(now()),
            "edited_timestamp": None,
            "flags": flags,
            "components": number_components(body.get("components") or []),
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": user_payload(author),
            "pinned": False,
            "mention_everyone": everyone,
            "tts": bool(body.get("tts")),
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if reference is not None:
            message.update(reply_fields(reference, guild))
        if interaction is not None:
            self._mark_interaction_message(message, interaction, followup)
        if channel.type in THREAD_TYPES:
            message["position"] = channel.message_count
            channel.message_count += 1
        channel.last_message_id = message_id
        self.messages[message_id] = message
        self.notify()
        if not message["flags"] & EPHEMERAL:
            await self.dispatch_message("MESSAGE_CREATE", message, required=False)
        return message

    def _mark_interaction_message(
        self, message: JSON, record: InteractionRecord, followup: bool
    ) -> None:
        """Fill in what Discord adds to an interaction's response or follow-up message."""
        payload = record.payload
        person = payload.get("member", {}).get("user") or payload["user"]
        app_id = str(self.world.application_id)
        data = payload.get("data") or {}
        metadata: JSON = {
            "id": payload["id"],
            "type": payload["type"],
            "user": person,
            "authorizing_integration_owners": payload["authorizing_integration_owners"],
        }
        if payload["type"] == 2:
            metadata.update(name=data.get("name"), command_type=data.get("type", 1))
        if payload["type"] == 3:
            metadata["interacted_message_id"] = payload["message"]["id"]
        if followup and record.original_id is not None:
            metadata["original_response_message_id"] = str(record.original_id)
        message.update(
            webhook_id=app_id,
            application_id=app_id,
            interaction_metadata=metadata,
            interaction={
                "id": payload["id"],
                "type": payload["type"],
                "name": data.get("name", ""),
                "user": person,
            },
        )
        if payload["type"] == 2 and not followup:
            message["type"] = 20 if data.get("type", 1) == 1 else 23

    async def edit_message(
        self, message: JSON, body: JSON, files: Iterable[JSON] = (), *, finish: bool = False
    ) -> JSON:
        """Apply an edit (finishing a deferred response when ``finish``); MESSAGE_UPDATE."""
        channel = self.world.channel(int(message["channel_id"]))
        assert channel is not None
        guild = self._guild_of(channel)
        was_loading = bool(message["flags"] & LOADING)
        if "content" in body:
            message["content"] = body["content"] or ""
        if "embeds" in body:
            message["embeds"] = [{"type": "rich", **without_nulls(e)} for e in body["embeds"] or []]
        if "components" in body:
            message["components"] = number_components(body["components"] or [])
        if "attachments" in body:
            keep = {str(a.get("id")) for a in body["attachments"] or []}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in keep]
        message["attachments"] += [self._attachment(channel, file) for file in files]
        if body.get("flags") is not None:
            message["flags"] = (message["flags"] & (EPHEMERAL | LOADING)) | body["flags"]
        if "content" in body or "allowed_mentions" in body:
            reference = message.get("referenced_message")
            users, roles, everyone = self._mentions(
                {"content": message["content"], "allowed_mentions": body.get("allowed_mentions")},
                guild,
                reference,
            )
            message.update(
                mentions=[user_payload(u) for u in users],
                mention_roles=[str(r) for r in roles],
                mention_everyone=everyone,
            )
        if finish and was_loading:
            message["flags"] &= ~LOADING
        else:
            message["edited_timestamp"] = iso(now())
        self.notify()
        if not message["flags"] & EPHEMERAL:
            await self.dispatch_message("MESSAGE_UPDATE", message, required=False)
        return message

    async def delete_message(self, message: JSON) -> None:
        """Forget a message and dispatch MESSAGE_DELETE."""
        self.messages.pop(int(message["id"]), None)
        self.notify()
        channel = self.world.channel(int(message["channel_id"]))
        data: JSON = {"id": message["id"], "channel_id": message["channel_id"]}
        if channel is not None and channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
        intent = GUILD_MESSAGES if "guild_id" in data else DIRECT_MESSAGES
        await self.dispatch("MESSAGE_DELETE", data, intent=intent, required=False)

    async def thread_created(self, thread: Channel) -> None:
        """Dispatch THREAD_CREATE for a thread the bot created."""
        payload = thread_create_payload(thread, self.bot_user)
        await self.dispatch("THREAD_CREATE", payload, intent=GUILDS, required=False)

    async def dispatch_message(self, event: str, message: JSON, *, required: bool = True) -> bool:
        """MESSAGE_CREATE/UPDATE in gateway form: guild_id, member, and content rules."""
        channel = self.world.channel(int(message["channel_id"]))
        guild = self._guild_of(channel) if channel else None
        data = dict(message)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            author = guild.members.get(int(message["author"]["id"]))
            if author is not None:
                data["member"] = member_payload(author, with_user=False)
            data["mentions"] = [
                {**m, "member": member_payload(guild.members[int(m["id"])], with_user=False)}
                if int(m["id"]) in guild.members
                else m
                for m in message["mentions"]
            ]
        bot_id = str(self.bot_user.id)
        intents = self.gateway.intents or 0
        exempt = (
            guild is None
            or message["author"]["id"] == bot_id
            or any(m["id"] == bot_id for m in message["mentions"])
        )
        if not intents & MESSAGE_CONTENT and not exempt:
            data.update(content="", embeds=[], attachments=[], components=[])
            data.pop("poll", None)
        intent = GUILD_MESSAGES if guild is not None else DIRECT_MESSAGES
        return await self.dispatch(event, data, intent=intent, required=required)


def reply_fields(reference: JSON, guild: Guild | None) -> JSON:
    """The ``message_reference`` and ``referenced_message`` of a reply to ``reference``."""
    return {
        "message_reference": {
            "type": 0,
            "channel_id": reference["channel_id"],
            "message_id": reference["id"],
            **({"guild_id": str(guild.id)} if guild else {}),
        },
        "referenced_message": {k: v for k, v in reference.items() if k != "referenced_message"},
    }
