"""The fake's world (users, guilds, roles, channels, members) and Discord's full JSON payloads.

Every ``*_payload`` function returns the whole object Discord sends, not only the fields the
current discord.py reads: a field missing from a gateway event can kill the client, and the
next discord.py release may read a field this one ignores.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
WORLD_CREATED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
"""What a new guild's @everyone role may do, minus voice permissions."""

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
PUBLIC_THREAD = 11
THREAD_TYPES = (10, 11, 12)


def iso(moment: dt.datetime) -> str:
    """Discord's timestamp format: ISO 8601 with microseconds and +00:00."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def now() -> dt.datetime:
    """The current UTC time."""
    return dt.datetime.now(dt.UTC)


class Snowflakes:
    """Makes unique, increasing snowflakes whose timestamp is the given (or current) time."""

    def __init__(self) -> None:
        self._increment = itertools.count()
        self._last = 0

    def next(self, when: dt.datetime | None = None) -> int:
        """A new snowflake for an object created at ``when`` (default: now)."""
        ms = int((when or now()).timestamp() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (1 << 17) | (next(self._increment) & 0xFFF)
        self._last = value = max(value, self._last + 1)
        return value


@dataclass
class User:
    """A Discord user (a person, or the bot itself when ``bot`` is true)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    discriminator: str = "0"

    @property
    def mention(self) -> str:
        """The text that mentions this user in a message."""
        return f"<@{self.id}>"


def user_payload(user: User) -> dict[str, Any]:
    """A full user object, as embedded in messages, members and interactions."""
    data: dict[str, Any] = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": user.discriminator,
        "global_name": user.global_name,
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "collectibles": None,
        "display_name_styles": None,
        "primary_guild": None,
        "clan": None,
    }
    if user.bot:
        data["bot"] = True
    return data


def client_user_payload(user: User) -> dict[str, Any]:
    """The bot's own user, as in ``GET /users/@me`` and READY."""
    return {
        **user_payload(user),
        "verified": True,
        "mfa_enabled": False,
        "email": None,
        "locale": "en-US",
        "premium_type": 0,
    }


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None


def role_payload(role: Role) -> dict[str, Any]:
    """A full role object."""
    data: dict[str, Any] = {
        "id": str(role.id),
        "name": role.name,
        "description": None,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }
    if role.bot_id is not None:
        data["tags"] = {"bot_id": str(role.bot_id)}
    return data


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (kind 0) or a member (kind 1)."""

    id: int
    kind: int
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    """A guild channel, category, thread or DM channel."""

    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipients: list[User] = field(default_factory=list)
    owner_id: int | None = None
    last_message_id: int | None = None
    message_count: int = 0
    created_at: dt.datetime = field(default_factory=now)

    @property
    def mention(self) -> str:
        """The text that links to this channel in a message."""
        return f"<#{self.id}>"


def channel_payload(channel: Channel, *, include_guild_id: bool = True) -> dict[str, Any]:
    """A full channel object (GUILD_CREATE omits ``guild_id``; REST and threads keep it)."""
    last = str(channel.last_message_id) if channel.last_message_id else None
    if channel.type == DM:
        return {
            "id": str(channel.id),
            "type": DM,
            "last_message_id": last,
            "flags": 0,
            "recipients": [user_payload(user) for user in channel.recipients],
        }
    data: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "name": channel.name,
        "position": channel.position,
        "flags": 0,
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.kind, "allow": str(o.allow), "deny": str(o.deny)}
            for o in channel.overwrites
        ],
    }
    if channel.type in THREAD_TYPES:
        data.pop("position")
        data.pop("permission_overwrites")
        data.update(
            owner_id=str(channel.owner_id),
            last_message_id=last,
            rate_limit_per_user=0,
            message_count=channel.message_count,
            member_count=1,
            total_message_sent=channel.message_count,
            member_ids_preview=[str(channel.owner_id)],
            thread_metadata={
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso(channel.created_at),
                "locked": False,
                "create_timestamp": iso(channel.created_at),
            },
        )
    elif channel.type == GUILD_TEXT:
        data.update(
            topic=channel.topic,
            nsfw=False,
            last_message_id=last,
            rate_limit_per_user=0,
            default_thread_rate_limit_per_user=0,
            icon_emoji=None,
            theme_color=None,
        )
    if include_guild_id and channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
    return data


@dataclass
class Member:
    """A user's membership of a guild."""

    user: User
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: dt.datetime = WORLD_CREATED


def member_payload(member: Member, *, with_user: bool = True) -> dict[str, Any]:
    """A full guild member object (messages and mentions carry it without ``user``)."""
    data: dict[str, Any] = {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "deaf": False,
        "flags": 0,
        "joined_at": iso(member.joined_at),
        "mute": False,
        "nick": member.nick,
        "pending": False,
        "premium_since": None,
        "roles": [str(role) for role in member.roles],
        "unusual_dm_activity_until": None,
        "avatar_decoration_data": None,
    }
    if with_user:
        data["user"] = user_payload(member.user)
    return data


@dataclass
class Guild:
    """A guild with its roles, channels and members, keyed by id."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)

    def permissions(self, user_id: int, channel: Channel | None = None) -> int:
        """A member's permissions in the guild or in one channel (Discord's algorithm)."""
        member = self.members.get(user_id)
        if member is None:
            return 0
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        base = self.roles[self.id].permissions
        for role_id in member.roles:
            base |= self.roles[role_id].permissions
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return base
        if channel.type in THREAD_TYPES and channel.parent_id in self.channels:
            channel = self.channels[channel.parent_id]
        overwrites = {(o.kind, o.id): o for o in channel.overwrites}
        everyone = overwrites.get((0, self.id))
        if everyone:
            base = (base & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            if (0, role_id) in overwrites:
                allow |= overwrites[(0, role_id)].allow
                deny |= overwrites[(0, role_id)].deny
        base = (base & ~deny) | allow
        own = overwrites.get((1, user_id))
        if own:
            base = (base & ~own.deny) | own.allow
        return base


def guild_payload(guild: Guild) -> dict[str, Any]:
    """A full guild object, as ``GET /guilds/{id}`` returns it."""
    system_channel = next((c.id for c in guild.channels.values() if c.type == GUILD_TEXT), None)
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(guild.owner_id),
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(role) for role in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(system_channel) if system_channel else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw": False,
        "nsfw_level": 0,
        "incidents_data": None,
        "inventory_settings": None,
        "embed_enabled": False,
        "embed_channel_id": None,
        "hub_type": None,
        "latest_onboarding_question_id": None,
        "home_header": None,
        "version": 0,
    }


def guild_create_payload(
    guild: Guild, joined_at: dt.datetime, bot_id: int, all_members: bool
) -> dict[str, Any]:
    """A full GUILD_CREATE event for a guild that becomes available after READY.

    Without the GUILD_PRESENCES intent Discord sends only the bot's own member (``all_members``
    false), so the client's member cache starts with the bot alone.
    """
    members = [m for m in guild.members.values() if all_members or m.user.id == bot_id]
    channels = [c for c in guild.channels.values() if c.type not in THREAD_TYPES]
    threads = [c for c in guild.channels.values() if c.type in THREAD_TYPES]
    return {
        **guild_payload(guild),
        "joined_at": iso(joined_at),
        "large": False,
        "lazy": True,
        "unavailable": False,
        "member_count": len(guild.members),
        "voice_states": [],
        "members": [member_payload(member) for member in members],
        "channels": [channel_payload(c, include_guild_id=False) for c in channels],
        "threads": [channel_payload(c) for c in threads],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "activity_instances": [],
        "application_command_counts": {},
    }


def thread_create_payload(thread: Channel, creator: User) -> dict[str, Any]:
    """A THREAD_CREATE event for a thread just created by ``creator``."""
    data = channel_payload(thread)
    data["newly_created"] = True
    data["member"] = {
        "id": str(thread.id),
        "user_id": str(creator.id),
        "join_timestamp": iso(thread.created_at),
        "flags": 1,
        "muted": False,
        "mute_config": None,
    }
    return data


USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class World:
    """Everything the fake knows: users, guilds and DM channels, with named defaults.

    The default world is one guild ("Footnote Test Guild") owned by ``alice`` (who also has the
    Admin role), a plain member ``bob``, the bot with its managed role, and three text channels:
    ``general``, ``questions`` and ``locked`` (where the bot may read but not send).
    """

    ids: Snowflakes
    bot: User
    application_id: int
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    dm_channels: dict[int, Channel] = field(default_factory=dict)

    @classmethod
    def default(cls, ids: Snowflakes | None = None) -> World:
        """The default world described above."""
        ids = ids or Snowflakes()
        bot = User(ids.next(WORLD_CREATED), "Footnote", bot=True, discriminator="4242")
        world = cls(ids=ids, bot=bot, application_id=bot.id)
        world.users[bot.id] = bot
        alice = world.add_user("alice", "Alice")
        world.add_user("bob", "Bob")
        guild = world.add_guild("Footnote Test Guild", owner=alice)
        admin = world.add_role(guild, "Admin", ADMINISTRATOR, position=2)
        guild.members[alice.id].roles.append(admin.id)
        world.add_member(guild, world.user("bob"))
        category = world.add_channel(guild, "Text Channels", kind=GUILD_CATEGORY)
        world.add_channel(guild, "general", parent=category)
        world.add_channel(guild, "questions", parent=category, topic="Ask Footnote here")
        locked = world.add_channel(guild, "locked", parent=category)
        locked.overwrites.append(Overwrite(bot.id, 1, deny=SEND_MESSAGES))
        return world

    def add_user(self, username: str, global_name: str | None = None) -> User:
        """Create a person."""
        user = User(self.ids.next(WORLD_CREATED), username, global_name)
        self.users[user.id] = user
        return user

    def add_person(
        self, username: str, *, permissions: int = 0, guild: Guild | None = None
    ) -> User:
        """A new member of ``guild`` (default: the first), with a role granting ``permissions``."""
        guild = guild or self.guild
        user = self.add_user(username)
        roles = [self.add_role(guild, f"{username}'s role", permissions).id] if permissions else []
        self.add_member(guild, user, roles)
        return user

    def user(self, username: str) -> User:
        """Look a user up by username."""
        return next(u for u in self.users.values() if u.username == username)

    def add_guild(self, name: str, owner: User, created: dt.datetime | None = None) -> Guild:
        """Create a guild with an @everyone role, the owner and the bot (with its role); its
        creation time (default: the world's) decides its shard, ``(id >> 22) % count``."""
        guild = Guild(self.ids.next(created or WORLD_CREATED), name, owner.id)
        guild.roles[guild.id] = Role(guild.id, "@everyone", EVERYONE_PERMISSIONS)
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        bot_role = self.add_role(
            guild,
            self.bot.username,
            EVERYONE_PERMISSIONS | MANAGE_MESSAGES,
            position=1,
            managed=True,
        )
        bot_role.bot_id = self.bot.id
        self.add_member(guild, self.bot, roles=[bot_role.id])
        return guild

    def add_role(
        self,
        guild: Guild,
        name: str,
        permissions: int,
        *,
        position: int = 1,
        managed: bool = False,
    ) -> Role:
        """Create a role in a guild."""
        role = Role(self.ids.next(WORLD_CREATED), name, permissions, position, managed=managed)
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User, roles: list[int] | None = None) -> Member:
        """Add a user to a guild."""
        member = Member(user, list(roles or []))
        guild.members[user.id] = member
        return member

    def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        kind: int = GUILD_TEXT,
        parent: Channel | None = None,
        topic: str | None = None,
    ) -> Channel:
        """Create a guild channel (text by default)."""
        channel = Channel(
            self.ids.next(WORLD_CREATED),
            kind,
            name,
            guild.id,
            position=len(guild.channels),
            parent_id=parent.id if parent else None,
            topic=topic,
            created_at=WORLD_CREATED,
        )
        guild.channels[channel.id] = channel
        return channel

    @property
    def guild(self) -> Guild:
        """The first guild."""
        return next(iter(self.guilds.values()))

    def channel_named(self, name: str) -> Channel:
        """A guild channel by name, searched in every guild."""
        for guild in self.guilds.values():
            for channel in guild.channels.values():
                if channel.name == name:
                    return channel
        raise KeyError(name)

    def channel(self, channel_id: int) -> Channel | None:
        """Any channel by id: guild channel, thread or DM."""
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return next((c for c in self.dm_channels.values() if c.id == channel_id), None)

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and a user, created on first use."""
        if user.id not in self.dm_channels:
            self.dm_channels[user.id] = Channel(self.ids.next(), DM, recipients=[user])
        return self.dm_channels[user.id]

    def parse_mentions(self, content: str) -> tuple[list[int], list[int], bool]:
        """User ids, role ids and @everyone/@here that ``content`` mentions."""
        users = [int(u) for u in dict.fromkeys(USER_MENTION.findall(content))]
        roles = [int(r) for r in dict.fromkeys(ROLE_MENTION.findall(content))]
        return users, roles, "@everyone" in content or "@here" in content
