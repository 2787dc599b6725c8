"""The invite link, with exactly the permissions the bot uses (least privilege)."""

from __future__ import annotations

import discord

# Each permission and what needs it; nothing else is asked for.
USES = {
    "view_channel": "see the channels it answers in",
    "send_messages": "answer mentions, question channels and follow-ups",
    "send_messages_in_threads": "answer follow-ups in threads",
    "create_public_threads": "answer in a new thread, when a server turns that on",
    "embed_links": "show answers as embeds with links to the articles",
    "read_message_history": "reply to a message, and read a thread's earlier answer",
}
SCOPES = ("bot", "applications.commands")


def permissions() -> discord.Permissions:
    """The permissions the bot needs, and no more."""
    return discord.Permissions(**dict.fromkeys(USES, True))


def invite_url(application_id: int) -> str:
    """The OAuth2 link that adds the bot to a server with those permissions and its commands."""
    return discord.utils.oauth_url(application_id, permissions=permissions(), scopes=SCOPES)
