"""Answer -> Discord embeds and texts, always inside Discord's limits (pure functions)."""

from __future__ import annotations

import re
from urllib.parse import quote

import discord

from footnote.answering.answer import Answer, Match

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
TOTAL_LIMIT = 6000
EMBED_LIMIT = 10
MAX_URL = 512
CITATION_TITLE = 120
CITATION_SECTION = 80
FRAGMENT_WORDS = 6
ELLIPSIS = "…"
COLOR = discord.Colour(0x3B82F6)
NO_ANSWER_COLOR = discord.Colour(0x9CA3AF)
FOLLOWING_UP = "Following up on: "
SEARCHED = "Searched "  # how an answer's footer starts: what tells answers from other embeds

HOW_TO = (
    "Ask me a question about the articles: mention me with it (e.g. `@Footnote why was the "
    "embassy attacked?`), DM me, or use `/ask`. I answer with the passages that answer it, "
    "quoted and cited."
)

# "@" followed by what Discord would turn into a ping or a mention (everyone, here, users,
# roles); a zero-width space after the "@" keeps the text readable and inert.
MENTION = re.compile(r"@(?=everyone|here|[!&]?\d)")
# A "[" or "]" preceded by an even number of backslashes is not escaped yet.
BRACKET = re.compile(r"(\\*)([\[\]])")


# Characters that would change how the rest of a line reads (bidirectional overrides and
# isolates) or are invisible noise (C0/C1 controls but tab and newline): never echoed.
INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """The text without bidi overrides and control characters."""
    return INVISIBLE.sub("", text)


def escape(text: str, line_start: bool = True) -> str:
    """Corpus or user text made inert: no formatting, masked links, mentions or pings.

    With line_start false the text continues a line, so line-start syntax (quotes, headings,
    list dashes) is not escaped: a stray backslash before a space would show.
    """
    if not line_start:
        return escape("x" + text)[1:]
    text = discord.utils.escape_markdown(visible(text), ignore_links=False)
    # Escape every bracket, not only whole masked links: a highlight can split a link's
    # text across pieces that escape_markdown sees one at a time.
    text = BRACKET.sub(lambda m: m[1] + ("\\" if len(m[1]) % 2 == 0 else "") + m[2], text)
    if text.startswith("#"):  # a heading inside the block quote
        text = "\\" + text
    return MENTION.sub("@\u200b", text)


def shorten(text: str, limit: int) -> str:
    """Text cut to `limit` characters at a sentence, else a word, boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[: max(limit, 0)]
    head = text[: limit - 1]
    floor = len(head) // 2  # never throw away more than half to find a boundary
    sentence = max(head.rfind(mark) for mark in (". ", "! ", "? ", "; "))
    if sentence >= floor:
        return head[: sentence + 1] + " " + ELLIPSIS
    space = head.rfind(" ")
    if space >= floor:
        return head[:space] + " " + ELLIPSIS
    return head + ELLIPSIS


def _merged(ranges: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Highlight ranges clipped to the text, sorted, with touching ones merged."""
    spans: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in ranges):
        if end <= start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


# Stand-ins for the "**" around highlights while the whole text is escaped in one pass
# (escaping piece by piece cost ~25 regex passes a passage); private-use characters, which
# corpus text loses first.
BOLD_OPEN, BOLD_CLOSE = "\ue000", "\ue001"


def emphasised(text: str, highlights: list[tuple[int, int]]) -> str:
    """The text escaped, with its highlighted ranges in **bold**; one line."""
    # One character for one, so the highlight offsets stay right.
    text = re.sub(r"\s", " ", text).replace(BOLD_OPEN, " ").replace(BOLD_CLOSE, " ")
    pieces, last = [], 0
    for start, end in _merged(highlights, len(text)):
        span = text[start:end]
        word = span.strip()
        if not word:
            continue
        begin = start + len(span) - len(span.lstrip())  # bold must hug the word: "** word**"
        pieces += [text[last:begin], BOLD_OPEN, word, BOLD_CLOSE]  # would not render as bold
        last = begin + len(word)
    pieces.append(text[last:])
    return escape("".join(pieces)).replace(BOLD_OPEN, "**").replace(BOLD_CLOSE, "**")


def _quote(text: str, highlights: list[tuple[int, int]]) -> str:
    """A block quote of the text, line by line: paragraphs joined into one answer stay apart,
    and a list's items and a table's rows keep their own lines."""
    lines, offset = [], 0
    for line in text.split("\n"):
        end = offset + len(line)
        inside = [(s - offset, e - offset) for s, e in highlights if s < end and e > offset]
        lines.append(emphasised(line, inside) if line.strip() else "")
        offset = end + 1
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def quoted(match: Match, limit: int) -> str:
    """The passage as a block quote with matches in bold, at most `limit` characters; the
    code it shows (after its explanation) as a code block in its language."""
    if match.code_at is not None:
        prose, code = match.text[: match.code_at].rstrip(), match.text[match.code_at :]
        if not visible(prose).strip():
            return code_block(code, match.language, limit)
        inside = [(s, e) for s, e in match.highlights if e <= len(prose)]
        head = _quoted_prose(prose, inside, limit // 2)  # the explanation, then the code
        return f"{head}\n{code_block(code, match.language, limit - len(head) - 1)}"
    return _quoted_prose(match.text, match.highlights, limit)


def code_block(code: str, language: str | None, limit: int) -> str:
    """Code as a Discord code block of at most `limit` characters, cut at a line when long.

    A fence inside the code would close the block early, so its backticks are kept apart
    by a zero-width space; mentions are made inert as everywhere else.
    """
    tag = language if language and language.replace("-", "").replace("+", "").isalnum() else ""
    body = MENTION.sub("@\u200b", visible_code(code).replace("```", "`\u200b``")).rstrip()
    opening, closing = f"```{tag}\n", "\n```"
    room = limit - len(opening) - len(closing)
    if len(body) > room:
        lines, kept = body.split("\n"), []
        for line in lines:
            if sum(len(x) + 1 for x in kept) + len(line) + 2 > room:
                break
            kept.append(line)
        body = "\n".join([*kept, ELLIPSIS]) if kept else body[: max(room - 1, 0)] + ELLIPSIS
    return (opening + body + closing)[:limit]


def visible_code(code: str) -> str:
    """Code without bidi overrides and control characters, its line breaks and tabs kept."""
    return "\n".join(visible(line.replace("\t", "    ")) for line in code.split("\n"))


def _quoted_prose(text: str, highlights: list[tuple[int, int]], limit: int) -> str:
    """Prose as a block quote with matches in bold, at most `limit` characters."""
    if not visible(text).strip():
        return "> (empty passage)"[:limit]
    budget = limit
    for _ in range(12):  # escaping lengthens the text; shrink the cut until it fits
        cut = shorten(text, max(budget - 2, 0))
        rendered = _quote(cut, [(s, e) for s, e in highlights if s < len(cut)])
        if len(rendered) <= limit:
            return rendered
        budget = min(budget - 1, int(budget * limit / len(rendered)) - 4)
        if budget <= 3:
            break
    return ("> " + ELLIPSIS)[:limit]


def fragment(text: str) -> str:
    """A `#:~:text=` fragment for the passage's opening words, percent-encoded."""
    words = " ".join(text.split()[:FRAGMENT_WORDS])[:100]
    # "-", "&" and "," are the text directive's own syntax, so they are encoded too.
    return "#:~:text=" + quote(words, safe="").replace("-", "%2D")


def link(url: str | None, text: str) -> str | None:
    """The article URL with a text fragment for the passage, or None when it is unusable."""
    if not url or not re.match(r"https?://[^\s<>()\[\]]+$", url):
        return None
    # A section's anchor stays: "#anchor:~:text=..." opens at the section, then the passage.
    page, _, anchor = url.partition("#")
    directive = fragment(text) if text.split() else ""
    if anchor and not anchor.startswith(":~:"):
        target = f"{page}#{anchor}" + directive.removeprefix("#")
    else:
        target = page + directive
    return target if len(target) <= MAX_URL else None


def citation(match: Match, linked: bool = True) -> str:
    """`[1] Article title · Section · ¶N`, linked to the passage in the article when known."""
    cite = match.citation
    # Titles and ids come from file names and front matter: newlines in them would break the
    # citation line, so runs of whitespace become one space.
    name = " ".join(cite.title.split()) or " ".join(cite.doc_id.split())
    parts = [shorten(name, CITATION_TITLE)]
    if cite.section and cite.section.strip():
        parts.append(shorten(" ".join(cite.section.split()), CITATION_SECTION))
    parts.append(cite.paragraphs)
    if match.also_in:  # copies of the passage in other documents (versions of one page)
        copies = ", ".join(" ".join(d.split()) for d in match.also_in)
        parts.append(shorten(f"also in: {copies}", CITATION_SECTION))
    label = escape(f"[{match.rank}] " + " · ".join(p for p in parts if p))
    target = link(cite.url, match.text) if linked else None
    return f"[{label}]({target})" if target else label


def question_title(question: str) -> str:
    """The question as an embed title, escaped and shortened to fit."""
    text = " ".join(question.split()) or "Your question"
    for limit in (TITLE_LIMIT, 200, 120, 60):
        title = escape(shorten(text, limit))
        if len(title) <= TITLE_LIMIT:
            return title
    return escape(shorten(text, 20))[:TITLE_LIMIT]


def footer(answer: Answer) -> str:
    """How many passages were searched and how long it took."""
    return f"{SEARCHED}{answer.searched:,} passages in {answer.took_ms:.1f} ms"


def answer_embeds(answer: Answer, results: int, note: str | None = None) -> list[discord.Embed]:
    """The answer as embeds: each passage quoted with its citation under it, in Discord limits.

    A follow-up names the question it leaned on above the title; `note` (plain text) can
    take that place.
    """
    header = heading(answer, note)
    if not answer.answered:
        return [with_header(no_answer_embed(answer), header)]
    matches = answer.passages[: max(1, min(results, EMBED_LIMIT))]
    title = question_title(answer.question)
    foot = footer(answer)
    fixed = TOTAL_LIMIT - len(title) - len(foot) - len(header or "")
    citations = [citation(m) for m in matches]
    if fixed - sum(len(c) + 2 for c in citations) < 300 * len(matches):
        # Long article URLs would leave too little room to quote: cite without links.
        citations = [citation(m, linked=False) for m in matches]
    each = (fixed - sum(len(c) + 2 for c in citations)) // len(matches)
    embeds = []
    for i, (match, cite) in enumerate(zip(matches, citations, strict=True)):
        room = min(each, DESCRIPTION_LIMIT - len(cite) - 2)
        embed = discord.Embed(description=f"{quoted(match, room)}\n\n{cite}", colour=COLOR)
        if i == 0:
            embed.title = title
            with_header(embed, header)
        embeds.append(embed)
    embeds[-1].set_footer(text=foot)
    return embeds


def heading(answer: Answer, note: str | None) -> str | None:
    """The line above an answer's title: the question a follow-up leaned on, or a note."""
    if answer.context:
        return shorten(FOLLOWING_UP + " ".join(visible(answer.context).split()), AUTHOR_LIMIT)
    return shorten(" ".join(note.split()), AUTHOR_LIMIT) if note else None


def with_header(embed: discord.Embed, header: str | None) -> discord.Embed:
    """The embed with `header` in its author line (plain text there: nothing to escape)."""
    return embed.set_author(name=header) if header else embed


def no_answer_embed(answer: Answer) -> discord.Embed:
    """The corpus has no good answer: say so, name the closest articles, suggest rephrasing."""
    lines = ["The articles have no good answer to this question."]
    if answer.reason:
        lines[0] += " " + escape(shorten(answer.reason, 300))
    titles = list(dict.fromkeys(m.citation.title for m in answer.passages))[:5]
    if titles:
        lines += ["", "Closest articles:"]
        lines += [f"• {escape(shorten(' '.join(t.split()), 200)) or '(untitled)'}" for t in titles]
    lines += ["", "Try rephrasing with the names or terms the articles would use."]
    embed = discord.Embed(
        title=question_title(answer.question), description="\n".join(lines), colour=NO_ANSWER_COLOR
    )
    return embed.set_footer(text=footer(answer))


def apology(error_id: str) -> str:
    """The short message a person gets when something unexpected went wrong."""
    return f"Sorry, something went wrong while answering (error id `{error_id}`). Please try again."


def error_text(message: str) -> str:
    """A FootnoteError's message, safe to show and within a message's 2,000 characters."""
    return escape(shorten(message, 1500))
