"""The bot's answer store and what the command line reads from it: `footnote gaps`,
`footnote feedback` and `footnote eval --feedback`. The store's tests run on both of its
databases: an SQLite file and PostgreSQL (a throwaway server on 127.0.0.1)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from conftest import write_articles

from footnote import cli
from footnote.answering.answer import Answer
from footnote.answerlog.gaps import gap_groups, page_of
from footnote.answerlog.judgements import judged_questions, voted_passages
from footnote.answerlog.store import (
    SCHEMA_VERSION,
    STORE_NAME,
    AnswerRecord,
    AnswerStore,
    ShownPassage,
    StoreError,
    Vote,
    shown_digest,
    shown_location,
)
from footnote.answerlog.summary import feedback_summary
from footnote.config import EngineConfig
from footnote.engine import Engine

NOW = time.time()
HOUR = 3600.0
ARTICLES = {
    "cats": "Cats sleep sixteen hours a day, curled up in warm places.",
    "ships": "Container ships carry twenty thousand boxes across the ocean.",
    "tea": "Green tea is steeped in water at eighty degrees for two minutes.",
}


def shown(document: str, passage: int = 0, title: str = "Cats", text: str = "") -> ShownPassage:
    """A shown passage as the bot records it."""
    return ShownPassage(1, document, passage, passage, shown_digest(text), title, None, "¶1")


def record(
    answer_id: str,
    question: str,
    *,
    answered: bool = True,
    ago: float = HOUR,
    user: int = 1,
    guild: int | None = 10,
    parent: str | None = None,
    passages: tuple[ShownPassage, ...] = (),
) -> AnswerRecord:
    """An answer the bot sent `ago` seconds back."""
    return AnswerRecord(
        id=answer_id,
        guild_id=guild,
        channel_id=20,
        user_id=user,
        asked_at=NOW - ago,
        question=question,
        context=None,
        via="more" if parent else "/ask",
        generation="gen-1",
        answered=answered,
        took_ms=1.0,
        passages=passages,
        first_rank=4 if parent else 1,
        parent_id=parent,
    )


def bot_record(engine: Engine, answer_id: str, question: str, ago: float = HOUR) -> AnswerRecord:
    """The record the bot keeps of its answer to a question: the passages it showed."""
    answer: Answer = engine.ask(question, 3)
    matches = answer.passages if answer.answered else []
    return record(
        answer_id,
        question,
        answered=answer.answered,
        ago=ago,
        passages=tuple(ShownPassage.of(m) for m in matches),
    )


def set_version(location: Path | str, version: int) -> None:
    """Mark a store as of this schema version, as another Footnote would have."""
    if isinstance(location, str):
        with psycopg.connect(location, autocommit=True) as db:
            db.execute("UPDATE footnote_schema SET version = %s", (version,))
    else:
        db = sqlite3.connect(location)
        db.execute(f"PRAGMA user_version = {version}")
        db.close()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real command line: status, stdout, stderr."""
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


# -- the store ------------------------------------------------------------------------------


def test_an_old_settings_file_keeps_its_servers_and_gains_the_tables(tmp_path: Path) -> None:
    """Version 0 (the servers table alone) is migrated forward with its rows kept."""
    path = tmp_path / STORE_NAME
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE servers (guild_id INTEGER PRIMARY KEY, threads INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute("INSERT INTO servers VALUES (123, 1)")
    db.commit()
    db.close()
    store = AnswerStore(path)
    assert store.version == SCHEMA_VERSION
    assert store.server_threads() == {123: True}
    store.record(record("a1", "where do cats sleep?"))
    assert store.vote("a1", 5, up=True)
    store.close()
    reader = AnswerStore(path, read_only=True)
    assert [a.question for a in reader.answers()] == ["where do cats sleep?"]
    assert [v.user_id for v in reader.votes()] == [5]
    reader.close()


def test_a_store_from_a_newer_footnote_is_refused(
    location: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newer schema is never read nor rewritten; the command line says so in one line."""
    AnswerStore(location).close()
    set_version(location, SCHEMA_VERSION + 1)
    for read_only in (True, False):
        with pytest.raises(StoreError, match="newer Footnote"):
            AnswerStore(location, read_only=read_only)
    status, out, err = run(capsys, "gaps", "--store", str(location))
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "newer Footnote" in err


def test_votes_change_carry_reasons_and_are_forgotten_or_purged(location: Path | str) -> None:
    """One vote per person per answer; a reason only on a vote down; forget and purge."""
    store = AnswerStore(location)
    store.record(record("a1", "where do cats sleep?", user=1))
    store.record(record("old", "what do cats eat?", user=2, ago=100 * 24 * HOUR))
    assert store.vote("a1", 7, up=True) and store.vote("a1", 8, up=True)
    assert not store.give_reason("a1", 7, "wrong-passage")  # no vote down to explain
    assert store.vote("a1", 7, up=False)  # a second vote replaces the first
    assert store.give_reason("a1", 7, "wrong-passage")
    with pytest.raises(StoreError, match="not a reason"):
        store.give_reason("a1", 7, "boring")
    assert not store.vote("unknown", 7, up=True)
    votes = {(v.user_id, v.up, v.reason) for v in store.votes()}
    assert votes == {(7, False, "wrong-passage"), (8, True, None)}
    store.vote("a1", 7, up=True)  # changing to up drops the reason
    assert {(v.user_id, v.reason) for v in store.votes()} == {(7, None), (8, None)}
    store.vote("old", 8, up=False)
    assert store.forget(8) == (0, 2)  # asked nothing, voted twice
    assert store.forget(1) == (1, 0)  # asked a1, whose votes go with it
    assert [v.user_id for v in store.votes()] == []
    assert store.purge(keep_days=90) == 1  # the 100-day-old answer
    assert store.answers() == []
    store.close()


# -- gaps -----------------------------------------------------------------------------------


def gap_store() -> tuple[list[AnswerRecord], list[Vote]]:
    """Questions on three subjects, declined or voted down, and some that went well."""
    answers = [
        record("e1", "Is the embassy going to be evacuated?", answered=False, ago=5 * HOUR),
        record("e2", "will they evacuate the embassy?", answered=False, ago=4 * HOUR),
        record("e3", "Embassy evacuation plans?", ago=3 * HOUR),
        record("m1", "who leads the militia?", answered=False, ago=2 * HOUR),
        record("m2", "Who leads the militia", ago=HOUR),
        record("m2-more", "Who leads the militia", ago=HOUR - 60, parent="m2"),
        record("b1", "How do I bake sourdough bread?", answered=False, ago=30),
        record("ok", "Where do cats sleep?"),  # answered, voted up: no gap
        record("tie", "what do cats eat?"),  # one up, one down: no gap
    ]

    def vote(answer_id: str, user: int, up: bool) -> Vote:
        return Vote(answer_id, user, up, None if up else "wrong-passage", NOW)

    votes = [
        vote("e3", 1, False),
        vote("e3", 2, False),
        vote("e3", 3, True),
        vote("m2-more", 1, False),  # a More page voted down: its first page's question
        vote("ok", 1, True),
        vote("tie", 1, True),
        vote("tie", 2, False),
    ]
    return answers, votes


def test_gaps_group_paraphrases_and_keep_subjects_apart() -> None:
    """Paraphrases share a group, subjects do not; biggest first; labels are typed words."""
    answers, votes = gap_store()
    groups = gap_groups(answers, votes)
    assert [g.questions for g in groups] == [3, 2, 1]
    embassy, militia, bread = groups
    assert embassy.label.startswith("embassy, ")
    assert embassy.words[1] in {"evacuated", "evacuate", "evacuation"}  # never the stem "evacu"
    assert (embassy.declined, embassy.voted_down) == (2, 1)
    assert set(embassy.examples) == {
        "Is the embassy going to be evacuated?",
        "will they evacuate the embassy?",
        "Embassy evacuation plans?",
    }
    assert embassy.last_asked == pytest.approx(NOW - 3 * HOUR)
    assert militia.words == ("leads", "militia")
    assert (militia.questions, militia.declined, militia.voted_down) == (2, 1, 1)
    assert len(militia.examples) == 1  # asked identically, case aside
    assert bread.words == ("bake", "sourdough", "bread")
    assert not any("cats" in g.label for g in groups)


def test_a_word_most_questions_use_does_not_make_a_subject() -> None:
    """Where most questions name Iraq, "the president of Iraq" and "troops in Iraq" are two
    subjects; "president" alone ties two questions together."""
    subjects = ("oil", "Iran", "elections", "the border", "water")
    answered = [record(f"ok{n}", f"What did Iraq say about {w}?") for n, w in enumerate(subjects)]
    gaps = [
        record("p1", "Who is the president of Iraq?", answered=False, ago=3 * HOUR),
        record("t1", "How many troops are in Iraq?", answered=False, ago=2 * HOUR),
        record("p2", "When was the president elected?", answered=False, ago=HOUR),
    ]
    groups = gap_groups(answered + gaps, [])
    assert [(g.label, g.questions) for g in groups] == [("president", 2), ("troops, Iraq", 1)]


def test_gaps_count_an_answer_and_its_more_pages_once() -> None:
    """A first page voted down and its More page voted down are one question."""
    answers = [
        record("q", "why did the ship sink?"),
        record("q-more", "why did the ship sink?", parent="q", ago=HOUR - 5),
    ]
    votes = [Vote("q", 1, False, None, NOW), Vote("q-more", 1, False, None, NOW)]
    [group] = gap_groups(answers, votes)
    assert (group.questions, group.voted_down, group.declined) == (1, 1, 0)


def test_questions_without_a_subject_group_by_their_text() -> None:
    """ "What happened?" names no subject: only the same question joins it, shown as asked."""
    answers = [
        record("1", "What happened?", answered=False),
        record("2", "what  happened", answered=False),
        record("3", "What happened to the cats?", answered=False),
    ]
    groups = gap_groups(answers, [])
    labels = sorted(g.label for g in groups)
    assert len(groups) == 2 and "cats" in labels
    assert next(g for g in groups if g.label != "cats").questions == 2


def test_a_page_of_a_list() -> None:
    """Pages count from 1; a page past the end shows the last; an empty list has one page."""
    items = list(range(25))
    assert page_of(items, 3, 10) == ([20, 21, 22, 23, 24], 3, 3)
    assert page_of(items, 9, 10) == ([20, 21, 22, 23, 24], 3, 3)
    assert page_of(items, 0, 10)[1] == 1
    assert page_of([], 1, 10) == ([], 1, 1)


# -- feedback summary -----------------------------------------------------------------------


def test_the_summary_counts_questions_votes_and_reasons() -> None:
    """First pages count as questions; every vote counts; the worst answer comes first."""
    cats = ShownPassage(1, "cats", 0, 0, "d", "Cats", "Sleep", "¶1")
    answers = [
        record("a", "where do cats sleep?", passages=(cats,)),
        record("a-more", "where do cats sleep?", parent="a"),
        record("b", "what do cats eat?"),
        record("c", "how old is the moon?", answered=False),
    ]
    votes = [
        Vote("a", 1, False, "wrong-passage", NOW),
        Vote("a", 2, False, "out-of-date", NOW),
        Vote("a", 3, True, None, NOW),
        Vote("b", 1, False, None, NOW),
        Vote("a-more", 1, True, None, NOW),
    ]
    summary = feedback_summary(answers, votes)
    assert (summary.questions, summary.answered, summary.declined) == (3, 2, 1)
    assert (summary.votes_up, summary.votes_down, summary.answers_voted) == (2, 3, 3)
    assert summary.reasons == {
        "wrong-passage": 1,
        "not-an-answer": 0,
        "out-of-date": 1,
        "other": 0,
    }
    assert summary.no_reason == 1
    assert [r.answer_id for r in summary.worst] == ["a", "b"]  # 2 down, 1 up; then 1 down
    worst = summary.worst[0]
    assert worst.citation == "Cats · Sleep · ¶1"
    assert worst.reasons == {"wrong-passage": 1, "out-of-date": 1}
    assert summary.worst[1].citation is None


# -- votes as judgements --------------------------------------------------------------------


def test_votes_sum_per_question_asked_alike() -> None:
    """The same question asked again (case, spacing aside) sums its votes per passage; a More
    page judges for its first page's question; votes that cancel judge nothing."""
    answers = [
        record("1", "Where do cats sleep?", passages=(shown("cats"),)),
        record("2", "where do  cats sleep", passages=(shown("cats"), shown("tea"))),
        record("3", "Where do cats sleep?", parent="1", passages=(shown("ships"),)),
    ]
    votes = [
        Vote("1", 1, True, None, NOW),
        Vote("1", 2, True, None, NOW),
        Vote("2", 3, False, None, NOW),
        Vote("3", 1, False, None, NOW),
    ]
    [question] = judged_questions(voted_passages(answers, votes))
    assert question.question == "Where do cats sleep?"
    assert question.relevant == {("cats", 0)}  # +2 - 1
    assert question.not_relevant == {("tea", 0), ("ships", 0)}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three one-paragraph articles that no question can confuse."""
    return write_articles(tmp_path / "corpus", ARTICLES)


def voted_store(engine: Engine, path: Path | str) -> dict[str, AnswerRecord]:
    """The bot's store after two questions: one voted up, one voted down."""
    store = AnswerStore(path)
    records = {
        "up": bot_record(engine, "up", "How many boxes do container ships carry?"),
        "down": bot_record(engine, "down", "green tea steeped water temperature"),
    }
    for answer in records.values():
        store.record(answer)
    store.vote("up", 1, up=True)
    store.vote("down", 1, up=False)
    store.give_reason("down", 1, "wrong-passage")
    store.close()
    assert all(a.answered and a.passages for a in records.values())
    return records


def test_eval_feedback_scores_the_index_on_the_votes(
    corpus: Path, location: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unchanged, the index answers as it did: the passage voted up comes first, and the one
    voted down is answered again."""
    engine, _ = Engine.open(EngineConfig(corpus_dir=corpus))
    path = str(location)
    voted_store(engine, path)
    engine.retriever.close()
    status, out, err = run(capsys, "eval", "--feedback", str(path), "--corpus", str(corpus))
    assert status == 0, err
    lines = out.splitlines()
    assert "2 question(s) judged by 2 vote(s)" in lines[0]
    assert "0 passage(s) set aside, changed since the vote" in lines[0]
    assert any(line.split()[:2] == ["Hit@1", "1.000"] and "(1/1)" in line for line in lines)
    assert any(line.split()[:2] == ["nDCG@10", "1.000"] for line in lines)
    again = next(line for line in lines if line.startswith("voted-down passage answered again"))
    assert again.split()[-2:] == ["1.000", "(1/1)"]

    status, out, err = run(
        capsys, "eval", "--feedback", str(path), "--corpus", str(corpus), "--json", "--per-question"
    )
    data = json.loads(out)
    assert data["store"] == shown_location(location)  # a database's password is never shown
    assert data["judged"] == 1 and data["voted_down_only"] == 1
    assert data["measures"]["MRR@10"] == 1.0
    verdicts = {r["question"]: r["verdict"] for r in data["per_question"]}
    assert verdicts == {
        "How many boxes do container ships carry?": "voted up first",
        "green tea steeped water temperature": "voted-down passage answered again",
    }


def test_a_passage_changed_since_the_vote_is_set_aside(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rewriting an article sets aside the votes on its passages, counted, not judged."""
    engine, _ = Engine.open(EngineConfig(corpus_dir=corpus))
    path = tmp_path / "bot.sqlite"
    records = voted_store(engine, path)
    engine.retriever.close()
    (corpus / "ships.md").write_text(
        "# Ships\n\nContainer ships now carry twenty-four thousand boxes.\n", encoding="utf-8"
    )
    on_ships = sum(p.document == "ships" for a in records.values() for p in a.passages)
    status, out, err = run(
        capsys, "eval", "--feedback", str(path), "--corpus", str(corpus), "--json", "--rebuild"
    )
    assert status == 0, err
    data = json.loads(out)
    assert data["changed_since_vote"] == on_ships >= 1
    assert data["judged"] == 0  # the only passage voted up was the ships one
    assert data["measures"]["Hit@1"] is None


def test_eval_feedback_needs_votes_and_goes_alone(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No vote to judge by, or a test collection beside it: one line, exit 2."""
    path = tmp_path / "bot.sqlite"
    store = AnswerStore(path)
    store.record(record("a", "where do cats sleep?"))
    store.close()
    status, _, err = run(capsys, "eval", "--feedback", str(path), "--corpus", str(corpus))
    assert status == 2 and "no vote to judge by" in err
    status, _, err = run(capsys, "eval", "--feedback", str(path), "--cranfield", "x")
    assert status == 2 and "--cranfield does not go with --feedback FILE" in err
    # Alone, --feedback still turns on pseudo-relevance feedback, as for `footnote ask`.
    assert cli.build_parser().parse_args(["eval", "--feedback"]).feedback is True


# -- the commands ---------------------------------------------------------------------------


def write_store(path: Path | str) -> None:
    """A store holding the gap questions and votes above."""
    answers, votes = gap_store()
    store = AnswerStore(path)
    for answer in answers:
        store.record(answer)
    for vote in votes:
        store.vote(vote.answer_id, vote.user_id, vote.up)
        if vote.reason and not vote.up:
            store.give_reason(vote.answer_id, vote.user_id, vote.reason)
    store.close()


def test_footnote_gaps_prints_the_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The header has the period and totals; each group its words, counts and examples."""
    index = tmp_path / "ix" / "corpus"
    write_store(index.parent / STORE_NAME)  # where the bot keeps it: beside the index
    status, out, err = run(capsys, "gaps", "--index", str(index))
    assert status == 0, err
    lines = out.splitlines()
    assert "last 30 day(s)" in lines[0] and "all servers" in lines[0]
    assert lines[1].startswith("6 question(s) declined or voted down, of 8 asked")
    assert "3 subject(s)" in lines[1]
    groups = [line for line in lines if line[:4].strip().rstrip(".").isdigit()]
    assert groups[0].startswith("  1. embassy, ") and "3 question(s)" in groups[0]
    assert groups[1].startswith("  2. leads, militia: 2 question(s)")
    assert "Is the embassy going to be evacuated?" in out
    assert "page 1 of" not in out

    status, out, _ = run(capsys, "gaps", "--index", str(index), "--json", "--page", "2")
    data = json.loads(out)
    assert (data["page"], data["pages"], data["groups"]) == (1, 1, data["groups"])
    assert [g["questions"] for g in data["groups"]] == [3, 2, 1]
    assert data["groups"][1]["words"] == ["leads", "militia"]


def test_footnote_gaps_and_feedback_on_an_empty_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No question in the period, or in that server: a clear line, exit 0."""
    path = tmp_path / STORE_NAME
    write_store(path)
    for command in ("gaps", "feedback"):
        status, out, err = run(capsys, command, "--store", str(path), "--server", "99")
        assert status == 0, err
        assert out.startswith("No questions in the last 30 day(s) in server 99")
    AnswerStore(tmp_path / "empty.sqlite").close()
    status, out, _ = run(capsys, "gaps", "--store", str(tmp_path / "empty.sqlite"), "--days", "7")
    assert status == 0 and out.startswith("No questions in the last 7 day(s)")


def test_footnote_feedback_prints_counts_and_the_worst_answers(
    location: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Questions, votes, reasons, then the answers voted down most."""
    path = location
    write_store(path)
    status, out, err = run(capsys, "feedback", "--store", str(path))
    assert status == 0, err
    assert out.startswith(shown_location(path))  # a database's URL, never its password
    password = urlsplit(str(path)).password
    assert password is None or password not in out
    assert "8 question(s): 4 answered, 4 declined" in out
    assert "votes: 3 up, 4 down, on 4 answer(s)" in out
    assert "reasons for votes down: wrong passage 4" in out
    worst = out.split("Answers voted down most:")[1].splitlines()
    assert worst[1].startswith("  1. Embassy evacuation plans?: 2 down, 1 up")
    assert worst[3].startswith("  2. Who leads the militia (More, from rank 4): 1 down, 0 up")
    data = json.loads(run(capsys, "feedback", "--store", str(path), "--json")[1])
    assert data["votes"] == {"up": 3, "down": 4}
    assert data["voted_down_most"][0]["question"] == "Embassy evacuation plans?"


def test_footnote_gaps_pages_ten_groups(
    location: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Twelve subjects make two pages; the first says how to see the next."""
    subjects = "apples boats clocks dunes eagles ferns glaciers harbours igloos jungles kites lamps"
    store = AnswerStore(location)
    for n, word in enumerate(subjects.split()):
        store.record(record(str(n), f"What about {word}?", answered=False, ago=HOUR + n))
    store.close()
    status, out, _ = run(capsys, "gaps", "--store", str(location))
    assert status == 0
    assert out.rstrip().endswith("page 1 of 2; next: footnote gaps --page 2")
    assert "  1. apples: 1 question(s) (1 declined)" in out  # the most recent first
    status, out, _ = run(capsys, "gaps", "--store", str(location), "--page", "2")
    assert " 11. kites: " in out and " 12. lamps: " in out and "apples" not in out
    assert out.rstrip().endswith("page 2 of 2")


@pytest.mark.parametrize("kind", ["missing", "not a store"])
def test_a_store_that_cannot_be_read_is_one_line_and_exit_2(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing file or one that is not a store: one sentence on stderr, never a traceback."""
    path = tmp_path / "bot.sqlite"
    if kind == "not a store":
        path.write_text("hello\n", encoding="utf-8")
    for command in ("gaps", "feedback"):
        status, out, err = run(capsys, command, "--store", str(path))
        assert status == 2 and out == ""
        assert err.startswith("footnote: ") and len(err.strip().splitlines()) == 1
        assert str(path) in err
