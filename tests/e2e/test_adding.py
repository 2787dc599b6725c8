"""Adding and removing writing from Discord: /add (a file, a link), /remove, /follow,
/unfollow and /feeds, through the real discord.py client and the fake Discord, with a page
server and a feed server on 127.0.0.1. After each add, a question is answered citing it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from test_feeds import rss
from webpages import PageServer, article, serving

from bot.client import FootnoteBot
from footnote.answerlog.store import AnswerStore, FeedRecord

from .fakediscord import FakeDiscord
from .test_bot import EPHEMERAL, footnote
from .test_servers import KEEPER, LIGHTHOUSE, LIGHTHOUSE_TITLE, shown
from .test_service import everyone_may, reply_to

ADMIN_COMMANDS = ("add", "remove", "follow", "unfollow", "feeds")
HERONS = ("Heron season opens", "The grey heron nests in tall reeds by the lake in March.")
SWIFTS = ("Swifts return", "Swifts sleep on the wing and land only to build their nests.")


@pytest.fixture
def pages() -> Iterator[PageServer]:
    """The web pages admins link to, on 127.0.0.1."""
    with serving() as server:
        yield server


@pytest.fixture
def feeds() -> Iterator[PageServer]:
    """The feeds admins follow, on 127.0.0.1."""
    with serving() as server:
        yield server


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A default corpus of one article, and an empty root for servers' own corpora."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "pumps.md").write_text(
        "# Pumps\n\nThe pump must be primed with water before the first start.\n",
        encoding="utf-8",
    )
    (tmp_path / "corpora").mkdir()
    return tmp_path / "corpus", tmp_path / "index"


@asynccontextmanager
async def bot_for(
    fake: FakeDiscord, corpus: tuple[Path, Path], **extra: str
) -> AsyncIterator[FootnoteBot]:
    """The bot with servers' own corpora, private addresses allowed (the servers here are
    on 127.0.0.1), feeds checked often, no cooldown."""
    settings = {
        "FOOTNOTE_CORPORA_DIR": str(corpus[0].parent / "corpora"),
        "FOOTNOTE_ALLOW_PRIVATE_URLS": "1",
        "FOOTNOTE_FEED_MINUTES": "0.005",
        "FOOTNOTE_COOLDOWN": "off",
        **extra,
    }
    async with footnote(fake, corpus, **settings) as bot:
        yield bot


async def ask(fake: FakeDiscord, question: str) -> str:
    """What a person sees for /ask, without the bold of the words matched."""
    reply = await reply_to(fake, await fake.slash_command("ask", {"question": question}))
    return shown(reply).replace("**", "")


async def command(fake: FakeDiscord, name: str, options: dict[str, Any] | None = None,
                  **how: Any) -> dict[str, Any]:  # fmt: skip
    """The reply to a command, which must be private."""
    reply = await reply_to(fake, await fake.slash_command(name, options or {}, **how))
    assert reply["flags"] & EPHEMERAL, reply
    return reply


def downloads(fake: FakeDiscord) -> list[str]:
    """The attachments the bot downloaded."""
    return [r.path for r in fake.requests if r.path.startswith("/attachments/")]


JSONL = "\n".join(
    json.dumps({"id": f"log-{n}", "title": f"Keeper's log {n}", "text": text})
    for n, text in enumerate(
        [
            "The lighthouse keeper logged a gale from the west and lit the lamp at four.",
            "The relief boat could not land at Skerryvore for nine days of storms.",
        ]
    )
)
FILES = {
    "lighthouse.md": (LIGHTHOUSE, LIGHTHOUSE_TITLE),
    "lighthouse.txt": (
        f"{LIGHTHOUSE_TITLE}\n\n" + LIGHTHOUSE.split("\n\n", 1)[1],
        "Lighthouse",  # a text file's title is its name
    ),
    "lighthouse.html": (
        article(LIGHTHOUSE_TITLE, LIGHTHOUSE.split("\n\n")[1:4]),
        LIGHTHOUSE_TITLE,
    ),
    "log.jsonl": (JSONL, "Keeper's log"),
    "lighthouse.rst": (
        f"{LIGHTHOUSE_TITLE}\n{'=' * len(LIGHTHOUSE_TITLE)}\n\n" + LIGHTHOUSE.split("\n\n", 1)[1],
        LIGHTHOUSE_TITLE,
    ),
}

# What to ask of a file, and what its answer quotes (default: KEEPER, and 1972).
QUESTIONS = {"log.jsonl": ("How long could the relief boat not land?", "nine days")}


@pytest.mark.parametrize("filename", list(FILES))
async def test_an_admin_adds_a_file_and_it_is_answered_at_once(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], filename: str
) -> None:
    """/add file: in each format the reader takes: the private reply names the document,
    its passages, the boilerplate dropped and the server's new own corpus; the file is in
    the server's folder; the next question cites it, and /sources lists it alone."""
    text, title = FILES[filename]
    question, quoted = QUESTIONS.get(filename, (KEEPER, "1972"))
    upload = fake_discord.attachment(filename, text.encode(), content_type="text/plain")
    async with bot_for(fake_discord, corpus):
        before = await ask(fake_discord, question)
        added = await command(fake_discord, "add", {"file": upload})
        after = await ask(fake_discord, question)
        sources = await command(fake_discord, "sources")
    content = added["content"].replace("\\", "")
    assert content.startswith(f"Added `{filename}` in this server's own corpus:")
    assert title in content and "passage" in content and "boilerplate" in content
    assert "now answers from its own corpus" in content
    own = corpus[0].parent / "corpora" / str(fake_discord.guild.id)
    assert (own / filename).read_bytes() == text.encode()
    assert quoted not in before
    assert quoted in after and f"[1] {title}" in after
    assert title in shown(sources) and "Pumps" not in shown(sources)
    assert downloads(fake_discord) == [upload["url"].split(str(fake_discord.url))[1]]


@pytest.mark.parametrize(
    ("filename", "size", "says"),
    [
        ("setup.exe", 100, "Footnote does not read .exe files"),
        ("huge.md", 3 * 1024 * 1024, "huge.md is 3 MB, over the limit of 1 MB"),
        ("noextension", 100, "has no extension"),
    ],
)
async def test_an_upload_of_the_wrong_type_or_size_is_refused_before_download(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], filename: str, size: int, says: str
) -> None:
    """A type the reader does not take, or a size over FOOTNOTE_MAX_UPLOAD_MB, is one private
    sentence, and the file is never downloaded nor the server given a corpus."""
    upload = fake_discord.attachment(filename, b"x" * 100, size=size)
    async with bot_for(fake_discord, corpus, FOOTNOTE_MAX_UPLOAD_MB="1"):
        refused = await command(fake_discord, "add", {"file": upload})
    assert says in refused["content"].replace("\\", "")
    assert downloads(fake_discord) == []
    assert not list((corpus[0].parent / "corpora").iterdir())


async def test_an_upload_larger_than_it_claims_is_cut_off_at_the_limit(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """An attachment whose stated size lies is read no further than the limit, refused in one
    sentence, and the server keeps answering from the default corpus."""
    upload = fake_discord.attachment("big.md", b"# Big\n\n" + b"word " * 400_000, size=1000)
    async with bot_for(fake_discord, corpus, FOOTNOTE_MAX_UPLOAD_MB="1"):
        refused = await command(fake_discord, "add", {"file": upload})
        answer = await ask(fake_discord, "how is the pump primed?")
    assert "big.md is over the limit of 1 MB" in refused["content"].replace("\\", "")
    assert not list((corpus[0].parent / "corpora").iterdir())
    assert "primed with water" in answer


async def test_add_needs_exactly_one_of_a_file_and_a_link(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], pages: PageServer
) -> None:
    """Neither, or both, is one sentence saying what to give."""
    upload = fake_discord.attachment("a.md", b"# A\n\nSome text.\n")
    async with bot_for(fake_discord, corpus):
        neither = await command(fake_discord, "add")
        both = await command(fake_discord, "add", {"file": upload, "url": pages.url("/a")})
    for reply in (neither, both):
        assert reply["content"].startswith("Give /add either a file or a link")
    assert downloads(fake_discord) == []


async def test_an_admin_adds_a_page_by_its_link_and_it_is_answered_with_its_address(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], pages: PageServer
) -> None:
    """/add url: fetches the page, keeps its article (not the site's navigation) with its
    title and address; the answer cites it, linked. A link that fails is one sentence."""
    url = pages.page("/news/herons", article(HERONS[0], [HERONS[1], "More soon."]))
    async with bot_for(fake_discord, corpus):
        added = await command(fake_discord, "add", {"url": url})
        asked = {"question": "where does the grey heron nest?"}
        answer = await reply_to(fake_discord, await fake_discord.slash_command("ask", asked))
        missing = await command(fake_discord, "add", {"url": pages.url("/gone")})
    content = added["content"].replace("\\", "")
    assert content.startswith("Added `127-0-0-1-news-herons-") and HERONS[0] in content
    assert "tall reeds" in shown(answer) and HERONS[0] in shown(answer)
    assert url in json.dumps(answer["embeds"])
    assert "Sport" not in shown(answer)
    assert "answered 404" in missing["content"]


async def test_an_admin_removes_a_document_chosen_from_the_autocomplete(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/remove offers the server's documents by title and id as one types; removing one
    deletes its file, says so privately, and it is no longer answered from."""
    upload = fake_discord.attachment("lighthouse.md", LIGHTHOUSE.encode())
    other = fake_discord.attachment("herons.md", f"# {HERONS[0]}\n\n{HERONS[1]}\n".encode())
    async with bot_for(fake_discord, corpus):
        nothing = await command(fake_discord, "remove", {"document": "lighthouse"})
        await command(fake_discord, "add", {"file": upload})
        await command(fake_discord, "add", {"file": other})
        typed = await fake_discord.autocomplete("remove", {"document": "keepers"}, "document")
        offered = (await fake_discord.wait_for_callback(typed))["data"]["choices"]
        removed = await command(fake_discord, "remove", {"document": offered[0]["value"]})
        again = await command(fake_discord, "remove", {"document": "lighthouse"})
        answer = await ask(fake_discord, KEEPER)
        heron = await ask(fake_discord, "where does the grey heron nest?")
    assert "no writing of its own yet" in nothing["content"]
    assert offered == [{"name": f"{LIGHTHOUSE_TITLE} (lighthouse)", "value": "lighthouse"}]
    assert removed["content"].replace("\\", "").startswith(f"Removed **{LIGHTHOUSE_TITLE}**")
    assert "No document has the id 'lighthouse'" in again["content"].replace("\\", "")
    own = corpus[0].parent / "corpora" / str(fake_discord.guild.id)
    assert not (own / "lighthouse.md").exists()
    assert "1972" not in answer and "tall reeds" in heron


def story(pages: PageServer, path: str, title: str, text: str) -> dict[str, str]:
    """A story's page served, and its item for a feed."""
    pages.page(path, article(title, [text, f"More on {title.lower()} soon."]))
    return {"title": title, "link": pages.url(path), "guid": f"urn:story:{path}",
            "date": "Tue, 05 Mar 2024 08:00:00 GMT"}  # fmt: skip


async def test_a_followed_feeds_new_entries_are_added_as_they_appear(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], pages: PageServer, feeds: PageServer
) -> None:
    """/follow adds the feed's entries now; an entry published later is added by the next
    check and answered; /feeds shows the check; /unfollow (offered by autocomplete) stops
    it, and the entries added stay."""
    items = [story(pages, "/news/herons", *HERONS)]
    url = feeds.page("/feed.xml", rss("Bird News", items), "application/rss+xml")
    async with bot_for(fake_discord, corpus) as bot:
        followed = await command(fake_discord, "follow", {"feed": url})
        twice = await command(fake_discord, "follow", {"feed": url})
        heron = await ask(fake_discord, "where does the grey heron nest?")
        items.insert(0, story(pages, "/news/swifts", *SWIFTS))
        feeds.page("/feed.xml", rss("Bird News", items), "application/rss+xml")
        await fake_discord.wait_until(
            lambda: len(feeds_of(bot, fake_discord.guild.id)[url].seen) == 2,
            20,
            "the new entry to be added",
        )
        swift = await ask(fake_discord, "where do swifts sleep?")
        listed = await command(fake_discord, "feeds")
        typed = await fake_discord.autocomplete("unfollow", {"feed": "feed"}, "feed")
        offered = (await fake_discord.wait_for_callback(typed))["data"]["choices"]
        unfollowed = await command(fake_discord, "unfollow", {"feed": offered[0]["value"]})
        after = await command(fake_discord, "feeds")
        still = await ask(fake_discord, "where do swifts sleep?")
    content = followed["content"].replace("\\", "")
    assert content.startswith("Following **Bird News**") and "this server's own corpus" in content
    assert f"1 entry added: “{HERONS[0]}”" in content
    assert "already follows" in twice["content"]
    assert "tall reeds" in heron
    assert "sleep on the wing" in swift and SWIFTS[0] in swift
    feeds_text = shown(listed)
    assert url in feeds_text and "checked <t:" in feeds_text and "2 entries seen" in feeds_text
    assert "last error" not in feeds_text
    assert offered == [{"name": url, "value": url}]
    assert unfollowed["content"].startswith("No longer following")
    assert "This server follows no feed" in shown(after)
    assert "sleep on the wing" in still


def feeds_of(bot: FootnoteBot, guild_id: int) -> dict[str, FeedRecord]:
    """The feeds a server follows, read from the bot's store as another program would."""
    store = AnswerStore(bot.settings.state_file(), read_only=True)
    try:
        return {r.url: r for r in store.feeds(guild_id)}
    finally:
        store.close()


async def test_a_failing_feed_is_shown_in_feeds_and_checking_goes_on(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], pages: PageServer, feeds: PageServer
) -> None:
    """A feed that starts failing keeps its error, shown by /feeds; another feed is still
    checked and its new entry added; a link that is no feed is refused at /follow."""
    broken = feeds.page("/broken.xml", rss("Shaky", [story(pages, "/news/herons", *HERONS)]),
                        "application/rss+xml")  # fmt: skip
    items = [story(pages, "/news/owls", "Owls at night", "Barn owls hunt voles at dusk.")]
    good = feeds.page("/good.xml", rss("Bird News", items), "application/rss+xml")
    async with bot_for(fake_discord, corpus) as bot:
        await command(fake_discord, "follow", {"feed": broken})
        await command(fake_discord, "follow", {"feed": good})
        not_feed = await command(fake_discord, "follow", {"feed": pages.url("/news/owls")})
        feeds.page("/broken.xml", "server trouble", status=500)
        items.insert(0, story(pages, "/news/swifts", *SWIFTS))
        feeds.page("/good.xml", rss("Bird News", items), "application/rss+xml")

        def both_checked() -> bool:
            records = feeds_of(bot, fake_discord.guild.id)
            return bool(records[broken].error) and len(records[good].seen) == 2

        await fake_discord.wait_until(both_checked, 20, "both checks")
        listed = shown(await command(fake_discord, "feeds"))
        swift = await ask(fake_discord, "where do swifts sleep?")
    assert "is not an RSS or Atom feed" in not_feed["content"]
    assert "last error:" in listed and "answered 500" in listed
    assert listed.count("last error") == 1
    assert "sleep on the wing" in swift


async def test_people_who_are_not_admins_are_refused_every_writing_command(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], pages: PageServer
) -> None:
    """Discord hides the commands from non-admins; if a server shows them anyway, the bot
    refuses each in one private sentence, adds nothing, and offers no choices."""
    bob = fake_discord.user("bob")
    upload = fake_discord.attachment("lighthouse.md", LIGHTHOUSE.encode())
    given = {
        "add": {"file": upload},
        "remove": {"document": "pumps"},
        "follow": {"feed": pages.url("/feed.xml")},
        "unfollow": {"feed": pages.url("/feed.xml")},
        "feeds": {},
    }
    async with bot_for(fake_discord, corpus):
        with pytest.raises(PermissionError):
            await fake_discord.slash_command("add", {"file": upload}, user=bob)
        for name in ADMIN_COMMANDS:
            everyone_may(fake_discord, name)
        refused = {n: await command(fake_discord, n, given[n], user=bob) for n in ADMIN_COMMANDS}
        typed = await fake_discord.autocomplete("remove", {"document": "p"}, "document", user=bob)
        offered = (await fake_discord.wait_for_callback(typed))["data"]["choices"]
    for name, reply in refused.items():
        assert f"can use /{name}" in reply["content"], reply["content"]
    assert offered == []
    assert downloads(fake_discord) == [] and pages.requests == []
    assert not list((corpus[0].parent / "corpora").iterdir())
