"""A hostile corpus folder: each bad file is skipped or read safely, and the rest still answers.

tests/test_corpus.py covers the plain cases (a Latin-1 file, a file over the limit, a PNG named
.txt, a link to a file outside, a link loop, front matter holding a list); these are harder.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.ingest.corpus import CorpusFile, find_files, read_file
from footnote.retrieval.embedded.build import BuildReport, build
from footnote.retrieval.embedded.index import CorpusIndex
from footnote.retrieval.embedded.retriever import EmbeddedRetriever

GOOD = "Volcanic ash grounds flights for days because it melts inside jet engines.\n"
QUESTION = "why does volcanic ash ground flights?"


def write(path: Path, data: str | bytes) -> Path:
    """Write text (UTF-8) or bytes, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def build_and_ask(corpus: Path, tmp_path: Path) -> tuple[BuildReport, Engine]:
    """Build the corpus's index and open an engine on it."""
    config = EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index")
    report = build(config)
    return report, Engine(config, EmbeddedRetriever(CorpusIndex.open(config.index_path)))


def why(report: BuildReport) -> dict[str, str]:
    """Skipped files (and warnings, by the file they name) as path -> reason."""
    reasons = {item.path: item.reason for item in report.skipped}
    for warning in report.warnings:
        path, _, text = warning.partition(": ")
        reasons.setdefault(path, text)
    return reasons


def assert_good_article_answers(engine: Engine) -> None:
    """The one good article of the corpus still answers its question."""
    answer = engine.ask(QUESTION)
    assert answer.answered
    assert answer.passages[0].citation.doc_id == "good"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A corpus folder holding one good article."""
    root = tmp_path / "corpus"
    write(root / "good.md", "# Ash\n\n" + GOOD)
    return root


# -- bytes that are not text ------------------------------------------------------------------


def test_a_1_gb_file_is_skipped_by_its_size_without_being_read(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A (sparse) 1 GB .txt is skipped with its size; not one byte of it is read."""
    huge = corpus / "huge.txt"
    huge.touch()
    os.truncate(huge, 1024**3)
    opened: list[str] = []
    real_open = Path.open

    def spy(self: Path, *args: object, **kwargs: object):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    real_read_bytes = Path.read_bytes

    def refuse_huge(self: Path) -> bytes:
        if self.name == "huge.txt":
            pytest.fail(f"read {self}")
        return real_read_bytes(self)  # the package's own data (the WordNet table) may load

    monkeypatch.setattr(Path, "read_bytes", refuse_huge)
    started = time.perf_counter()
    report, engine = build_and_ask(corpus, tmp_path)
    assert time.perf_counter() - started < 5
    assert "huge.txt" not in opened
    assert "1024 MB, over the limit of 64 MB" in why(report)["huge.txt"]
    assert_good_article_answers(engine)


def test_a_file_that_grows_past_the_limit_after_it_was_found_is_not_read_whole(
    tmp_path: Path,
) -> None:
    """The size limit holds for the bytes read, not only the size seen when listing."""
    path = write(tmp_path / "growing.txt", "Lava " * 1000)
    file = CorpusFile(path, "growing.txt", size=10, mtime_ns=0)
    result = read_file(file, max_bytes=100)
    assert not result.documents
    assert "over the limit of 100 bytes" in result.skipped[0].reason


BINARY = {
    "late-nul.md": ("# Title\n\n" + GOOD.replace("ash", "lava") * 300).encode() + b"\0tail\n",
    "random.html": random.Random(1).randbytes(20_000),
    "random.txt": random.Random(2).randbytes(20_000).replace(b"\0", b"\1"),
    "nul-html.html": b"<html><body><p>Pumice\0 floats on water, the geologist said.</p>",
    "utf16.md": ("# Pumice\n\nPumice floats on water.\n").encode("utf-16"),
    "broken-utf8.txt": b"Pumice floats on water. " * 50 + b"\xc3\x28 and sinks.\n",
}


def test_binary_files_with_text_suffixes_are_skipped_and_the_rest_answers(
    corpus: Path, tmp_path: Path
) -> None:
    """NULs anywhere, random bytes, UTF-16 or broken UTF-8 in .md/.txt/.html: skipped, named."""
    for name, data in BINARY.items():
        write(corpus / name, data)
    report, engine = build_and_ask(corpus, tmp_path)
    reasons = why(report)
    assert set(BINARY) <= set(reasons)
    for name in BINARY:
        assert "binary" in reasons[name] or "not valid UTF-8" in reasons[name], reasons[name]
    assert [d.id for d in engine.retriever.index.documents()] == ["good"]
    assert_good_article_answers(engine)
    assert not engine.ask("does pumice float on water?").answered


# -- HTML that fights the parser ----------------------------------------------------------------


def test_deeply_nested_and_malformed_html_never_fails_the_build(
    corpus: Path, tmp_path: Path
) -> None:
    """50,000 nested divs and tag soup: each is read or skipped with a reason; the rest answers."""
    sentence = "<p>Deep inside lies a sentence about glaciers carving valleys.</p>"
    write(corpus / "deep.html", "<html><body>" + "<div>" * 50_000 + sentence + "</div>" * 50_000)
    write(corpus / "unclosed.html", "<html><body>" + "<div><span><b>" * 20_000 + sentence)
    soup = (
        "<html><head><title>Tag soup</title><body><p>Moraines mark where a glacier stopped"
        " <b>long <i>ago.<div></p></span>>>><<<&&&#xFFFFFFFF; &bogus; <![CDATA[ <!-- "
        "<p>Eskers are ridges of sand left by rivers under the ice.<script>alert(1)"
    )
    write(corpus / "soup.html", soup)
    write(corpus / "empty.htm", "<html><body></body></html>")
    write(corpus / "not-html.html", "<<<<>>>>" * 5000)
    report, engine = build_and_ask(corpus, tmp_path)
    documents = {d.id for d in engine.retriever.index.documents()}
    reasons = why(report)
    for name in ("deep", "unclosed", "soup", "empty", "not-html"):
        suffix = ".htm" if name == "empty" else ".html"
        assert name in documents or name + suffix in reasons, name
    assert "soup" in documents
    assert engine.ask("what are eskers?").passages[0].citation.doc_id == "soup"
    assert all("alert(1)" not in m.text for m in engine.ask("alert").passages)
    assert_good_article_answers(engine)


# -- front matter -------------------------------------------------------------------------------

ALIAS_BOMB = "\n".join(
    [
        "---",
        "a: &a [x, x, x, x, x, x, x, x, x]",
        *(
            f"{n}: &{n} [{', '.join(['*' + p] * 9)}]"
            for p, n in zip("abcdefg", "bcdefgh", strict=True)
        ),
        "title: *h",
        "---",
        "",
        "Pumice floats on water because of its gas bubbles.",
    ]
)
FRONT_MATTER = {
    "scalar.md": ("---\njust a sentence\n---\nPumice floats on water.\n", "not a mapping"),
    "number.md": ("---\n42\n---\nPumice floats on water.\n", "not a mapping"),
    "invalid.md": ("---\ntitle: [unclosed\n  - : :\n---\nPumice floats.\n", "not valid YAML"),
    "bad-date.md": ("---\npublished: 2020-13-45\n---\nPumice floats.\n", "not valid YAML"),
    "nested.md": ("---\n" + "[" * 1100 + "]" * 1100 + "\n---\nPumice floats.\n", "YAML"),
    "list-title.md": ("---\ntitle: [a, b]\nid: {x: 1}\n---\nPumice floats.\n", "single value"),
    "bomb.md": (ALIAS_BOMB, "single value"),
}


@pytest.mark.parametrize("name", sorted(FRONT_MATTER))
def test_front_matter_that_is_not_a_usable_mapping_is_ignored_with_a_warning(
    corpus: Path, tmp_path: Path, name: str
) -> None:
    """A scalar, invalid YAML, a bad date, deep nesting, a list title or an alias bomb."""
    text, expected = FRONT_MATTER[name]
    write(corpus / name, text)
    started = time.perf_counter()
    report, engine = build_and_ask(corpus, tmp_path)
    assert time.perf_counter() - started < 10, "an alias bomb must not be expanded"
    assert expected in why(report)[name]
    document = next(d for d in engine.retriever.index.documents() if d.path == name)
    assert document.id == name.removesuffix(".md")
    assert len(document.title) < 100
    assert engine.ask("does pumice float?").passages[0].citation.doc_id == document.id
    assert_good_article_answers(engine)


# -- links and names ------------------------------------------------------------------------------


def test_links_out_of_the_corpus_are_not_followed_and_are_named(
    corpus: Path, tmp_path: Path
) -> None:
    """Links to a secret file, to a folder outside and to /dev/zero: refused, each named."""
    outside = write(tmp_path / "outside" / "secret.md", "The swordfish password is private.\n")
    try:
        os.symlink(outside, corpus / "secret.md")
        os.symlink(outside.parent, corpus / "elsewhere", target_is_directory=True)
        os.symlink("/dev/zero", corpus / "zeros.txt")
    except OSError as exc:  # pragma: no cover - platforms without symlinks
        pytest.skip(f"symlinks are not available here ({exc})")
    report, engine = build_and_ask(corpus, tmp_path)
    reasons = why(report)
    assert "outside the corpus" in reasons["secret.md"]
    assert "outside the corpus" in reasons["zeros.txt"]
    assert "not followed" in reasons["elsewhere"]
    assert not engine.ask("what is the swordfish password?").passages
    assert_good_article_answers(engine)


ODD_NAMES = [
    "with space.md",
    "ünïcødé-名前.md",
    "new\nline.md",
    "-leading-dash.md",
    "#hash.md",
    "100%.md",
    "a" * 240 + ".md",
    "quote'\"semicolon;.md",
]


def test_odd_file_names_are_read_and_cited_by_their_names(corpus: Path, tmp_path: Path) -> None:
    """Spaces, unicode, a newline, a leading dash, '#', '%', quotes, 243 characters: all read."""
    words = ["basalt", "obsidian", "granite", "pumice", "tuff", "andesite", "rhyolite", "gabbro"]
    for name, word in zip(ODD_NAMES, words, strict=True):
        write(corpus / name, f"The rock called {word} is found near volcanoes.\n")
    report, engine = build_and_ask(corpus, tmp_path)
    assert not report.skipped
    for name, word in zip(ODD_NAMES, words, strict=True):
        best = engine.ask(f"where is {word} found?").passages[0].citation
        assert best.path == name
        assert best.doc_id == name.removesuffix(".md")
    assert_good_article_answers(engine)


def test_a_file_name_that_is_not_utf8_is_skipped_and_named(corpus: Path, tmp_path: Path) -> None:
    """A name with bytes that are not UTF-8 cannot be stored: skipped, named as best it can."""
    try:
        fd = os.open(os.fsencode(corpus) + b"/caf\xe9.md", os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError as exc:  # pragma: no cover - file systems that insist on UTF-8 names
        pytest.skip(f"this file system refuses names that are not UTF-8 ({exc})")
    os.write(fd, b"Pumice floats on water.\n")
    os.close(fd)
    report, engine = build_and_ask(corpus, tmp_path)
    assert "not valid UTF-8" in why(report)["caf\ufffd.md"]
    assert "rename" in why(report)["caf\ufffd.md"]
    assert [s.path for s in engine.retriever.index.skipped()] == ["caf\ufffd.md"]
    assert_good_article_answers(engine)


def test_a_lone_surrogate_escaped_in_json_lines_is_read_as_a_replacement_character(
    corpus: Path, tmp_path: Path
) -> None:
    """JSON can escape half a surrogate pair, which is no text: it reads as U+FFFD."""
    line = '{"id": "s", "title": "Half \\ud83d pair", "text": "Basalt \\udc00cools fast."}\n'
    write(corpus / "half.jsonl", line)
    report, engine = build_and_ask(corpus, tmp_path)
    assert not report.skipped
    best = engine.ask("how fast does basalt cool?").passages[0]
    assert best.text == "Basalt \ufffdcools fast."
    assert best.citation.title == "Half \ufffd pair"
    assert_good_article_answers(engine)


def test_the_whole_hostile_folder_still_indexes_and_answers(corpus: Path, tmp_path: Path) -> None:
    """All of the above in one folder: one build, every bad file named, the good one answers."""
    for name, data in BINARY.items():
        write(corpus / "binary" / name, data)
    for name, (text, _) in FRONT_MATTER.items():
        write(corpus / "front" / name, text)
    for name in ODD_NAMES:
        write(corpus / "names" / name, "Tephra is rock fragments thrown out by an eruption.\n")
    write(corpus / "html" / "deep.html", "<div>" * 50_000 + "<p>Deep text here.</p>")
    huge = write(corpus / "huge.md", "")
    os.truncate(huge, 1024**3)
    report, engine = build_and_ask(corpus, tmp_path)
    files, _ = find_files(corpus)
    named = set(why(report)) | {d.path for d in engine.retriever.index.documents()}
    assert {f.relative for f in files} <= named
    assert_good_article_answers(engine)
