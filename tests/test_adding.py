"""Adding and removing writing: every readable format, web pages, hostile names, unreadable
files refused, the folder and the index kept in agreement, and the command line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_footnote, write_articles
from test_pdf_docx import manual_pdf, report_docx
from webpages import LOCAL, PageServer, article

from footnote import cli
from footnote.config import EngineConfig
from footnote.editing import (
    READABLE_SUFFIXES,
    EditError,
    NewCorpus,
    add_bytes,
    add_path,
    add_url,
    check_upload,
    open_for_adding,
    remove_document,
)
from footnote.editing.naming import MAX_NAME_BYTES, safe_name
from footnote.engine import Engine
from footnote.ingest.corpus import SUFFIXES
from footnote.retrieval.base import PassageRef
from footnote.retrieval.embedded import updates

HERON = "The grey heron nests in tall reeds beside the lake and fishes at dawn."
QUESTION = "where does the grey heron nest?"

ARTICLES = {
    "pumps": "The pump must be primed with water before the first start.",
    "bread": "Banana bread needs ripe bananas, flour, butter and an hour in the oven.",
    "trains": "The night train leaves the central station at eleven and arrives at dawn.",
}


def markdown(title: str, text: str) -> bytes:
    return f"# {title}\n\n{text}\n".encode()


# A small real file of every format the reader takes, and a question its words answer.
FORMATS: dict[str, tuple[bytes, str]] = {
    ".md": (markdown("Herons", HERON), QUESTION),
    ".markdown": (markdown("Herons", HERON), QUESTION),
    ".mdown": (markdown("Herons", HERON), QUESTION),
    ".mkd": (markdown("Herons", HERON), QUESTION),
    ".mdx": (b"import Bird from './bird'\n\n" + markdown("Herons", HERON), QUESTION),
    ".rst": (f"Herons\n======\n\n{HERON}\n".encode(), QUESTION),
    ".rest": (f"Herons\n======\n\n{HERON}\n".encode(), QUESTION),
    ".txt": (f"Herons\n\n{HERON}\n".encode(), QUESTION),
    ".html": (article("Herons", [HERON, "Herons stand still for hours."]).encode(), QUESTION),
    ".htm": (article("Herons", [HERON, "Herons stand still for hours."]).encode(), QUESTION),
    ".jsonl": (
        (json.dumps({"id": "heron-1", "title": "Herons", "text": HERON}) + "\n").encode(),
        QUESTION,
    ),
    ".pdf": (manual_pdf(), "how long does the pump warranty cover parts and labour?"),
    ".docx": (report_docx(), "how many engineers did the team hire?"),
}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    corpus = write_articles(tmp_path / "corpus", ARTICLES)
    opened, _ = Engine.open(EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index"))
    yield opened
    opened.retriever.close()


def folder_names(engine: Engine) -> list[str]:
    """Every entry of the corpus folder, hidden ones included."""
    return sorted(os.listdir(engine.config.corpus_dir))


def top_document(engine: Engine, question: str) -> str | None:
    """The document of the best passage for the question, if any passage matches."""
    passages = engine.ask(question).passages
    return passages[0].citation.doc_id if passages else None


def test_every_readable_format_is_covered_here() -> None:
    """The suffixes come from the reader's own table; a new format must be tested here."""
    assert set(SUFFIXES) == READABLE_SUFFIXES == set(FORMATS)


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_an_upload_of_every_readable_format_is_answered_from(engine: Engine, suffix: str) -> None:
    data, question = FORMATS[suffix]
    added = add_bytes(engine, f"upload{suffix}", data, built_by="test")
    assert added.path == f"upload{suffix}" and not added.replaced
    assert (engine.config.corpus_dir / added.path).read_bytes() == data
    assert len(added.documents) == 1 and added.documents[0].passages >= 1
    expected = "heron-1" if suffix == ".jsonl" else "upload"
    assert added.documents[0].id == expected
    assert top_document(engine, question) == expected


def test_the_report_names_title_passages_and_boilerplate(engine: Engine) -> None:
    page = article("Heron season opens", [HERON, "Herons return to the marsh in March."])
    added = add_bytes(engine, "herons.html", page.encode())
    (document,) = added.documents
    assert document.title == "Heron season opens" and document.passages >= 1
    assert document.dropped == sum(
        1 for d in engine.retriever.dropped() if d.document == document.id
    )
    assert added.report.documents == len(ARTICLES) + 1


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"   \n\n  \n", "it has no text"),
        (b"binary\0junk", "it looks binary, not text"),
        (b"\xff\xfe bad utf-8", "it is not valid UTF-8"),
    ],
)
def test_an_unreadable_file_is_refused_and_not_left_in_the_folder(
    engine: Engine, data: bytes, reason: str
) -> None:
    before = folder_names(engine)
    generation = engine.generation
    with pytest.raises(EditError, match=f"notes.txt was not added: {reason}"):
        add_bytes(engine, "notes.txt", data)
    assert folder_names(engine) == before
    assert engine.generation == generation


@pytest.mark.parametrize("name, data", [("broken.pdf", b"%PDF-1.4 not really"),
                                        ("broken.docx", b"PK\x03\x04 not a zip")])  # fmt: skip
def test_a_broken_pdf_or_word_file_is_refused(engine: Engine, name: str, data: bytes) -> None:
    before = folder_names(engine)
    with pytest.raises(EditError, match=f"{name} was not added: "):
        add_bytes(engine, name, data)
    assert folder_names(engine) == before


@pytest.mark.parametrize(
    "given, written",
    [
        ("../../escape.md", "escape.md"),
        ("/etc/passwd.md", "passwd.md"),
        ("a/b\\c.md", "c.md"),
        ("..\\..\\windows.md", "windows.md"),
        ("nul\0led.md", "nulled.md"),
        (".hidden.md", "hidden.md"),
        ("CON.md", "_CON.md"),
        ("lpt1.notes.txt", "_lpt1.notes.txt"),
        ("ｆｕｌｌｗｉｄｔｈ.md", "fullwidth.md"),
        ("cafe\u0301.md", "café.md"),
        ("what?<is>|this*.md", "what--is--this.md"),
        ("  spaced   out .MD", "spaced out.md"),
        ("trailing.md. ", "trailing.md"),
    ],
)
def test_hostile_names_stay_inside_the_corpus_folder(given: str, written: str) -> None:
    assert safe_name(given) == written


def test_a_hostile_upload_is_written_inside_the_folder(engine: Engine) -> None:
    added = add_bytes(engine, "../../../tmp/evil\u202e.md", markdown("Herons", HERON))
    assert added.path == "evil.md"
    assert (engine.config.corpus_dir / "evil.md").is_file()
    assert not (engine.config.corpus_dir.parent / "evil.md").exists()


def test_a_very_long_name_is_cut_to_the_limit() -> None:
    name = safe_name("ü" * 400 + ".md")
    assert name.endswith(".md") and len(name.encode()) <= MAX_NAME_BYTES
    assert name.encode().decode() == name  # no character cut in half


@pytest.mark.parametrize(
    "given, message",
    [
        ("virus.exe", "Footnote does not read .exe files"),
        ("noextension", "has no extension"),
        ("..md", "no usable characters"),
        ("...", "has no extension"),
        ("/..", "has no extension"),
        ("\0\0.md", "no usable characters"),
    ],
)
def test_names_that_cannot_be_added_get_one_sentence(given: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        safe_name(given)


def test_check_upload_refuses_by_type_and_size_before_any_download() -> None:
    check_upload("notes.md", 1000, 2000)
    with pytest.raises(EditError, match=r"does not read \.png files"):
        check_upload("photo.png", 10, 2000)
    with pytest.raises(EditError, match=r"big\.pdf is 3 MB, over the limit of 2 MB"):
        check_upload("big.pdf", 3 * 1024 * 1024, 2 * 1024 * 1024)
    with pytest.raises(EditError, match="is empty"):
        check_upload("empty.txt", 0, 2000)


def test_an_upload_over_the_reader_limit_is_refused(engine: Engine) -> None:
    small = replace(engine.config, max_file_bytes=100)
    engine.config = small
    with pytest.raises(EditError, match="over the limit"):
        add_bytes(engine, "long.txt", b"word " * 100)


def test_adding_the_same_name_again_replaces_it(engine: Engine) -> None:
    add_bytes(engine, "birds.md", markdown("Birds", HERON))
    again = add_bytes(engine, "birds.md", markdown("Birds", "Swifts sleep while flying."))
    assert again.replaced and again.path == "birds.md"
    assert top_document(engine, "do swifts sleep while flying?") == "birds"
    assert not any("heron" in m.text.lower() for m in engine.ask(QUESTION).passages)
    assert [n for n in folder_names(engine) if n.startswith(".")] == []


def test_a_name_whose_document_id_is_taken_is_refused(engine: Engine) -> None:
    with pytest.raises(EditError, match=r"would share the document id pumps with pumps\.md"):
        add_bytes(engine, "pumps.txt", b"Pumps\n\nAnother pump text entirely.\n")


def test_a_failed_index_update_leaves_the_folder_as_it_was(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = (engine.config.corpus_dir / "pumps.md").read_bytes()
    before = folder_names(engine)

    def failing(changed: list[str], built_by: str = "") -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(engine, "update", failing)
    with pytest.raises(OSError):
        add_bytes(engine, "new.md", markdown("New", HERON))
    with pytest.raises(OSError):
        add_bytes(engine, "pumps.md", markdown("Pumps", "Replaced text."))
    with pytest.raises(OSError):
        remove_document(engine, "bread")
    assert folder_names(engine) == before
    assert (engine.config.corpus_dir / "pumps.md").read_bytes() == original


def test_add_path_copies_a_file_into_the_corpus(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "elsewhere" / "herons.rst"
    source.parent.mkdir()
    source.write_text(f"Herons\n======\n\n{HERON}\n")
    added = add_path(engine, source)
    assert added.path == "herons.rst" and source.exists()
    with pytest.raises(EditError, match="cannot be read"):
        add_path(engine, tmp_path / "missing.md")


def test_the_first_add_to_an_empty_folder_builds_the_index(tmp_path: Path) -> None:
    config = EngineConfig(corpus_dir=tmp_path / "new", index_dir=tmp_path / "index")
    corpus = open_for_adding(config)
    assert isinstance(corpus, NewCorpus)
    added = add_bytes(corpus, "herons.md", markdown("Herons", HERON))
    assert [d.id for d in added.documents] == ["herons"]
    assert corpus.engine is not None and top_document(corpus.engine, QUESTION) == "herons"


# -- removing ---------------------------------------------------------------------------


def test_removing_a_document_deletes_its_file(engine: Engine) -> None:
    removed = remove_document(engine, "bread")
    assert (removed.id, removed.title, removed.path) == ("bread", "Bread", "bread.md")
    assert "bread.md" not in folder_names(engine)
    assert "bread" not in [d.id for d in engine.retriever.documents()]
    assert top_document(engine, "how long does banana bread bake?") != "bread"


def test_removing_a_record_rewrites_its_json_lines_file(engine: Engine) -> None:
    lines = [
        {"id": "owl", "title": "Owls", "text": "Owls hunt mice at night in the barn."},
        {"title": "Herons", "text": HERON},  # no id: its id is feed#2, its line number
        {"id": "crow", "title": "Crows", "text": "Crows remember the faces of people."},
    ]
    data = "\n".join(json.dumps(line) for line in lines) + "\n"
    add_bytes(engine, "feed.jsonl", data.encode())
    assert top_document(engine, QUESTION) == "feed#2"
    removed = remove_document(engine, "owl")
    assert removed.path == "feed.jsonl" and removed.title == "Owls"
    kept = (engine.config.corpus_dir / "feed.jsonl").read_text().split("\n")
    assert kept[0] == "" and json.loads(kept[1]) == lines[1] and json.loads(kept[2]) == lines[2]
    ids = {d.id for d in engine.retriever.documents()}
    assert {"feed#2", "crow"} <= ids and "owl" not in ids
    assert top_document(engine, QUESTION) == "feed#2"  # the same id as before the removal
    remove_document(engine, "feed#2")
    remove_document(engine, "crow")
    assert "feed.jsonl" not in folder_names(engine)  # no record left: the file goes


def test_the_last_document_is_not_removed(engine: Engine) -> None:
    """Removing every document but one works; the last is refused and stays on disk."""
    ids = [d.id for d in engine.retriever.documents()]
    for doc_id in ids[:-1]:
        remove_document(engine, doc_id)
    before = folder_names(engine)
    with pytest.raises(EditError, match="is the only document left"):
        remove_document(engine, ids[-1])
    assert folder_names(engine) == before
    assert [d.id for d in engine.retriever.documents()] == ids[-1:]


def test_removing_an_unknown_id_says_how_to_list_them(engine: Engine) -> None:
    with pytest.raises(EditError, match="`footnote sources` lists the documents"):
        remove_document(engine, "no-such-document")


# -- web pages --------------------------------------------------------------------------


def test_a_page_is_added_with_its_title_date_and_address(
    engine: Engine, server: PageServer, tmp_path: Path
) -> None:
    url = server.page("/2024/03/herons", article("Heron season opens", [
        HERON, "Volunteers counted forty nests this spring, twice as many as last year.",
    ]))  # fmt: skip
    added = add_url(engine, url, LOCAL, built_by="test")
    assert added.path.endswith(".md") and added.path.startswith("127-0-0-1-2024-03-herons-")
    saved = (engine.config.corpus_dir / added.path).read_text()
    assert saved.startswith("---\ntitle: Heron season opens\n") and f"url: {url}\n" in saved
    answer = engine.ask(QUESTION)
    citation = answer.passages[0].citation
    assert (citation.title, citation.url) == ("Heron season opens", url)
    (stored,) = [d for d in engine.retriever.documents() if d.path == added.path]
    assert stored.published == "2024-03-05" and stored.source == "The Daily Pump"
    # The folder is the source of truth: a fresh index of it ranks the same.
    fresh, _ = Engine.open(replace(engine.config, index_dir=tmp_path / "fresh"))
    for question in (QUESTION, "how many nests did volunteers count?", "night train"):
        ours = [(m.citation.doc_id, round(m.score, 6)) for m in engine.ask(question).passages]
        theirs = [(m.citation.doc_id, round(m.score, 6)) for m in fresh.ask(question).passages]
        assert ours == theirs


def test_adding_the_same_address_again_replaces_the_page(
    engine: Engine, server: PageServer
) -> None:
    url = server.page("/herons", article("Herons", [HERON]))
    first = add_url(engine, url, LOCAL)
    server.page("/herons", article("Herons", ["Herons left the lake for the winter."]))
    second = add_url(engine, url + "#comments", LOCAL)  # the same page
    assert second.path == first.path and second.replaced
    assert len([d for d in engine.retriever.documents() if d.url == url]) == 1


def test_page_words_markdown_would_hide_are_kept(engine: Engine, server: PageServer) -> None:
    """Text shaped like a template tag is hidden by the Markdown reader: such a page is kept
    as its HTML, and markup characters are escaped, so every word is indexed."""
    url = server.page("/jinja", article("Templates", [
        "Write {{ name }} in the template to show the user's name.",
        "1. This is not a list, and *these* are not [links](x) or <b>tags</b> &amp; more.",
    ]))  # fmt: skip
    added = add_url(engine, url, LOCAL)
    assert added.path.endswith(".html")
    first = PassageRef(added.documents[0].id, 0)
    passages = engine.retriever.neighbours(first, first, 50)
    assert "Write {{ name }} in the template" in " ".join(p.text for p in passages)
    url = server.page("/marks", article("Marks", [
        "1. This is not a list, and *these* are not [links](x) or tags & more.",
    ]))  # fmt: skip
    added = add_url(engine, url, LOCAL)
    assert added.path.endswith(".md")
    text = engine.ask("these are not links or tags").passages[0].text
    assert "*these* are not [links](x) or tags & more" in text


def test_a_pdf_link_is_saved_as_a_pdf(engine: Engine, server: PageServer) -> None:
    url = server.page("/manual", manual_pdf(), "application/pdf")
    added = add_url(engine, url, LOCAL)
    assert added.path.endswith(".pdf") and added.documents[0].title == "ACME Pump Manual"


def test_a_markdown_file_link_records_its_address(engine: Engine, server: PageServer) -> None:
    url = server.page("/notes/herons.md", markdown("Herons", HERON), "text/plain")
    added = add_url(engine, url, LOCAL)
    assert added.path.endswith(".md")
    assert engine.ask(QUESTION).passages[0].citation.url == url + "#herons"  # its section


def test_a_link_of_a_type_footnote_does_not_read_is_refused(
    engine: Engine, server: PageServer
) -> None:
    before = folder_names(engine)
    url = server.page("/photo", b"\x89PNG\r\n", "image/png")
    with pytest.raises(EditError, match="is image/png, which Footnote does not read"):
        add_url(engine, url, LOCAL)
    assert folder_names(engine) == before


def test_a_page_without_an_article_is_refused(engine: Engine, server: PageServer) -> None:
    url = server.page("/empty", "<html><body><nav><a href='/'>Home</a></nav></body></html>")
    with pytest.raises(EditError, match="No article text was found"):
        add_url(engine, url, LOCAL)


# -- the command line -------------------------------------------------------------------


def options(engine: Engine) -> list[str]:
    return ["--corpus", str(engine.config.corpus_dir), "--index", str(engine.config.index_path)]


def test_footnote_add_and_remove_print_what_they_did(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "herons.md"
    source.write_bytes(markdown("Herons", HERON))
    assert cli.main(["add", str(source), *options(engine)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "added herons.md: 1 document(s)"
    assert out[1].startswith("  herons  Herons  (1 passages, 0 dropped")
    assert cli.main(["add", str(source), *options(engine)]) == 0
    assert capsys.readouterr().out.startswith("replaced herons.md")
    assert cli.main(["remove", "herons", *options(engine)]) == 0
    assert capsys.readouterr().out == "removed herons  Herons  (from herons.md)\n"


def test_footnote_add_says_it_waits_for_a_merge_it_started(
    engine: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An add that takes the updates past the merge threshold serves the new document, says
    on stderr that it merges, and returns once the merged index is live."""
    monkeypatch.setattr(updates, "MERGE_MIN_PASSAGES", 0)
    monkeypatch.setattr(updates, "MERGE_FRACTION", 0.0)
    source = tmp_path / "herons.md"
    source.write_bytes(markdown("Herons", HERON))
    assert cli.main(["add", str(source), *options(engine)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("added herons.md")
    assert "footnote: merging the updates since the last full build" in captured.err
    live = (engine.config.index_path / "CURRENT").read_text(encoding="utf-8").split()
    assert len(live) == 1  # a base alone: the delta was merged before the command returned


def test_footnote_add_fetches_a_page_only_when_private_addresses_are_allowed(
    engine: Engine,
    server: PageServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = server.page("/herons", article("Heron season opens", [HERON]))
    monkeypatch.delenv("FOOTNOTE_ALLOW_PRIVATE_URLS", raising=False)
    assert cli.main(["add", url, *options(engine)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a private, local or reserved address" in err
    assert cli.main(["add", url, "--allow-private-urls", *options(engine)]) == 0
    assert "Heron season opens" in capsys.readouterr().out
    monkeypatch.setenv("FOOTNOTE_ALLOW_PRIVATE_URLS", "1")
    assert cli.main(["add", url, *options(engine)]) == 0
    assert capsys.readouterr().out.startswith("replaced 127-0-0-1-herons-")
    monkeypatch.setenv("FOOTNOTE_ALLOW_PRIVATE_URLS", "maybe")
    assert cli.main(["add", url, *options(engine)]) == 2
    assert "FOOTNOTE_ALLOW_PRIVATE_URLS must be on or off" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["add", "photo.png"], "Footnote does not read .png files"),
        (["add", "missing.md"], "missing.md cannot be read"),
        (["add", "ftp://example.org/a.md"], "Only http:// and https:// links"),
        (["remove", "nothing-here"], "No document has the id 'nothing-here'"),
    ],
)
def test_footnote_add_and_remove_errors_are_one_line_exit_2(
    engine: Engine, args: list[str], message: str
) -> None:
    result = run_footnote(*args, *options(engine))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_footnote_add_then_ask_cites_the_new_document(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "herons.txt"
    source.write_text(f"---\ntitle: All about herons\nurl: https://birds.example/herons\n---\n"
                      f"{HERON}\n")  # fmt: skip
    assert run_footnote("add", str(source), *options(engine)).returncode == 0
    result = run_footnote("ask", "--json", QUESTION, *options(engine))
    document = json.loads(result.stdout)["passages"][0]["document"]
    assert document["title"] == "All about herons"
    assert document["url"] == "https://birds.example/herons"
