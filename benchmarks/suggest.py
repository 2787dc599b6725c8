"""How quickly /ask's autocomplete answers a keystroke, on the load benchmark's corpus.

    python benchmarks/suggest.py            # writes benchmarks/results/suggest.md

Discord drops an autocomplete answer that takes over 3 s; each keystroke is one request.
Typed texts are prefixes of two words drawn from the suggestions themselves, plus text that
matches nothing and the empty box.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]

from load import DEFAULT_WORK, generate  # noqa: E402

from footnote.config import EngineConfig  # noqa: E402
from footnote.engine import Engine  # noqa: E402

KEYSTROKES = 2000


def typed_texts(words: list[str], rng: random.Random) -> list[str]:
    """What people have typed so far: prefixes of two suggestion words, and odd cases."""
    texts = []
    for _ in range(KEYSTROKES):
        full = " ".join(rng.sample(words, 2))
        texts.append(full[: rng.randrange(1, len(full) + 1)])
    return [*texts, "", "zzqx", "why", "how did the"]


def main(argv: list[str]) -> int:
    """Time every keystroke; print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="the load corpus cache")
    args = parser.parse_args(argv)
    generate(args.work / "corpus")
    config = EngineConfig(corpus_dir=args.work / "corpus", index_dir=args.work / "index")
    engine, _ = Engine.open(config)
    started = time.perf_counter()
    suggestions = engine.suggestions()
    prepared = time.perf_counter() - started
    rng = random.Random(20261125)
    words = [w for entry in suggestions.entries for w in entry.text.split()]
    times = []
    counts = []
    for text in typed_texts(words, rng):
        started = time.perf_counter()
        found = engine.suggest(text, 25)
        times.append((time.perf_counter() - started) * 1000)
        counts.append(len(found))
    times.sort()
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    lines = [
        "# Autocomplete: time per keystroke",
        "",
        "Made by `python benchmarks/suggest.py` on the corpus of `benchmarks/load.py` "
        f"({len(engine.retriever):,} passages, {len(suggestions):,} suggestions: question-shaped "
        "headings, section titles, article titles).",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}.",
        "",
        "| keystrokes | prepared once (s) | p50 ms | p99 ms | max ms | mean choices |",
        "|---|---|---|---|---|---|",
        f"| {len(times):,} | {prepared:.2f} | {statistics.median(times):.2f} | {p99:.2f} | "
        f"{times[-1]:.2f} | {statistics.mean(counts):.1f} |",
        "",
        "Discord's limit is 3 s per answer; the bot also runs the lookup off the event loop.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results" / "suggest.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
