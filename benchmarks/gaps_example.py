"""An example /gaps and /feedback page: the seed question sets asked of the default corpus,
recorded as the bot records answers, with members' votes simulated from the sets' answers.

Run:  python benchmarks/gaps_example.py [--store FILE]

Every question of tests/data/seed_questions.json and tests/data/seed_paraphrases.json (the
answerable ones and those the article cannot answer) is asked of corpus/ with the engine, as
the bot asks it, and recorded in a fresh answer store with the bot's own answer_record. Then
a member who knows the answer votes on each answer shown: 👍 when a shown passage holds one of
the question's answers, else 👎 ("wrong passage" for an answerable question, "not an answer"
for one the article cannot answer). Declined questions get no vote (they show no passage).
Prints the /gaps and /feedback pages as the bot renders them and writes them, with the
measures of `footnote eval --feedback` on those votes, to benchmarks/results/gaps.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import discord

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bot.insights import feedback_page, gaps_page  # noqa: E402
from bot.store import Asked, answer_record, new_answer_id  # noqa: E402
from footnote.answerlog.store import DAY, AnswerStore  # noqa: E402
from footnote.config import EngineConfig  # noqa: E402
from footnote.engine import Engine  # noqa: E402

SETS = [
    ROOT / "tests" / "data" / "seed_questions.json",
    ROOT / "tests" / "data" / "seed_paraphrases.json",
]
GUILD, CHANNEL, MEMBERS = 1, 2, 20
RESULT = HERE / "results" / "gaps.md"


def questions() -> list[tuple[str, list[str]]]:
    """Each question of the sets with its answers (none: the article cannot answer it)."""
    found = []
    for path in SETS:
        data = json.loads(path.read_text(encoding="utf-8"))
        found += [(q["question"], q["answers"]) for q in data["answerable"]]
        found += [(q, []) for q in data["unanswerable"]]
    return found


def record(store: AnswerStore, engine: Engine) -> tuple[int, int]:
    """Ask every question, keep each answer as the bot does, vote as a member would."""
    asked = questions()
    start = time.time() - len(asked) * 60
    votes = 0
    for number, (question, answers) in enumerate(asked):
        member = 1000 + number % MEMBERS
        answer = engine.ask(question, 3)
        answer_id = new_answer_id()
        where = Asked(member, GUILD, CHANNEL, start + number * 60, "/ask")
        store.record(answer_record(answer_id, answer, where, engine.generation, 3))
        if not answer.answered:
            continue
        right = any(a in m.text for m in answer.passages for a in answers)
        voter = 2000 + number % MEMBERS
        store.vote(answer_id, voter, right, where.at + 30)
        if not right:
            store.give_reason(answer_id, voter, "wrong-passage" if answers else "not-an-answer")
        votes += 1
    return len(asked), votes


def as_text(embed: discord.Embed) -> str:
    """An embed as a reader sees it, in plain text."""
    lines = [f"**{embed.title}**"] if embed.title else []
    if embed.description:
        lines += ["", embed.description]
    for field in embed.fields:
        lines += ["", f"**{field.name}**", str(field.value)]
    if embed.footer and embed.footer.text:
        lines += ["", f"_{embed.footer.text}_"]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Record, render, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="keep the store here (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        path = args.store or Path(work) / "footnote-bot.sqlite"
        engine, _ = Engine.open(
            EngineConfig(corpus_dir=ROOT / "corpus", index_dir=Path(work) / "ix")
        )
        store = AnswerStore(path)
        asked, votes = record(store, engine)
        answers, cast = store.history(time.time() - 30 * DAY, GUILD)
        store.close()
    gaps = as_text(gaps_page(answers, cast, 1, 30, 90))
    feedback = as_text(feedback_page(answers, cast, 1, 30, 90))
    report = f"""# An example /gaps page

Made by:

```sh
python benchmarks/gaps_example.py
```

The {asked} questions of `tests/data/seed_questions.json` and `tests/data/seed_paraphrases.json`
(answerable ones, and those the article cannot answer) asked of the default corpus and kept
as the bot keeps answers; {votes} answers shown were voted on by a member who knows the answer
(👍 when a shown passage holds it, else 👎 with a reason). Discord timestamps (`<t:…:R>`) show
as "5 minutes ago" in the app.

## /gaps

{gaps}

## /feedback

{feedback}
"""
    RESULT.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
