"""The buttons under an answer: More (the next passages) and Context (around a passage).

Their custom ids carry all they need (the index generation, the offset or the passage), and
they are dynamic items: a press is understood by any run of the bot, also after a restart.
The question itself is read back from the message the button is on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot import errors
from footnote.answering.answer import Answer

if TYPE_CHECKING:
    from bot.client import FootnoteBot

MORE_ID = "footnote:more:{generation}:{offset}:{k}"
CONTEXT_ID = "footnote:context:{generation}:{doc}:{first}:{last}:{rank}"
PER_ROW = 5


class MoreButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"footnote:more:(?P<generation>[0-9a-f]{8}):(?P<offset>\d{1,4}):(?P<k>\d{1,2})",
):
    """Shows the next k passages for the question of the message it is on."""

    def __init__(self, generation: str, offset: int, k: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="More",
                style=discord.ButtonStyle.secondary,
                custom_id=MORE_ID.format(generation=generation, offset=offset, k=k),
            )
        )
        self.generation, self.offset, self.k = generation, offset, k

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> MoreButton:
        """The button of a press, rebuilt from its custom id."""
        return cls(match["generation"], int(match["offset"]), int(match["k"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the press to the bot; a failure is answered as a command's is."""
        bot: FootnoteBot = interaction.client
        try:
            await bot.show_more(interaction, self.generation, self.offset, self.k)
        except Exception as error:  # discord.py would only log it: the person gets an id
            await errors.on_interaction_error(interaction, error, "the More button")


class ContextButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"footnote:context:(?P<generation>[0-9a-f]{8}):(?P<doc>[0-9a-f]{12}):"
    r"(?P<first>\d{1,10}):(?P<last>\d{1,10}):(?P<rank>\d{1,4})",
):
    """Shows the paragraphs before and after passage `first` (to `last`) of the answer: the
    document by its key (PassageRef.doc_key), the passages by their number in it."""

    def __init__(self, generation: str, doc: str, first: int, last: int, rank: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Context [{rank}]",
                style=discord.ButtonStyle.secondary,
                custom_id=CONTEXT_ID.format(
                    generation=generation, doc=doc, first=first, last=last, rank=rank
                ),
            )
        )
        self.generation, self.doc, self.first, self.last = generation, doc, first, last

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
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the press to the bot; a failure is answered as a command's is."""
        bot: FootnoteBot = interaction.client
        try:
            await bot.show_context(interaction, self.generation, self.doc, self.first, self.last)
        except Exception as error:  # discord.py would only log it: the person gets an id
            await errors.on_interaction_error(interaction, error, "a Context button")


def answer_view(answer: Answer, generation: str, k: int, offset: int = 0) -> discord.ui.View:
    """The buttons for an answer showing passages offset+1..offset+k (none for a declined one)."""
    view = discord.ui.View(timeout=None)
    if not answer.answered:
        return view
    items: list[discord.ui.Item] = [
        ContextButton(
            generation,
            m.passage.doc_key,
            m.passage.n,
            last_passage(m.passage.n, m.citation),
            m.rank,
        )
        for m in answer.passages[:k]
    ]
    if len(answer.passages) >= k:
        items.insert(0, MoreButton(generation, offset + k, k))
    for i, item in enumerate(items[: PER_ROW * 5]):
        item.row = i // PER_ROW
        view.add_item(item)
    return view


def last_passage(first: int, citation: Any) -> int:
    """The last passage of a shown match: the next one when two paragraphs were joined."""
    joined = citation.last_paragraph is not None and citation.last_paragraph != citation.paragraph
    return first + 1 if joined else first
