"""--index never overwrites what it should not: another corpus's index, a file, other files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import write_articles

from footnote import cli
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import ForeignIndex


@pytest.fixture
def two_corpora(tmp_path: Path) -> tuple[Path, Path]:
    """Two corpora whose answers cannot be confused."""
    cats = write_articles(tmp_path / "cats", {"cats": "Cats sleep sixteen hours a day."})
    ships = write_articles(
        tmp_path / "ships", {"ships": "Container ships carry twenty thousand boxes."}
    )
    return cats, ships


def ask(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `footnote ask` and return its exit status, stdout and stderr."""
    status = cli.main(["ask", "--color", "never", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_an_index_of_another_corpus_is_refused_and_keeps_serving_its_own(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asking corpus B with corpus A's --index exits 2 naming A and --rebuild; A still answers."""
    cats, ships = two_corpora
    index = tmp_path / "index"
    assert ask(capsys, "--corpus", str(cats), "--index", str(index), "cats sleep")[0] == 0
    status, out, err = ask(capsys, "--corpus", str(ships), "--index", str(index), "ships carry")
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert str(cats) in err and "--rebuild" in err
    status, out, err = ask(capsys, "--corpus", str(cats), "--index", str(index), "cats sleep")
    assert status == 0 and "sixteen hours" in out
    assert "indexed" not in err  # served as it was, not rebuilt


def test_rebuild_replaces_an_index_of_another_corpus(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--rebuild builds the named corpus into the folder and answers from it."""
    cats, ships = two_corpora
    index = tmp_path / "index"
    ask(capsys, "--corpus", str(cats), "--index", str(index), "cats sleep")
    args = ("--corpus", str(ships), "--index", str(index))
    status, out, _ = ask(capsys, *args, "--rebuild", "ships carry")
    assert status == 0 and "twenty thousand boxes" in out and "sixteen" not in out
    assert ask(capsys, *args, "ships carry")[0] == 0  # now it is the ships' index


def test_footnote_index_refuses_another_corpus_too(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An explicit `footnote index` over another corpus's index also needs --rebuild."""
    cats, ships = two_corpora
    index = tmp_path / "index"
    assert cli.main(["index", "--corpus", str(cats), "--index", str(index)]) == 0
    capsys.readouterr()
    assert cli.main(["index", "--corpus", str(ships), "--index", str(index)]) == 2
    assert "--rebuild" in capsys.readouterr().err
    assert cli.main(["index", "--corpus", str(ships), "--index", str(index), "--rebuild"]) == 0


def test_the_same_corpus_named_another_way_is_the_same_corpus(
    two_corpora: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A relative path and an absolute one to the same folder share the index."""
    cats, _ = two_corpora
    index = tmp_path / "index"
    ask(capsys, "--corpus", str(cats), "--index", str(index), "cats sleep")
    monkeypatch.chdir(tmp_path)
    status, out, _ = ask(capsys, "--corpus", "cats", "--index", "index", "cats sleep")
    assert status == 0 and "sixteen hours" in out


@pytest.mark.parametrize(
    ("below", "says"),
    [
        ("", "is a file, not a folder"),
        ("index", "is inside {notes}, which is a file, not a folder"),
    ],
)
def test_an_index_path_that_is_or_lies_in_a_file_is_one_line_and_the_file_is_untouched(
    two_corpora: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    below: str,
    says: str,
) -> None:
    """--index notes.txt or notes.txt/index: ask and index say so in one line, claim no
    previous index kept, and leave the file alone."""
    cats, _ = two_corpora
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    index = notes / below if below else notes
    for command in (["ask", "cats sleep"], ["index"]):
        assert cli.main([*command, "--corpus", str(cats), "--index", str(index)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "kept" not in err
        assert says.format(notes=notes) in err
    assert notes.read_text(encoding="utf-8") == "my notes\n"


def test_a_folder_of_other_files_is_never_written_into(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--index naming a folder of the user's own files is refused, even with --rebuild."""
    cats, _ = two_corpora
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("Dear Sam,\n", encoding="utf-8")
    for extra in ((), ("--rebuild",)):
        status, _, err = ask(capsys, "--corpus", str(cats), "--index", str(folder), *extra, "x")
        assert status == 2 and "letter.txt" in err
    assert [p.name for p in folder.iterdir()] == ["letter.txt"]


def test_an_index_that_does_not_name_its_corpus_is_taken_as_its_own(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index from before corpora were recorded is used, and records its corpus when rebuilt."""
    cats, _ = two_corpora
    index = tmp_path / "index"
    ask(capsys, "--corpus", str(cats), "--index", str(index), "cats sleep")
    manifest_path = next(index.glob("gen-*")) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["corpus_dir"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert ask(capsys, "--corpus", str(cats), "--index", str(index), "cats sleep")[0] == 0
    (cats / "more.md").write_text("# More\n\nKittens purr.\n", encoding="utf-8")
    assert ask(capsys, "--corpus", str(cats), "--index", str(index), "kittens purr")[0] == 0
    live = index / (index / "CURRENT").read_text(encoding="utf-8").strip()
    rebuilt = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    assert Path(rebuilt["corpus_dir"]).resolve() == cats.resolve()


def test_the_default_index_follows_its_corpus_when_both_move(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A project folder moved whole (corpus and its default index) is not a foreign index."""
    cats, _ = two_corpora
    assert ask(capsys, "--corpus", str(cats), "cats sleep")[0] == 0
    moved = tmp_path / "moved"
    moved.mkdir()
    cats.rename(moved / "cats")
    (tmp_path / ".footnote-index").rename(moved / ".footnote-index")
    status, out, _ = ask(capsys, "--corpus", str(moved / "cats"), "cats sleep")
    assert status == 0 and "sixteen hours" in out


@pytest.mark.parametrize("command", ["ask", "chat", "sources", "index"])
def test_every_command_refuses_an_index_of_another_corpus(
    two_corpora: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """ask, chat, sources and index all exit 2 with the one sentence, and build nothing."""
    cats, ships = two_corpora
    index = tmp_path / "index"
    assert cli.main(["index", "--corpus", str(cats), "--index", str(index)]) == 0
    live = (index / "CURRENT").read_text(encoding="utf-8")
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("ships carry\n"))
    extra = ["ships carry"] if command == "ask" else []
    assert cli.main([command, "--corpus", str(ships), "--index", str(index), *extra]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert f"was built from the corpus {cats}, not {ships}; pass --rebuild" in err
    assert (index / "CURRENT").read_text(encoding="utf-8") == live


def test_a_folder_that_only_looks_like_an_index_is_never_written_into(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A user's gen-* folder, another program's CURRENT and .lock: refused, all untouched."""
    cats, _ = two_corpora
    folder = tmp_path / "store"
    photos = folder / "gen-2019 photos"
    photos.mkdir(parents=True)
    (photos / "beach.jpg").write_bytes(b"\xff\xd8 a photo")
    (folder / "CURRENT").write_text("MANIFEST-000004\n", encoding="utf-8")
    (folder / ".lock").write_text("held by the sync client\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    for extra in ((), ("--rebuild",)):
        status, _, err = ask(capsys, "--corpus", str(cats), "--index", str(folder), *extra, "x")
        assert status == 2 and "holds other files" in err and "no Footnote index" in err
    assert cli.main(["index", "--corpus", str(cats), "--index", str(folder), "--rebuild"]) == 2
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_files_kept_inside_an_index_folder_outlive_its_rebuilds(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rebuilds remove old generations only, not a gen-* folder or file the user put there."""
    cats, _ = two_corpora
    index = tmp_path / "index"
    assert cli.main(["index", "--corpus", str(cats), "--index", str(index)]) == 0
    (index / "gen-notes").mkdir()
    (index / "gen-notes" / "todo.txt").write_text("buy milk\n", encoding="utf-8")
    (index / "README.txt").write_text("the cats index\n", encoding="utf-8")
    for _ in range(3):
        assert cli.main(["index", "--corpus", str(cats), "--index", str(index), "--rebuild"]) == 0
    assert (index / "gen-notes" / "todo.txt").read_text(encoding="utf-8") == "buy milk\n"
    assert (index / "README.txt").read_text(encoding="utf-8") == "the cats index\n"
    assert len(list(index.glob("gen-2*"))) == 2  # the live generation and the one before
    status, out, _ = ask(capsys, "--corpus", str(cats), "--index", str(index), "cats sleep")
    assert status == 0 and "sixteen hours" in out


def test_a_folder_left_by_a_failed_first_build_is_still_footnotes(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first build of an empty corpus leaves only its lock; the next build there goes ahead."""
    cats, _ = two_corpora
    empty = tmp_path / "empty"
    empty.mkdir()
    index = tmp_path / "index"
    assert cli.main(["index", "--corpus", str(empty), "--index", str(index)]) == 2
    assert "holds no readable article" in capsys.readouterr().err
    assert [p.name for p in index.iterdir()] == [".lock"]
    status, out, _ = ask(capsys, "--corpus", str(cats), "--index", str(index), "cats sleep")
    assert status == 0 and "sixteen hours" in out


def test_rebuild_reads_every_file_again(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`footnote index` reuses unchanged files; with --rebuild it reads each one anew."""
    cats, _ = two_corpora
    args = ["index", "--corpus", str(cats), "--index", str(tmp_path / "index")]
    assert cli.main(args) == 0
    capsys.readouterr()
    assert cli.main(args) == 0
    assert "0 file(s) read, 1 reused" in capsys.readouterr().out
    assert cli.main([*args, "--rebuild"]) == 0
    assert "1 file(s) read, 0 reused" in capsys.readouterr().out


def test_a_serving_engine_refuses_another_corpus_published_in_its_folder(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bot's watcher does not switch to an index of another corpus; it keeps answering."""
    cats, ships = two_corpora
    index = tmp_path / "index"
    engine, _ = Engine.open(EngineConfig(corpus_dir=cats, index_dir=index, in_memory=True))
    assert cli.main(["index", "--corpus", str(ships), "--index", str(index), "--rebuild"]) == 0
    with pytest.raises(ForeignIndex, match=f"built from the corpus {ships}, not {cats}"):
        engine.refresh()
    assert "sixteen hours" in engine.ask("cats sleep").passages[0].text


def test_a_corpus_link_moved_to_a_new_release_keeps_its_index_folder(
    two_corpora: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--corpus current, a link switched from one release to the next, is one corpus: rebuilt."""
    cats, ships = two_corpora
    current = tmp_path / "current"
    current.symlink_to(cats)
    args = ("--corpus", str(current), "--index", str(tmp_path / "index"))
    assert ask(capsys, *args, "cats sleep")[0] == 0
    current.unlink()
    current.symlink_to(ships)
    status, out, err = ask(capsys, *args, "ships carry")
    assert status == 0 and "twenty thousand boxes" in out and "indexed" in err
