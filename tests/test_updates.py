"""Updates of the embedded index: after any sequence of adds, replacements and removals, the
updated index answers exactly as a full build of the same folder (every score to the bit),
survives kill -9, keeps serving after a failed update, and merges without stopping."""

from __future__ import annotations

import errno
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from footnote.analysis.analyzer import Analyzer
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import CorpusError, IndexError_
from footnote.retrieval import backends
from footnote.retrieval.base import Filters, Query
from footnote.retrieval.embedded import build as builder
from footnote.retrieval.embedded.bm25 import BM25Index, BM25Params
from footnote.retrieval.embedded.build import build, open_index
from footnote.retrieval.embedded.index import current_state
from footnote.retrieval.embedded.retriever import EmbeddedRetriever
from footnote.retrieval.embedded.segments import LiveIndex

WORDS = ["basalt", "tide", "moon", "pumice", "lava", "wave", "reef", "storm"]
# Paragraphs several documents share: they cross the boilerplate threshold (3 documents)
# as documents come and go.
SHARED = ["Subscribe to our newsletter.", "Basalt cools into columns by the sea."]

paragraphs = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=9).map(lambda w: " ".join(w) + "."),
    st.sampled_from(SHARED),
)
documents = st.tuples(
    st.sampled_from(WORDS),  # the title's word
    st.lists(st.tuples(st.booleans(), paragraphs), min_size=1, max_size=4),  # (heading?, text)
)
names = st.sampled_from([f"doc-{i}.md" for i in range(7)] + ["sub/doc-a.md", "sub/z/doc-b.md"])
operations = st.lists(
    st.tuples(st.sampled_from(["write", "remove"]), names, documents), min_size=1, max_size=5
)
queries = st.lists(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from([1.0, 0.5, 2.0])), min_size=1,
             max_size=4),
    min_size=2, max_size=4,
)  # fmt: skip


def markdown(document: tuple[str, list[tuple[bool, str]]]) -> str:
    """A generated document as Markdown: a title, then paragraphs, some under a heading."""
    title, body = document
    lines = [f"# {title.capitalize()} notes", ""]
    for n, (heading, text) in enumerate(body):
        if heading:
            lines += [f"## Part {n} {title}", ""]
        lines += [text, ""]
    return "\n".join(lines)


def config_for(corpus: Path, index: Path, variant: str = "lucene") -> EngineConfig:
    """A config for this corpus and index folder, scoring with this BM25 variant."""
    return EngineConfig(
        corpus_dir=corpus, index_dir=index, bm25=BM25Params.make(variant, k1=1.5, b=0.4)
    )


def rebuilt(corpus: Path, where: Path, variant: str = "lucene") -> EmbeddedRetriever:
    """A full build of the corpus folder as it is now, in a fresh index folder."""
    shutil.rmtree(where, ignore_errors=True)
    config = config_for(corpus, where, variant)
    build(config)
    return EmbeddedRetriever(open_index(config))


ANALYZER = Analyzer(EngineConfig().analyzer)


def body_query(words: list[tuple[str, float]]) -> Query:
    """A query of the words' terms in the body, and in the title field at a lower weight."""
    terms = [(t, w) for word, w in words for t in ANALYZER.terms(word)]
    return Query.of(terms, [(t, w * 0.6) for t, w in terms])


def assert_same(updated: EmbeddedRetriever, full: EmbeddedRetriever, asked: list) -> None:
    """Everything a user sees from the updated index equals the full build's."""
    for terms in asked:
        query = body_query(terms)
        assert updated.search(query, 10) == full.search(query, 10), terms
        assert updated.search(query, 3) == full.search(query, 3), terms
        only = Filters(documents=tuple(d.id for d in full.documents()[::2]))
        assert updated.search(query, 10, only) == full.search(query, 10, only), terms
    assert updated.documents() == full.documents()
    assert [updated.document(d.id) for d in full.documents()] == full.documents()
    assert updated.document("no-such-document") is None
    terms = [t for word in WORDS for t in ANALYZER.terms(word)]
    assert updated.doc_freqs(terms) == full.doc_freqs(terms)
    assert updated.info().counts == full.info().counts
    assert updated.headings() == full.headings()
    assert updated.dropped() == full.dropped()
    for path in {d.path for d in full.documents()}:
        assert (
            updated.dropped(path)
            == full.dropped(path)
            == [d for d in full.dropped() if d.path == path]
        )
    assert updated.skipped() == full.skipped()
    assert len(updated) == len(full)
    refs = [ref for ref, _ in full.search(body_query([(w, 1.0) for w in WORDS]), 50)]
    assert updated.passages(refs) == full.passages(refs)
    if refs:
        assert updated.neighbours(refs[0], refs[0], 2) == full.neighbours(refs[0], refs[0], 2)


def apply(corpus: Path, operation: tuple[str, str, tuple]) -> str:
    """Write or remove one corpus file; its relative path."""
    kind, name, document = operation
    path = corpus / name
    if kind == "remove":
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown(document), encoding="utf-8")
    return name


@settings(
    max_examples=30, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(
    start=st.lists(documents, min_size=1, max_size=5),
    steps=operations,
    asked=queries,
    variant=st.sampled_from(["lucene", "lucene", "bm25l", "okapi"]),
)
def test_updates_answer_exactly_as_a_full_build(
    tmp_path_factory: pytest.TempPathFactory,
    start: list,
    steps: list,
    asked: list,
    variant: str,
) -> None:
    """After each add, replacement or removal the updated index's top 10 (references and
    scores, to the bit), documents, frequencies and counts equal a full build's."""
    root = tmp_path_factory.mktemp("updates")
    corpus = root / "corpus"
    corpus.mkdir()
    for n, document in enumerate(start):
        (corpus / f"doc-{n}.md").write_text(markdown(document), encoding="utf-8")
    try:
        engine, _ = Engine.open(config_for(corpus, root / "index", variant=variant))
    except CorpusError:
        return  # every paragraph repeated: nothing to index, to begin with
    for step in steps:
        name = apply(corpus, step)
        if not any(corpus.rglob("*.md")):
            continue  # an empty corpus is refused by builds and updates alike
        try:
            engine.update([name])
        except Exception as exc:  # a corpus with no passage left: the build says the same
            with pytest.raises(type(exc)):
                rebuilt(corpus, root / "full", variant=variant)
            continue
        full = rebuilt(corpus, root / "full", variant=variant)
        assert_same(engine.retriever, full, asked)  # type: ignore[arg-type]
    try:
        full = rebuilt(corpus, root / "full", variant=variant)
    except Exception:  # nothing left to build from: a merge has nothing to merge
        return
    engine.merge()
    assert_same(engine.retriever, full, asked)  # type: ignore[arg-type]


def small_corpus(corpus: Path, n: int = 4) -> None:
    """n documents with a few paragraphs each."""
    rng = random.Random(n)
    corpus.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = [" ".join(rng.choices(WORDS, k=rng.randint(3, 9))) + "." for _ in range(3)]
        (corpus / f"doc-{i}.md").write_text(f"# Doc {i}\n\n" + "\n\n".join(body) + "\n")


def test_an_update_is_a_delta_beside_the_base(tmp_path: Path) -> None:
    """An added file is served from a delta (the base stays); the report names it."""
    small_corpus(tmp_path / "corpus")
    engine, _ = Engine.open(config_for(tmp_path / "corpus", tmp_path / "index"))
    base = current_state(tmp_path / "index")[0]  # type: ignore[index]
    (tmp_path / "corpus" / "new.md").write_text("# New\n\nPumice floats on the sea.\n")
    report = engine.update(["new.md"])
    assert report.added == ["new"] and not report.updated and not report.removed
    state = current_state(tmp_path / "index")
    assert state is not None and state[0] == base and state[1] is not None
    assert isinstance(engine.retriever.index, LiveIndex)  # type: ignore[attr-defined]
    answer = engine.ask("what floats on the sea?")
    assert answer.answered and answer.passages[0].passage.doc == "new"


def test_a_paragraph_crossing_the_boilerplate_threshold_changes_the_other_documents(
    tmp_path: Path,
) -> None:
    """A paragraph in two documents is kept; a third document with it drops it from all
    three (as a full build does); removing the third brings it back."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shared = "Follow us on the coast road for more stories."
    for name, words in (("a", "basalt tide"), ("b", "moon pumice"), ("c", "lava reef")):
        (corpus / f"{name}.md").write_text(f"# {name}\n\nAbout {words} here.\n\n{shared}\n")
    (corpus / "d.md").write_text("# d\n\nStorm waves and coast road.\n")
    engine, _ = Engine.open(config_for(corpus, tmp_path / "index"))
    (corpus / "c.md").unlink()
    engine.update(["c.md"])
    assert_same(engine.retriever, rebuilt(corpus, tmp_path / "full"), [[("coast", 1.0)]])  # type: ignore[arg-type]
    kept = engine.retriever.search(body_query([("coast", 1.0)]), 10)
    assert {ref.doc for ref, _ in kept} >= {"a", "b"}
    (corpus / "c.md").write_text(f"# c\n\nAbout lava reef here.\n\n{shared}\n")
    engine.update(["c.md"])
    full = rebuilt(corpus, tmp_path / "full")
    assert_same(engine.retriever, full, [[("coast", 1.0)], [("road", 1.0), ("storm", 1.0)]])  # type: ignore[arg-type]
    found = engine.retriever.search(body_query([("coast", 1.0)]), 10)
    assert {ref.doc for ref, _ in found} == {"d"}, "the repeated paragraph is dropped everywhere"
    assert {d.document for d in engine.retriever.dropped()} == {"a", "b", "c"}


def test_a_failed_update_leaves_the_previous_state_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while writing the delta: one clear error, the old state still answers."""
    small_corpus(tmp_path / "corpus")
    engine, _ = Engine.open(config_for(tmp_path / "corpus", tmp_path / "index"))
    (tmp_path / "corpus" / "first.md").write_text("# First\n\nPumice floats.\n")
    engine.update(["first.md"])
    state = current_state(tmp_path / "index")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(BM25Index, "save", full)
    (tmp_path / "corpus" / "second.md").write_text("# Second\n\nLava glows.\n")
    with pytest.raises(IndexError_, match="disk is full"):
        engine.update(["second.md"])
    assert current_state(tmp_path / "index") == state
    assert not list((tmp_path / "index").glob(".partial-*"))
    assert engine.ask("does pumice float?").answered
    monkeypatch.undo()
    engine.update(["second.md"])
    assert engine.ask("what glows?").passages[0].passage.doc == "second"


_UPDATER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from footnote.config import EngineConfig
    from footnote.retrieval import backends
    corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
    config = EngineConfig(corpus_dir=corpus, index_dir=index)
    for n in range(1000):
        (corpus / "moving.md").write_text(f"# Moving\\n\\nVersion {n} of the obsidian story.\\n")
        backends.update(config, ["moving.md"])
        print(n, flush=True)
    """
)


def test_kill_9_during_updates_leaves_an_index_that_serves(tmp_path: Path) -> None:
    """A process updating in a loop, killed at random moments: the index always opens,
    answers, and holds one version of the document; the next update is exact."""
    corpus = tmp_path / "corpus"
    small_corpus(corpus, 30)
    config = config_for(corpus, tmp_path / "index")
    build(config)
    rng = random.Random(5)
    for _ in range(6):
        process = subprocess.Popen(
            [sys.executable, "-c", _UPDATER, str(corpus), str(config.index_path)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert process.stdout is not None
        assert process.stdout.readline(), "the updater failed"  # the next ones are under way
        time.sleep(rng.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait()
        retriever = EmbeddedRetriever(open_index(config))
        versions = [d.id for d in retriever.documents() if d.id == "moving"]
        assert versions == ["moving"]
        found = retriever.search(body_query([("obsidian", 1.0)]), 10)
        assert found and found[0][0].doc == "moving"
        retriever.close()
    engine, _ = Engine.open(config)
    engine.update(["moving.md"])
    assert_same(engine.retriever, rebuilt(corpus, tmp_path / "full"), [[("pumice", 1.0)]])  # type: ignore[arg-type]
    assert not list(config.index_path.glob(".partial-*"))


def test_a_merge_answers_meanwhile_takes_in_updates_made_during_it_and_stays_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Questions are answered while a merge runs; a file added during the merge is in the
    merged index; the result equals a full build and serves from a new base."""
    corpus = tmp_path / "corpus"
    small_corpus(corpus, 12)
    engine, _ = Engine.open(config_for(corpus, tmp_path / "index"))
    (corpus / "before.md").write_text("# Before\n\nPumice before the merge.\n")
    engine.update(["before.md"])
    old_base = current_state(tmp_path / "index")[0]  # type: ignore[index]
    write_generation = builder._write_generation
    answered: list[bool] = []

    def slow_write(*args: object, **kwargs: object) -> None:
        # Meanwhile: an update lands (the merge holds no build lock now) and questions go on.
        (corpus / "during.md").write_text("# During\n\nObsidian lava during the merge.\n")
        engine.update(["during.md"])
        answered.append(engine.ask("what happened before the merge?").answered)
        write_generation(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builder, "_write_generation", slow_write)
    thread = engine.merge_in_background()
    assert thread is not None
    thread.join(60)
    assert answered == [True]
    state = current_state(tmp_path / "index")
    assert state is not None and state[0] != old_base and state[1] is not None
    assert_same(
        engine.retriever, rebuilt(corpus, tmp_path / "full"), [[("lava", 1.0)], [("pumice", 1.0)]]
    )  # type: ignore[arg-type]
    assert engine.ask("where is the obsidian lava?").passages[0].passage.doc == "during"


def test_questions_are_answered_while_a_merge_runs(tmp_path: Path) -> None:
    """A thread asking questions throughout a merge gets every answer."""
    corpus = tmp_path / "corpus"
    small_corpus(corpus, 40)
    engine, _ = Engine.open(config_for(corpus, tmp_path / "index"))
    (corpus / "extra.md").write_text("# Extra\n\nReef storm notes.\n")
    engine.update(["extra.md"])
    stop, answers = threading.Event(), []

    def ask() -> None:
        while not stop.is_set():
            answers.append(engine.ask("what about the reef storm?").answered)

    asker = threading.Thread(target=ask)
    asker.start()
    engine.merge()
    stop.set()
    asker.join()
    assert answers and all(answers)
    assert current_state(tmp_path / "index")[1] is None  # type: ignore[index]


def test_update_of_a_folder_changed_behind_its_back_takes_in_every_change(tmp_path: Path) -> None:
    """Files changed without being named are compared and taken in too."""
    small_corpus(tmp_path / "corpus")
    engine, _ = Engine.open(config_for(tmp_path / "corpus", tmp_path / "index"))
    (tmp_path / "corpus" / "doc-1.md").unlink()
    (tmp_path / "corpus" / "unnamed.md").write_text("# Unnamed\n\nStorm over the reef.\n")
    report = engine.update([])
    assert report.added == ["unnamed"] and report.removed == ["doc-1"]
    assert_same(
        engine.retriever, rebuilt(tmp_path / "corpus", tmp_path / "full"), [[("storm", 1.0)]]
    )  # type: ignore[arg-type]
    assert backends.published_other(engine.config, engine.retriever) is False


def test_top_k_is_exact_when_the_best_base_passages_go_and_lengths_shift(tmp_path: Path) -> None:
    """The base's best passages for a word removed, and long documents added (avgdl moves
    far): the base is fetched again until its bound holds, and the top k stays exact."""
    corpus = tmp_path / "corpus"
    small_corpus(corpus, 60)
    rng = random.Random(9)
    best = "\n\n".join(" ".join(["tide"] * 5 + rng.choices(WORDS, k=3)) + "." for _ in range(30))
    (corpus / "best.md").write_text(f"# Best\n\n{best}\n")
    engine, _ = Engine.open(config_for(corpus, tmp_path / "index"))
    (corpus / "best.md").unlink()
    long = "\n\n".join(" ".join(rng.choices(WORDS, k=60)) + "." for _ in range(40))
    (corpus / "long.md").write_text(f"# Long\n\n{long}\n")
    engine.update(["best.md", "long.md"])
    full = rebuilt(corpus, tmp_path / "full")
    for words in ([("tide", 1.0)], [("tide", 1.0), ("reef", 0.5)], [("storm", 2.0), ("tide", 1.0)]):
        for k in (1, 3, 10, 40):
            query = body_query(words)
            assert engine.retriever.search(query, k) == full.search(query, k), (words, k)
