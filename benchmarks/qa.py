"""Real people's questions over real articles: Footnote beside the peers, per set and half.

For every set `qa_sets.py` put in the cache, each collection (corpus folder) is indexed by
Footnote's real build; rank_bm25, bm25s (Snowball stemming) and tantivy (`en_stem`) rank
the very same passages. A passage is right when it is (part of) the question's gold
paragraph and holds the answer (or, for a set that names only the article, when it is in
that article and holds the answer). Reported per set and half (tuning, held-back): Hit@1,
Hit@3, MRR@10, good answers declined (a right passage among the three shown, declined), and
the share of the set's questions answered when asked of a wrong corpus (Cranfield's
aeronautics abstracts, and the seed news article Footnote ships as its default corpus).

    python benchmarks/qa.py [--only SET ...] [--switch RULE ... | all] [--features FILE]

`--switch RULE` also measures Footnote with that rule switched: feedback on (it is off by
default); related words, US/UK spelling, the title field, answer types, named dates, quoted
phrases, acronyms, phrasal verbs or neighbours joined off. `--features FILE` writes, for
every question, the decision features of Footnote's best candidates: what
`fit_decision.py` fits on.
Prints one Markdown report and writes it to benchmarks/results/qa.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from qa_sets import CACHE, HALVES, SETS
from quality import PEERS

from footnote import engine as engine_module
from footnote.analysis.related import load_phrasal, load_table
from footnote.answering import answer as answer_module
from footnote.answering.answer import Answer, next_to
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import QuestionError
from footnote.evaluate import Collection, read_cranfield, write_corpus
from footnote.question_set import normalised
from footnote.retrieval.base import PassageRef, StoredPassage

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work" / "qa"
RESULTS = ROOT / "benchmarks" / "results" / "qa.md"
CRANFIELD = ROOT.parent / "shared" / "datasets" / "cranfield"
DEPTH = 10
SHOWN = 3
SEED_SETS = [ROOT / "tests/data/seed_questions.json", ROOT / "tests/data/seed_paraphrases.json"]
SEED_ARTICLE = "us-embassy-baghdad"
ANSWER_WORDS = 0.6  # the share of a paraphrased answer's words its gold passage must hold
WRONG_CORPUS_SAMPLE = 400
LOCAL_SETS = ("seed", "cranfield")  # what the project had: measured beside the public sets
CRANFIELD_CORPUS = "cranfield-corpus"
LOCAL_ORIGINS = {
    "seed": "the seed article and tests/data/seed_*.json, halved by question",
    "cranfield": "../shared/datasets/cranfield, halved by question",
}  # questions of each set asked of each wrong corpus, per half


@dataclass(frozen=True)
class Item:
    """One question of a set, as the cache holds it (or as a local set gives it)."""

    id: str
    question: str
    collection: str
    article: str  # the gold article's id, or several separated by newlines
    answer: str  # words a right passage holds (several answers separated by newlines), or ""
    context: str | None
    half: str
    unanswerable: bool = False  # the corpus does not answer it (the set says so)


@dataclass
class Outcome:
    """Where one system ranked a question's first right passage, and Footnote's decision."""

    rank: int | None
    answered: bool | None = None


@dataclass
class Scores:
    """One system's outcomes on one set, per half."""

    outcomes: dict[str, list[Outcome]] = field(default_factory=lambda: defaultdict(list))
    wrong: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    unanswerable: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))

    def measures(self, half: str) -> dict[str, float | None]:
        """Hit@1, Hit@3, MRR@10, good answers declined, wrong-corpus answered."""
        rows = self.outcomes[half]
        if not rows:
            return {}
        shown = [o for o in rows if o.rank is not None and o.rank <= SHOWN]
        declined = [o for o in shown if o.answered is False]
        result: dict[str, float | None] = {
            "Hit@1": sum(o.rank == 1 for o in rows) / len(rows),
            "Hit@3": len(shown) / len(rows),
            "MRR@10": sum(1 / o.rank for o in rows if o.rank) / len(rows),
            "declined": (
                len(declined) / len(shown) if shown and rows[0].answered is not None else None
            ),
            "answerable declined": (
                sum(o.answered is False for o in rows) / len(rows)
                if rows[0].answered is not None
                else None
            ),
        }
        for measure, answered in (
            ("unanswerable answered", self.unanswerable[half]),
            ("wrong corpus answered", self.wrong[half]),
        ):
            result[measure] = sum(answered) / len(answered) if answered else None
        return result


def read_items(path: Path) -> list[Item]:
    """The questions of one cached set."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Item(**json.loads(line)) for line in lines if line.strip()]


def half_of(key: str) -> str:
    """`tuning` or `held-back` for a question of a one-article set, by a hash of its id."""
    return HALVES[hashlib.sha256(key.encode()).digest()[0] % 2]


def seed_items() -> list[Item]:
    """The seed article's two question sets (readers', paraphrases), with their unanswerable
    questions; one article, so halved by question."""
    items = []
    for path in SEED_SETS:
        data = json.loads(path.read_text(encoding="utf-8"))
        stem = path.stem.removeprefix("seed_")
        for n, entry in enumerate(data["answerable"], 1):
            key = f"{stem}-{n}"
            answer = "\n".join(entry["answers"])
            items.append(
                Item(key, entry["question"], "corpus", SEED_ARTICLE, answer, None, half_of(key))
            )
        for n, question in enumerate(data["unanswerable"], 1):
            key = f"{stem}-unanswerable-{n}"
            items.append(Item(key, question, "corpus", "", "", None, half_of(key), True))
    return items


def cranfield_items(collection: Collection) -> list[Item]:
    """Cranfield's questions: a passage of a document judged relevant is right."""
    return [
        Item(
            f"cranfield-{qid}",
            " ".join(text.split()),
            "all",
            "\n".join(d for d, grade in collection.qrels.get(qid, {}).items() if grade > 0),
            "",
            None,
            half_of(f"cranfield-{qid}"),
        )
        for qid, text in collection.queries.items()
    ]


def gold_passages(
    items: Sequence[Item], passages: Sequence[StoredPassage]
) -> dict[str, set[PassageRef]]:
    """Each question's right passages: in its article, of its gold paragraph, with its answer.

    A gold paragraph cut into several passages is right where a part holds the answer; an
    answer no single passage holds whole (spanning a cut) makes every passage of the gold
    paragraph right. With no paragraph given (an answer written in the annotator's words),
    the article's passage sharing the most of the answer's words is right, if it shares at
    least ANSWER_WORDS of them. With no answer given, every passage of the articles is.
    """
    by_article: dict[str, list[tuple[PassageRef, str]]] = defaultdict(list)
    for p in passages:
        by_article[p.doc_id].append((p.ref, normalised(p.text)))
    gold: dict[str, set[PassageRef]] = {}
    for item in items:
        candidates = [c for a in item.article.split("\n") for c in by_article.get(a, [])]
        if item.unanswerable:
            gold[item.id] = set()
            continue
        if not item.answer:
            gold[item.id] = {i for i, _ in candidates}
            continue
        if item.context is not None:
            context = normalised(item.context)
            candidates = [(i, t) for i, t in candidates if t and t in context]
        answers = [normalised(a) for a in item.answer.split("\n")]
        holding = {i for i, t in candidates if any(a in t for a in answers)}
        if not holding and item.context is not None:
            holding = {i for i, _ in candidates}
        elif not holding and candidates and len(answers) == 1:
            words = set(re.findall(r"\w+", answers[0]))
            shares = [
                (len(words & set(re.findall(r"\w+", t))) / len(words), i) for i, t in candidates
            ]
            best = max(shares)
            if best[0] >= ANSWER_WORDS:
                holding = {i for share, i in shares if share == best[0]}
        gold[item.id] = holding
    return gold


def rank_of(ranked: Iterable[set[PassageRef]], right: set[PassageRef]) -> int | None:
    """The 1-based rank of the first result holding a right passage among the first
    DEPTH (a result is a passage, or two joined), or None."""
    for rank, passages in enumerate(ranked, 1):
        if rank > DEPTH:
            return None
        if not passages.isdisjoint(right):
            return rank
    return None


def ask_footnote(
    engine: Engine, question: str
) -> tuple[list[set[PassageRef]], bool, Answer | None]:
    """Footnote's ranked results for a question (each the passages it shows: one, or two
    joined), whether it answered, and the answer."""
    try:
        answer = engine.ask(question, DEPTH)
    except QuestionError:
        return [], False, None
    ranked: list[set[PassageRef]] = []
    for match in answer.passages:
        last = match.citation.last_paragraph
        joined = last is not None and last != match.citation.paragraph
        ranked.append({match.passage, next_to(match.passage, 1)} if joined else {match.passage})
    return ranked, answer.answered, answer


def peer_rankings(
    passages: Sequence[StoredPassage], questions: dict[str, str]
) -> dict[str, dict[str, list[set[PassageRef]]]]:
    """Each peer's ranking of the same passages for every question."""
    collection = Collection(
        name="qa",
        documents=[{"id": str(i), "text": p.text} for i, p in enumerate(passages)],
        queries=questions,
        qrels={},
    )
    rankings: dict[str, dict[str, list[set[PassageRef]]]] = {}
    for name, (_, ranker) in PEERS.items():
        run = ranker(collection, min(DEPTH, len(passages)))
        rankings[name] = {
            qid: [{passages[int(d)].ref} for d, _ in sorted(found.items(), key=lambda kv: -kv[1])]
            for qid, found in run.items()
        }
    return rankings


def index_folder(name: str, collection: str, config: EngineConfig) -> Path:
    """Where a collection's index is kept: one per reading settings, shared by the systems
    that read the corpus alike (feedback, say, is a question-time setting)."""
    settings = json.dumps(config.reading_settings(), sort_keys=True, default=str)
    return WORK / name / hashlib.sha256(settings.encode()).hexdigest()[:12] / collection


def open_engine(corpus: Path, index: Path, system: System, base: EngineConfig) -> Engine:
    """Footnote's engine on a corpus folder as one system configures it."""
    config = system.change(replace(base, corpus_dir=corpus, index_dir=index))
    engine, _ = Engine.open(config)
    return engine


@dataclass(frozen=True)
class System:
    """Footnote with one rule or setting changed (or none): what the ablation measures."""

    name: str
    change: Callable[[EngineConfig], EngineConfig] = lambda c: c
    patches: tuple[tuple[object, str, object], ...] = ()  # (module or class, attribute, value)

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """The rule switched off for the questions asked inside."""
        saved = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in self.patches]
        for owner, attr, value in self.patches:
            setattr(owner, attr, value)
        try:
            yield
        finally:
            for owner, attr, value in saved:
                setattr(owner, attr, value)


def ablations() -> dict[str, System]:
    """Each rule switched the other way on its own (`--switch RULE`): off, or on for a rule
    off by default (feedback)."""
    # The WordNet tables are made for the default analyzer and refused by another: without
    # the spelling folds they are kept all the same, so that only the spelling changes.
    any_analyzer = (
        (engine_module, "load_table", lambda path, _=None: load_table(path)),
        (engine_module, "load_phrasal", lambda path, _=None: load_phrasal(path)),
    )
    return {
        s.name: s
        for s in (
            System("with feedback", lambda c: replace(c, feedback=True)),
            System("without related", lambda c: replace(c, related=False)),
            System(
                "without spelling",
                lambda c: replace(c, analyzer=replace(c.analyzer, spelling=False)),
                any_analyzer,
            ),
            System("without title", lambda c: replace(c, title_weight=0.0)),
            System("without answer-types", patches=((answer_module, "ANSWER_TYPE_BOOST", 0.0),)),
            System("without dates", patches=((answer_module, "DATE_BOOST", 0.0),)),
            System("without phrases", patches=((answer_module, "PHRASE_BOOST", 0.0),)),
            System(
                "without acronyms",
                patches=((answer_module, "matched_by_acronym", lambda *_: set()),),
            ),
            System("without phrasal", patches=((Engine, "through_phrasal", lambda *_: None),)),
            System("without neighbours", patches=((answer_module, "MERGE_SHARE", math.inf),)),
        )
    }


def main(argv: Sequence[str] | None = None) -> int:
    rules = ablations()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=list(SETS))
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--cranfield", type=Path, default=CRANFIELD)
    short = {name.split()[-1]: name for name in rules}
    parser.add_argument(
        "--switch", nargs="+", default=[], choices=[*short, "all"], metavar="RULE",
        help=f"also measure Footnote with each rule switched: {', '.join(rules)}; or all",
    )  # fmt: skip
    parser.add_argument(
        "--feedback", choices=("on", "off"),
        help="feedback for every system (default: the engine's default), to measure an "
        "older engine (PYTHONPATH=OLD/src) as it would run today",
    )  # fmt: skip
    parser.add_argument("--no-peers", action="store_true", help="Footnote only (quicker)")
    parser.add_argument("--features", type=Path, help="write the decision features here")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    cached = [n for n in (args.only or list(SETS)) if (args.cache / n / "questions.jsonl").exists()]
    if not cached:
        print("No question set is cached; run `python benchmarks/qa_sets.py`.", file=sys.stderr)
        return 2
    names = [*cached, *([] if args.only else LOCAL_SETS)]
    wanted = list(short) if "all" in args.switch else args.switch
    systems = [System("footnote"), *(rules[short[r]] for r in wanted)]
    columns = [s.name for s in systems] + ([] if args.no_peers else list(PEERS))
    scores = {(s, n): Scores() for s in columns for n in names}
    features_out = args.features.open("w", encoding="utf-8") if args.features else None
    started = time.perf_counter()
    cranfield = read_cranfield(args.cranfield)
    base = EngineConfig()
    if args.feedback:
        base = replace(base, feedback=args.feedback == "on")
    if not (WORK / CRANFIELD_CORPUS).is_dir():
        write_corpus(cranfield.documents, WORK / CRANFIELD_CORPUS)
    corpora = {"seed": ROOT / "corpus", "cranfield": WORK / CRANFIELD_CORPUS}
    for name in names:
        if name == "seed":
            items = seed_items()
        elif name == "cranfield":
            items = cranfield_items(cranfield)
        else:
            items = read_items(args.cache / name / "questions.jsonl")
        by_collection: dict[str, list[Item]] = defaultdict(list)
        for item in items:
            by_collection[item.collection].append(item)
        for collection, members in sorted(by_collection.items()):
            corpus = corpora.get(name) or args.cache / name / "corpus" / collection
            for system in systems:
                index = index_folder(name, collection, system.change(base))
                engine = open_engine(corpus, index, system, base)
                passages = list(engine.retriever.index.iter_passages())
                gold = gold_passages(members, passages)
                measured = scores[(system.name, name)]
                with system.applied():
                    for item in members:
                        ranked, answered, answer = ask_footnote(engine, item.question)
                        if item.unanswerable:
                            measured.unanswerable[item.half].append(answered)
                        else:
                            rank = rank_of(ranked, gold[item.id])
                            measured.outcomes[item.half].append(Outcome(rank, answered))
                        if features_out and system is systems[0] and answer is not None:
                            write_features(features_out, name, item, answer, gold[item.id])
                engine.retriever.index.close()
                if system is systems[0] and not args.no_peers:
                    answerable = {i.id: i.question for i in members if not i.unanswerable}
                    rankings = peer_rankings(passages, answerable)
                    for peer, ranking in rankings.items():
                        for item in members:
                            if item.id in answerable:
                                rank = rank_of(ranking[item.id], gold[item.id])
                                scores[(peer, name)].outcomes[item.half].append(Outcome(rank))
        # Wrong corpora: Cranfield's aeronautics abstracts and the seed news article.
        for target in ("cranfield", "seed"):
            if target == name:
                continue
            collection = "all" if target == "cranfield" else "corpus"
            for system in systems:
                index = index_folder(target, collection, system.change(base))
                engine = open_engine(corpora[target], index, system, base)
                with system.applied():
                    for half in HALVES:
                        in_half = [i for i in items if i.half == half and not i.unanswerable]
                        step = max(1, len(in_half) // WRONG_CORPUS_SAMPLE)
                        for item in in_half[::step][:WRONG_CORPUS_SAMPLE]:
                            _, answered, answer = ask_footnote(engine, item.question)
                            scores[(system.name, name)].wrong[half].append(answered)
                            if features_out and system is systems[0] and answer is not None:
                                write_features(features_out, name, item, answer, None, target)
                engine.retriever.index.close()
        print(f"{name}: {time.perf_counter() - started:.0f}s", file=sys.stderr)
    if features_out is not None:
        features_out.close()
    report = render(names, columns, scores, args.cache)
    print(report)
    args.output.write_text(report, encoding="utf-8")
    return 0


def write_features(
    out: TextIO,
    name: str,
    item: Item,
    answer: Answer,
    right: set[PassageRef] | None,
    corpus: str = "",
) -> None:
    """One question's candidates with their decision features and whether each is right;
    `right` is None for a question asked of a wrong corpus (named by `corpus`)."""
    record = {
        "set": name,
        "half": item.half,
        "id": item.id,
        "answerable": right is not None and not item.unanswerable,
        "corpus": corpus or ("own, unanswerable" if item.unanswerable else None),
        "candidates": [
            {
                "passage": [c.passage.doc, c.passage.n],
                "right": c.passage in (right or ()),
                "features": list(c.features),
            }
            for c in answer.evidence
        ],
    }
    out.write(json.dumps(record) + "\n")


MEASURES = (
    "Hit@1", "Hit@3", "MRR@10", "declined", "answerable declined", "unanswerable answered",
    "wrong corpus answered",
)  # fmt: skip


def render(
    names: Sequence[str], systems: Sequence[str], scores: dict[tuple[str, str], Scores], cache: Path
) -> str:
    """The Markdown report: a table per set and half, with Footnote's ratio to the best peer."""
    lines = [
        f"# Question sets: Footnote beside the peers ({datetime.now(UTC):%Y-%m-%d})",
        "",
        "`python benchmarks/qa.py`; sets from `python benchmarks/qa_sets.py`. *declined*: of "
        "the questions whose right passage is among the three shown, the share declined. "
        "*wrong corpus answered*: the set's questions asked of Cranfield and of the seed "
        "article.",
        "",
    ]
    for name in names:
        stamp = cache / name / "source.json"
        if stamp.exists():
            source = json.loads(stamp.read_text(encoding="utf-8"))
            origin = f"{source['repo']}@{source['commit'][:12]}"
        else:
            origin = LOCAL_ORIGINS[name]
        for half in HALVES:
            count = len(scores[(systems[0], name)].outcomes[half])
            lines += [
                f"## {name}, {half} half ({count} questions; {origin})",
                "",
                "| system | " + " | ".join(MEASURES) + " |",
                "|---|" + "---:|" * len(MEASURES),
            ]
            peers = [scores[(p, name)].measures(half) for p in PEERS if (p, name) in scores]
            best_peer = {
                m: max((measured.get(m) or 0.0 for measured in peers), default=0.0)
                for m in ("Hit@1", "Hit@3", "MRR@10")
            }
            for system in systems:
                measured = scores[(system, name)].measures(half)
                cells = []
                for m in MEASURES:
                    value = measured.get(m)
                    cell = "–" if value is None else f"{value:.3f}"
                    if value is not None and system not in PEERS and best_peer.get(m):
                        cell += f" ({value / best_peer[m]:.2f}x)"
                    cells.append(cell)
                lines.append(f"| {system} | " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
