"""`footnote gaps` and `footnote feedback` as text for a terminal and as one JSON object."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from footnote.answerlog.gaps import GapGroup, page_of
from footnote.answerlog.store import REASONS, shown_location
from footnote.answerlog.summary import FeedbackSummary, RatedAnswer

TEXT_WIDTH = 100  # a question longer than this is cut
PER_PAGE = 10  # groups on a page of `footnote gaps`


@dataclass(frozen=True)
class Period:
    """What a report covers: the store, how many days back, from when, which server."""

    store: Path | str  # a file, or a postgresql:// URL (shown without its password)
    days: int
    since: float
    server: int | None = None

    @property
    def heading(self) -> str:
        """One line naming the period: "footnote-bot.sqlite, last 30 days (since ...), ..."."""
        where = "all servers" if self.server is None else f"server {self.server}"
        store = shown_location(self.store)
        return f"{store}, last {self.days} day(s) (since {local_time(self.since)}), {where}"

    @property
    def nothing(self) -> str:
        """The line for a period without a question."""
        where = "" if self.server is None else f" in server {self.server}"
        return f"No questions in the last {self.days} day(s){where} ({shown_location(self.store)})."

    def json(self) -> dict:
        """The period's fields of a report's JSON object."""
        return {
            "store": shown_location(self.store),
            "days": self.days,
            "since": iso_time(self.since),
            "server": self.server,
        }


def local_time(seconds: float) -> str:
    """A moment as the terminal's clock shows it, to the minute."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def iso_time(seconds: float) -> str:
    """A moment in ISO 8601, UTC, to the second."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def _cut(text: str, width: int = TEXT_WIDTH) -> str:
    """Text on one line, cut with an ellipsis past `width` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- gaps -----------------------------------------------------------------------------------


def render_gaps(
    period: Period, asked: int, groups: list[GapGroup], page: int = 1, per_page: int = PER_PAGE
) -> str:
    """The questions the writing is missing, a page of groups, for a terminal."""
    if not asked:
        return period.nothing
    if not groups:
        return (
            f"{period.heading}\nNo question was declined or voted down, of {asked} asked. "
            "Nothing is missing that anyone noticed."
        )
    total = sum(g.questions for g in groups)
    declined = sum(g.declined for g in groups)
    down = sum(g.voted_down for g in groups)
    lines = [
        period.heading,
        f"{total} question(s) declined or voted down, of {asked} asked: {declined} declined, "
        f"{down} voted down; {len(groups)} subject(s), most asked first",
    ]
    shown, page, pages = page_of(groups, page, per_page)
    for number, group in enumerate(shown, start=(page - 1) * per_page + 1):
        why = [
            f"{n} {what}"
            for n, what in ((group.declined, "declined"), (group.voted_down, "voted down"))
            if n
        ]
        lines += [
            "",
            f"{number:>3}. {group.label}: {group.questions} question(s) ({', '.join(why)}), "
            f"last asked {local_time(group.last_asked)}",
        ]
        lines += [f"       {_cut(example)}" for example in group.examples]
    if pages > 1:
        more = f"; next: footnote gaps --page {page + 1}" if page < pages else ""
        lines += ["", f"page {page} of {pages}{more}"]
    return "\n".join(lines)


def gap_json(group: GapGroup) -> dict:
    """One group as JSON."""
    return {
        "label": group.label,
        "words": list(group.words),
        "questions": group.questions,
        "declined": group.declined,
        "voted_down": group.voted_down,
        "examples": list(group.examples),
        "last_asked": iso_time(group.last_asked),
    }


def gaps_json(
    period: Period, asked: int, groups: list[GapGroup], page: int | None, per_page: int = PER_PAGE
) -> dict:
    """`footnote gaps --json`: the period, the totals and the groups (one page, or all)."""
    shown, page, pages = page_of(groups, page, per_page) if page else (groups, 1, 1)
    return period.json() | {
        "asked": asked,
        "questions": sum(g.questions for g in groups),
        "declined": sum(g.declined for g in groups),
        "voted_down": sum(g.voted_down for g in groups),
        "subjects": len(groups),
        "page": page,
        "pages": pages,
        "groups": [gap_json(g) for g in shown],
    }


# -- feedback -------------------------------------------------------------------------------


def _reasons_text(reasons: dict[str, int]) -> str:
    """ "wrong passage 2, other 1" for the reasons given (in REASONS order)."""
    return ", ".join(f"{REASONS[key]} {count}" for key, count in reasons.items() if count)


def render_feedback(period: Period, summary: FeedbackSummary) -> str:
    """How members rated the answers of a period, for a terminal."""
    if not summary.questions and not summary.answers_voted:
        return period.nothing
    lines = [
        period.heading,
        f"{summary.questions} question(s): {summary.answered} answered, "
        f"{summary.declined} declined",
        f"votes: {summary.votes_up} up, {summary.votes_down} down, on "
        f"{summary.answers_voted} answer(s)",
    ]
    if summary.votes_down:
        given = _reasons_text(summary.reasons)
        unexplained = f"no reason {summary.no_reason}" if summary.no_reason else ""
        lines.append("reasons for votes down: " + ", ".join(p for p in (given, unexplained) if p))
    if not summary.worst:
        lines += ["", "No answer was voted down more than up."]
        return "\n".join(lines)
    lines += ["", "Answers voted down most:"]
    for number, rated in enumerate(summary.worst, start=1):
        more = f" (More, from rank {rated.first_rank})" if rated.first_rank > 1 else ""
        lines.append(
            f"{number:>3}. {_cut(rated.question)}{more}: {rated.down} down, {rated.up} up, "
            f"asked {local_time(rated.asked_at)}"
        )
        if rated.citation:
            # Cut, a citation would lose its paragraph numbers: it is shown whole.
            lines.append(f"       showed first: {rated.citation}")
        if rated.reasons:
            lines.append(f"       reasons: {_reasons_text(rated.reasons)}")
    return "\n".join(lines)


def rated_json(rated: RatedAnswer) -> dict:
    """An answer voted down as JSON."""
    return {
        "answer_id": rated.answer_id,
        "question": rated.question,
        "asked_at": iso_time(rated.asked_at),
        "up": rated.up,
        "down": rated.down,
        "first_rank": rated.first_rank,
        "citation": rated.citation,
        "reasons": dict(rated.reasons),
        "server": rated.guild_id,
    }


def feedback_json(period: Period, summary: FeedbackSummary) -> dict:
    """`footnote feedback --json`: the period, the counts and the answers voted down most."""
    return period.json() | {
        "questions": summary.questions,
        "answered": summary.answered,
        "declined": summary.declined,
        "votes": {"up": summary.votes_up, "down": summary.votes_down},
        "reasons": dict(summary.reasons) | {"none": summary.no_reason},
        "answers_voted": summary.answers_voted,
        "voted_down_most": [rated_json(r) for r in summary.worst],
    }
