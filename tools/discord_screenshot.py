"""Draw an answer as Discord shows it, from the bot's own message payload, and screenshot it.

Run: python tools/discord_screenshot.py [--question Q] [--out docs/images/answer-on-discord.png]

The default corpus is opened with the real engine, the question asked, and the answer turned
into the message the bot sends (bot.render.answer_embeds, bot.buttons.answer_view; JSON from
discord.py's Embed.to_dict() and View.to_components()). That payload is drawn as a reply in
Discord's dark theme with the sizes and colours of Discord's own stylesheet, its Markdown
subset parsed by markdown-it-py, then photographed by headless Chromium and cropped to the
messages. The page and the payload are kept in a temporary folder for inspection.

Needs: `pip install -e ".[tools]"` (markdown-it-py, Pillow) and the Debian packages chromium,
fonts-noto-core (Noto Sans, a font in Discord's own fallback list: gg sans is not public) and
fonts-dejavu-core (DejaVu Sans Mono for code); optipng, when installed, shrinks the PNG.

Drawn: the author line, title, description, fields and footer of each embed (bold, italics,
underline, strikethrough, code, code blocks, block quotes, headings, lists, masked links,
timestamps as a British-English reader in UTC sees them) and rows of buttons. Not drawn:
spoilers, mentions and custom emoji in embeds, author and footer icons, embed timestamps,
images and select menus; a payload with an image or a select menu is refused, not drawn wrong.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from bot import render
from bot.buttons import answer_view
from bot.settings import DEFAULT_RESULTS
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import FootnoteError

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs/images/answer-on-discord.png"
QUESTION = "why was the embassy attacked?"
MEMBER = "Sam"
BOT = "Footnote"
SENT_AT = "Today at 14:02"
WIDTH = 800  # CSS pixels of chat; the picture is cropped to the messages
# Discord at 125% zoom (one of its own zoom levels): the ~600 px of messages become ~760.
SCALE = 1.25
MARGIN = 16  # pixels of chat background kept around the messages when cropping

# Discord's button styles: primary, secondary, success, danger, link (component type 2).
BUTTON_COLOURS = {1: "#5865f2", 2: "#4e5058", 3: "#248046", 4: "#da373c", 5: "#4e5058"}
ACTION_ROW, BUTTON = 1, 2
NO_COLOUR = "#1e1f22"  # the border of an embed without a colour
# Discord's timestamp markup, <t:UNIX> or <t:UNIX:STYLE>, read by the inline rule below.
TIMESTAMP = re.compile(r"<t:(-?\d{1,13})(?::([tTdDfFR]))?>")
# strftime formats of the absolute styles, as Discord shows them in British English.
MIN_TIME, MAX_TIME = -62_135_596_800, 253_402_300_799  # years 1 to 9999
TIME_STYLES = {
    "t": "%H:%M",
    "T": "%H:%M:%S",
    "d": "%d/%m/%Y",
    "D": "%-d %B %Y",
    "f": "%-d %B %Y %H:%M",
    "F": "%A, %-d %B %Y %H:%M",
}
# Relative times as Discord words them (moment.js's thresholds): below a number of seconds,
# the words, with {n} the count of the unit's seconds.
RELATIVE = [
    (45, "a few seconds", 1),
    (90, "a minute", 60),
    (45 * 60, "{n} minutes", 60),
    (90 * 60, "an hour", 3600),
    (22 * 3600, "{n} hours", 3600),
    (36 * 3600, "a day", 86400),
    (26 * 86400, "{n} days", 86400),
    (45 * 86400, "a month", 30 * 86400),
    (320 * 86400, "{n} months", 30 * 86400),
    (548 * 86400, "a year", 365 * 86400),
    (float("inf"), "{n} years", 365 * 86400),
]

CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #313338; width: %(width)dpx; color: #dbdee1;
  font-family: "gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif;
  -webkit-font-smoothing: antialiased; }
.chat { padding: 8px 0 16px; }
.message { position: relative; margin-top: 17px; padding: 2px 48px 2px 72px;
  min-height: 44px; font-size: 16px; line-height: 22px; }
.body { position: relative; }
.avatar { position: absolute; left: -56px; top: 2px; width: 40px; height: 40px;
  border-radius: 50%%; color: #fff; font-weight: 700; font-size: 18px; line-height: 40px;
  text-align: center; }
.header { margin: 0; font-size: 16px; line-height: 22px; font-weight: 500; }
.name { color: #f2f3f5; }
.app { display: inline-block; margin-left: 4px; padding: 0 4px; height: 15px;
  border-radius: 3px; background: #5865f2; color: #fff; font-size: 10px; line-height: 15px;
  font-weight: 600; vertical-align: 2px; }
.time { margin-left: 4px; color: #949ba4; font-size: 12px; font-weight: 400; }
.content { color: #dbdee1; white-space: normal; }
.mention { background: rgba(88, 101, 242, .3); color: #c9cdfb; font-weight: 500;
  border-radius: 3px; padding: 0 2px; }
.reply { position: relative; display: flex; align-items: center; height: 18px;
  margin-bottom: 4px; font-size: 14px; line-height: 18px; color: #b5bac1; white-space: nowrap; }
.reply::before { content: ""; position: absolute; left: -37px; top: 8px; width: 31px;
  height: 14px; border-left: 2px solid #4e5058; border-top: 2px solid #4e5058;
  border-top-left-radius: 6px; }
.reply .mini { width: 16px; height: 16px; border-radius: 50%%; margin-right: 4px; color: #fff;
  font-size: 9px; line-height: 16px; text-align: center; font-weight: 700; }
.reply .who { color: #f2f3f5; font-weight: 500; margin-right: 4px; }
.reply .what { overflow: hidden; text-overflow: ellipsis; }
.accessories { display: grid; gap: 4px; padding: 2px 0; }
.embed { max-width: 520px; border-radius: 4px; border-left: 4px solid; background: #2b2d31;
  padding: 0 16px 16px 12px; font-size: 14px; line-height: 18px; }
.embed > * { margin-top: 8px; }
.embed-author { color: #f2f3f5; font-weight: 600; }
.embed-title { color: #f2f3f5; font-size: 16px; line-height: 22px; font-weight: 600; }
.embed-fields { display: grid; grid-template-columns: repeat(12, 1fr); gap: 8px; }
.field-name { color: #f2f3f5; font-weight: 600; margin-bottom: 2px; }
.embed-footer { color: #dbdee1; font-size: 12px; line-height: 16px; font-weight: 500; }
.md p { margin: 0; }
.md p + p, .md blockquote + p, .md p + blockquote, .md pre + p { margin-top: 18px; }
.md blockquote { position: relative; margin: 0; padding: 0 8px 0 12px; }
.md blockquote::before { content: ""; position: absolute; left: 0; top: 0; bottom: 0;
  width: 4px; border-radius: 4px; background: #4e5058; }
.md strong { font-weight: 700; }
.md a { color: #00a8fc; text-decoration: none; }
.md code { font-family: "gg mono", "Source Code Pro", Consolas, "DejaVu Sans Mono", monospace;
  font-size: 85%%; background: #1e1f22; border-radius: 3px; padding: 0 .2em; }
.md pre { margin: 6px 0 0; }
.md pre code { display: block; padding: .5em; font-size: 14px; line-height: 18px;
  background: #2b2d31; border: 1px solid #1e1f22; border-radius: 4px; white-space: pre-wrap; }
.md h1, .md h2, .md h3 { margin: 8px 0 0; color: #f2f3f5; font-weight: 700; }
.md h1 { font-size: 24px; line-height: 30px; } .md h2 { font-size: 20px; line-height: 26px; }
.md h3 { font-size: 16px; line-height: 22px; }
.md ul, .md ol { margin: 4px 0 0 16px; padding: 0 0 0 8px; }
.buttons { display: grid; gap: 8px; margin-top: 4px; }
.row { display: flex; flex-wrap: wrap; gap: 8px; }
.button { display: inline-flex; align-items: center; justify-content: center; height: 32px;
  min-width: 60px; padding: 2px 16px; border-radius: 3px; color: #fff; font-size: 14px;
  line-height: 16px; font-weight: 500; }
.button.disabled { opacity: .5; }
.timestamp { background: rgba(255, 255, 255, .06); border-radius: 3px; padding: 0 2px; }
"""


def relative(moment: float, now: float) -> str:
    """A moment as Discord words it relative to now: "in 5 minutes", "a day ago"."""
    seconds = abs(now - moment)
    words, unit = next((words, unit) for limit, words, unit in RELATIVE if seconds < limit)
    words = words.format(n=round(seconds / unit))
    return f"in {words}" if moment > now else f"{words} ago"


def timestamp_text(moment: int, style: str, now: float) -> str:
    """A Discord timestamp as a reader in UTC sees it."""
    if style == "R":
        return relative(moment, now)
    return datetime.fromtimestamp(moment, UTC).strftime(TIME_STYLES[style])


def timestamp_rule(state: StateInline, silent: bool) -> bool:
    """Read <t:UNIX:STYLE> into a timestamp token."""
    found = TIMESTAMP.match(state.src, state.pos)
    if found is None or not MIN_TIME <= int(found[1]) <= MAX_TIME:
        return False  # Discord leaves one it cannot show as text
    if not silent:
        token = state.push("discord_timestamp", "", 0)
        token.meta = {"at": int(found[1]), "style": found[2] or "f"}
    state.pos = found.end()
    return True


class DiscordRenderer(RendererHTML):
    """markdown-it's HTML renderer with Discord's differences: `__text__` is underline, and
    timestamps are shown relative to `now`."""

    now: float = 0.0

    def strong_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """Open <u> for `__`, <strong> for `**`."""
        return "<u>" if tokens[idx].markup == "__" else "<strong>"

    def strong_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """Close what strong_open opened."""
        return "</u>" if tokens[idx].markup == "__" else "</strong>"

    def discord_timestamp(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """A timestamp on its grey background."""
        meta = tokens[idx].meta
        text = timestamp_text(meta["at"], meta["style"], self.now)
        return f'<span class="timestamp">{html.escape(text)}</span>'


def discord_markdown(now: float | None = None) -> MarkdownIt:
    """A parser for the Markdown Discord renders: no HTML, tables, images or setext headings;
    every newline a line break; Discord's timestamps (relative ones to `now`, default: now)."""
    parser = MarkdownIt("zero", {"breaks": True, "html": False}, renderer_cls=DiscordRenderer)
    parser.enable(
        [
            "emphasis",
            "strikethrough",
            "backticks",
            "escape",
            "newline",
            "link",
            "autolink",
            "blockquote",
            "fence",
            "heading",
            "list",
        ]
    )
    parser.inline.ruler.before("autolink", "discord_timestamp", timestamp_rule)
    parser.renderer.now = time.time() if now is None else now
    return parser


def answer_payload(question: str, corpus: Path) -> dict[str, Any]:
    """The message the bot sends for the question: its embeds and buttons, as JSON."""
    engine, _ = Engine.open(EngineConfig(corpus_dir=corpus))
    engine.warm_up()  # as the bot does at start, so the footer's time is a served answer's
    answer = engine.ask(question, DEFAULT_RESULTS)
    view = answer_view(answer, engine.generation, DEFAULT_RESULTS)
    return {
        "content": "",
        "embeds": [embed.to_dict() for embed in render.answer_embeds(answer, DEFAULT_RESULTS)],
        "components": view.to_components(),
    }


def avatar(name: str, colour: str, css_class: str = "avatar") -> str:
    """A round avatar: the name's initial on a colour (no pictures are shipped)."""
    return f'<div class="{css_class}" style="background:{colour}">{html.escape(name[:1])}</div>'


def field_spans(fields: Sequence[dict[str, Any]]) -> list[int]:
    """How many of the embed grid's 12 columns each field takes: inline ones share a row,
    up to three, as Discord lays them out."""
    rows: list[list[dict[str, Any]]] = []
    for field in fields:
        if field.get("inline") and rows and rows[-1][0].get("inline") and len(rows[-1]) < 3:
            rows[-1].append(field)
        else:
            rows.append([field])
    return [12 // len(row) for row in rows for _ in row]


def embed_html(embed: dict[str, Any], md: MarkdownIt) -> str:
    """One embed: colour bar, author, title, description, fields and footer."""
    if "image" in embed or "thumbnail" in embed:
        raise ValueError("This drawing has no images; the payload's embed has one.")
    colour = f"#{embed['color']:06x}" if "color" in embed else NO_COLOUR
    parts = []
    if author := embed.get("author", {}).get("name"):
        parts.append(f'<div class="embed-author">{html.escape(author)}</div>')
    if title := embed.get("title"):
        title = md.renderInline(title)
        if url := embed.get("url"):  # a linked title is coloured as a link, whole
            title = f'<a href="{html.escape(url)}">{title}</a>'
        parts.append(f'<div class="embed-title md">{title}</div>')
    if description := embed.get("description"):
        parts.append(f'<div class="embed-description md">{md.render(description)}</div>')
    if fields := embed.get("fields"):
        cells = [
            f'<div class="field" style="grid-column: span {span}">'
            f'<div class="field-name md">{md.renderInline(field["name"])}</div>'
            f'<div class="field-value md">{md.render(field["value"])}</div></div>'
            for field, span in zip(fields, field_spans(fields), strict=True)
        ]
        parts.append(f'<div class="embed-fields">{"".join(cells)}</div>')
    if footer := embed.get("footer", {}).get("text"):
        parts.append(f'<div class="embed-footer">{html.escape(footer)}</div>')
    return f'<article class="embed" style="border-left-color:{colour}">{"".join(parts)}</article>'


def buttons_html(components: Sequence[dict[str, Any]]) -> str:
    """The action rows of buttons, with their labels and styles."""
    rows = []
    for row in components:
        if row.get("type") != ACTION_ROW:
            raise ValueError(
                f"This drawing has action rows only, not component type {row.get('type')}."
            )
        cells = []
        for item in row["components"]:
            if item.get("type") != BUTTON:
                raise ValueError(
                    f"This drawing has buttons only, not component type {item.get('type')}."
                )
            disabled = " disabled" if item.get("disabled") else ""
            emoji = item.get("emoji", {}).get("name", "")
            label = " ".join(p for p in (emoji, item.get("label", "")) if p)
            cells.append(
                f'<div class="button{disabled}" style="background:{BUTTON_COLOURS[item["style"]]}">'
                f"{html.escape(label)}</div>"
            )
        rows.append(f'<div class="row">{"".join(cells)}</div>')
    return f'<div class="buttons">{"".join(rows)}</div>' if rows else ""


def page_html(payload: dict[str, Any], question: str) -> str:
    """The page: a member mentions the bot with the question; the bot replies with the payload."""
    md = discord_markdown()
    asked = f'<span class="mention">@{BOT}</span> {md.renderInline(question)}'
    member_colour, bot_colour = "#eb459e", "#3b82f6"
    embeds = "".join(embed_html(embed, md) for embed in payload.get("embeds", []))
    content = payload.get("content") or ""
    reply = (
        '<div class="reply">'
        f'{avatar(MEMBER, member_colour, "mini")}<span class="who">{MEMBER}</span>'
        f'<span class="what">@{BOT} {html.escape(question)}</span></div>'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Footnote on Discord</title>
<style>{CSS % {"width": WIDTH}}</style></head>
<body><main class="chat">
<div class="message"><div class="body">{avatar(MEMBER, member_colour)}
<h3 class="header"><span class="name">{MEMBER}</span><span class="time">{SENT_AT}</span></h3>
<div class="content">{asked}</div></div></div>
<div class="message">{reply}<div class="body">{avatar(BOT, bot_colour)}
<h3 class="header"><span class="name">{BOT}</span><span class="app">APP</span>\
<span class="time">{SENT_AT}</span></h3>
{f'<div class="content md">{md.render(content)}</div>' if content else ""}
<div class="accessories">{embeds}</div>
{buttons_html(payload.get("components", []))}</div></div>
</main></body></html>
"""


def screenshot(page: Path, out: Path, height: int = 3000, scale: float = SCALE) -> None:
    """Photograph the page with headless Chromium, crop it to the messages, shrink the file."""
    from PIL import Image, ImageChops

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed: apt-get install -y chromium")
    shot = page.with_suffix(".png")
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",  # root in a container has no user namespaces to sandbox with
            "--disable-gpu",
            "--hide-scrollbars",
            f"--force-device-scale-factor={scale}",
            f"--window-size={WIDTH},{height}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(shot).convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
    box = ImageChops.difference(image, background).getbbox()
    if box is None:
        raise SystemExit(f"Chromium drew an empty page from {page}")
    margin = round(MARGIN * scale)
    if box[3] >= image.height - 1:
        raise SystemExit(f"The messages are taller than {height} px; pass a larger --height.")
    cropped = image.crop((0, 0, min(image.width, box[2] + margin), box[3] + margin))
    out.parent.mkdir(parents=True, exist_ok=True)
    # 256 colours keep antialiased text on a flat dark background crisp, at a third the bytes.
    cropped.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, optimize=True
    )
    if optipng := shutil.which("optipng"):
        subprocess.run([optipng, "-quiet", "-o5", str(out)], check=True, timeout=300)


def main(argv: Sequence[str] | None = None) -> int:
    """Ask, render, draw and photograph; print where the picture and the page are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--question", default=QUESTION, help=f'default: "{QUESTION}"')
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="default: corpus/")
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT.relative_to(ROOT)}")
    parser.add_argument("--height", type=int, default=3000, help="browser window height, px")
    parser.add_argument("--scale", type=float, default=SCALE, help=f"zoom; default: {SCALE}")
    args = parser.parse_args(argv)
    try:
        payload = answer_payload(args.question, args.corpus)
    except FootnoteError as error:  # an empty question, a missing corpus: one line, as the CLI
        print(f"discord_screenshot: {error}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="footnote-discord-"))
    (work / "payload.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    page = work / "answer.html"
    page.write_text(page_html(payload, args.question), encoding="utf-8")
    screenshot(page, args.out, args.height, args.scale)
    print(f"{args.out} ({args.out.stat().st_size / 1024:.0f} KB); page and payload in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
