"""The real bot on the OpenSearch backend, against the fake Discord: it answers from the
cluster as from the embedded index, and when the cluster cannot be reached it says so to
the asker alone and goes on answering once the cluster is back."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.app import create_bot
from footnote.engine import Engine

from .fakediscord import FakeDiscord
from .fakediscord.client import running
from .test_bot import EPHEMERAL, QUESTION, ROOT, assert_cited_answer, settings_for, texts
from .test_service import NEW_ARTICLE


async def test_the_bot_answers_from_the_cluster_and_survives_losing_it(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], opensearch_cluster: object
) -> None:
    """/ask is answered from OpenSearch with the embedded backend's passages; with the
    cluster unreachable the asker is told so privately; the next question is answered."""
    urls = ",".join(opensearch_cluster.urls)  # type: ignore[attr-defined]
    settings = settings_for(
        fake_discord, corpus, FOOTNOTE_OPENSEARCH_URL=urls, FOOTNOTE_OPENSEARCH_INDEX="bot"
    )
    assert settings.engine_config().backend == "opensearch"
    engine, _ = Engine.open(settings.engine_config(), rebuild=True)
    embedded, _ = Engine.open(settings_for(fake_discord, corpus).engine_config())
    client = engine.retriever.client  # type: ignore[attr-defined]
    bot = create_bot(settings, engine, guild_ready_timeout=0.05)
    async with running(bot, fake_discord):
        asked = await fake_discord.slash_command("ask", {"question": QUESTION})
        answer = await fake_discord.wait_for_reply(asked)
        client.urls = ["http://127.0.0.1:9"]  # the cluster is gone
        lost = await fake_discord.slash_command("ask", {"question": "who leads the militia?"})
        refusal = await fake_discord.wait_for_reply(lost)
        client.urls = opensearch_cluster.urls  # type: ignore[attr-defined]
        again = await fake_discord.slash_command("ask", {"question": QUESTION})
        recovered = await fake_discord.wait_for_reply(again)
    assert_cited_answer(answer["embeds"], QUESTION)
    first = embedded.ask(QUESTION, 3).passages[0].text
    assert " ".join(first.split()[:6]) in answer["embeds"][0]["description"]
    assert refusal["flags"] & EPHEMERAL
    assert "cannot reach the search cluster" in refusal["content"]
    assert "error id" not in refusal["content"]
    assert_cited_answer(recovered["embeds"], QUESTION)


async def test_reindex_updates_the_cluster_and_the_new_article_is_answered(
    fake_discord: FakeDiscord, opensearch_cluster: object, tmp_path: Path
) -> None:
    """/reindex on the OpenSearch backend writes the new article into the live build and
    reports it; the next question is answered from it."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    copy = (tmp_path / "corpus", tmp_path / "index")
    urls = ",".join(opensearch_cluster.urls)  # type: ignore[attr-defined]
    settings = settings_for(
        fake_discord, copy, FOOTNOTE_OPENSEARCH_URL=urls, FOOTNOTE_OPENSEARCH_INDEX="bot-reindex"
    )
    engine, _ = Engine.open(settings.engine_config(), rebuild=True)
    bot = create_bot(settings, engine, guild_ready_timeout=0.05)
    async with running(bot, fake_discord):
        (copy[0] / "lighthouse.md").write_text(NEW_ARTICLE, encoding="utf-8")
        report = await fake_discord.wait_for_reply(
            await fake_discord.slash_command("reindex"), timeout=30
        )
        asked = await fake_discord.slash_command(
            "ask", {"question": "when did the last lighthouse keeper leave?"}
        )
        answer = await fake_discord.wait_for_reply(asked)
    (embed,) = report["embeds"]
    assert embed["title"] == "Index rebuilt"
    assert "added 1 (lighthouse)" in embed["description"]
    assert "1972" in texts(answer["embeds"])
