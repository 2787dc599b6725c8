"""Which bot messages answer which question, when they arrived, and whether they could ping.

Mixed into :class:`~.server.FakeDiscord`. A question is what a person did: the message
``user_message``/``dm_message`` returned, or the INTERACTION_CREATE payload
``slash_command`` returned. Its replies are the bot's messages a person sees in answer: for a
message, the bot's replies to it (``message_reference``); for an interaction, the response
(or the follow-up that completes a deferred one) and any further follow-ups.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .records import InteractionRecord, RecordedRequest
from .rest import JSON

if TYPE_CHECKING:
    from collections.abc import Iterable

POST_MESSAGE = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
FOLLOWUP = "/webhooks/{webhook_id}/{webhook_token}"
EDIT_ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
# Text that Discord turns into a ping when allowed_mentions lets it: @everyone, @here, users
# (<@id>, <@!id>) and roles (<@&id>). Channel and command mentions are links, never pings.
PING_SYNTAX = re.compile(r"@everyone|@here|<@!?\d+>|<@&\d+>")
Answers = dict[str, list[RecordedRequest]]


@dataclass
class Reply:
    """One message a person sees in answer to a question, and when its request arrived."""

    message: JSON
    """The message as the fake stores it (after any edit)."""
    request: RecordedRequest
    """The request that made it visible (a POST, a callback or a follow-up)."""

    @property
    def at(self) -> float:
        """Loop time (``time.monotonic``) when the request reached the fake."""
        return self.request.at

    @property
    def embeds(self) -> list[JSON]:
        """The message's embeds."""
        return list(self.message.get("embeds") or [])

    @property
    def content(self) -> str:
        """The message's text content."""
        return str(self.message.get("content") or "")

    @property
    def allowed_mentions(self) -> JSON | None:
        """The ``allowed_mentions`` the bot sent with it (None when it sent none)."""
        body = self.request.json if isinstance(self.request.json, dict) else {}
        if self.request.route == CALLBACK:
            body = body.get("data") or {}
        return body.get("allowed_mentions")

    def text(self) -> str:
        """Everything a person reads: content, and every embed's visible strings."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [str(embed.get(key) or "") for key in ("title", "description", "url")]
            parts += [str((embed.get(key) or {}).get("text") or "") for key in ("footer",)]
            parts += [str((embed.get("author") or {}).get("name") or "")]
            for item in embed.get("fields") or []:
                parts += [str(item.get("name") or ""), str(item.get("value") or "")]
        return "\n".join(parts)

    def pings(self) -> list[str]:
        """Whom the message really pinged, as Discord computed it (empty is safe)."""
        found = [f"user {u['id']}" for u in self.message.get("mentions") or []]
        found += [f"role {r}" for r in self.message.get("mention_roles") or []]
        if self.message.get("mention_everyone"):
            found.append("@everyone/@here")
        return found

    def ping_syntax(self) -> list[str]:
        """Live mention syntax in what a person reads: pings if allowed_mentions ever allowed."""
        return PING_SYNTAX.findall(self.text())


class Tracking:
    """Finding the bot's replies to people's questions among the recorded requests."""

    if TYPE_CHECKING:
        requests: list[RecordedRequest]
        messages: dict[int, JSON]
        interactions: dict[int, InteractionRecord]

    def replies_to(self, question: JSON) -> list[Reply]:
        """The bot's replies a person sees to a message or an interaction, oldest first."""
        return self._replies(question, self._answers())

    def _replies(self, question: JSON, answers: Answers) -> list[Reply]:
        """A question's replies, from the requests grouped by what they answer."""
        if "token" in question:  # an INTERACTION_CREATE payload; messages have no token
            record = self.interactions[int(question["id"])]
            found = answers.get(str(record.id), []) + answers.get(record.token, [])
            return self._interaction_replies(record, sorted(found, key=lambda r: r.at))
        return [
            Reply(self.messages.get(int(r.response["id"]), r.response), r)
            for r in answers.get(str(question["id"]), [])
        ]

    def _answers(self) -> Answers:
        """Successful answering requests, by the message id, interaction id or token answered.

        One pass over the requests, so waiting on hundreds of questions stays cheap.
        """
        answers: Answers = {}
        for request in self.requests:
            if not 200 <= request.status < 300:
                continue
            key = None
            if request.route == POST_MESSAGE and request.method == "POST":
                body = request.json if isinstance(request.json, dict) else {}
                key = (body.get("message_reference") or {}).get("message_id")
            elif request.route == CALLBACK:
                key = request.params.get("interaction_id")
            elif request.route in (FOLLOWUP, EDIT_ORIGINAL) and request.method in ("POST", "PATCH"):
                key = request.params.get("webhook_token")
            if key is not None:
                answers.setdefault(str(key), []).append(request)
        return answers

    def _interaction_replies(
        self, record: InteractionRecord, ours: list[RecordedRequest]
    ) -> list[Reply]:
        """The response (or the follow-up completing a defer) and any later follow-ups."""
        callbacks = [r for r in ours if r.route == CALLBACK]
        found: list[Reply] = []
        if not callbacks:
            return found
        kind = (callbacks[0].json or {}).get("type")
        webhooks = [r for r in ours if r.route in (FOLLOWUP, EDIT_ORIGINAL)]
        if kind in (4, 7) and record.original_id in self.messages:
            found.append(Reply(self.messages[record.original_id], callbacks[0]))
        elif kind == 5 and webhooks and record.original_id in self.messages:
            found.append(Reply(self.messages[record.original_id], webhooks.pop(0)))
        posts = [r for r in webhooks if r.route == FOLLOWUP]
        extra = [i for i in record.followup_ids if i != record.original_id]
        pairs = zip(extra, posts, strict=False)  # a follow-up still in flight has no id yet
        found += [Reply(self.messages[i], r) for i, r in pairs if i in self.messages]
        return found

    async def wait_for_replies(
        self, questions: Iterable[JSON], timeout: float = 10.0, poll: float = 0.02
    ) -> list[list[Reply]]:
        """Wait until every question has at least one reply; their replies, in order.

        It looks every ``poll`` seconds rather than on every request, so a burst of hundreds
        of questions does not keep the fake's own event loop busy looking.
        """
        asked = list(questions)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            answers = self._answers()
            replies = [self._replies(q, answers) for q in asked]
            missing = sum(not found for found in replies)
            if not missing:
                return replies
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"timed out after {timeout}s: {missing} of {len(asked)} questions have no reply"
                )
            await asyncio.sleep(poll)
