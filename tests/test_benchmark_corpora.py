"""The public-corpora kit: the cache filled from a git clone, and the markup-leak scanner."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str) -> ModuleType:
    """Import a benchmark script as a module (the benchmarks folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpora = load("corpora")
markup_leaks = load("markup_leaks")


def git(repo: Path, *args: str) -> str:
    """Run git in repo and return its output."""
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def clone(tmp_path: Path) -> tuple[Path, str]:
    """A git repository whose docs folder changes after the commit a corpus pins."""
    repo = tmp_path / "repo"
    (repo / "docs" / "guides").mkdir(parents=True)
    (repo / "docs" / "guides" / "a.md").write_text("# A\n\nPinned text.\n", encoding="utf-8")
    (repo / "README.md").write_text("not part of the corpus\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    pinned = git(repo, "rev-parse", "HEAD")
    (repo / "docs" / "guides" / "a.md").write_text("# A\n\nLater text.\n", encoding="utf-8")
    git(repo, "commit", "-qam", "second")
    return repo, pinned


def test_fill_copies_the_folder_as_it_was_at_the_pinned_commit(
    clone: tuple[Path, str], tmp_path: Path
) -> None:
    """The cache holds the folder's files at the pinned commit, without the folder prefix."""
    repo, pinned = clone
    corpus = corpora.Corpus("demo", "owner/demo", pinned, "docs", "test")
    cache = tmp_path / "cache"
    assert corpora.fill(corpus, repo, cache) == 1
    assert (
        (cache / "demo" / "guides" / "a.md").read_text(encoding="utf-8").endswith("Pinned text.\n")
    )
    assert not (cache / "demo" / "README.md").exists()
    assert corpora.is_cached(cache, corpus)


def test_fill_refuses_a_clone_without_the_commit_in_one_sentence(
    clone: tuple[Path, str], tmp_path: Path
) -> None:
    """A clone that lacks the pinned commit is named with the git command that fetches it."""
    repo, _ = clone
    corpus = corpora.Corpus("demo", "owner/demo", "0" * 40, "docs", "test")
    with pytest.raises(corpora.CorpusSourceError, match="does not hold commit 0000") as caught:
        corpora.fill(corpus, repo, tmp_path / "cache")
    assert "git -C" in str(caught.value) and not (tmp_path / "cache" / "demo").exists()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Send a message to <code>@ModMail</code>!", "HTML tag"),
        ("Before <!-- hidden --> after", "HTML comment"),
        ("Use {% autoescape false %} here", "Liquid/Jinja"),
        ("A note. {: .notification }", "Kramdown IAL"),
        ('{{< youtube id="x" >}}', "Hugo shortcode"),
        ("import Chart from '../components/Chart'\n\nText", "MDX import/export/JSX"),
        ('See <Callout type="info">this</Callout>', "MDX import/export/JSX"),
        (".. note::\n\n   Careful.", "reST directive"),
        ("Call :func:`flask.url_for` to build it.", "reST role"),
        ("Run `!close` when done.", "Markdown code span"),
        ("| Phase | Duration |\n| --- | --- |", "Markdown table"),
        ("Read [the guide](https://example.org).", "Markdown link/image"),
    ],
)
def test_leak_kinds_finds_each_kind_of_markup(text: str, kind: str) -> None:
    """Each kind of source syntax left in a passage is reported under its name."""
    assert kind in markup_leaks.leak_kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Replace <variable_name> with your value, then run node --run <script-in-package-json>.",
        "The token goes in ${{ secrets.TOKEN }} in the workflow.",
        "Prices rose 3 < 5 and fell 7 > 2; the ratio is a:b.",
        "```js\nimport fs from 'node:fs'\n```",
    ],
)
def test_leak_kinds_leaves_placeholders_and_prose_alone(text: str) -> None:
    """Placeholders, comparisons, Actions expressions and fenced imports are not HTML or MDX."""
    found = markup_leaks.leak_kinds(text)
    assert not {"HTML tag", "MDX import/export/JSX", "Liquid/Jinja"} & set(found)
