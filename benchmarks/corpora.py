"""Fill the cache of public corpora the reader is measured on, from local git clones.

Each corpus is pinned to a repository, a commit and a folder; this step copies that folder
at that commit out of a clone already on this machine into `benchmarks/.corpora/NAME/`
(git-ignored: the corpora are other people's writing and never committed here). It never
downloads. A clone is any git clone of the repository that holds the pinned commit: one
made with `git clone`, or the mirror the search tool's fetch makes
(`.mirror/OWNER+NAME/repo`, looked for under `--mirrors`).

    python benchmarks/corpora.py                     # every corpus, from the mirrors
    python benchmarks/corpora.py --from-clone flask-docs=~/src/flask
    python benchmarks/corpora.py --list
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".corpora"
DEFAULT_MIRRORS = ROOT.parent / ".mirror"


@dataclass(frozen=True)
class Corpus:
    """A folder of one public repository at one commit."""

    name: str
    repo: str
    commit: str
    folder: str
    kind: str


CORPORA = {
    c.name: c
    for c in (
        Corpus(
            "pydis-guides",
            "python-discord/site",
            "d513a424afe47a30be0828ee9d3e865e4d88ebc5",
            "pydis_site/apps/content/resources",
            "a community's Markdown guides with YAML front matter",
        ),
        Corpus(
            "flask-docs",
            "pallets/flask",
            "2ac89889f4cc330eabd50f295dcef02828522c69",
            "docs",
            "a library's Sphinx docs in reStructuredText",
        ),
        Corpus(
            "nodejs-announcements",
            "nodejs/nodejs.org",
            "6f94c8a6ab643beeee7038eba3fb521207d4b345",
            "apps/site/pages/en/blog/announcements",
            "a project blog's posts in Markdown with YAML front matter",
        ),
    )
}


class CorpusSourceError(Exception):
    """A clone is missing or does not hold the pinned commit and folder."""


def stamp_path(cache: Path, corpus: Corpus) -> Path:
    """The file recording which repository, commit and folder a cached corpus came from."""
    return cache / f"{corpus.name}.source.json"


def is_cached(cache: Path, corpus: Corpus) -> bool:
    """Whether the cache holds this corpus at its pinned commit."""
    try:
        stamp = json.loads(stamp_path(cache, corpus).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("commit") == corpus.commit and (cache / corpus.name).is_dir()


def _git(clone: Path, *args: str) -> bytes:
    """The output of one git command in `clone`; CorpusSourceError when it fails."""
    done = subprocess.run(["git", "-C", str(clone), *args], capture_output=True)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise CorpusSourceError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def check_clone(clone: Path, entry: Pinned) -> None:
    """CorpusSourceError, in one sentence saying what to do, unless `clone` holds the
    pinned commit."""
    if not clone.exists():
        raise CorpusSourceError(
            f"{clone} does not exist; fetch {entry.repo} or pass "
            f"--from-clone {entry.name}=DIR with a clone of it."
        )
    try:
        _git(clone, "cat-file", "-e", f"{entry.commit}^{{commit}}")
    except CorpusSourceError:
        raise CorpusSourceError(
            f"{clone} does not hold commit {entry.commit} of {entry.repo}; "
            f"run `git -C {clone} fetch origin {entry.commit}` or use another clone."
        ) from None


def extract(
    clone: Path,
    commit: str,
    folder: str,
    destination: Path,
    keep: Callable[[Path], bool] = lambda _: True,
    within: Sequence[str] = (),
) -> int:
    """Write the files of `folder` at `commit` that `keep` accepts (by their path inside
    the folder) under `destination`, from one `git archive`; the files written. `within`
    narrows the archive to these subfolders of `folder` (a mirror lacks its largest files,
    and an archive that meets one fails)."""
    paths = [f"{folder.rstrip('/')}/{sub}" for sub in within] or [folder]
    archive = _git(clone, "archive", "--format=tar", commit, "--", *paths)
    prefix = folder.rstrip("/") + "/"
    copied = 0
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith(prefix):
                continue
            relative = Path(member.name[len(prefix) :])
            if relative.is_absolute() or ".." in relative.parts:
                continue  # git never archives such a name; skip rather than write outside
            source = tar.extractfile(member)
            if source is None or not keep(relative):
                continue
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
            copied += 1
    return copied


def fill(corpus: Corpus, clone: Path, cache: Path) -> int:
    """Copy the corpus folder at its commit from `clone` into the cache; the files copied."""
    check_clone(clone, corpus)
    target = cache / corpus.name
    staging = cache / f".{corpus.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    copied = extract(clone, corpus.commit, corpus.folder, staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    stamp = {"repo": corpus.repo, "commit": corpus.commit, "folder": corpus.folder}
    stamp_path(cache, corpus).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return copied


class Pinned(Protocol):
    """Something pinned to a repository and commit that a local clone provides."""

    @property
    def name(self) -> str: ...

    @property
    def repo(self) -> str: ...

    @property
    def commit(self) -> str: ...


P = TypeVar("P", bound=Pinned)


def mirror_of(repo: str, mirrors: Path) -> Path:
    """Where the search tool's fetch puts a repository (OWNER/NAME) under `mirrors`."""
    return mirrors / repo.replace("/", "+") / "repo"


def fill_from_clones(
    argv: list[str] | None,
    description: str,
    pinned: Mapping[str, P],
    default_cache: Path,
    listing: Callable[[P], str],
    cached: Callable[[Path, P], bool],
    fill_one: Callable[[P, Path, Path], str],
) -> int:
    """The command line of a cache filled from local clones (corpora.py, qa_sets.py): fill
    every pinned entry not cached yet, each from its mirror or a `--from-clone` clone, and
    print what `fill_one` says it did; exit 2 when one could not be filled."""

    def clone_option(value: str) -> tuple[str, Path]:
        name, sep, folder = value.partition("=")
        if not sep or name not in pinned or not folder:
            raise argparse.ArgumentTypeError(
                f"{value!r} is not NAME=DIR with NAME one of {', '.join(pinned)}"
            )
        return name, Path(folder).expanduser()

    parser = argparse.ArgumentParser(
        description=description,
        epilog="Nothing is downloaded: the mirrors come from the search tool's fetch "
        "(github:OWNER/NAME) or any git clone of that repository holding the pinned commit.",
    )
    parser.add_argument(
        "--from-clone",
        type=clone_option,
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="read NAME from this git clone (bare or not) instead of the mirror",
    )
    parser.add_argument(
        "--mirrors",
        type=Path,
        default=DEFAULT_MIRRORS,
        help="folder of fetched mirrors, OWNER+NAME/repo each (default: %(default)s)",
    )
    parser.add_argument("--cache", type=Path, default=default_cache, help="default: %(default)s")
    parser.add_argument("--only", nargs="+", choices=list(pinned), help="only these")
    parser.add_argument("--force", action="store_true", help="fill again even when cached")
    parser.add_argument("--list", action="store_true", help="list what is pinned and stop")
    args = parser.parse_args(argv)
    if args.list:
        for entry in pinned.values():
            print(listing(entry))
        return 0
    clones = dict(args.from_clone)
    failed = 0
    for name in args.only or list(pinned):
        entry = pinned[name]
        if not args.force and name not in clones and cached(args.cache, entry):
            print(f"{name}: cached at {entry.commit[:12]}")
            continue
        clone = clones.get(name) or mirror_of(entry.repo, args.mirrors)
        try:
            done = fill_one(entry, clone, args.cache)
        except CorpusSourceError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{name}: {done} from {entry.repo}@{entry.commit[:12]}")
    return 2 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Fill the cache with every pinned corpus not already there."""
    return fill_from_clones(
        argv,
        __doc__.split("\n\n")[0],
        CORPORA,
        CACHE,
        lambda c: f"{c.name:<22} {c.repo}@{c.commit[:12]} {c.folder}  ({c.kind})",
        is_cached,
        lambda c, clone, cache: f"{fill(c, clone, cache)} files of {c.folder}",
    )


if __name__ == "__main__":
    sys.exit(main())
