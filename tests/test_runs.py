"""Building in bounded memory: postings in sorted runs, spilled to disk, merged term by term,
give the very arrays (bit for bit) of a build that holds everything in memory."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from footnote.config import EngineConfig
from footnote.retrieval.embedded import build as builder
from footnote.retrieval.embedded import runs
from footnote.retrieval.embedded.bm25 import _ARRAYS, BM25Index, BM25Params

VARIANTS = ("lucene", "okapi", "bm25l", "bm25plus")
# Tokens a user's own tokenizer may well give: empty ones, the separator the compiled path
# joins tokens with, accents, a lone surrogate, digits, repeats.
ODD_TOKENS = ["", "\0", "a\0b", "café", "cafe\u0301", "\ud800", "42", "the", "The", "ünïcödé"]


def reference(token_lists: list[list[str]], variant: str) -> BM25Index:
    """The index as built before runs: a dict numbering terms in first-seen order, then
    every posting sorted at once (BM25Index.from_term_ids)."""
    vocabulary: dict[str, int] = {}
    ids = [np.array([vocabulary.setdefault(t, len(vocabulary)) for t in d], np.int32)
           for d in token_lists]  # fmt: skip
    flat = np.concatenate(ids) if ids else np.zeros(0, np.int32)
    lengths = np.array([len(d) for d in token_lists], np.int64)
    return BM25Index.from_term_ids(flat, lengths, list(vocabulary), BM25Params.make(variant))


def assert_same(expected: BM25Index, got: BM25Index) -> None:
    """Every array equal in type and bits, the same vocabulary, average length and flags."""
    for name in _ARRAYS:
        want, have = getattr(expected, name), getattr(got, name)
        assert have.dtype == want.dtype, name
        assert have.shape == want.shape, name
        assert np.array_equal(have, want), name
    assert got.vocabulary == expected.vocabulary
    assert got.avgdl == expected.avgdl
    assert got.length_total == expected.length_total
    assert got.positive == expected.positive


@pytest.fixture(params=["compiled", "numpy"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs through numba's kernels and through the numpy fallback."""
    if request.param == "numpy":
        monkeypatch.setattr(runs, "_kernels", lambda: None)
    elif runs._kernels() is None:
        pytest.skip("numba is not installed here: only the numpy path can run")
    return str(request.param)


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """Budgets small enough that a few hundred documents make many runs, spill most of
    them to disk and merge in many chunks."""
    monkeypatch.setattr(runs, "RUN_DOCUMENTS", 7)
    monkeypatch.setattr(runs, "RUN_POSTINGS", 11)
    monkeypatch.setattr(runs, "RUN_MEMORY", 8 * 40)
    monkeypatch.setattr(runs, "MERGE_POSTINGS", 13)


corpora = st.lists(
    st.lists(
        st.one_of(st.sampled_from(ODD_TOKENS), st.text(min_size=0, max_size=4)),
        max_size=25,
    ),
    max_size=60,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token_lists=corpora, variant=st.sampled_from(VARIANTS))
def test_write_and_build_equal_the_in_memory_build(
    token_lists: list[list[str]],
    variant: str,
    path: str,
    tiny: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Any token lists, any variant: written to disk through spilled runs (from a
    generator, as a large corpus would be read) and built in memory, the arrays are the
    reference build's."""
    expected = reference(token_lists, variant)
    assert_same(expected, BM25Index.build(token_lists, variant=variant))
    folder = tmp_path_factory.mktemp("written") / "index"
    written = BM25Index.write((list(d) for d in token_lists), folder, variant=variant)
    assert_same(expected, written)
    assert_same(expected, BM25Index.load(folder, verify=True))  # the manifest's checksums
    assert not (folder / ".runs.tmp").exists()


def test_a_large_build_spills_and_still_answers_exactly(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty thousand documents with a run budget of a few thousand postings: the runs go
    to the spill file (removed after), and top_k's answers are the reference index's."""
    monkeypatch.setattr(runs, "RUN_DOCUMENTS", 1000)
    monkeypatch.setattr(runs, "RUN_MEMORY", 8 * 5000)
    spilled: list[int] = []
    real_write = runs.Runs._write

    def counting(self: runs.Runs, run: runs._Run) -> None:
        spilled.append(run.size)
        real_write(self, run)

    monkeypatch.setattr(runs.Runs, "_write", counting)
    rng = random.Random(7)
    words = [f"w{i}" for i in range(3000)]
    weights = [1 / (i + 1) for i in range(len(words))]
    token_lists = [rng.choices(words, weights, k=rng.randint(1, 40)) for _ in range(20_000)]
    written = BM25Index.write(iter(token_lists), tmp_path / "index")
    expected = reference(token_lists, "lucene")
    assert len(spilled) > 10 and sum(spilled) > 0.8 * len(expected.docs)
    assert not (tmp_path / "index" / ".runs.tmp").exists()
    assert_same(expected, written)
    for query in (["w5", "w900"], ["w0", "w1", "w2"], ["w2999", "nowhere"]):
        assert [a.tolist() for a in written.top_k(query, 10)] == [
            a.tolist() for a in expected.top_k(query, 10)
        ]


@pytest.mark.parametrize(
    ("token_lists", "message"),
    [
        ("a text, not token lists", "not a string"),
        (["one document as a string"], "not a string"),
        ([["fine"], ["also", 7]], "Each token must be a string"),
    ],
)
def test_wrong_input_is_a_clear_type_error(
    token_lists: object, message: str, path: str, tmp_path: Path
) -> None:
    """Strings where lists belong, or a token that is no string, say so."""
    with pytest.raises(TypeError, match=message):
        BM25Index.write(token_lists, tmp_path / "index")  # type: ignore[arg-type]
    if path == "compiled":
        assert not (tmp_path / "index" / ".runs.tmp").exists()


# -- a corpus build ---------------------------------------------------------------------------

FOOTER = "© Harbour Gazette, Kingsport. All rights reserved."


def newsroom(root: Path, articles: int) -> Path:
    """Articles in several formats and files, each ending with the site's footer (dropped as
    repeated boilerplate), two sharing a document id (the second skipped)."""
    rng = random.Random(articles)
    words = ("tide", "harbour", "ferry", "pier", "lighthouse", "keeper", "storm", "gale",
             "fishing", "fleet", "quay", "crane", "cargo", "ship", "captain", "river")  # fmt: skip
    root.mkdir(parents=True)
    for number in range(articles):
        paragraphs = [
            " ".join(rng.choices(words, k=rng.randint(5, 60))).capitalize() + "."
            for _ in range(rng.randint(2, 8))
        ]
        body = "\n\n".join([*paragraphs, FOOTER])
        if number % 3 == 0:
            front = "---\nid: shared-id\n---\n" if number in (0, 3) else ""
            (root / f"a{number:03d}.md").write_text(f"{front}# Article {number}\n\n{body}\n")
        else:
            (root / f"a{number:03d}.txt").write_text(f"Article {number}\n\n{body}\n")
    return root


def generation(config: EngineConfig, folder: Path, spool: Path | None) -> None:
    """One generation written from the corpus, its postings waiting in ``spool`` or not."""
    corpus_print, report, assembler = builder.read_corpus(config, None, True, spool)
    builder._write_generation(config, assembler, report, folder, corpus_print, "test")
    assembler.close()


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_corpus_build_through_the_spool_equals_one_in_memory(
    variant: str, path: str, tiny: None, tmp_path: Path
) -> None:
    """The corpus build's postings and rows wait on disk (spilled runs, a rows file),
    passages dropped as repeated are left out as the runs merge: the BM25 arrays, the
    passages and documents stored are those of the build that holds all in memory."""
    config = EngineConfig(
        corpus_dir=newsroom(tmp_path / "corpus", 40),
        index_dir=tmp_path / "index",
        bm25=BM25Params.make(variant, k1=1.5, b=0.4),
    )
    spool = tmp_path / "spool"
    spool.mkdir()
    generation(config, tmp_path / "in-memory", None)
    generation(config, tmp_path / "spooled", spool)
    assert not list(spool.iterdir())
    memory = BM25Index.load(tmp_path / "in-memory" / "bm25", verify=True)
    spooled = BM25Index.load(tmp_path / "spooled" / "bm25", verify=True)
    assert_same(memory, spooled)
    tables = ("passages", "documents", "dropped", "skipped")
    for table in tables:
        rows = []
        for name in ("in-memory", "spooled"):
            with sqlite3.connect(tmp_path / name / builder.STORE) as connection:
                rows.append(connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall())
        assert rows[0] == rows[1], table
    with sqlite3.connect(tmp_path / "spooled" / builder.STORE) as connection:
        dropped = connection.execute("SELECT count(*) FROM dropped").fetchone()[0]
        skipped = connection.execute("SELECT count(*) FROM skipped").fetchone()[0]
    assert dropped >= 39 and skipped == 1  # the footers; the second "shared-id"
