"""The build's fast paths give what the plain ones give: passages, keys, term ids."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

import footnote.retrieval.embedded.build
from footnote.analysis.analyzer import Analyzer
from footnote.config import EngineConfig
from footnote.ingest.boilerplate import paragraph_key
from footnote.ingest.chunks import Chunks, ChunkTable, compiled_table
from footnote.ingest.corpus import find_files, read_file, single_spaced
from footnote.ingest.passages import SplitStats, document_passages
from footnote.retrieval.embedded.build import _used_terms, analyse_file, build
from footnote.retrieval.embedded.index import CorpusIndex

WORDS = [
    "alpha", "Beta", "gamma.", "Delta,", "e.g.", "U.S.", "don't", "tear-gas", "1,000", "3.5",
    "Iraqi", "Émile", "naïve", "ß", "İstanbul", "٣٤", "x" * 60, "y" * 210, "日本語のテキスト",
    "🙂🙂", "Mr.", "2024", "embassy", "Embassy's", "Cookies", "our", "site", "sixteen-letters!",
    "seventeen-letters", "é" * 8, "\u00ad", "a\u200bb", "\ud800", "caf\u00e9\u0301",
]  # fmt: skip


def _paragraph(rng: random.Random) -> str:
    """Words of every kind, most often single-spaced, sometimes not."""
    words = [rng.choice(WORDS) for _ in range(rng.choice([1, 4, 30, 90, 200]))]
    return rng.choice([" ", " ", " ", "  ", "\u00a0", " \t"]).join(words)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSON Lines file of articles with headings, long words and odd spacing."""
    rng = random.Random(7)
    root = tmp_path_factory.mktemp("corpus")
    lines = []
    for d in range(60):
        blocks = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.3:
                blocks.append(rng.choice(["Background", "What happened?", "Why it matters"]))
            blocks.append(_paragraph(rng))
        record = {"id": f"d{d}", "title": "The Embassy", "text": "\n\n".join(blocks)}
        lines.append(json.dumps(record))
    (root / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("budget", [16, 40, 200, 1 << 21])
def test_analyse_file_passages_are_document_passages(corpus: Path, budget: int) -> None:
    config = EngineConfig(corpus_dir=corpus, index_dir=corpus / "index", token_budget=budget)
    (file,) = find_files(corpus)[0]
    expected = []
    for d, document in enumerate(read_file(file).documents):
        for p in document_passages(document, budget, None, SplitStats()):
            key = paragraph_key(p.text)
            row = (d, p.paragraph, p.part, p.section, p.start, p.end, p.text, key)
            row += (None, None, None, None)  # no page, code or links in JSON Lines text
            expected.append(row)
    assert analyse_file(file, config).rows() == expected


def test_analyse_file_terms_are_the_analyzers(corpus: Path) -> None:
    config = EngineConfig(corpus_dir=corpus, index_dir=corpus / "index", title_weight=0)
    (file,) = find_files(corpus)[0]
    analysis = analyse_file(file, config)
    analyzer = Analyzer(config.analyzer)
    rows = analysis.rows()
    for passage in range(len(rows)):
        mine = analysis.term_of[analysis.passage_of == passage]
        section, text = rows[passage][3], rows[passage][6]
        expected = set(analyzer.terms(text)) | set(analyzer.terms(section or ""))
        assert {analysis.vocabulary[t] for t in mine.tolist()} == expected


def test_paragraph_key_spaced_is_the_same_key() -> None:
    rng = random.Random(3)
    alphabet = "aZ 09\t\n\x1c.,é٣ßİ\u00a0"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        key = paragraph_key(text)
        assert key == paragraph_key(" ".join(text.split()))
        if " ".join(text.split()) == text:
            assert paragraph_key(text, spaced=True) == key


def test_used_terms_is_unique_with_inverse() -> None:
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 1000):
        ids = rng.integers(0, 50, n)
        used, inverse = _used_terms(ids, 60)
        expected_used, expected_inverse = np.unique(ids, return_inverse=True)
        assert used.tolist() == expected_used.tolist()
        assert inverse.tolist() == expected_inverse.reshape(-1).tolist()


def test_stems_are_cached_without_changing_terms() -> None:
    analyzer = Analyzer()
    text = "Running runners ran; running RUNNING Iraqis' embassies embassy"
    first = analyzer.terms(text)
    assert analyzer.terms(text) == first == Analyzer().terms(text)


def _analysis(file: object, config: EngineConfig, compiled: bool) -> tuple:
    analysis = analyse_file(file, config, compiled=compiled)  # type: ignore[arg-type]
    terms = [analysis.vocabulary[t] for t in analysis.term_of.tolist()]
    return analysis.rows(), analysis.passage_of.tolist(), terms, analysis.tf.tolist()


@pytest.mark.parametrize("budget", [16, 200, 1 << 21])
def test_compiled_lookup_gives_the_dicts_analysis(corpus: Path, budget: int) -> None:
    if compiled_table() is None:
        pytest.skip("numba cannot compile here: builds use the dict alone")
    config = EngineConfig(corpus_dir=corpus, index_dir=corpus / "index", token_budget=budget)
    (file,) = find_files(corpus)[0]
    plain = _analysis(file, config, compiled=False)
    assert len(plain[0]) > 60
    # Twice: once filling the table (every word missed), once reading it back.
    assert _analysis(file, config, compiled=True) == plain
    assert _analysis(file, config, compiled=True) == plain


def test_single_spaced_is_split_and_joined_back() -> None:
    rng = random.Random(5)
    alphabet = ["a", "é", " ", " ", "\t", "\u00a0", "\u2028", "\u00ad", "\x1c", "\u3000", "z"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        words = text.split()
        assert single_spaced(text) == (bool(words) and " ".join(words) == text)


def test_chunk_table_gives_each_word_the_dicts_entry_as_it_grows() -> None:
    compiled = compiled_table()
    if compiled is None:
        pytest.skip("numba cannot compile here: builds use the dict alone")
    rng = random.Random(11)
    # Words that differ only past their eighth byte, by a trailing NUL, by length at the
    # 16-byte edge of a slot, in UTF-8; and enough distinct ones to grow the table twice.
    edges = ["abcdefgh", "abcdefghi", "abcdefghij", "abc", "abc\x00", "p" * 16, "p" * 17,
             "é" * 8, "é" * 9, "日本", "x"]  # fmt: skip
    letters = "abcdefghijklmnopqrstuvwxyzé"
    many = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 20))) for _ in range(90_000)]
    pool = edges * 1000 + many
    chunks = Chunks(Analyzer())
    assert ChunkTable(chunks, compiled).entries([], 0).tolist() == []  # a file of no plain text
    # From two slots: words that share a probe are compared at every size the table takes.
    table = ChunkTable(chunks, compiled, slots=2)
    for _ in range(3):
        texts = [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 40)))
                 for _ in range(3000)]  # fmt: skip
        words = " ".join(texts).split(" ")
        found = table.entries([t.encode() for t in texts], len(words))
        assert found.tolist() == [chunks[w] for w in words]


@pytest.mark.parametrize(
    ("stored", "asked"),
    [("abcdefgh", "abcdefghi"), ("abcdefghi", "abcdefghj"), ("abc", "abc\x00"), ("é", "e")],
)
def test_chunk_table_never_takes_one_word_for_another(stored: str, asked: str) -> None:
    compiled = compiled_table()
    if compiled is None:
        pytest.skip("numba cannot compile here: builds use the dict alone")
    from footnote.ingest import _chunk_table

    # The stored word sits right where the asked word's probe starts: only comparing the
    # words' bytes and lengths tells them apart. Then the asked word itself sits there.
    for word, expected in ((stored, -1), (asked, 42)):
        key = np.frombuffer(word.encode(), np.uint8)
        data = np.frombuffer(asked.encode(), np.uint8)
        low, high = _chunk_table._key(data, 0, len(data))
        slot = _chunk_table._home(low, high, len(data), 7)
        table = np.zeros((8, 3), np.uint64)
        table[slot] = *_chunk_table._key(key, 0, len(key)), (42 << 5) | len(key)
        out, missed, starts, ends = (np.zeros(1, np.int64) for _ in range(4))
        assert compiled.look_up(data, table, out, missed, starts, ends) == (
            1,
            int(expected < 0),
        )
        assert out.tolist() == [expected]


def _built(corpus: Path, index: Path) -> tuple[list[str], dict[str, tuple]]:
    """The passages' texts, and each term's postings (by term: ids may be numbered apart)."""
    config = EngineConfig(corpus_dir=corpus, index_dir=index)
    build(config)
    built = CorpusIndex.open(config.index_path)
    bm25 = built.bm25
    texts = [p.text for p in built.rows(list(range(built.counts["passages"])))]
    indptr, docs, weights = (np.asarray(a) for a in (bm25.indptr, bm25.docs, bm25.weights))
    postings = {
        term: (
            docs[indptr[t] : indptr[t + 1]].tolist(),
            weights[indptr[t] : indptr[t + 1]].tolist(),
        )
        for t, term in enumerate(bm25.vocabulary)
    }
    return texts, postings


def test_a_parallel_build_with_the_compiled_table_is_the_plain_build(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many files over two workers: each sends a term's string once, as ids after that."""
    if compiled_table() is None:
        pytest.skip("numba cannot compile here: builds use the dict alone")
    lines = (corpus / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    split = tmp_path / "split"
    split.mkdir()
    for part in range(8):
        text = "\n".join(lines[part::8]) + "\n"
        (split / f"part-{part}.jsonl").write_text(text, encoding="utf-8")
    plain = _built(split, tmp_path / "plain")
    monkeypatch.setattr(footnote.retrieval.embedded.build, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(footnote.retrieval.embedded.build, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(
        footnote.retrieval.embedded.build, "_analyse_star", _compiled_only
    )  # workers inherit it
    parallel = _built(split, tmp_path / "parallel")
    assert parallel == plain
    assert len(plain[1]) > 30


def _compiled_only(job: tuple) -> object:
    """A worker's analysis, failing the build unless it was asked to use the table."""
    assert job[2] is True, "a big build looks words up in the compiled table"
    assert job[3], "a parallel build names itself, for its workers' term ids"
    return analyse_file(*job)


def test_printable_text_has_no_whitespace_but_the_space() -> None:
    """What single_spaced relies on, for every code point."""
    for code in range(0x110000):
        character = chr(code)
        if character != " " and character.isprintable():
            assert len(f"a{character}b".split()) == 1, hex(code)


def test_the_compiled_table_compiles_where_numba_is_installed() -> None:
    """A kernel that fails to compile falls back quietly in a build; never in the tests."""
    pytest.importorskip("numba")
    assert compiled_table() is not None
