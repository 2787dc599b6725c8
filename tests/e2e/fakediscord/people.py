"""Acting as people: messages, DMs, slash commands, autocomplete and component presses.

Mixed into :class:`~.server.FakeDiscord`. Each helper sends the full gateway payload Discord
would, and refuses what Discord's own client would not let a person do.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .messages import reply_fields
from .model import (
    ADD_REACTIONS,
    ATTACH_FILES,
    DM,
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    USE_EXTERNAL_EMOJIS,
    VIEW_CHANNEL,
    Channel,
    Guild,
    User,
    World,
    channel_payload,
    iso,
    member_payload,
    now,
    role_payload,
    user_payload,
)
from .records import InteractionRecord
from .rest import JSON

DM_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
)
"""What the bot (and a person) may do in a DM, as interactions report it."""
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class People:
    """Helpers that make people act, as the bot will see it."""

    if TYPE_CHECKING:
        world: World
        attachments: dict[int, bytes]
        messages: dict[int, JSON]
        interactions: dict[int, InteractionRecord]
        commands: dict[int | None, list[JSON]]

        @property
        def bot_user(self) -> User: ...

        @property
        def guild(self) -> Guild: ...

        @property
        def url(self) -> str: ...

        def _guild_of(self, channel: Channel) -> Guild | None: ...

        async def dispatch(
            self, event: str, data: JSON, *, intent: int | None = None, required: bool = True
        ) -> bool: ...

        async def dispatch_message(
            self, event: str, message: JSON, *, required: bool = True
        ) -> bool: ...

    def attachment(
        self,
        filename: str,
        data: bytes,
        *,
        content_type: str | None = None,
        size: int | None = None,
    ) -> JSON:
        """A file a person uploads, as Discord describes it (pass it as an attachment option's
        value); its bytes are served at its ``url`` on 127.0.0.1, as Discord's CDN serves them.
        ``size`` is what the payload claims (default: the true size), to test a liar."""
        attachment_id = self.world.ids.next()
        self.attachments[attachment_id] = bytes(data)
        url = f"{self.url}/attachments/{attachment_id}/{filename}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data) if size is None else size,
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
            "width": None,
            "height": None,
            "ephemeral": True,
        }

    def _person(self, author: User | None) -> User:
        """The author of a person's action (``alice`` by default)."""
        return author or self.world.user("alice")

    def _known_channel(self, channel_id: int | Channel) -> Channel:
        """A channel from an id or a Channel, which must exist in the world."""
        cid = channel_id.id if isinstance(channel_id, Channel) else int(channel_id)
        channel = self.world.channel(cid)
        if channel is None:
            raise KeyError(f"no channel {cid} in the fake's world")
        return channel

    async def user_message(
        self,
        channel_id: int | Channel,
        content: str,
        *,
        author: User | None = None,
        mentions: Iterable[User] = (),
        guild_id: int | None = None,
        message_reference: int | None = None,
        attachments: Iterable[JSON] = (),
    ) -> JSON:
        """A person posts in a guild channel; mentions in ``content`` are parsed as Discord does."""
        channel = self._known_channel(channel_id)
        guild = self._guild_of(channel)
        if guild is None or (guild_id is not None and guild_id != guild.id):
            raise ValueError("user_message is for guild channels; use dm_message for DMs")
        person = self._person(author)
        if person.id not in guild.members:
            raise ValueError(f"{person.username} is not a member of {guild.name}")
        return await self._post_as(
            person, channel, content, mentions, message_reference, attachments
        )

    async def dm_message(
        self,
        content: str,
        *,
        author: User | None = None,
        message_reference: int | None = None,
        attachments: Iterable[JSON] = (),
    ) -> JSON:
        """A person sends the bot a direct message."""
        person = self._person(author)
        channel = self.world.dm_channel(person)
        return await self._post_as(person, channel, content, (), message_reference, attachments)

    async def _post_as(
        self,
        person: User,
        channel: Channel,
        content: str,
        mentions: Iterable[User],
        message_reference: int | None,
        attachments: Iterable[JSON],
    ) -> JSON:
        """Store a person's message and dispatch MESSAGE_CREATE (subject to intents)."""
        guild = self._guild_of(channel)
        user_ids, role_ids, everyone = self.world.parse_mentions(content)
        mentioned = [self.world.users[u] for u in user_ids if u in self.world.users]
        mentioned += [u for u in mentions if u not in mentioned]
        message_id = self.world.ids.next()
        message: JSON = {
            "type": 0,
            "content": content,
            "mentions": [user_payload(u) for u in mentioned],
            "mention_roles": [str(r) for r in role_ids if guild and r in guild.roles],
            "mention_everyone": everyone,
            "attachments": list(attachments),
            "embeds": [],
            "timestamp": iso(now()),
            "edited_timestamp": None,
            "flags": 0,
            "components": [],
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": user_payload(person),
            "pinned": False,
            "tts": False,
            "nonce": str(message_id),
        }
        if message_reference is not None:
            message.update(type=19, **reply_fields(self.messages[int(message_reference)], guild))
        channel.last_message_id = message_id
        self.messages[message_id] = message
        await self.dispatch_message("MESSAGE_CREATE", message)
        return message

    def _find_command(self, name: str, guild: Guild | None) -> tuple[JSON, bool]:
        """A registered command by name: (definition, whether it is a guild command)."""
        if guild is not None:
            for command in self.commands.get(guild.id, []):
                if command["name"] == name:
                    return command, True
        for command in self.commands.get(None, []):
            if command["name"] == name:
                return command, False
        where = f"guild {guild.id}" if guild else "DMs"
        raise LookupError(f"/{name} is not registered for {where}; did the bot sync its tree?")

    def _check_invocable(
        self, command: JSON, guild: Guild | None, person: User, channel: Channel
    ) -> None:
        """Refuse what Discord's client would not let this person invoke."""
        contexts = command.get("contexts")
        if guild is None and (
            command.get("dm_permission") is False or (contexts is not None and 1 not in contexts)
        ):
            raise PermissionError(f"/{command['name']} cannot be used in DMs")
        needed = command.get("default_member_permissions")
        if guild is not None and needed is not None:
            have = guild.permissions(person.id, channel)
            if int(needed) & have != int(needed):
                raise PermissionError(
                    f"{person.username} lacks the permissions /{command['name']} requires"
                )

    def _interaction(
        self,
        kind: int,
        data: JSON,
        person: User,
        channel: Channel,
        *,
        message: JSON | None = None,
        locale: str = "en-US",
    ) -> JSON:
        """A full INTERACTION_CREATE payload."""
        guild = self._guild_of(channel)
        interaction_id = self.world.ids.next()
        channel_data = channel_payload(channel)
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.world.application_id),
            "type": kind,
            "data": data,
            "token": f"fake-interaction-{interaction_id}-{secrets.token_urlsafe(24)}",
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(channel.id),
            "channel": channel_data,
            "authorizing_integration_owners": {"0": str(guild.id) if guild else "0"},
            "context": 0 if guild else 1,
        }
        if guild is not None:
            permissions = guild.permissions(person.id, channel)
            channel_data["permissions"] = str(permissions)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member={
                    **member_payload(guild.members[person.id]),
                    "permissions": str(permissions),
                },
                app_permissions=str(guild.permissions(self.world.bot.id, channel)),
            )
        else:
            channel_data["permissions"] = str(DM_PERMISSIONS)
            payload.update(user=user_payload(person), app_permissions=str(DM_PERMISSIONS))
        if message is not None:
            payload["message"] = message
        return payload

    async def _send_interaction(self, payload: JSON) -> JSON:
        """Remember an interaction and dispatch INTERACTION_CREATE."""
        record = InteractionRecord(payload, asyncio.get_running_loop().time())
        self.interactions[record.id] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def _where(
        self, channel_id: int | Channel | None, guild_id: int | None, dm: bool, person: User
    ) -> Channel:
        """The channel an interaction happens in (``general`` by default, or the DM)."""
        if dm:
            return self.world.dm_channel(person)
        if channel_id is not None:
            return self._known_channel(channel_id)
        guild = self.world.guilds[guild_id] if guild_id else self.guild
        return next(c for c in guild.channels.values() if c.type == 0)

    async def slash_command(
        self,
        name: str,
        options: JSON | None = None,
        *,
        user: User | None = None,
        channel_id: int | Channel | None = None,
        guild_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
    ) -> JSON:
        """A person runs a registered slash command; returns the INTERACTION_CREATE payload.

        ``options`` maps option names to values, typed by the synced definition: strings,
        numbers, booleans, or User/Role/Channel objects (or ids) for those option types, which
        are added to ``resolved``; a subcommand's value is the dict of its own options. The
        person (``alice`` by default) acts in ``general`` unless ``channel_id`` or ``dm`` says
        otherwise, with the roles and permissions their membership gives them.
        """
        person = self._person(user)
        channel = self._where(channel_id, guild_id, dm, person)
        data, resolved = self._command_data(name, options or {}, person, channel, None)
        if resolved:
            data["resolved"] = resolved
        return await self._send_interaction(
            self._interaction(2, data, person, channel, locale=locale)
        )

    async def autocomplete(
        self,
        name: str,
        options: JSON,
        focused: str,
        *,
        user: User | None = None,
        channel_id: int | Channel | None = None,
        guild_id: int | None = None,
        dm: bool = False,
    ) -> JSON:
        """A person types into option ``focused`` (its value is the text so far, a string).

        Returns the type 4 INTERACTION_CREATE payload; the choices come back through
        :meth:`wait_for_callback`.
        """
        person = self._person(user)
        channel = self._where(channel_id, guild_id, dm, person)
        data, _ = self._command_data(name, options, person, channel, focused)
        return await self._send_interaction(self._interaction(4, data, person, channel))

    def _command_data(
        self, name: str, options: JSON, person: User, channel: Channel, focused: str | None
    ) -> tuple[JSON, JSON]:
        """The ``data`` of a command interaction, and the objects its options resolved."""
        guild = self._guild_of(channel)
        command, is_guild = self._find_command(name, guild)
        self._check_invocable(command, guild, person, channel)
        resolved: JSON = {}
        data: JSON = {
            "id": command["id"],
            "name": name,
            "type": command.get("type", 1),
            "options": self._options(
                command.get("options") or [], options, guild, resolved, focused
            ),
        }
        if is_guild:
            data["guild_id"] = command["guild_id"]
        return data, resolved

    async def component(
        self,
        custom_id: str,
        *,
        message: JSON | int,
        user: User | None = None,
        values: list[str] | None = None,
    ) -> JSON:
        """A person presses a button (or picks select ``values``) on a message."""
        stored = self.messages[int(message["id"] if isinstance(message, dict) else message)]
        component = _find_component(stored.get("components") or [], custom_id)
        if component is None:
            raise LookupError(f"message {stored['id']} has no component {custom_id!r}")
        person = self._person(user)
        channel = self._known_channel(int(stored["channel_id"]))
        data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None or component["type"] != 2:
            data["values"] = list(values or [])
        return await self._send_interaction(
            self._interaction(3, data, person, channel, message=stored)
        )

    def _options(
        self,
        definitions: list[JSON],
        given: JSON,
        guild: Guild | None,
        resolved: JSON,
        focused: str | None,
    ) -> list[JSON]:
        """Interaction options for ``given`` values, typed by the registered definitions."""
        by_name = {d["name"]: d for d in definitions}
        unknown = set(given) - set(by_name)
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}; defined: {sorted(by_name)}")
        built: list[JSON] = []
        for definition in definitions:
            name, kind = definition["name"], definition["type"]
            if name not in given:
                if definition.get("required") and focused is None and kind not in (1, 2):
                    raise ValueError(f"option {name!r} is required")
                continue
            value = given[name]
            if kind in (1, 2):
                built.append(
                    {
                        "name": name,
                        "type": kind,
                        "options": self._options(
                            definition.get("options") or [], value or {}, guild, resolved, focused
                        ),
                    }
                )
            elif name == focused:
                built.append({"name": name, "type": kind, "value": str(value), "focused": True})
            else:
                built.append(
                    {
                        "name": name,
                        "type": kind,
                        "value": self._option_value(definition, value, guild, resolved),
                    }
                )
        return built

    def _option_value(
        self, definition: JSON, value: Any, guild: Guild | None, resolved: JSON
    ) -> Any:
        """One option value as Discord sends it, adding users/roles/channels to ``resolved``."""
        kind = definition["type"]
        choices = [c["value"] for c in definition.get("choices") or []]
        if choices and value not in choices:
            raise ValueError(f"{value!r} is not one of the choices {choices}")
        if kind == 3:
            _check_length(definition, str(value))
            return str(value)
        if kind in (4, 10):
            _check_range(definition, value)
        if kind == 4:
            return int(value)
        if kind == 5:
            return bool(value)
        if kind == 10:
            return float(value)
        if kind == 11:
            if not isinstance(value, dict) or int(value["id"]) not in self.attachments:
                raise ValueError(f"option {definition['name']!r} takes fake.attachment(...)")
            resolved.setdefault("attachments", {})[value["id"]] = value
            return value["id"]
        target = value.id if hasattr(value, "id") else int(value)
        if kind in (6, 9) and target in self.world.users:
            resolved.setdefault("users", {})[str(target)] = user_payload(self.world.users[target])
            if guild is not None and target in guild.members:
                member = member_payload(guild.members[target], with_user=False)
                member["permissions"] = str(guild.permissions(target))
                resolved.setdefault("members", {})[str(target)] = member
            return str(target)
        if kind in (8, 9) and guild is not None and target in guild.roles:
            resolved.setdefault("roles", {})[str(target)] = role_payload(guild.roles[target])
            return str(target)
        channel = self.world.channel(target)
        if kind == 7 and channel is not None and channel.type != DM:
            data = channel_payload(channel)
            data["permissions"] = str(guild.permissions(self.bot_user.id, channel) if guild else 0)
            resolved.setdefault("channels", {})[str(target)] = data
            return str(target)
        raise ValueError(f"cannot resolve {value!r} for option {definition['name']!r}")


def _find_component(components: list[JSON], custom_id: str) -> JSON | None:
    """A component with ``custom_id``, searched through rows and containers."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        found = _find_component(component.get("components") or [], custom_id)
        if found is not None:
            return found
    return None


def _check_length(definition: JSON, value: str) -> None:
    """Refuse a string Discord's client would not send: shorter or longer than allowed."""
    low, high = definition.get("min_length"), definition.get("max_length")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        raise ValueError(
            f"option {definition['name']!r} takes {low or 0}-{high or 6000} characters, "
            f"not {len(value)}: Discord's client would not send it"
        )


def _check_range(definition: JSON, value: Any) -> None:
    """Refuse a number Discord's client would not send: outside min_value..max_value."""
    low, high = definition.get("min_value"), definition.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"option {definition['name']!r} must be within {low}..{high}, not {value}")
