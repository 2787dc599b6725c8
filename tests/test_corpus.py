"""Reading the corpus folder: formats, metadata, skipped files and a folder left untouched."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from footnote.config import EngineConfig
from footnote.errors import CorpusError
from footnote.ingest.corpus import (
    CorpusFile,
    Document,
    Skipped,
    find_files,
    read_file,
)
from footnote.retrieval.embedded.build import build

ARTICLE = (
    "Protesters breached a reception area of the US embassy compound in Baghdad on Tuesday, "
    "setting fire to a guard post and throwing stones at the building."
)


def read_all(
    root: Path, max_bytes: int = 64 * 1024 * 1024
) -> tuple[dict[str, Document], list[Skipped], list[str]]:
    """Every document of a corpus folder by id, with what was skipped and the warnings."""
    files, skipped = find_files(root)
    documents: dict[str, Document] = {}
    warnings: list[str] = []
    for file in files:
        result = read_file(file, max_bytes)
        documents.update((d.id, d) for d in result.documents)
        skipped.extend(result.skipped)
        warnings.extend(result.warnings)
    return documents, skipped, warnings


def write(path: Path, text: str) -> Path:
    """Write UTF-8 text, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def blocks(document: Document) -> list[tuple[str, str]]:
    """The document's blocks as (kind, text) pairs."""
    return [(b.kind, b.text) for b in document.blocks]


def reasons(skipped: list[Skipped]) -> dict[str, str]:
    """Skipped entries as path -> reason."""
    return {item.path: item.reason for item in skipped}


# -- Markdown -----------------------------------------------------------------------------

MARKDOWN = """\
---
title: The Baghdad embassy attack
url: https://news.example.com/embassy
published: 2020-01-01
source: Example News
id: embassy-attack
---
An opening paragraph before any heading,
wrapped over two lines.

# What happened

Protesters breached the **compound** and [set fire](https://example.com/x) to a guard post.

Reactions
---------

Iran denied any role in the protest.

```python
# a comment, not a heading
print("code is kept")
```

The Aftermath
=============

Troops were deployed to the compound.
"""


def test_markdown_front_matter_gives_metadata(tmp_path: Path) -> None:
    """title, url, published, source and id come from the front matter."""
    write(tmp_path / "news" / "embassy.md", MARKDOWN)
    documents, skipped, warnings = read_all(tmp_path)
    assert not skipped
    assert not warnings
    document = documents["embassy-attack"]
    assert document.title == "The Baghdad embassy attack"
    assert document.url == "https://news.example.com/embassy"
    assert document.published == "2020-01-01"
    assert document.source == "Example News"
    assert document.path == "news/embassy.md"
    assert "title:" not in " ".join(b.text for b in document.blocks)


def test_markdown_headings_and_paragraphs(tmp_path: Path) -> None:
    """# and underlined headings become headings; wrapped lines join; inline markup goes."""
    write(tmp_path / "embassy.md", MARKDOWN)
    document = read_all(tmp_path)[0]["embassy-attack"]
    assert blocks(document)[:5] == [
        ("paragraph", "An opening paragraph before any heading, wrapped over two lines."),
        ("heading", "What happened"),
        ("paragraph", "Protesters breached the compound and set fire to a guard post."),
        ("heading", "Reactions"),
        (
            "paragraph",
            "Iran denied any role in the protest.\n\n"
            '# a comment, not a heading\nprint("code is kept")',
        ),
    ]
    assert blocks(document)[-2:] == [
        ("heading", "The Aftermath"),
        ("paragraph", "Troops were deployed to the compound."),
    ]
    levels = {b.text: b.level for b in document.blocks if b.kind == "heading"}
    assert levels == {"What happened": 1, "Reactions": 2, "The Aftermath": 1}


def test_markdown_fenced_code_is_kept_verbatim(tmp_path: Path) -> None:
    """A fenced code block keeps its lines and language after the paragraph before it; its
    '# comment' is no heading."""
    write(tmp_path / "embassy.md", MARKDOWN)
    document = read_all(tmp_path)[0]["embassy-attack"]
    code = [b for b in document.blocks if "code is kept" in b.text]
    assert len(code) == 1
    assert code[0].language == "python"
    assert code[0].text[code[0].code_at :].startswith("# a comment, not a heading\n")
    assert "# a comment, not a heading" in code[0].text
    assert all(b.text != "a comment, not a heading" for b in document.blocks)


def test_block_offsets_point_into_the_document_text(tmp_path: Path) -> None:
    """Every block's start:end range in the document text holds that block's words."""
    write(tmp_path / "embassy.md", MARKDOWN)
    document = read_all(tmp_path)[0]["embassy-attack"]
    for block in document.blocks:
        raw = document.text[block.start : block.end]
        assert block.text.split()[0].strip("*[") in raw
        assert block.text.split()[-1] in raw


def test_markdown_title_falls_back_to_first_heading(tmp_path: Path) -> None:
    """Without front matter the title is the first level-1 heading."""
    write(tmp_path / "plain.md", "# Embassy attacked\n\n" + ARTICLE + "\n")
    document = read_all(tmp_path)[0]["plain"]
    assert document.title == "Embassy attacked"
    assert document.url is None


# -- plain text -----------------------------------------------------------------------------


def test_text_with_blank_lines_joins_wrapped_lines(tmp_path: Path) -> None:
    """Blank lines separate paragraphs; hard-wrapped lines inside one are joined."""
    write(
        tmp_path / "wrapped.txt",
        "Protesters breached a reception area\nof the US embassy compound.\n\n"
        "Iraqi soldiers were deployed\nand the protest\ndied down.\n",
    )
    document = read_all(tmp_path)[0]["wrapped"]
    assert blocks(document) == [
        ("paragraph", "Protesters breached a reception area of the US embassy compound."),
        ("paragraph", "Iraqi soldiers were deployed and the protest died down."),
    ]


def test_text_without_blank_lines_is_a_paragraph_per_line(tmp_path: Path) -> None:
    """With no blank line anywhere, every line is its own paragraph."""
    write(
        tmp_path / "lines.txt",
        "Protesters breached a reception area of the US embassy compound.\n"
        "Iraqi soldiers were deployed and the protest died down.\n"
        "Fifty people were treated for tear-gas inhalation.\n",
    )
    document = read_all(tmp_path)[0]["lines"]
    assert [text for _, text in blocks(document)] == [
        "Protesters breached a reception area of the US embassy compound.",
        "Iraqi soldiers were deployed and the protest died down.",
        "Fifty people were treated for tear-gas inhalation.",
    ]
    assert {kind for kind, _ in blocks(document)} == {"paragraph"}


def test_crlf_line_endings_read_like_lf(tmp_path: Path) -> None:
    """A file saved with Windows line endings gives the same paragraphs."""
    (tmp_path / "windows.txt").write_bytes(b"First paragraph.\r\n\r\nSecond paragraph.\r\n")
    document = read_all(tmp_path)[0]["windows"]
    assert [text for _, text in blocks(document)] == ["First paragraph.", "Second paragraph."]


def test_text_title_comes_from_the_file_name(tmp_path: Path) -> None:
    """A text file without front matter is titled after its file name."""
    write(tmp_path / "embassy-attack.txt", ARTICLE + "\n")
    assert read_all(tmp_path)[0]["embassy-attack"].title == "Embassy attack"


def test_front_matter_that_is_not_a_mapping_warns(tmp_path: Path) -> None:
    """Front matter holding a list gives a warning naming the file; the text is still read."""
    write(tmp_path / "listy.md", "---\n- one\n- two\n---\n" + ARTICLE + "\n")
    documents, skipped, warnings = read_all(tmp_path)
    assert not skipped
    assert len(warnings) == 1
    assert "listy.md" in warnings[0]
    assert "front matter" in warnings[0]
    assert blocks(documents["listy"]) == [("paragraph", ARTICLE)]


# -- HTML ---------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<title>Embassy attack in Baghdad | World News</title>
<meta property="og:title" content="Embassy attack in Baghdad">
<meta property="og:url" content="https://news.example.com/world/embassy-attack">
<link rel="canonical" href="https://news.example.com/world/embassy-attack">
<meta property="article:published_time" content="2020-01-01T10:00:00Z">
<script>var tracking = "scriptvalue";</script>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World navlinkword</a></li></ul></nav>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
Accept all cookies bannerword.</div>
<main><article>
<h1>Embassy attack in Baghdad</h1>
<p>Protesters breached a reception area of the US embassy compound in Baghdad on Tuesday,
setting fire to a guard post and throwing stones at the building.</p>
<p>The protest followed funerals for militia fighters killed in American air strikes on
Sunday, which Washington described as retaliation for a rocket attack.</p>
<h2>Why was the embassy attacked?</h2>
<p>The militia, Kataib Hezbollah, is backed by Iran and has been blamed for repeated rocket
attacks on bases that host coalition forces in Iraq.</p>
<p>Iraq's prime minister said the strikes had violated the country's sovereignty and
declared three days of mourning for the fighters.</p>
</article></main>
<footer><p>Copyright 2020 World News footerword. All rights reserved.</p></footer>
<script>console.log("anotherscript")</script>
</body></html>
"""


@pytest.fixture(scope="module")
def html_document(tmp_path_factory: pytest.TempPathFactory) -> Document:
    """The sample web page read from a corpus folder (trafilatura runs once)."""
    root = tmp_path_factory.mktemp("html")
    write(root / "world" / "embassy.html", PAGE)
    documents, skipped, _ = read_all(root)
    assert not skipped
    return documents["world/embassy"]


def test_html_page_furniture_is_removed(html_document: Document) -> None:
    """Navigation, scripts, the cookie banner and the footer are not in the text."""
    gone = ("navlinkword", "scriptvalue", "anotherscript", "bannerword", "footerword", "cookie")
    for word in gone:
        assert word not in html_document.text.lower(), word


def test_html_page_keeps_the_article(html_document: Document) -> None:
    """The article's paragraphs are read in order, whitespace joined."""
    paragraphs = [text for kind, text in blocks(html_document) if kind == "paragraph"]
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("Protesters breached a reception area of the US embassy")
    assert "compound in Baghdad on Tuesday, setting fire" in paragraphs[0]
    assert paragraphs[3].endswith("three days of mourning for the fighters.")


def test_html_metadata_is_found(html_document: Document) -> None:
    """The page's title, canonical URL and publication date become the document's."""
    assert html_document.title == "Embassy attack in Baghdad"
    assert html_document.url == "https://news.example.com/world/embassy-attack"
    assert html_document.published == "2020-01-01"
    assert html_document.format == "html"


def test_html_h2_starts_a_section(html_document: Document) -> None:
    """An <h2> becomes a heading standing before the paragraphs it introduces."""
    kinds = blocks(html_document)
    at = kinds.index(("heading", "Why was the embassy attacked?"))
    assert kinds[at + 1][0] == "paragraph"
    assert kinds[at + 1][1].startswith("The militia, Kataib Hezbollah")


# -- JSON Lines -----------------------------------------------------------------------------


def test_jsonl_records_become_documents(tmp_path: Path) -> None:
    """Each record is a document with its id, title, url, published and source; bad lines skip."""
    records = [
        {
            "id": "a1",
            "title": "Embassy attack",
            "url": "https://example.com/a1",
            "published": "2020-01-01",
            "source": "Example News",
            "text": ARTICLE,
        },
        "this line is not json {",
        {"id": "h1", "title": "From HTML", "html": PAGE},
        {"id": "n1", "title": "No body"},
        {"title": "No id", "text": "Iran denied any role in the protest at the embassy."},
    ]
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    write(tmp_path / "feed" / "news.jsonl", "\n".join(lines) + "\n")
    documents, skipped, _ = read_all(tmp_path)

    first = documents["a1"]
    assert (first.title, first.url, first.published, first.source) == (
        "Embassy attack",
        "https://example.com/a1",
        "2020-01-01",
        "Example News",
    )
    assert blocks(first) == [("paragraph", ARTICLE)]
    assert first.path == "feed/news.jsonl"

    from_html = documents["h1"]
    assert from_html.title == "From HTML"
    assert "navlinkword" not in from_html.text
    assert any(text.startswith("The militia, Kataib Hezbollah") for _, text in blocks(from_html))

    assert documents["feed/news#5"].title == "No id"
    assert set(documents) == {"a1", "h1", "feed/news#5"}
    why = reasons(skipped)
    assert set(why) == {"feed/news.jsonl:2", "feed/news.jsonl:4"}
    assert "not valid JSON" in why["feed/news.jsonl:2"]
    assert "'text' or 'html'" in why["feed/news.jsonl:4"]


# -- files that are skipped -------------------------------------------------------------------


def test_invalid_utf8_file_is_skipped_and_others_load(tmp_path: Path) -> None:
    """A file that is not UTF-8 is skipped with a reason; the good file still loads."""
    write(tmp_path / "good.txt", ARTICLE + "\n")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait in Baghdad.\n".encode("latin-1"))
    documents, skipped, _ = read_all(tmp_path)
    assert set(documents) == {"good"}
    assert list(reasons(skipped)) == ["latin1.txt"]
    assert "not valid UTF-8" in reasons(skipped)["latin1.txt"]


def test_file_over_the_size_limit_is_skipped(tmp_path: Path) -> None:
    """A file over max_bytes is skipped with its size and the limit in the reason."""
    write(tmp_path / "small.txt", ARTICLE + "\n")
    write(tmp_path / "big.txt", (ARTICLE + "\n\n") * 20)
    documents, skipped, _ = read_all(tmp_path, max_bytes=1000)
    assert set(documents) == {"small"}
    reason = reasons(skipped)["big.txt"]
    assert "1,000 bytes" in reason
    assert "--max-file-mb" in reason


def test_size_limit_is_described_in_the_units_of_max_file_mb(tmp_path: Path) -> None:
    """With --max-file-mb 64 (64 MiB) the reason says the limit is 64 MB, not 67."""
    path = write(tmp_path / "huge.txt", "x")
    file = CorpusFile(path, "huge.txt", size=70 * 1024 * 1024, mtime_ns=0)
    result = read_file(file, max_bytes=64 * 1024 * 1024)
    assert not result.documents
    assert "over the limit of 64 MB" in result.skipped[0].reason
    assert "70 MB" in result.skipped[0].reason


def test_binary_file_with_txt_suffix_is_skipped(tmp_path: Path) -> None:
    """A binary file named .txt is skipped as binary, not read as text."""
    write(tmp_path / "good.txt", ARTICLE + "\n")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    documents, skipped, _ = read_all(tmp_path)
    assert set(documents) == {"good"}
    assert "binary" in reasons(skipped)["image.txt"]


def test_link_to_a_file_outside_the_corpus_is_not_followed(tmp_path: Path) -> None:
    """A symlink leading out of the corpus is skipped with a reason; its target is not read."""
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    write(corpus / "good.txt", ARTICLE + "\n")
    secret = write(outside / "secret.txt", "The password is swordfish and must stay private.\n")
    (outside / "folder").mkdir()
    write(outside / "folder" / "also-secret.txt", "Another private swordfish paragraph.\n")
    try:
        os.symlink(secret, corpus / "link.txt")
        os.symlink(outside / "folder", corpus / "linked-folder", target_is_directory=True)
    except OSError as exc:  # pragma: no cover - platforms without symlinks
        pytest.skip(f"symlinks are not available here ({exc})")
    documents, skipped, _ = read_all(corpus)
    assert set(documents) == {"good"}
    assert "outside the corpus" in reasons(skipped)["link.txt"]
    assert all("swordfish" not in d.text for d in documents.values())


def test_link_inside_the_corpus_is_read(tmp_path: Path) -> None:
    """A symlink to another file of the corpus is read like a file."""
    write(tmp_path / "good.txt", ARTICLE + "\n")
    try:
        os.symlink(tmp_path / "good.txt", tmp_path / "alias.txt")
    except OSError as exc:  # pragma: no cover - platforms without symlinks
        pytest.skip(f"symlinks are not available here ({exc})")
    documents, skipped, _ = read_all(tmp_path)
    assert set(documents) == {"good", "alias"}
    assert not skipped


def test_looping_link_is_skipped_and_others_load(tmp_path: Path) -> None:
    """A symlink pointing at itself is skipped with a reason instead of failing the corpus."""
    write(tmp_path / "good.txt", ARTICLE + "\n")
    try:
        os.symlink(tmp_path / "loop.txt", tmp_path / "loop.txt")
    except OSError as exc:  # pragma: no cover - platforms without symlinks
        pytest.skip(f"symlinks are not available here ({exc})")
    documents, skipped, _ = read_all(tmp_path)
    assert set(documents) == {"good"}
    assert "loop" in reasons(skipped)["loop.txt"]


def test_files_are_found_in_sorted_order(tmp_path: Path) -> None:
    """Folders and files are visited in name order, whatever order the disk lists them in."""
    for folder in ("delta", "alpha", "charlie", "bravo"):
        for name in ("2.txt", "1.txt"):
            write(tmp_path / folder / name, ARTICLE + "\n")
    files, _ = find_files(tmp_path)
    relative = [f.relative for f in files]
    assert relative == sorted(relative)
    assert len(relative) == 8


def test_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    """Files and folders whose names start with a dot are neither read nor reported; a file of
    a type Footnote does not read is reported as such."""
    write(tmp_path / "good.txt", ARTICLE + "\n")
    write(tmp_path / ".draft.txt", "A hidden draft paragraph.\n")
    write(tmp_path / ".git" / "notes.md", "A paragraph inside a hidden folder.\n")
    write(tmp_path / "notes.xyz", "not an article format")
    documents, skipped, _ = read_all(tmp_path)
    assert set(documents) == {"good"}
    assert [(s.path, s.unsupported) for s in skipped] == [("notes.xyz", True)]


def test_document_id_is_the_relative_path_without_extension(tmp_path: Path) -> None:
    """Ids are paths relative to the corpus root, '/'-separated, without the extension."""
    write(tmp_path / "top.md", ARTICLE + "\n")
    write(tmp_path / "world" / "middle-east" / "iraq.txt", ARTICLE + "\n")
    write(tmp_path / "world" / "page.v2.html", PAGE)
    documents, _, _ = read_all(tmp_path)
    assert set(documents) == {"top", "world/middle-east/iraq", "world/page.v2"}
    assert documents["world/middle-east/iraq"].path == "world/middle-east/iraq.txt"


def test_missing_corpus_folder_is_a_corpus_error(tmp_path: Path) -> None:
    """A corpus folder that does not exist raises CorpusError naming the folder."""
    missing = tmp_path / "no-such-corpus"
    with pytest.raises(CorpusError, match="no-such-corpus"):
        find_files(missing)


def test_corpus_that_is_a_file_is_a_corpus_error(tmp_path: Path) -> None:
    """A corpus path that is a file raises CorpusError naming it."""
    path = write(tmp_path / "article.txt", ARTICLE)
    with pytest.raises(CorpusError, match=r"article\.txt"):
        find_files(path)


def test_corpus_without_a_readable_article_is_a_corpus_error(tmp_path: Path) -> None:
    """A folder of only unreadable files raises CorpusError naming the folder and a skip."""
    corpus = tmp_path / "empty-corpus"
    corpus.mkdir()
    (corpus / "latin1.txt").write_bytes(b"Caf\xe9\n")
    config = EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index")
    with pytest.raises(CorpusError) as caught:
        build(config)
    assert "empty-corpus" in str(caught.value)
    assert "latin1.txt" in str(caught.value)


def test_reading_never_modifies_the_corpus(tmp_path: Path) -> None:
    """Reading every format leaves each file's bytes and mtime, and the file list, unchanged."""
    write(tmp_path / "a.md", MARKDOWN)
    write(tmp_path / "b" / "c.txt", ARTICLE + "\n")
    write(tmp_path / "d.html", PAGE)
    write(tmp_path / "e.jsonl", json.dumps({"id": "e", "text": ARTICLE}) + "\nbad\n")
    (tmp_path / "f.txt").write_bytes(b"\xff\xfe bad")

    def snapshot() -> dict[str, tuple[str, int]]:
        """Every path under the corpus with its content hash and modification time."""
        return {
            str(p.relative_to(tmp_path)): (
                hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir",
                p.stat().st_mtime_ns,
            )
            for p in sorted(tmp_path.rglob("*"))
        }

    before = snapshot()
    documents, _, _ = read_all(tmp_path)
    assert len(documents) == 4
    assert snapshot() == before


def test_a_short_line_with_nothing_after_it_is_text_not_a_heading(tmp_path: Path) -> None:
    """A record whose whole text is one short unpunctuated line is kept as a paragraph."""
    path = tmp_path / "short.jsonl"
    path.write_text(
        json.dumps({"id": "s1", "title": "Short", "text": "Boundary layer flow"}) + "\n"
    )
    result = read_file(CorpusFile(path, "short.jsonl", path.stat().st_size, 0))
    [document] = result.documents
    assert [(b.kind, b.text) for b in document.blocks] == [("paragraph", "Boundary layer flow")]
