"""Hit@1, Hit@3 and declines on the seed question sets, for footnote and plain rank_bm25.

Run: python benchmarks/seed_questions.py [-v] [--questions FILE ...]
The default sets: tests/data/seed_questions.json (readers' questions, the regression set)
and tests/data/seed_paraphrases.json (a stress set that avoids the article's words).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

from footnote.config import EngineConfig
from footnote.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


def hit(texts: list[str], answers: list[str]) -> bool:
    """Whether any of the texts holds one of the answer quotes."""
    return any(a in t for t in texts for a in answers)


def footnote_run(questions: dict, corpus: Path, index: Path) -> dict:
    """Footnote's figures and the questions it got wrong."""
    engine, _ = Engine.open(EngineConfig(corpus_dir=corpus, index_dir=index))
    h1 = h3 = 0
    misses, wrongly_declined = [], []
    for item in questions["answerable"]:
        answer = engine.ask(item["question"], k=3)
        texts = [m.text for m in answer.passages]
        h1 += hit(texts[:1], item["answers"])
        h3 += hit(texts[:3], item["answers"])
        if not hit(texts[:1], item["answers"]):
            misses.append((item["question"], texts[0][:70] if texts else "-"))
        elif not answer.answered:
            wrongly_declined.append(item["question"])
    declined = [q for q in questions["unanswerable"] if not engine.ask(q).answered]
    return {
        "hit1": h1 / len(questions["answerable"]),
        "hit3": h3 / len(questions["answerable"]),
        "declined": len(declined),
        "good_declined": len(wrongly_declined),
        "good": h1,
        "misses": misses,
        "wrongly_declined": wrongly_declined,
        "wrongly_answered": [q for q in questions["unanswerable"] if q not in declined],
    }


def rank_bm25_run(questions: dict, seed_file: Path) -> dict:
    """Plain rank_bm25 BM25Okapi over lowercase words of the raw lines."""
    from rank_bm25 import BM25Okapi

    lines = [
        line.strip() for line in seed_file.read_text(encoding="utf-8").splitlines() if line.strip()
    ]

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    bm25 = BM25Okapi([words(line) for line in lines])
    h1 = h3 = 0
    for item in questions["answerable"]:
        scores = bm25.get_scores(words(item["question"]))
        order = sorted(range(len(lines)), key=lambda i: -scores[i])
        h1 += hit([lines[order[0]]], item["answers"])
        h3 += hit([lines[i] for i in order[:3]], item["answers"])
    # rank_bm25 has no notion of "no answer": it declines only when every score is zero.
    declined = sum(1 for q in questions["unanswerable"] if max(bm25.get_scores(words(q))) <= 0)
    return {
        "hit1": h1 / len(questions["answerable"]),
        "hit3": h3 / len(questions["answerable"]),
        "declined": declined,
    }


def report(path: Path, args: argparse.Namespace) -> None:
    """Print the table for one question set."""
    questions = json.loads(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        ours = footnote_run(questions, args.corpus, Path(tmp))
    n_a, n_u = len(questions["answerable"]), len(questions["unanswerable"])
    print(f"\n{path.name}: {n_a} answerable, {n_u} unanswerable questions\n")
    print("| system | Hit@1 | Hit@3 | unanswerable declined | good answers declined |")
    print("|---|---|---|---|---|")
    print(
        f"| footnote | {ours['hit1']:.3f} | {ours['hit3']:.3f} | {ours['declined']}/{n_u} "
        f"| {ours['good_declined']}/{ours['good']} |"
    )
    if args.seed.exists():
        base = rank_bm25_run(questions, args.seed)
        print(
            f"| rank_bm25 BM25Okapi, lowercase words, raw lines | {base['hit1']:.3f} "
            f"| {base['hit3']:.3f} | {base['declined']}/{n_u} | - |"
        )
    if args.verbose:
        for question, top in ours["misses"]:
            print(f"miss: {question!r} -> {top!r}")
        for question in ours["wrongly_declined"]:
            print(f"declined: {question!r}")
        for question in ours["wrongly_answered"]:
            print(f"answered: {question!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[
            ROOT / "tests/data/seed_questions.json",
            ROOT / "tests/data/seed_paraphrases.json",
        ],
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument(
        "--seed", type=Path, default=ROOT.parent / "shared/seed/000_67ccd451deed0674.txt"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses")
    args = parser.parse_args()
    for path in args.questions:
        report(path, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
