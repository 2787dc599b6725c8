"""How members rated the answers: the counts and the answers voted down most, for
`footnote feedback` and the bot's /feedback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from footnote.answerlog.store import REASONS, AnswerRecord, ShownPassage, Vote

WORST = 5  # answers voted down listed


@dataclass(frozen=True)
class RatedAnswer:
    """An answer voted down: what was asked, what it showed first, the votes and reasons."""

    answer_id: str
    question: str
    asked_at: float
    up: int
    down: int
    citation: str | None  # its first shown passage: "title · section · ¶14"; None if none
    reasons: dict[str, int] = field(default_factory=dict)  # REASONS keys given, in that order
    first_rank: int = 1  # above 1: a More page, showing ranks first_rank..
    guild_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None

    @property
    def net(self) -> int:
        """Votes down less votes up."""
        return self.down - self.up


@dataclass(frozen=True)
class FeedbackSummary:
    """The answers of a period and the votes on them."""

    answered: int  # questions answered (first pages; More pages are not new questions)
    declined: int  # questions declined (first pages)
    votes_up: int
    votes_down: int
    reasons: dict[str, int]  # every REASONS key, in that order: votes down giving it
    no_reason: int  # votes down with no reason given
    answers_voted: int  # answers (More pages included) with at least one vote
    worst: tuple[RatedAnswer, ...]  # voted down more than up: most net down first

    @property
    def questions(self) -> int:
        """Questions asked: answered and declined."""
        return self.answered + self.declined


def citation_of(passage: ShownPassage) -> str:
    """A shown passage's citation as the bot showed it: title · section · paragraphs."""
    return " · ".join(p for p in (passage.title, passage.section, passage.paragraphs) if p)


def feedback_summary(
    answers: Sequence[AnswerRecord], votes: Sequence[Vote], worst: int = WORST
) -> FeedbackSummary:
    """The counts of answers and votes, and up to `worst` answers most voted down."""
    first_pages = [a for a in answers if a.parent_id is None]
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {}
    for vote in votes:
        (up if vote.up else down)[vote.answer_id] += 1
        if not vote.up and vote.reason:
            reasons.setdefault(vote.answer_id, Counter())[vote.reason] += 1
    given = Counter(v.reason for v in votes if not v.up and v.reason in REASONS)
    rated = [
        RatedAnswer(
            answer_id=a.id,
            question=a.question,
            asked_at=a.asked_at,
            up=up[a.id],
            down=down[a.id],
            citation=citation_of(a.passages[0]) if a.passages else None,
            reasons={k: reasons[a.id][k] for k in REASONS if reasons.get(a.id, {}).get(k)},
            first_rank=a.first_rank,
            guild_id=a.guild_id,
            channel_id=a.channel_id,
            message_id=a.message_id,
        )
        for a in answers
        if down[a.id] > up[a.id]
    ]
    rated.sort(key=lambda r: (-r.net, -r.down, -r.asked_at))
    known = {a.id for a in answers}
    return FeedbackSummary(
        answered=sum(a.answered for a in first_pages),
        declined=sum(not a.answered for a in first_pages),
        votes_up=sum(v.up for v in votes),
        votes_down=sum(not v.up for v in votes),
        reasons={key: given[key] for key in REASONS},
        no_reason=sum(not v.up and v.reason not in REASONS for v in votes),
        answers_voted=len({v.answer_id for v in votes} & known),
        worst=tuple(rated[:worst]),
    )
