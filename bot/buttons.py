"""The components under an answer: More (the next passages), Context (around a passage),
👍 / 👎 (a vote on the answer), and the private choice of why after a 👎.

Their custom ids carry all they need: the answer's id (its row in the bot's store), and for
More and Context the index generation, the offset or the passage, and the corpus the answer
came from (so a press answers from it even if the server has moved to another since). They
are dynamic items: a press is understood by any run of the bot, also after a restart. More
and Context ids from before answers had ids (no answer id at their end) still work: their
question is read back from the message the button is on; those from before corpora had names
(none at their end) came from the default corpus.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot import errors
from footnote.answering.answer import Answer
from footnote.answerlog.store import REASONS
from footnote.corpora import DEFAULT

if TYPE_CHECKING:
    from bot.client import FootnoteBot

ANSWER_ID = r"[0-9a-f]{12}"
# A corpus named in a custom id: a server's id or a shared corpus's name (at most 20
# characters, so that the longest Context id stays within Discord's 100).
CORPUS = r"(?::@(?P<corpus>[0-9a-z][0-9a-z_-]{0,19}))?"
MORE_ID = "footnote:more:{generation}:{offset}:{k}"
CONTEXT_ID = "footnote:context:{generation}:{doc}:{first}:{last}:{rank}"
VOTE_ID = "footnote:vote:{answer}:{direction}"
REASON_ID = "footnote:why:{answer}"
# Any of our custom ids that names an answer: how a follow-up finds the answer it continues.
NAMES_ANSWER = re.compile(
    rf"footnote:(?:(?:more|context):[^ ]*:|vote:|why:)(?P<answer>{ANSWER_ID})"
    r"(?::(?:up|down)|:@[0-9a-z_-]+)?"
)
PER_ROW = 5
ROWS = 5


def with_answer(custom_id: str, answer_id: str | None, corpus: str = DEFAULT) -> str:
    """A More or Context id, with the answer's id at its end when it has one, then the
    corpus when it is not the default."""
    with_id = f"{custom_id}:{answer_id}" if answer_id else custom_id
    return with_id if corpus == DEFAULT else f"{with_id}:@{corpus}"


async def _hand_over(
    interaction: discord.Interaction[Any], where: str, work: Any, *args: Any
) -> None:
    """Run a press's work; a failure is answered as a command's is, with an error id."""
    try:
        await work(interaction, *args)
    except Exception as error:  # discord.py would only log it: the person gets an id
        await errors.on_interaction_error(interaction, error, where)


class MoreButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"footnote:more:(?P<generation>[0-9a-f]{8}):(?P<offset>\d{1,4}):(?P<k>\d{1,2})"
    rf"(?::(?P<answer>{ANSWER_ID}))?{CORPUS}",
):
    """Shows the next k passages for the question of the answer it is under."""

    def __init__(
        self, generation: str, offset: int, k: int, answer_id: str | None, corpus: str = DEFAULT
    ) -> None:
        custom_id = MORE_ID.format(generation=generation, offset=offset, k=k)
        super().__init__(
            discord.ui.Button(
                label="More",
                style=discord.ButtonStyle.secondary,
                custom_id=with_answer(custom_id, answer_id, corpus),
            )
        )
        self.generation, self.offset, self.k = generation, offset, k
        self.answer_id, self.corpus = answer_id, corpus

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> MoreButton:
        """The button of a press, rebuilt from its custom id."""
        return cls(
            match["generation"],
            int(match["offset"]),
            int(match["k"]),
            match["answer"],
            match["corpus"] or DEFAULT,
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the press to the bot."""
        bot: FootnoteBot = interaction.client
        await _hand_over(
            interaction,
            "the More button",
            bot.show_more,
            self.generation,
            self.offset,
            self.k,
            self.answer_id,
            self.corpus,
        )


class ContextButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"footnote:context:(?P<generation>[0-9a-f]{8}):(?P<doc>[0-9a-f]{12}):"
    r"(?P<first>\d{1,10}):(?P<last>\d{1,10}):(?P<rank>\d{1,4})"
    rf"(?::(?P<answer>{ANSWER_ID}))?{CORPUS}",
):
    """Shows the paragraphs before and after passage `first` (to `last`) of the answer: the
    document by its key (PassageRef.doc_key), the passages by their number in it."""

    def __init__(
        self,
        generation: str,
        doc: str,
        first: int,
        last: int,
        rank: int,
        answer_id: str | None,
        corpus: str = DEFAULT,
    ) -> None:
        custom_id = CONTEXT_ID.format(
            generation=generation, doc=doc, first=first, last=last, rank=rank
        )
        super().__init__(
            discord.ui.Button(
                label=f"Context [{rank}]",
                style=discord.ButtonStyle.secondary,
                custom_id=with_answer(custom_id, answer_id, corpus),
            )
        )
        self.generation, self.doc, self.first, self.last = generation, doc, first, last
        self.corpus = corpus

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ContextButton:
        """The button of a press, rebuilt from its custom id."""
        return cls(
            match["generation"],
            match["doc"],
            int(match["first"]),
            int(match["last"]),
            int(match["rank"]),
            match["answer"],
            match["corpus"] or DEFAULT,
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the press to the bot."""
        bot: FootnoteBot = interaction.client
        await _hand_over(
            interaction,
            "a Context button",
            bot.show_context,
            self.generation,
            self.doc,
            self.first,
            self.last,
            self.corpus,
        )


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"footnote:vote:(?P<answer>{ANSWER_ID}):(?P<direction>up|down)",
):
    """👍 or 👎 on an answer: one vote per person per answer, changeable."""

    def __init__(self, answer_id: str, up: bool) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if up else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=VOTE_ID.format(answer=answer_id, direction="up" if up else "down"),
            )
        )
        self.answer_id, self.up = answer_id, up

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> VoteButton:
        """The button of a press, rebuilt from its custom id."""
        return cls(match["answer"], match["direction"] == "up")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the vote to the bot."""
        bot: FootnoteBot = interaction.client
        where = "the 👍 button" if self.up else "the 👎 button"
        await _hand_over(interaction, where, bot.ratings.vote, self.answer_id, self.up)


class ReasonSelect(
    discord.ui.DynamicItem[discord.ui.Select],
    template=rf"footnote:why:(?P<answer>{ANSWER_ID})",
):
    """After a 👎, the private choice of what was wrong with the answer."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=REASON_ID.format(answer=answer_id),
                placeholder="What was wrong? (optional)",
                options=[
                    discord.SelectOption(label=label.capitalize(), value=key)
                    for key, label in REASONS.items()
                ],
            )
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> ReasonSelect:
        """The menu of a choice, rebuilt from its custom id."""
        return cls(match["answer"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the choice to the bot."""
        bot: FootnoteBot = interaction.client
        values = (interaction.data or {}).get("values") or []
        reason = values[0] if values else "other"
        await _hand_over(
            interaction, "the reason menu", bot.ratings.give_reason, self.answer_id, reason
        )


def answer_view(
    answer: Answer,
    generation: str,
    k: int,
    offset: int = 0,
    answer_id: str | None = None,
    corpus: str = DEFAULT,
) -> discord.ui.View:
    """The components of an answer from `corpus` showing passages offset+1..offset+k: More
    and Context, then 👍 / 👎 on a row of their own when the answer is on record (none when
    declined)."""
    view = discord.ui.View(timeout=None)
    if not answer.answered:
        return view
    items: list[discord.ui.Item] = [
        ContextButton(
            generation,
            m.passage.doc_key,
            m.passage.n,
            m.last_n,
            m.rank,
            answer_id,
            corpus,
        )
        for m in answer.passages[:k]
    ]
    if len(answer.passages) >= k:
        items.insert(0, MoreButton(generation, offset + k, k, answer_id, corpus))
    voting = 1 if answer_id else 0
    items = items[: PER_ROW * (ROWS - voting)]
    for i, item in enumerate(items):
        item.row = i // PER_ROW
        view.add_item(item)
    if answer_id:
        row = (len(items) + PER_ROW - 1) // PER_ROW
        for up in (True, False):
            vote = VoteButton(answer_id, up)
            vote.row = row
            view.add_item(vote)
    return view


def reason_view(answer_id: str) -> discord.ui.View:
    """The private menu offered after a 👎."""
    view = discord.ui.View(timeout=None)
    view.add_item(ReasonSelect(answer_id))
    return view


def answer_named_by(message: discord.Message) -> str | None:
    """The id of the answer a message's components name, or None (other messages, and
    answers from before answers had ids)."""
    for row in message.components:
        for component in getattr(row, "children", [row]):
            match = NAMES_ANSWER.fullmatch(getattr(component, "custom_id", None) or "")
            if match:
                return match["answer"]
    return None
