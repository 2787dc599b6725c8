"""Answer types read from question words, and found in passages."""

from __future__ import annotations

import pytest

from footnote.analysis.answertype import expected_type, has_type, named_dates


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the protest end?", "time"),
        ("since when has it been banned?", "time"),
        ("On what day were the strikes?", "time"),
        ("Which year did the war start?", "time"),
        ("How many fighters died?", "quantity"),
        ("how much did it cost?", "quantity"),
        ("How old is the ambassador?", "quantity"),
        ("Number of sites hit in the strikes?", "quantity"),
        ("Where is the guild based?", "place"),
        ("In which city did they meet?", "place"),
        ("Which country won the cup?", "place"),
        ("Which TLS version does the service use?", "quantity"),
        ("Where does CloudTrail store the log files?", "place"),
        ("Which command mutes a member?", "code"),
        ("What option makes the build verbose?", "code"),
        ("which setting controls how long a session lasts?", "code"),
        ("How do I sync slash commands?", None),
        ("Who leads the militia?", None),
        ("Why was the embassy attacked?", None),
        ("What happened when the crowd arrived?", None),
    ],
)
def test_question_words_give_the_expected_type(question: str, kind: str | None) -> None:
    """'when' questions want a time, 'how many' ones a quantity, others nothing in particular."""
    assert expected_type(question) == kind


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("The strikes took place on Sunday.", "time", True),
        ("It has been banned since 2009.", "time", True),
        ("The protest died down as night fell.", "time", True),
        ("The crowd breached the compound.", "time", False),
        ("Fifty people were treated.", "quantity", True),
        ("At least 25 fighters died.", "quantity", True),
        ("Prices rose 3 per cent.", "quantity", True),
        ("The militia ordered its supporters away.", "quantity", False),
        ("The guild met in Lisbon.", "place", True),
        ("Talks were held in Saudi Arabia's capital.", "place", True),
        ("The militia is active in the northern hills.", "place", True),
        ("The guild met on Tuesday to vote.", "place", False),
        ("Iraqi bases host the coalition.", "place", False),
        ("Fares will start at eighteen pounds.", "quantity", True),
        ("CloudTrail stores its log files in an Amazon S3 bucket.", "place", True),
        ("Report it in #nodejs-security-wg instead.", "place", True),
        ("Open Settings > Privacy to change it.", "place", True),
        ("Edit config/settings.yaml first.", "place", True),
        ("He went to the store at noon.", "place", False),
        ("New in version 2.2.", "time", True),
        ("Use !mute to silence a member.", "code", True),
        ("Pass --verbose to see every step.", "code", True),
        ("Call app.run() once the routes are set.", "code", True),
        ("Set SESSION_COOKIE_NAME in the config.", "code", True),
        ("A well-known and cost-effective option.", "code", False),
        ("See example.com for the details.", "code", False),
    ],
)
def test_passages_hold_times_and_quantities(text: str, kind: str, found: bool) -> None:
    """Weekdays, years and parts of the day are times; digits and number words quantities;
    countries, capitals, compass words and, in docs, buckets, channels, menus and paths places
    (a nationality is not a place); a version a time (docs date changes by release); options,
    chat commands, calls and identifiers code (hyphenated words and domains are not)."""
    assert has_type(text, kind) is found  # type: ignore[arg-type]


def test_named_dates_are_days_months_and_years() -> None:
    """Weekdays, capitalised month names and years are dates; the verb 'may' is not."""
    assert named_dates("Were they back on Wednesday, in March 2009? It may rain.") == [
        "Wednesday",
        "March",
        "2009",
    ]
