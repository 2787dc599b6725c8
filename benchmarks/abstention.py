"""Abstention: good answers wrongly declined, and questions asked of the wrong corpus answered.

Run: python benchmarks/abstention.py [--cranfield DIR]

Answerable: the seed question sets against the seed article (a good answer is one whose best
passage quotes the expected line) and Cranfield questions against Cranfield (a good answer is
one whose best passage comes from a document judged relevant). Unanswerable: the seed sets'
unanswerable questions, Cranfield questions against the seed article, and the seed questions
against Cranfield.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.evaluate import build_engine, read_cranfield

ROOT = Path(__file__).resolve().parent.parent
SEED_SETS = [ROOT / "tests/data/seed_questions.json", ROOT / "tests/data/seed_paraphrases.json"]


def share(part: int, whole: int) -> str:
    """A count as 'part/whole (percent)'."""
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "0/0"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cranfield", type=Path, default=ROOT.parent / "shared/datasets/cranfield")
    args = parser.parse_args()
    seed_sets = [json.loads(p.read_text(encoding="utf-8")) for p in SEED_SETS]
    cranfield = read_cranfield(args.cranfield)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        seed, _ = Engine.open(EngineConfig(corpus_dir=ROOT / "corpus", index_dir=Path(tmp) / "s"))
        cran = build_engine(cranfield.documents, Path(tmp) / "c")
        for path, questions in zip(SEED_SETS, seed_sets, strict=True):
            good = declined = 0
            for item in questions["answerable"]:
                answer = seed.ask(item["question"])
                if answer.passages and any(a in answer.passages[0].text for a in item["answers"]):
                    good += 1
                    declined += not answer.answered
            rows.append((f"{path.name}: good answers declined", share(declined, good)))
            answered = sum(seed.ask(q).answered for q in questions["unanswerable"])
            rows.append(
                (
                    f"{path.name}: unanswerable answered",
                    share(answered, len(questions["unanswerable"])),
                )
            )
        good = declined = 0
        for qid, question in cranfield.queries.items():
            answer = cran.ask(question)
            relevant = cranfield.qrels.get(qid, {})
            if answer.passages and relevant.get(answer.passages[0].citation.doc_id, 0) > 0:
                good += 1
                declined += not answer.answered
        rows.append(("Cranfield: good answers declined", share(declined, good)))
        answered = sum(seed.ask(q).answered for q in cranfield.queries.values())
        rows.append(
            (
                "Cranfield questions asked of the seed article: answered",
                share(answered, len(cranfield.queries)),
            )
        )
        seed_questions = [i["question"] for s in seed_sets for i in s["answerable"]]
        answered = sum(cran.ask(q).answered for q in seed_questions)
        rows.append(
            ("Seed questions asked of Cranfield: answered", share(answered, len(seed_questions)))
        )
    print("| measure | figure |")
    print("|---|---|")
    for name, figure in rows:
        print(f"| {name} | {figure} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
