"""The build's fast paths give what the plain ones give: passages, keys, term ids."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from footnote.analysis import Analyzer
from footnote.boilerplate import paragraph_key
from footnote.build import _used_terms, analyse_file
from footnote.config import EngineConfig
from footnote.corpus import find_files, read_file
from footnote.passages import SplitStats, document_passages

WORDS = [
    "alpha", "Beta", "gamma.", "Delta,", "e.g.", "U.S.", "don't", "tear-gas", "1,000", "3.5",
    "Iraqi", "Émile", "naïve", "ß", "İstanbul", "٣٤", "x" * 60, "y" * 210, "日本語のテキスト",
    "🙂🙂", "Mr.", "2024", "embassy", "Embassy's", "Cookies", "our", "site",
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
            expected.append((d, p.paragraph, p.part, p.section, p.start, p.end, p.text, key))
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
