"""The analyzer: the one text-to-terms function shared by the index and the questions."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from footnote.analysis.analyzer import Analyzer, AnalyzerSettings
from footnote.errors import ConfigError, FootnoteError

ANALYZER = Analyzer()  # shared by the property tests, which cannot take fixtures


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    """The default English analyzer (stemming and stop words on)."""
    return ANALYZER


# -- normalisation ------------------------------------------------------------------------


def test_case_is_folded(analyzer: Analyzer) -> None:
    """Upper, lower and mixed case give the same term."""
    assert analyzer.terms("EMBASSY") == analyzer.terms("embassy") == analyzer.terms("Embassy")


def test_accents_are_stripped(analyzer: Analyzer) -> None:
    """An accented word matches the same word typed without accents."""
    assert analyzer.terms("Café résumé") == analyzer.terms("cafe resume")
    assert analyzer.terms("Café") == ["cafe"]


def test_nfkc_compatibility_forms_fold(analyzer: Analyzer) -> None:
    """Ligatures and full-width letters fold to plain ASCII words (NFKC)."""
    assert analyzer.terms("ﬁnance") == analyzer.terms("finance")
    assert analyzer.terms("Ｂａｇｈｄａｄ") == analyzer.terms("Baghdad") == ["baghdad"]


def test_casefold_handles_sharp_s(analyzer: Analyzer) -> None:
    """German ß folds like "ss" (casefold, not lower), so both spellings match."""
    assert analyzer.terms("Straße") == analyzer.terms("STRASSE")


# -- numbers ---------------------------------------------------------------------------


def test_thousands_separator_is_ignored(analyzer: Analyzer) -> None:
    """ "1,000" and "1000" are the same number."""
    assert analyzer.terms("1,000") == analyzer.terms("1000") == ["1000"]
    assert analyzer.terms("1,000,000 people") == ["1000000", "peopl"]


def test_decimal_point_is_kept(analyzer: Analyzer) -> None:
    """ "3.5" stays one term with its point, distinct from 35 and from 3 and 5."""
    assert analyzer.terms("3.5") == ["3.5"]
    assert analyzer.terms("3.5") != analyzer.terms("35")


def test_numbers_are_not_dropped_or_stemmed(analyzer: Analyzer) -> None:
    """Years and counts are searchable as written."""
    assert analyzer.terms("In 2009, at least 25 fighters") == ["2009", "least", "25", "fighter"]


# -- possessives, contractions, hyphens, acronyms -----------------------------------------


def test_possessive_is_removed(analyzer: Analyzer) -> None:
    """ "Iran's" (straight or curly apostrophe) gives the term "iran"."""
    assert analyzer.terms("Iran's") == ["iran"]
    assert analyzer.terms("Iran’s") == ["iran"]
    assert analyzer.terms("Iran's") == analyzer.terms("Iran")


def test_contractions_are_dropped_as_stop_words(analyzer: Analyzer) -> None:
    """ "don't", "won't" and "isn't" vanish like other stop words."""
    assert analyzer.terms("don't") == []
    assert analyzer.terms("I won't go, it isn't") == ["go"]


def test_hyphenated_word_splits_into_parts(analyzer: Analyzer) -> None:
    """ "tear-gas" gives the terms of "tear" and "gas", so "gas" finds it."""
    terms = analyzer.terms("tear-gas")
    assert terms[:2] == ["tear", "gas"]
    assert set(analyzer.terms("tear gas")) <= set(terms)
    assert analyzer.terms("Iranian-backed") == analyzer.terms("Iranian") + analyzer.terms("backed")


def test_acronym_with_dots_joins(analyzer: Analyzer) -> None:
    """ "U.S." is the term "us", the same as "US"."""
    assert analyzer.terms("U.S.") == ["us"]
    assert analyzer.terms("the U.S. embassy") == analyzer.terms("the US embassy")


def test_us_is_not_a_stop_word(analyzer: Analyzer) -> None:
    """ "US" (the United States) is kept, so questions about the US can match."""
    assert analyzer.terms("US") == ["us"]
    assert not analyzer.is_stopword("us")
    assert analyzer.is_stopword("the")


def test_stop_words_are_dropped(analyzer: Analyzer) -> None:
    """A question's function words do not become terms."""
    assert analyzer.terms("Why was the embassy attacked?") == ["embassi", "attack"]


def test_stemming_conflates_word_forms(analyzer: Analyzer) -> None:
    """attacked, attacks, attacking and attack all give one term."""
    forms = ["attack", "attacked", "attacks", "attacking"]
    assert len({term for form in forms for term in analyzer.terms(form)}) == 1


def test_stemming_and_stop_words_can_be_turned_off() -> None:
    """With stem=False and stopwords=False words are only normalised."""
    plain = Analyzer(AnalyzerSettings(stem=False, stopwords=False))
    assert plain.terms("The attacks") == ["the", "attacks"]


# -- spans ------------------------------------------------------------------------------


def test_spans_cover_raw_tokens(analyzer: Analyzer) -> None:
    """Each span's range in the text is the raw token whose terms it carries."""
    text = "Iran's U.S.-led tear-gas attacks cost 1,000 lives; don't panic."
    spans = list(analyzer.spans(text))
    raw = [text[start:end] for _, start, end in spans]
    assert raw == [
        "Iran's",
        "U.S",
        "led",
        "tear-gas",
        "attacks",
        "cost",
        "1,000",
        "lives",
        "don't",
        "panic",
    ]
    for terms, start, end in spans:
        assert terms == analyzer.token_terms(text[start:end])


def test_spans_agree_with_terms(analyzer: Analyzer) -> None:
    """The terms of all spans, in order, are exactly terms(text)."""
    text = "Demonstrators regrouped outside the US embassy on Wednesday."
    assert [t for terms, _, _ in analyzer.spans(text) for t in terms] == analyzer.terms(text)


# -- settings -----------------------------------------------------------------------------


def test_fingerprint_is_stable() -> None:
    """Equal settings give the same fingerprint, across instances."""
    assert AnalyzerSettings().fingerprint() == AnalyzerSettings().fingerprint()
    assert len(AnalyzerSettings().fingerprint()) == 16


def _changed(value: object) -> object:
    """Another value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return "german" if value == "english" else f"{value}-changed"


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(AnalyzerSettings)])
def test_fingerprint_changes_with_any_setting(name: str) -> None:
    """Changing any one setting changes the fingerprint, so the index is rebuilt."""
    default = AnalyzerSettings()
    changed = dataclasses.replace(default, **{name: _changed(getattr(default, name))})
    assert changed.fingerprint() != default.fingerprint()


def test_unknown_language_is_a_config_error() -> None:
    """An unknown stemmer language raises ConfigError naming it and listing valid ones."""
    with pytest.raises(ConfigError) as caught:
        Analyzer(AnalyzerSettings(language="klingon"))
    message = str(caught.value)
    assert isinstance(caught.value, FootnoteError)
    assert "'klingon'" in message
    assert "english" in message


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_terms_are_never_empty_strings(text: str) -> None:
    """For any text, terms() returns non-empty strings and does not raise."""
    terms = ANALYZER.terms(text)
    assert all(isinstance(t, str) and t for t in terms)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_spans_lie_within_the_text(text: str) -> None:
    """For any text, every span is a non-empty range inside it, in increasing order."""
    previous_end = 0
    for terms, start, end in ANALYZER.spans(text):
        assert previous_end <= start < end <= len(text)
        assert all(terms)
        previous_end = end


@given(st.text(alphabet=st.sampled_from(list("ab Ab\u00e9'’-.,1 \t\n\u3000\x1cxyz")), max_size=80))
def test_matching_spans_are_the_spans_holding_a_wanted_term(text: str) -> None:
    """The quick per-chunk lookup finds exactly the tokens whose terms are wanted."""
    analyzer = Analyzer()
    wanted = {t for t in analyzer.terms(text)[::2]}
    expected = [(s, e) for terms, s, e in analyzer.spans(text) if wanted.intersection(terms)]
    assert list(analyzer.matching_spans(text, wanted)) == expected
