"""The interactive review: which articles to show, one at a time with the model's guess, keystrokes to decide.

Only the standard library: on a terminal the keys are read one at a time in cbreak mode
(``termios``/``tty``: no Enter needed, Ctrl-C still interrupts); when standard input is not a
terminal (a script, a test), each input line is a sequence of keys and an empty line is Enter.
With ``TERM=dumb`` (or not a terminal) the screen is never cleared; screens follow each other.

Every decision goes to the label journal (:mod:`classifier.labelling.journal`) the moment it is made,
so quitting, Ctrl-C or a crash loses nothing, and running the review again resumes with the
first article that has no decision yet.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

from classifier.article import Article
from classifier.chinese import display_width, pad
from classifier.labelling.journal import LABEL, SKIP, LabelJournal

#: Command keys; topic letters are chosen among the other letters.
SAVE_KEYS = ("\r", "\n", "a")
NONE_KEYS = ("0", "x")
SKIP_KEY, BACK, FULL, QUIT = "s", "b", "f", "q"
HELP_KEYS = ("?", "h")
COMMAND_LETTERS = set("axsbfqh")
#: Arrow keys: left goes back, right skips.
ESCAPES = {"\x1b[D": BACK, "\x1b[C": SKIP_KEY, "\x1bOD": BACK, "\x1bOC": SKIP_KEY}
EXCERPT_CHARS = 360
MAX_WIDTH = 100

HELP = """keys:
  Enter or a   save the checked topics (the model's guess until you change it)
  1-9, letter  toggle a topic (the letter in brackets)
  0 or x       none of these topics (saves the empty set)
  s or ->      skip (decide later: `--redo-skipped`)
  b or <-      back to the previous article (change its label)
  f            the whole text
  q            quit (every decision is already saved; run again to resume)"""


def topic_keys(topics: Sequence[str]) -> dict[str, str]:
    """A one-letter key per topic: the first letter of its id not taken by a command or another topic."""
    used = set(COMMAND_LETTERS)
    keys = {}
    for topic in topics:
        letter = next((c for c in topic.lower() if c.isascii() and c.isalpha() and c not in used), "")
        if letter:
            used.add(letter)
        keys[topic] = letter
    return keys


def wrap(text: str, width: int) -> list[str]:
    """Wrap text to ``width`` columns, by character (Chinese has no spaces to break at)."""
    lines = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for char in paragraph:
            w = 2 if unicodedata.east_asian_width(char) in "WF" else 1
            if used + w > width:
                lines.append(line)
                line, used = "", 0
            line += char
            used += w
        lines.append(line)
    return lines


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The opening of the text, cut at a sentence end near ``limit`` when there is one."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, limit // 2, limit) for mark in "。！？\n")
    return text[: cut + 1 if cut > 0 else limit].rstrip() + " …"


class Keyboard:
    """Keys from standard input: single keystrokes on a terminal, lines of keys otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self.raw = self.stream.isatty()
        self._saved: Any = None
        self._pending: list[str] = []

    def __enter__(self) -> Keyboard:
        if self.raw:
            import termios
            import tty

            fd = self.stream.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)  # keys without Enter, no echo; Ctrl-C still raises KeyboardInterrupt
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)

    def keys(self) -> Iterator[str]:
        """Yield keys until the input ends (then ``q``)."""
        while True:
            key = self._read_raw() if self.raw else self._read_line_key()
            if key is None:
                yield QUIT
                return
            yield key

    def _read_raw(self) -> str | None:
        fd = self.stream.fileno()
        data = os.read(fd, 8)
        if not data:
            return None
        if data == b"\x1b":
            # The rest of an arrow key's escape sequence follows at once; a lone Esc does not.
            while select.select([fd], [], [], 0.05)[0]:
                data += os.read(fd, 8)
        if data == b"\x04":  # Ctrl-D
            return None
        text = data.decode("utf-8", errors="ignore")
        return ESCAPES.get(text, text[:1] if not text.startswith("\x1b") else "")

    def _read_line_key(self) -> str | None:
        while not self._pending:
            line = self.stream.readline()
            if not line:
                return None
            line = line.rstrip("\r\n")
            self._pending = list(line.replace(" ", "")) if line.strip() else ["\n"]
        return self._pending.pop(0)


@dataclass
class Item:
    """One article in the review, with the model's guess and what was decided in this run."""

    article: Article
    source: str
    guess: list[str] | None = None
    scores: dict[str, float] | None = None
    selected: set[str] = field(default_factory=set)
    status: str = ""
    #: Someone else decided it since the session started, and the annotator was told so.
    confirm: bool = False


class Guesser:
    """The model's topics and scores for one article at a time (``None`` without a model)."""

    def __init__(self, loaded: Any | None) -> None:
        self.loaded = loaded

    @property
    def name(self) -> str | None:
        return self.loaded.path.name if self.loaded is not None else None

    def __call__(self, article: Article) -> tuple[list[str] | None, dict[str, float] | None]:
        if self.loaded is None:
            return None, None
        pipeline = self.loaded.pipeline
        from classifier.model.estimator import scores_and_topics

        row, (guess,) = scores_and_topics(pipeline, [article.full_text])
        return guess, {str(t): float(s) for t, s in zip(pipeline[-1].classes_, row[0], strict=True)}


def review_model(
    model: Path | str | None, no_model: bool, taxonomy: Any, trust_pickle: bool = False
) -> tuple[Any | None, str | None]:
    """The model whose guesses the review shows, or ``None`` and why (told so, or no default yet).

    Raises
    ------
    ClassifierError
        When the model's topics are not all in the taxonomy (the review could not show them).
    """
    from classifier.errors import ClassifierError
    from classifier.model.store import default_version, load_model

    if no_model:
        return None, None
    if model is None and default_version() is None:
        return None, "no default model: showing no guesses (train one with `classifier train`)"
    loaded = load_model(model, trust_pickle=trust_pickle)
    unknown = [t for t in loaded.topics if t not in taxonomy]
    if unknown:
        raise ClassifierError(f"the model's topics {', '.join(unknown)} are not in the taxonomy")
    return loaded, None


def review_queue(
    sources: Sequence[str],
    seeds: bool,
    store: LabelJournal,
    redo_skipped: bool = False,
    limit: int | None = None,
    passed_over: dict[str, int] | None = None,
    recheck: bool = False,
) -> Iterator[Item]:
    """The articles still to decide, lazily, in order: the seed articles (when ``seeds``), then the sources'.

    An article is passed over when it is labelled in another label file, or already decided in
    this store (a skip counts as decided unless ``redo_skipped``; a label too unless ``recheck``,
    for a second look such as ``labels audit`` asks for); ``passed_over`` counts those
    (``elsewhere``, ``done``). A source's own ``topics`` (e.g. a model's guess) never reach the
    review as a label.
    """
    from classifier.reading.reader import read_articles

    counts = passed_over if passed_over is not None else {}
    counts.setdefault("done", 0)
    counts.setdefault("elsewhere", 0)
    decided = {i: e.get("action") for i, e in store.latest().items()}

    def candidates() -> Iterator[tuple[Article, str]]:
        if seeds:
            yield from ((a, "seeds") for a in store.seed_articles.values())
        for source in sources:
            yield from ((a, Path(source).name) for a in read_articles([source]))

    given = 0
    seen: set[str] = set()
    for article, source in candidates():
        if article.id in seen:
            continue
        seen.add(article.id)
        if article.id in store.other_labels:
            counts["elsewhere"] += 1
            continue
        if article.id in decided and not (recheck or (redo_skipped and decided[article.id] == SKIP)):
            counts["done"] += 1
            continue
        article.topics = None
        yield Item(article=article, source=source)
        given += 1
        if limit is not None and given >= limit:
            return


class Move(Enum):
    """What the review does after a key: stay on the article, go on, go back, show the whole text, or quit."""

    STAY = 0
    NEXT = 1
    BACK = -1
    FULL_TEXT = 2
    QUIT = 3


class Review:
    """The review loop over ``items`` (an iterable of :class:`Item`, read lazily).

    Parameters
    ----------
    items : iterable of Item
        Articles still to decide, in order.
    store : LabelJournal
    topics : list of str
        The topics one can choose, in display order.
    names : dict
        Topic id -> Chinese name, shown beside the id.
    guesser : Guesser
    annotator : str
    thresholds : dict or None
        Per-topic threshold of the model, shown beside the score.
    out : TextIO
        Where the screens go.
    clear : bool
        Clear the screen between articles (a real terminal, not ``TERM=dumb``).

    The review is a session of the store (:meth:`LabelJournal.start_session`): each article is
    claimed before it is shown, so two people reviewing the same store never get the same
    article, and a decision someone else made meanwhile is never silently replaced.
    """

    def __init__(
        self,
        items: Iterable[Item],
        store: LabelJournal,
        topics: Sequence[str],
        names: dict[str, str],
        guesser: Guesser,
        annotator: str,
        thresholds: dict[str, float] | None = None,
        out: TextIO | None = None,
        clear: bool = False,
    ) -> None:
        self.pending = iter(items)
        self.history: list[Item] = []
        self.store = store
        self.topics = list(topics)
        self.names = names
        self.keys = topic_keys(self.topics)
        self.by_key = {k: t for t, k in self.keys.items() if k}
        self.by_key.update({str(n): t for n, t in enumerate(self.topics[:9], start=1)})
        self.guesser = guesser
        self.annotator = annotator
        self.thresholds = thresholds or {}
        self.out = out or sys.stdout
        self.clear = clear
        self.saved = 0
        self.skipped = 0
        self.taken = 0
        self.message = ""
        self.session = store.start_session(annotator)

    # -- navigation ----------------------------------------------------------------------

    def _item(self, index: int) -> Item | None:
        """The item at ``index`` of the history, pulling the next one from the input if needed.

        A new article is claimed for this session first; one another session has on screen, or
        decided since this session started, is passed over (and counted in ``taken``).
        """
        while index >= len(self.history):
            item = next(self.pending, None)
            if item is None:
                return None
            if self.store.claim(item.article.id, self.session) is not None:
                self.taken += 1
                continue
            item.guess, item.scores = self.guesser(item.article)
            item.selected = set(item.guess or [])
            self.history.append(item)
        return self.history[index]

    def run(self, keyboard: Keyboard) -> dict[str, int]:
        """Show articles and act on keys until the input, the articles or the user ends it."""
        index = 0
        keys = keyboard.keys()
        try:
            item = self._item(index)
            item = self._loop(keys, item, index)
        except KeyboardInterrupt:
            # Every decision is on disk already; say so before the CLI reports the interrupt.
            self.write("\n" + self.summary(done=True))
            raise
        finally:
            self.store.end_session(self.session)
        self.write(self.summary(done=item is not None))
        return {"saved": self.saved, "skipped": self.skipped, "taken": self.taken}

    def _loop(self, keys: Iterator[str], item: Item | None, index: int) -> Item | None:
        """The key loop; returns the item on screen when the user quit, ``None`` at the end."""
        while item is not None:
            self.show(item, index)
            move = self.handle(item, next(keys, QUIT))
            if move is Move.QUIT:
                return item
            if move is Move.BACK and index == 0:
                self.message = "this is the first article"
                continue
            if move is Move.FULL_TEXT:
                self.show_full(item)
                next(keys, QUIT)
                continue
            if move in (Move.NEXT, Move.BACK):
                index += move.value
                item = self._item(index)
        return item

    def handle(self, item: Item, key: str) -> Move:
        """Act on one key and say what to do next."""
        self.message = ""
        if key == QUIT:
            return Move.QUIT
        if key in SAVE_KEYS:
            if not item.selected and item.guess is None:
                self.message = "nothing checked: toggle topics, or 0 for none of these"
                return Move.STAY
            saved = self.decide(item, [t for t in self.topics if t in item.selected])
            return Move.NEXT if saved else Move.STAY
        if key in NONE_KEYS:
            item.selected = set()
            return Move.NEXT if self.decide(item, []) else Move.STAY
        if key == SKIP_KEY:
            self.store.record(
                item.article, None, self.annotator, item.source, item.guess, self.guesser.name, self.session.id
            )
            item.status = "skipped"
            self.skipped += 1
            self.message = f"skipped {item.article.id}"
            return Move.NEXT
        if key == BACK:
            return Move.BACK
        if key == FULL:
            return Move.FULL_TEXT
        if key in HELP_KEYS:
            self.message = HELP
            return Move.STAY
        topic = self.by_key.get(key.lower())
        if topic is None:
            self.message = f"unknown key {key!r}; ? for help"
            return Move.STAY
        item.selected ^= {topic}
        return Move.STAY

    def decide(self, item: Item, topics: list[str]) -> bool:
        """Save a decision, unless someone else decided the article since this session started and
        this is the first try: then say so and keep the article on screen (saving again replaces it)."""
        other = self.store.conflict(item.article.id, self.session)
        if other is not None and not item.confirm:
            item.confirm = True
            theirs = ", ".join(other.get("topics", [])) or ("skipped" if other.get("action") == SKIP else "none")
            self.message = (
                f"{other.get('annotator', 'someone')} decided {item.article.id} since you started ({theirs}); "
                "Enter again to replace it with yours, or s to skip"
            )
            return False
        entry = self.store.record(
            item.article, topics, self.annotator, item.source, item.guess, self.guesser.name, self.session.id
        )
        if not item.status.startswith("saved"):
            self.saved += 1
        item.status = f"saved: {', '.join(topics) or 'none'} ({entry['decision']})"
        self.message = f"saved {item.article.id}: {', '.join(topics) or 'none of these'} ({entry['decision']})"
        return True

    # -- drawing -------------------------------------------------------------------------

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def width(self) -> int:
        return min(MAX_WIDTH, shutil.get_terminal_size((80, 24)).columns)

    def show(self, item: Item, index: int) -> None:
        width = self.width()
        article = item.article
        head = f"── {index + 1} ── {article.id} ── {item.source} ── saved {self.saved}, skipped {self.skipped} "
        lines = ["\x1b[H\x1b[2J" if self.clear else "", head + "─" * max(0, width - display_width(head))]
        lines += wrap("【" + (article.title or "(no title)") + "】", width)
        lines += wrap(excerpt(article.text), width)
        lines.append(f"({len(article.text)} characters; f: whole text)")
        reason = article.extra.get("reason")
        if reason:
            lines.append(f"suggested because {reason}")
        lines.append("")
        if item.guess is None:
            lines.append("no model: check the topics yourself")
        else:
            lines.append(f"model {self.guesser.name} says: {', '.join(item.guess) or 'none of these'}")
        lines += self.topic_lines(item)
        if item.status:
            lines.append(f"this article: {item.status}")
        if self.message:
            lines.append(self.message)
        lines.append("Enter save · 1-9/letter toggle · 0 none · s skip · b back · f full text · q quit · ? help")
        self.write("\n".join(lines))

    def topic_lines(self, item: Item) -> list[str]:
        name_width = max(display_width(self.names.get(t, "")) for t in self.topics)
        id_width = max(len(t) for t in self.topics)
        out = []
        for n, topic in enumerate(self.topics, start=1):
            box = "[x]" if topic in item.selected else "[ ]"
            key = self.keys[topic] or " "
            number = str(n) if n <= 9 else " "
            line = f"  {box} {number} {key}  {topic:<{id_width}}  {pad(self.names.get(topic, ''), name_width)}"
            if item.scores is not None:
                score = item.scores.get(topic, 0.0)
                bar = "█" * round(score * 10)
                cut = self.thresholds.get(topic)
                line += f"  {score:4.2f} {bar:<10}" + (f" cut {cut:.2f}" if cut is not None else "")
            out.append(line)
        return out

    def show_full(self, item: Item) -> None:
        width = self.width()
        lines = ["\x1b[H\x1b[2J" if self.clear else "", "【" + (item.article.title or "(no title)") + "】"]
        lines += wrap(item.article.text, width)
        lines.append("── press any key to go back to the topics ──")
        self.write("\n".join(lines))

    def summary(self, done: bool) -> str:
        where = f"{self.store.path} (journal {self.store.journal_path})"
        total = sum(1 for e in self.store.latest().values() if e.get("action") == LABEL)
        end = "stopped; run the same command again to resume" if done else "no more articles to review"
        taken = f" ({self.taken} passed over: another session had them)" if self.taken else ""
        return f"{self.saved} labels saved, {self.skipped} skipped this session{taken}; {total} in {where}\n{end}"
