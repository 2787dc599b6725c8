"""The command line as a user meets it: output, the --json contract, errors as one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import run_footnote as run

from footnote import cli

ROOT = Path(__file__).resolve().parent.parent


def test_ask_prints_passages_with_citations(seed_corpus: Path, tmp_path: Path) -> None:
    """`footnote ask` shows the passage with matches emphasised and its citation under it."""
    result = run(
        "ask",
        "--corpus",
        str(seed_corpus),
        "--index",
        str(tmp_path / "ix"),
        "--color",
        "never",
        "since when is Kataib Hezbollah a terrorist organisation?",
    )
    assert result.returncode == 0, result.stderr
    assert "*Since* 2009" in result.stdout and "*Kataib Hezbollah*" in result.stdout
    assert "US embassy in Baghdad" in result.stdout and "¶" in result.stdout


def test_ask_json_follows_the_contract(seed_corpus: Path, tmp_path: Path) -> None:
    """--json prints one object per question, in order, with exactly the documented keys."""
    result = run(
        "ask",
        "--json",
        "--k",
        "2",
        "--corpus",
        str(seed_corpus),
        "--index",
        str(tmp_path / "ix"),
        "why was the embassy attacked?",
        "what is a good recipe for banana bread?",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == [
        "why was the embassy attacked?",
        "what is a good recipe for banana bread?",
    ]
    first = lines[0]
    assert set(first) == {"question", "answered", "confidence", "took_ms", "passages"}
    assert first["answered"] is True and len(first["passages"]) == 2
    passage = first["passages"][0]
    assert set(passage) == {
        "rank",
        "score",
        "confidence",
        "text",
        "highlights",
        "section",
        "paragraph",
        "also_in",
        "code",
        "links",
        "document",
    }
    assert set(passage["document"]) == {"id", "title", "url", "path"}
    assert passage["document"]["id"] == "us-embassy-baghdad"
    assert passage["document"]["url"] is None
    assert passage["document"]["path"].endswith("corpus/us-embassy-baghdad.txt")
    assert [p["rank"] for p in first["passages"]] == [1, 2]
    for start, end in passage["highlights"]:
        assert passage["text"][start:end].strip()
    assert lines[1]["answered"] is False


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["ask", ""], "question is empty"),
        (["ask", "   "], "question is empty"),
        (["ask", "--corpus", "/definitely/not/here", "why?"], "does not exist"),
        (["ask", "--bogus", "why?"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
        (["ask", "--k", "0", "why?"], "at least 1"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    args: list[str], says: str, tmp_path: Path
) -> None:
    """Bad input gets one clear line on stderr, exit status 2, and no traceback."""
    result = run(*args, "--index", str(tmp_path / "ix")) if args[0] == "ask" else run(*args)
    assert result.returncode == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_folders_come_from_the_environment(seed_corpus: Path, tmp_path: Path) -> None:
    """FOOTNOTE_CORPUS_DIR and FOOTNOTE_INDEX_DIR are honoured when no option is given."""
    env = {
        "FOOTNOTE_CORPUS_DIR": str(seed_corpus),
        "FOOTNOTE_INDEX_DIR": str(tmp_path / "envix"),
        "PATH": "/usr/bin:/bin",
    }
    result = run("ask", "--json", "who is Iraq's prime minister?", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "envix" / "CURRENT").exists()


def test_index_reports_boilerplate_dropped(seed_corpus: Path, tmp_path: Path) -> None:
    """`footnote index` says how many boilerplate paragraphs it dropped."""
    result = run("index", "--corpus", str(seed_corpus), "--index", str(tmp_path / "ix"))
    assert result.returncode == 0, result.stderr
    assert "dropped 6 boilerplate paragraph(s)" in result.stdout


def test_sources_lists_documents_and_skipped_files(seed_corpus: Path, tmp_path: Path) -> None:
    """`footnote sources` lists each document with its passages and each skipped file."""
    (seed_corpus / "broken.txt").write_bytes(b"\xff\xfe not utf-8 \xc3\x28")
    result = run("sources", "--corpus", str(seed_corpus), "--index", str(tmp_path / "ix"))
    assert result.returncode == 0, result.stderr
    assert "us-embassy-baghdad" in result.stdout and "22 passages" in result.stdout
    assert "broken.txt: it is not valid UTF-8" in result.stdout


def test_ask_answers_without_loading_the_compiled_kernels(
    seed_corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`footnote ask` answers through numpy, which is quicker than loading the compiled
    kernels for a few questions; `footnote chat`, asked question after question, loads them."""
    from footnote.retrieval.embedded import bm25, kernel

    loads: list[str] = []
    load = kernel.load

    def recorded() -> kernel.Kernels | None:
        loads.append("load")
        return load()

    monkeypatch.setattr(bm25, "KERNEL_MIN_DOCUMENTS", 0)  # the seed corpus counts as large
    monkeypatch.setattr(kernel, "load", recorded)
    folders = ["--corpus", str(seed_corpus), "--index", str(tmp_path / "ix"), "--color", "never"]
    assert cli.main(["ask", *folders, "who is Iraq's prime minister?"]) == 0
    assert "Adel Abdul Mahdi" in capsys.readouterr().out
    assert loads == []
    assert "Adel Abdul Mahdi" in chat(
        "who is Iraq's prime minister?\n", seed_corpus, tmp_path, capsys
    )
    assert loads


def chat(lines: str, seed_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What `footnote chat` prints for these typed lines (its exit status checked)."""
    args = cli.build_parser().parse_args(
        ["chat", "--corpus", str(seed_corpus), "--index", str(tmp_path / "ix"), "--color", "never"]
    )
    config = cli.settings_from(args, {})
    assert cli.cmd_chat(args, config, stdin=io.StringIO(lines)) == 0
    return capsys.readouterr().out


def test_chat_answers_each_line_until_an_empty_one(
    seed_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`footnote chat` answers every line it reads and stops at an empty line."""
    typed = "who is Iraq's prime minister?\nwhere was the ambassador?\n\nnever read\n"
    out = chat(typed, seed_corpus, tmp_path, capsys)
    assert out.count("Q: ") == 2
    assert "Adel Abdul Mahdi" in out and "never read" not in out


def test_chat_follow_ups_lean_on_the_question_before(
    seed_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A short follow-up in `footnote chat` says which question it took context from."""
    out = chat("who attacked the embassy?\nwho leads them?\n", seed_corpus, tmp_path, capsys)
    assert out.count("(following up on: who attacked the embassy?)") == 1


@pytest.mark.parametrize(
    ("options", "environ", "feedback"),
    [
        ([], {}, False),
        (["--feedback"], {}, True),
        ([], {"FOOTNOTE_FEEDBACK": "on"}, True),
        (["--no-feedback"], {"FOOTNOTE_FEEDBACK": "on"}, False),
    ],
)
def test_feedback_is_off_unless_turned_on(
    options: list[str], environ: dict[str, str], feedback: bool
) -> None:
    """Pseudo-relevance feedback is off for ask, chat and eval unless --feedback or
    FOOTNOTE_FEEDBACK turns it on; the option wins over the variable."""
    for command in (["ask", *options, "a question"], ["chat", *options], ["eval", *options]):
        args = cli.build_parser().parse_args(command)
        assert cli.settings_from(args, environ).feedback is feedback, command
