"""Load: a burst of questions at the real bot over a 100,000-passage corpus, through a fake Discord.

Run:  python benchmarks/load.py [--questions 500] [--people 50] [--spread 2.5 10]
                                [--cooldown default off] [--votes on] [--work benchmarks/.work]

It generates (from a fixed seed, no network) a corpus of news-like Markdown articles with at
least 100,000 paragraphs and builds its index with footnote's own build, both cached under
--work (git-ignored). Then, for each --spread and --cooldown value, it starts the fake Discord
of the end-to-end tests on 127.0.0.1 in this process and the real bot (``bot.app.create_bot``)
in a child process, as in production, and fires the burst: each question is an /ask, a mention
in #general or a message in the question channel, in turn, by people taking turns, dispatched
evenly over --spread seconds; the words come from random paragraphs of the corpus, with
question framing. It measures what reached the fake: replies per question (an answer has
embeds, a cool-down reply is text without embeds), the time from dispatching the event to the
reply's request arriving, the heartbeats the fake saw, and, inside the bot's process, the event
loop's lateness (a task sleeping 5 ms records how late it wakes). With --votes on (the
default) the asker of every answer presses 👍 or 👎 under it as soon as it arrives, during the
burst, and the votes' acknowledgements and the rows in the bot's store are counted too. Writes
benchmarks/results/load.md and load.json; progress goes to stderr.

Not a test: nothing here asserts; the targets are reported as met or missed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import itertools
import json
import logging
import math
import os
import platform
import random
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]  # the bot, the engine and the tests' fake

from bot.settings import load_settings  # noqa: E402
from footnote.answerlog.store import AnswerStore  # noqa: E402
from tests.e2e.fakediscord import FakeDiscord, Reply, User  # noqa: E402
from tests.e2e.fakediscord.rest import JSON  # noqa: E402
from tests.e2e.fakediscord.server import load_spec  # noqa: E402

RESULTS_DIR = HERE / "results"
DEFAULT_WORK = HERE / ".work"  # git-ignored: the generated corpus, its index, logs
GENERATOR_VERSION = 1  # bump when the generator changes, so the cached corpus is remade
SEED = 20251125
ARTICLES = 2000
PARAGRAPHS = (48, 58)  # per article: 2,000 articles make about 106,000 paragraphs
MONITOR_PERIOD = 0.005
TARGET_STALL_MS = 100.0
TARGET_P99_MS = 1000.0
WAYS = ("/ask", "mention", "channel")
SPEC = ROOT.parent / "shared" / "discord-api-spec" / "openapi.json"


def log(message: str) -> None:
    """One progress line on stderr."""
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the corpus ---------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """A word list written as one string."""
    return text.split()


def phrases(text: str) -> list[str]:
    """A list of phrases written as one string, separated by "|"."""
    return text.split("|")


TOPICS = {
    "harbour": words("port ferry crane dock cargo container pier tide vessel shipping"),
    "railway": words("train station platform signal timetable carriage track depot line fare"),
    "hospital": words("ward clinic surgeon nurse patient ambulance waiting list scanner bed"),
    "school": words("classroom pupil teacher exam curriculum playground library uniform term"),
    "drought": words("reservoir rainfall well crop irrigation hosepipe aquifer farmer river"),
    "bridge": words("span girder toll crossing viaduct pylon cable deck footbridge approach"),
    "museum": words("gallery exhibition curator painting archive collection loan sculpture"),
    "football": words("stadium club striker manager transfer season league pitch supporter"),
    "wind farm": words("turbine blade substation grid megawatt offshore cable planning"),
    "fishery": words("trawler quota catch cod herring harbour net fleet auction"),
    "airport": words("runway terminal flight airline passenger apron hangar slot runway"),
    "vineyard": words("grape harvest vintage cellar barrel frost winemaker label slope"),
    "mine": words("shaft seam colliery miner pit tunnel ore spoil heap winding"),
    "festival": words("stage ticket headliner crowd marquee campsite lineup steward"),
    "flood": words("embankment barrier sandbag levee pump floodplain culvert storm"),
    "orchestra": words("conductor symphony violinist concert hall rehearsal score tour"),
    "satellite": words("launch orbit rocket antenna payload telescope ground station"),
    "tram": words("tramway stop depot overhead wire route junction rolling stock"),
    "forest": words("woodland ranger timber sapling canopy trail deer fungus clearing"),
    "water": words("pipe leak meter treatment works sewer tariff outage mains"),
    "zoo": words("enclosure keeper elephant penguin breeding visitor aviary vet"),
    "court": words("judge jury verdict appeal defendant barrister hearing sentence"),
    "housing": words("estate tenant rent landlord tower block flat repair allocation"),
    "steelworks": words("furnace ingot foundry shift smelter union pension blast"),
    "university": words("campus lecturer student tuition research degree laboratory"),
    "marathon": words("runner course finish medal route spectator sponsor record"),
    "market": words("stall trader square produce licence rent shopper awning"),
    "observatory": words("telescope dome astronomer comet eclipse lens mirror sky"),
    "ski resort": words("slope lift piste snow chalet avalanche instructor season"),
    "power station": words("reactor turbine cooling tower chimney coal gas output"),
}
GENERAL = words(
    "council committee report budget plan inquiry proposal survey contract study agreement "
    "review consultation strategy petition audit grant scheme loan licence permit deadline "
    "investigation ban subsidy warning deal"
)
VERBS = words(
    "approved rejected delayed announced criticised funded expanded closed reopened "
    "inspected restored reviewed questioned defended postponed cancelled praised opposed "
    "extended suspended challenged welcomed blocked launched scrapped"
)
ADJECTIVES = words(
    "new ageing controversial regional temporary local municipal coastal northern southern "
    "unexpected costly modest ambitious overdue disputed popular crowded remote historic "
    "flooded derelict busy quiet"
)
ROLES = phrases(
    "mayor|chief engineer|spokeswoman|spokesman|director|minister|chair|head teacher|"
    "inspector|treasurer|curator|union leader|site manager|councillor|ombudsman"
)
FIRST = words(
    "Anna Ben Chloe David Elena Farid Grace Hamid Ines Jonas Katya Liam Maya Nadia Oscar "
    "Priya Quentin Rosa Samir Tara Umar Vera Wen Yusuf Zoe"
)
LAST = words(
    "Abbott Baptiste Carvalho Dimitrov Evans Fischer Gallagher Haddad Ivanova Jensen Kaur "
    "Lindqvist Moreau Novak Okafor Petrov Quinn Rossi Sato Tanaka Underwood Varga Walsh "
    "Yilmaz Zielinski"
)
PREFIXES = words("Ash Bel Carr Dun El Fair Glen Hol Kil Lin Mar Nor Ost Pen Red Stan Tor Wes")
SUFFIXES = words("bury ford mouth wick ton field haven more gate ley stead worth port dale")
ORGS = phrases(
    "Council|Harbour Board|Transport Authority|Water Company|Hospital Trust|Chamber of "
    "Commerce|Heritage Society|Residents' Association|Planning Office|Chronicle"
)
MONTHS = words(
    "January February March April May June July August September October November December"
)
SENTENCES = (
    "The {A} {N} in {PL} was {V} by the {ORG} on {DAY} {MONTH}.",
    "{P}, the {ROLE} of {PL}, said the {G} would {base} the {N} by {YEAR}.",
    "In {MONTH} {YEAR}, {NUM} {N}s were counted near the {A} {N2} outside {PL}.",
    "Officials {V} the {G} after a {A} {N} closed the {N2} for {NUM} days.",
    "'We have waited {NUM} years for this {N},' said {P}, a {ROLE} from {PL}.",
    "The {ORG} {V} a {G} worth {MONEY} to repair the {N2}.",
    "Critics said the {G} ignored the {N} and left {PL} with a {A} {N2}.",
    "{P} told the {ORG} that the {N} had cost {MONEY} since {YEAR}.",
    "A {G} published in {MONTH} found that {NUM} per cent of the {N}s in {PL} were {A}.",
    "Work on the {N} resumed on {DAY} {MONTH}, {NUM} weeks after the {G} was {V}.",
    "Residents of {PL} {V} the plan, arguing that the {N2} was already {A}.",
    "The {ROLE} {P} has asked for a {G} into how the {N} was run.",
    "Without the {N}, the {ORG} said, {PL} would lose its {A} {N2}.",
    "By {YEAR} the {N} carried {NUM} thousand people a year, twice the figure for {PL}.",
    "The {G} was {V} in {MONTH}, and a decision on the {N2} is expected by {YEAR}.",
)
HEADINGS = (
    "What happened in {PL}?",
    "Why was the {N} {V}?",
    "The {G} and the {N2}",
    "Who pays for the {N}?",
    "What comes next for {PL}",
    "Reaction in {PL}",
)
QUESTIONS = (
    "why was the {N} in {PL} {V}?",
    "what did the {ORG} say about the {N}?",
    "what happened to the {A} {N} in {PL}?",
    "who {V} the {G} on the {N2}?",
    "how much did the {N} in {PL} cost?",
    "when will the {N2} in {PL} be finished?",
    "what does {P} think of the {N}?",
    "{N} {N2} {PL}?",
)
BASES = {"approved": "approve", "rejected": "reject", "delayed": "delay"}


def place(rng: random.Random) -> str:
    """A plausible town name."""
    return rng.choice(PREFIXES) + rng.choice(SUFFIXES)


def fill(template: str, rng: random.Random, topic: list[str], town: str) -> str:
    """A template with its slots drawn for one article's topic and town."""
    nouns = rng.sample(topic, 2)
    verb = rng.choice(VERBS)
    slots = {
        "A": rng.choice(ADJECTIVES),
        "N": nouns[0],
        "N2": nouns[1],
        "G": rng.choice(GENERAL),
        "V": verb,
        "base": BASES.get(verb, "review"),
        "PL": town if rng.random() < 0.7 else place(rng),
        "ORG": f"{town} {rng.choice(ORGS)}",
        "P": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "ROLE": rng.choice(ROLES),
        "DAY": rng.choice(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")),
        "MONTH": rng.choice(MONTHS),
        "YEAR": str(rng.randint(1995, 2026)),
        "NUM": str(rng.randint(2, 95)),
        "MONEY": f"£{rng.randint(2, 900)}{rng.choice(('m', 'k', ',000', 'bn'))}",
    }
    return template.format(**slots)


def article(number: int, rng: random.Random) -> tuple[str, list[str]]:
    """One Markdown article, and questions asked in its words."""
    name = rng.choice(list(TOPICS))
    topic = TOPICS[name]
    town = place(rng)
    title = f"{town} {name}: {fill(rng.choice(HEADINGS), rng, topic, town).rstrip('?')}"
    lines = [
        "---",
        f'title: "{title}"',
        f"url: https://news.example/{number:05d}",
        f"published: {rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        f"source: {town} Chronicle",
        "---",
        "",
    ]
    questions = []
    for index in range(rng.randint(*PARAGRAPHS)):
        if index % 7 == 3:
            lines += [f"## {fill(rng.choice(HEADINGS), rng, topic, town)}", ""]
        paragraph = " ".join(
            fill(rng.choice(SENTENCES), rng, topic, town) for _ in range(rng.randint(3, 6))
        )
        lines += [paragraph, ""]
        if rng.random() < 0.02:
            questions.append(fill(rng.choice(QUESTIONS), rng, topic, town))
    return "\n".join(lines), questions


def generate(corpus: Path) -> list[str]:
    """Write the articles under ``corpus`` (cached by generator version); the questions."""
    stamp = corpus / ".generated.json"
    if stamp.exists() and json.loads(stamp.read_text()).get("version") == GENERATOR_VERSION:
        return list(json.loads(stamp.read_text())["questions"])
    log(f"generating {ARTICLES} articles under {corpus}")
    corpus.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    questions: list[str] = []
    for number in range(ARTICLES):
        text, asked = article(number, rng)
        folder = corpus / f"{number // 100:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"article-{number:05d}.md").write_text(text, encoding="utf-8")
        questions += asked
    # Hidden files are not read as articles: the stamp holds the questions beside them.
    stamp.write_text(json.dumps({"version": GENERATOR_VERSION, "questions": questions}))
    return questions


def build_index(work: Path) -> dict[str, Any]:
    """Build (or reuse) the index with footnote's own build; its size and build time."""
    from footnote.config import EngineConfig
    from footnote.engine import Engine

    started = time.perf_counter()
    engine, report = Engine.open(EngineConfig(corpus_dir=work / "corpus", index_dir=work / "index"))
    built = {
        "documents": len(engine.retriever.index.documents()),
        "passages": len(engine.retriever),
        "built_now": report is not None,
        "seconds": round(report.seconds if report else time.perf_counter() - started, 1),
    }
    log(f"index: {built}")
    return built


# -- the bot's process ----------------------------------------------------------------------


async def monitor(samples: list[tuple[float, float]]) -> None:
    """Sleep MONITOR_PERIOD again and again, recording (loop time, lateness in seconds)."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(MONITOR_PERIOD)
        samples.append((start, loop.time() - start - MONITOR_PERIOD))


def watch_gc(pauses: list[tuple[float, int, float]]) -> None:
    """Record every garbage collection over 5 ms: (start time, generation, seconds)."""
    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.monotonic()]
        elif started and (took := time.monotonic() - started[0]) > 0.005:
            pauses.append((started[0], info["generation"], took))

    gc.callbacks.append(callback)


async def run_bot(samples_path: Path) -> None:
    """The real bot from the environment's settings, until SIGTERM; then write the samples."""
    from bot.app import create_bot, open_engine

    settings = load_settings(os.environ)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine, _ = await asyncio.to_thread(open_engine, settings)
    bot = create_bot(settings, engine, guild_ready_timeout=0.05)
    samples: list[tuple[float, float]] = []
    pauses: list[tuple[float, int, float]] = []
    watch_gc(pauses)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    watch = asyncio.create_task(monitor(samples))
    client = asyncio.create_task(bot.start(settings.token))
    await asyncio.wait({client, asyncio.create_task(stop.wait())}, return_when="FIRST_COMPLETED")
    watch.cancel()
    await bot.close()
    await asyncio.gather(client, return_exceptions=True)
    samples_path.write_text(json.dumps({"lateness": samples, "gc": pauses}))


# -- the burst ------------------------------------------------------------------------------


@dataclasses.dataclass
class Asked:
    """One question of the burst: how, by whom, when dispatched, and what the fake returned."""

    way: str
    person: str
    sent_at: float
    payload: JSON


async def ask(fake: FakeDiscord, way: str, person: User, question: str) -> JSON:
    """Dispatch one question the way a person would."""
    if way == "/ask":
        return await fake.slash_command("ask", {"question": question[:300]}, user=person)
    if way == "mention":
        text = f"{fake.bot_user.mention} {question}"
        return await fake.user_message(fake.channel("general"), text, author=person)
    return await fake.user_message(fake.channel("questions"), question, author=person)


@dataclasses.dataclass
class Voted:
    """One vote pressed under an answer of the burst, and what the fake returned."""

    sent_at: float
    payload: JSON


def vote_button(reply: Reply, up: bool) -> str | None:
    """The custom id of the 👍 (or 👎) button under an answer, if it has one."""
    wanted = ":up" if up else ":down"
    for row in reply.message.get("components") or []:
        for component in row.get("components") or []:
            custom_id = str(component.get("custom_id") or "")
            if custom_id.startswith("footnote:vote:") and custom_id.endswith(wanted):
                return custom_id
    return None


async def vote_as_answers_come(
    fake: FakeDiscord, asked: list[Asked], total: int, people: dict[str, User], until: float
) -> list[Voted]:
    """Each asker votes under their answer as soon as it arrives: 👍 for two answers in
    three, 👎 for the third. ``asked`` grows as the burst dispatches; watching ends when all
    ``total`` questions have a reply, or at ``until``."""
    loop = asyncio.get_running_loop()
    done: set[int] = set()
    votes: list[Voted] = []
    while len(done) < total and loop.time() < until:
        answers = fake._answers()  # one pass over the requests for every question
        for number, question in enumerate(list(asked)):
            if number in done:
                continue
            replies = fake._replies(question.payload, answers)
            if not replies:
                continue
            done.add(number)
            custom_id = vote_button(replies[0], up=number % 3 != 2)
            if custom_id is None:
                continue  # a cool-down reply or a declined answer: nothing to rate
            sent_at = loop.time()
            payload = await fake.component(
                custom_id, message=replies[0].message, user=people[question.person]
            )
            votes.append(Voted(sent_at, payload))
        await asyncio.sleep(0.02)
    return votes


async def burst(
    fake: FakeDiscord,
    people: list[User],
    questions: list[str],
    count: int,
    spread: float,
    asked: list[Asked],
) -> list[Asked]:
    """Dispatch ``count`` questions evenly over ``spread`` seconds, people taking turns,
    onto ``asked`` (which a voter watches as it grows)."""
    loop = asyncio.get_running_loop()
    rng = random.Random(SEED + count)
    start = loop.time()
    for number in range(count):
        await asyncio.sleep(max(0.0, start + number * spread / count - loop.time()))
        person, way = people[number % len(people)], WAYS[number % len(WAYS)]
        sent_at = loop.time()
        payload = await ask(fake, way, person, rng.choice(questions))
        asked.append(Asked(way, person.username, sent_at, payload))
    return asked


def settings_env(
    fake: FakeDiscord, work: Path, cooldown: str | None, store: Path
) -> dict[str, str]:
    """The bot's environment: pointed at the fake, over the generated corpus."""
    env = {
        "FOOTNOTE_BOT_STATE": str(store),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_GUILD_ID": str(fake.guild.id),
        "FOOTNOTE_ASK_CHANNEL_IDS": str(fake.channel("questions").id),
        "DISCORD_API_BASE_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "FOOTNOTE_CORPUS_DIR": str(work / "corpus"),
        "FOOTNOTE_INDEX_DIR": str(work / "index"),
        "LOG_LEVEL": "WARNING",
    }
    if cooldown is not None:
        env["FOOTNOTE_COOLDOWN"] = cooldown
    return env


async def warm_up(fake: FakeDiscord, person: User, questions: list[str]) -> None:
    """One question each way before the burst (not measured)."""
    asked = [await ask(fake, way, person, questions[i]) for i, way in enumerate(WAYS)]
    await fake.wait_for_replies(asked, timeout=30)


async def scenario(args: argparse.Namespace, cooldown: str | None, spread: float) -> dict[str, Any]:
    """One burst against a fresh fake and bot process; every figure of it."""
    work: Path = args.work
    questions = json.loads((work / "corpus" / ".generated.json").read_text())["questions"]
    # Bodies are validated after the burst: inline, the fake's validation would be what
    # is measured (it costs more per request than the bot's whole answer).
    fake = FakeDiscord(heartbeat_interval=args.heartbeat, validate=False)
    people = [fake.add_person(f"reader{i:03d}") for i in range(args.people)]
    spare = fake.add_person("warmup")
    await fake.start()
    lag: list[tuple[float, float]] = []
    fake_watch = asyncio.create_task(monitor(lag))
    name = cooldown or "default"
    samples_path, log_path = work / f"stalls-{name}.json", work / f"bot-{name}.log"
    store = work / f"store-{name}-{spread:g}.sqlite"
    for old in work.glob(f"{store.name}*"):  # each burst starts with an empty store
        old.unlink()
    env = {**os.environ, **settings_env(fake, work, cooldown, store)}
    votes: list[Voted] = []
    with log_path.open("w") as bot_log:
        profile = ["-m", "cProfile", "-o", str(args.profile_bot)] if args.profile_bot else []
        child = subprocess.Popen(
            [sys.executable, *profile, __file__, "bot", str(samples_path)],
            env=env,
            stderr=bot_log,
            cwd=ROOT,
        )
        try:
            await fake.wait_until(
                lambda: fake.commands.get(fake.guild.id) and fake.gateway.session,
                120,
                "the bot to sync /ask and connect",
            )
            await warm_up(fake, spare, questions)
            log(f"burst ({name} cool-down): {args.questions} questions, {args.people} people")
            asked: list[Asked] = []
            voter = None
            if args.votes == "on":
                until = asyncio.get_running_loop().time() + spread + args.timeout
                by_name = {person.username: person for person in people}
                voter = asyncio.create_task(
                    vote_as_answers_come(fake, asked, args.questions, by_name, until)
                )
            await burst(fake, people, questions, args.questions, spread, asked)
            dispatched = asyncio.get_running_loop().time()
            try:
                await fake.wait_for_replies([a.payload for a in asked], timeout=args.timeout)
                if voter is not None:
                    votes = await voter
                    await fake.wait_for_replies([v.payload for v in votes], timeout=args.timeout)
            except TimeoutError:
                log("some questions or votes got no reply within the timeout")
            await asyncio.sleep(1.0)  # a duplicate reply would arrive now
        finally:
            child.send_signal(signal.SIGTERM)
            await asyncio.to_thread(child.wait, 30)
            fake_watch.cancel()
            await fake.stop()
    spec = load_spec(SPEC)
    validated = fake.validate_recorded(spec) if spec is not None else 0
    recorded = json.loads(samples_path.read_text())
    stalls = [tuple(s) for s in recorded["lateness"]]
    result = measure(fake, asked, dispatched, stalls, lag, log_path, args, cooldown)
    result["votes"] = vote_figures(fake, votes, store) if args.votes == "on" else None
    start, end = asked[0].sent_at, asked[0].sent_at + result["burst_s"]
    result["gc_pauses_ms"] = [
        [round(1000 * took, 1), generation]
        for at, generation, took in recorded["gc"]
        if start <= at <= end
    ]
    return {**result, "spread_s": spread, "bodies_validated": validated}


# -- the figures ----------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def spread_of(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of seconds, in milliseconds."""
    return {
        key: round(1000 * value, 1)
        for key, value in (
            ("p50_ms", percentile(values, 0.50)),
            ("p90_ms", percentile(values, 0.90)),
            ("p99_ms", percentile(values, 0.99)),
            ("max_ms", max(values, default=0.0)),
        )
    }


def vote_figures(fake: FakeDiscord, votes: list[Voted], store: Path) -> dict[str, Any]:
    """Votes pressed, acknowledged (and how fast), apologised for, lost; rows in the store."""
    replies = [fake.replies_to(v.payload) for v in votes]
    latency = [r[0].at - v.sent_at for v, r in zip(votes, replies, strict=True) if r]
    acknowledged = sum(bool(r) and "counted" in r[0].content for r in replies)
    apologies = sum(bool(r) and "error id" in r[0].content for r in replies)
    kept = AnswerStore(store, read_only=True)
    try:
        answers, stored = len(kept.answers()), len(kept.votes())
    finally:
        kept.close()
    return {
        "pressed": len(votes),
        "acknowledged": acknowledged,
        "apologies": apologies,
        "lost": sum(not r for r in replies),
        "latency": spread_of(latency),
        "answers_in_store": answers,
        "votes_in_store": stored,
    }


def kind_of(reply: Reply) -> str:
    """answer (embeds), apology (an error id), or cooldown (any other plain text)."""
    if reply.embeds:
        return "answer"
    return "apology" if "error id" in reply.content else "cooldown"


def heartbeat_figures(fake: FakeDiscord, start: float, end: float) -> dict[str, Any]:
    """Heartbeats the fake saw: the largest gap between two while the burst ran, and acks."""
    beats = sorted(h.at for h in fake.heartbeats)
    around = [t for t in beats if t >= start] + [end]
    before = [t for t in beats if t < start][-1:]
    gaps = [b - a for a, b in zip(before + around, around, strict=False) if b > a]
    return {
        "interval_s": fake.heartbeat_interval,
        "during_burst": sum(start <= t <= end for t in beats),
        "max_gap_s": round(max(gaps, default=0.0), 3),
        "all_acked": all(h.acked for h in fake.heartbeats),
        "gateway_connections": len(fake.connections),
    }


def measure(
    fake: FakeDiscord,
    asked: list[Asked],
    dispatched: float,
    stalls: list[tuple[float, float]],
    lag: list[tuple[float, float]],
    log_path: Path,
    args: argparse.Namespace,
    cooldown: str | None,
) -> dict[str, Any]:
    """Every figure of one burst, as JSON."""
    replies = [fake.replies_to(a.payload) for a in asked]
    kinds = Counter(kind_of(r[0]) for r in replies if r)
    first = [(a, r[0]) for a, r in zip(asked, replies, strict=True) if r]
    latency = [reply.at - a.sent_at for a, reply in first]
    start = asked[0].sent_at
    end = max([reply.at for _, reply in first] + [dispatched])
    window = [late for at, late in stalls if start <= at <= end]
    fake_window = [late for at, late in lag if start <= at <= end]
    bot_log = log_path.read_text()
    return {
        "cooldown": cooldown or "bot default",
        "questions": len(asked),
        "people": args.people,
        "dispatch_s": round(dispatched - start, 2),
        "burst_s": round(end - start, 2),
        "replies": {
            "answers": kinds["answer"],
            "cooldowns": kinds["cooldown"],
            "apologies": kinds["apology"],
            "lost": sum(not r for r in replies),
            "more_than_one": sum(len(r) > 1 for r in replies),
            "pinging": sum(bool(reply.pings()) for r in replies for reply in r),
        },
        "latency": spread_of(latency),
        "latency_by_way": {
            way: spread_of(
                [lat for (a, _), lat in zip(first, latency, strict=True) if a.way == way]
            )
            for way in WAYS
        },
        "latency_answers": spread_of(
            [lat for (_, reply), lat in zip(first, latency, strict=True) if reply.embeds]
        ),
        "bot_loop_stall": {**spread_of(window), "samples": len(window)},
        "fake_loop_stall": {**spread_of(fake_window), "samples": len(fake_window)},
        "heartbeats": heartbeat_figures(fake, start, end),
        "fake_problems": fake.problems(),
        "bot_log_errors": dict(
            Counter(
                line.split(" ERROR ", 1)[1] for line in bot_log.splitlines() if " ERROR " in line
            )
        ),
    }


# -- the report -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where and when it ran: CPUs, load, Python, versions and footnote's git revision."""
    from importlib import metadata

    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "discord.py": metadata.version("discord.py"),
        "aiohttp": metadata.version("aiohttp"),
        "footnote_revision": revision,
        "validated_against_openapi": load_spec(SPEC) is not None,
    }


def met(ok: bool) -> str:
    """yes, or a bold no."""
    return "yes" if ok else "**no**"


def label(run: dict[str, Any]) -> str:
    """A run's name: questions, over how long, and the cool-down."""
    rate = run["questions"] / run["spread_s"]
    return (
        f"{run['questions']} in {run['spread_s']:g} s ({rate:.0f}/s), cool-down {run['cooldown']}"
    )


def table(runs: list[dict[str, Any]]) -> str:
    """One row per burst: replies, latency, loop stalls, heartbeats."""
    text = (
        "| burst | answers | cool-down replies | lost | >1 reply | apologies "
        "| p50 ms | p99 ms | max ms | loop stall max ms | loop stall p99 ms "
        "| heartbeat max gap s (interval) | reconnects | dispatched in s | last reply at s "
        "| replies/s | bot ERROR logs |\n" + "|---" * 17 + "|\n"
    )
    for run in runs:
        r, lat, st, hb = run["replies"], run["latency"], run["bot_loop_stall"], run["heartbeats"]
        text += (
            f"| {label(run)} | {r['answers']} | {r['cooldowns']} "
            f"| {r['lost']} | {r['more_than_one']} | {r['apologies']} | {lat['p50_ms']} "
            f"| {lat['p99_ms']} | {lat['max_ms']} | {st['max_ms']} | {st['p99_ms']} "
            f"| {hb['max_gap_s']} ({hb['interval_s']}) | {hb['gateway_connections'] - 1} "
            f"| {run['dispatch_s']} | {run['burst_s']} | {run['questions'] / run['burst_s']:.0f} "
            f"| {sum(run['bot_log_errors'].values())} |\n"
        )
    return text


def targets(runs: list[dict[str, Any]]) -> str:
    """The issue's targets, met or missed, per burst."""
    text = "| burst | target | measured | met |\n|---|---|---|---|\n"
    for run in runs:
        st, lat, r, hb = run["bot_loop_stall"], run["latency"], run["replies"], run["heartbeats"]
        name = label(run)
        text += (
            f"| {name} | none lost | {r['lost']} lost, {r['more_than_one']} doubled "
            f"| {met(r['lost'] == 0 and r['more_than_one'] == 0)} |\n"
            f"| {name} | no event-loop stall over {TARGET_STALL_MS:.0f} ms | {st['max_ms']} ms "
            f"| {met(st['max_ms'] <= TARGET_STALL_MS)} |\n"
            f"| {name} | heartbeats acknowledged | all acked: {hb['all_acked']}, "
            f"max gap {hb['max_gap_s']} s for {hb['interval_s']} s, "
            f"{hb['gateway_connections']} connection(s) "
            f"| {met(hb['all_acked'] and hb['gateway_connections'] == 1)} |\n"
            f"| {name} | reply p99 under {TARGET_P99_MS / 1000:.0f} s | {lat['p99_ms']} ms "
            f"| {met(lat['p99_ms'] < TARGET_P99_MS)} |\n"
        )
    return text


def vote_table(runs: list[dict[str, Any]]) -> str:
    """Votes during each burst: pressed, acknowledged, lost, latency, rows kept."""
    if not any(run.get("votes") for run in runs):
        return "Votes: off (--votes off).\n"
    text = (
        "Votes pressed during the burst (each asker rates their answer as it arrives):\n\n"
        "| burst | votes pressed | acknowledged | apologies | lost | p50 ms | p99 ms | max ms "
        "| answers in store | votes in store |\n" + "|---" * 10 + "|\n"
    )
    for run in runs:
        v = run.get("votes")
        if not v:
            continue
        lat = v["latency"]
        text += (
            f"| {label(run)} | {v['pressed']} | {v['acknowledged']} | {v['apologies']} "
            f"| {v['lost']} | {lat['p50_ms']} | {lat['p99_ms']} | {lat['max_ms']} "
            f"| {v['answers_in_store']} | {v['votes_in_store']} |\n"
        )
    return text


def by_way(runs: list[dict[str, Any]]) -> str:
    """Latency per way of asking, per burst."""
    text = "| burst | way | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n"
    for run in runs:
        for way, figures in run["latency_by_way"].items():
            text += (
                f"| {label(run)} | {way} | {figures['p50_ms']} | {figures['p90_ms']} "
                f"| {figures['p99_ms']} | {figures['max_ms']} |\n"
            )
    return text


def report(result: dict[str, Any], command: str) -> str:
    """The Markdown report: the command, the setting, the bursts, the targets, the notes."""
    runs = result["runs"]
    m, corpus = result["machine"], result["corpus"]
    notes = "\n".join(f"- {note}" for note in result["notes"])
    return f"""# Load: a burst of questions at the bot

Made by:

```sh
{command}
```

{m["date"]}: {m["cpus"]} CPUs, Python {m["python"]}, discord.py {m["discord.py"]}, aiohttp \
{m["aiohttp"]}; footnote at {m["footnote_revision"]} (with the working tree's changes). Load \
average at the start {m["load_average"]}, at the end {result["load_average_end"]}: the machine \
is shared, so other work shows up in the figures.

Corpus: {corpus["documents"]:,} generated Markdown articles, {corpus["passages"]:,} passages \
(seed {SEED}); index built by footnote's own build in {corpus["seconds"]} s (cached under \
--work). Each burst: {runs[0]["questions"]} questions from {runs[0]["people"]} people, /ask, \
mentions in #general and messages in the question channel in turn, dispatched evenly over the \
time shown; the words come from random paragraphs, with question framing. The fake Discord \
(REST and gateway on 127.0.0.1; every request body validated against Discord's OpenAPI \
description after the burst: {m["validated_against_openapi"]}) runs in this process, the real \
bot in a child process; heartbeat interval {runs[0]["heartbeats"]["interval_s"]} s.

{table(runs)}
{vote_table(runs)}
Latency by way of asking (the gateway event's dispatch to the reply's request reaching the fake):

{by_way(runs)}
## Targets

{targets(runs)}
## Notes

{notes}
"""


def notes(runs: list[dict[str, Any]]) -> list[str]:
    """What the columns mean, and caveats."""
    found = [
        "Latency: from the fake dispatching the gateway event to the bot's reply request "
        "arriving (the type 4 callback, or the follow-up of a deferred /ask; the reply POST "
        "for messages), nearest-rank percentiles over every question that got a reply.",
        "Loop stall: inside the bot's process a task sleeps 5 ms over and over and records how "
        "late it wakes, kept for the burst (first dispatch to last reply). A 5 ms sleep "
        "resolves to about 1 ms, so sub-millisecond figures are noise.",
        "Heartbeats: the largest gap between two heartbeats the fake received around the "
        "burst, against the interval the fake's HELLO asked for (discord.py sends them from a "
        "thread but through the event loop, so a stalled loop shows here too).",
        "A cool-down reply is a reply without embeds (text, ephemeral for /ask); an apology "
        "has an error id. Lost = no reply at all.",
    ]
    found += [
        "Replies/s: questions over the time from the first dispatch to the last reply. When "
        "questions come faster than the bot's one event loop (and the engine threads sharing "
        "its GIL) can answer them, they queue: latency then grows with the backlog, it is not "
        "any one answer being slow.",
        "Discord's rate limits are not modelled: the fake sends no X-RateLimit headers, so "
        "discord.py keeps one request in flight per channel (its default until it knows a "
        "bucket) and never waits on one. Real Discord allows about 5 messages per 5 s in a "
        "channel, so on real Discord a burst answered in one channel is paced by Discord "
        "(discord.py queues the replies and waits), which these figures do not include.",
        "/ask must be acknowledged within 3 s (the fake enforces it, as Discord does). The bot "
        "defers when the answer is not ready 1 s after it saw the event, or 2 s after Discord "
        "created the interaction, whichever comes first, so a backlog cannot make it expire; "
        "an expired one would show as 'Unknown interaction' among the bot's ERROR logs.",
    ]
    paused = [ms for run in runs for ms, gen in run["gc_pauses_ms"] if gen == 2]
    if paused:
        found.append(
            f"Generation-2 garbage collections during the bursts: {len(paused)}, up to "
            f"{max(paused):.0f} ms (load.json lists every collection over 5 ms as "
            "gc_pauses_ms). The bot freezes its index out of the collector once it is open."
        )
    if any(run["fake_problems"] for run in runs):
        found.append("The fake saw problems (bodies breaking Discord's rules): see load.json.")
    return found


async def main_async(args: argparse.Namespace, command: str) -> int:
    """Generate, build, run each burst, write the report."""
    args.work.mkdir(parents=True, exist_ok=True)
    load_start = [round(x, 2) for x in os.getloadavg()]
    generate(args.work / "corpus")
    corpus = build_index(args.work)
    runs = []
    for spread, cooldown in itertools.product(args.spread, args.cooldown):
        setting = None if cooldown == "default" else cooldown
        runs.append(await scenario(args, setting, spread))
        log(json.dumps(runs[-1]["replies"]) + " " + json.dumps(runs[-1]["latency"]))
    result = {
        "machine": {**machine(), "load_average": load_start},
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "command": command,
        "corpus": corpus,
        "runs": runs,
        "notes": notes(runs),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    text = report(result, command)
    (RESULTS_DIR / "load.md").write_text(text)
    print(text)
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument(
        "--spread",
        type=float,
        nargs="+",
        default=[2.5, 5.0, 10.0],
        help="seconds to dispatch over",
    )
    parser.add_argument("--heartbeat", type=float, default=0.5, help="heartbeat interval, s")
    parser.add_argument("--timeout", type=float, default=60.0, help="wait for replies, s")
    parser.add_argument(
        "--cooldown",
        nargs="+",
        default=["default", "off"],
        help="FOOTNOTE_COOLDOWN per run ('default' leaves it unset)",
    )
    parser.add_argument(
        "--votes",
        choices=["on", "off"],
        default="on",
        help="askers press 👍/👎 under their answers during the burst (default on)",
    )
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="cache folder")
    parser.add_argument(
        "--profile-bot", type=Path, help="run the bot's process under cProfile, stats to FILE"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """``bot SAMPLES`` runs the bot (the child); anything else runs the benchmark."""
    if argv[:1] == ["bot"]:
        asyncio.run(run_bot(Path(argv[1])))
        return 0
    args = parse(argv)
    command = shlex.join(["python", "benchmarks/load.py", *argv])
    return asyncio.run(main_async(args, command))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
