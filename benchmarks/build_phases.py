"""Where a build's time goes: reading and analysing, merging, writing, syncing.

Runs footnote's build (what `footnote index` runs) on a corpus folder into a scratch index
and prints each phase's wall time with the CPU time of the main process and of its worker
processes. Used to compare two versions of the build back to back on the same machine:

    python benchmarks/build_phases.py benchmarks/.data/v1-seed20240611/text-1000000

(the folder `python benchmarks/speed.py` writes its JSON Lines corpora to).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import footnote.retrieval.embedded.build as build_module
from footnote.config import EngineConfig


def main() -> None:
    """Build the corpus once, timing its phases."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a corpus folder")
    args = parser.parse_args()
    marks: list[tuple[str, float, os.times_result]] = []

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter(), os.times()))

    write, add = build_module._write_generation, build_module._Assembler.add

    def timed_write(*args: object, **kwargs: object) -> None:
        mark("read, analysed and merged")
        write(*args, **kwargs)  # type: ignore[arg-type]
        mark("written")

    def first_add(self: build_module._Assembler, analysis: build_module.FileAnalysis) -> None:
        if not self.analyses:
            mark("first file analysed")
        add(self, analysis)

    build_module._write_generation = timed_write  # type: ignore[assignment]
    build_module._Assembler.add = first_add  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(dir=args.corpus.parent) as scratch:
        config = EngineConfig(
            corpus_dir=args.corpus, index_dir=Path(scratch) / "index", max_file_bytes=1 << 30
        )
        mark("start")
        report = build_module.build(config)
        mark("synced and published")
        shutil.rmtree(config.index_path, ignore_errors=True)
    print(f"{report.passages:,} passages from {report.documents:,} documents")
    print("| phase | wall s | main CPU s | workers' CPU s |\n|---|---:|---:|---:|")
    for (name, wall, cpu), (_, wall0, cpu0) in zip(marks[1:], marks, strict=False):
        main_cpu = cpu.user + cpu.system - cpu0.user - cpu0.system
        workers = cpu.children_user + cpu.children_system - cpu0.children_user
        workers -= cpu0.children_system
        print(f"| {name} | {wall - wall0:.1f} | {main_cpu:.1f} | {workers:.1f} |")
    print(f"| total | {marks[-1][1] - marks[0][1]:.1f} | | |")


if __name__ == "__main__":
    main()
