"""Reading articles from files, directories and standard input.

Every command reads its input through :func:`read_articles`, so all of them
accept the same things:

* a ``.txt`` file: one article; the first non-empty line is the title when it is short;
* a ``.jsonl`` file: one JSON object a line with a ``text`` field (``id``, ``title``,
  ``topics``, ``date``, ``source``... optional); read lazily, line by line;
* a directory: every ``.txt`` and ``.jsonl`` file below it, in sorted order;
* ``-``: standard input, JSONL when its first character is ``{``, else one article.

Encodings are detected, not asked for: UTF-8 (with or without BOM), UTF-16 with a BOM,
and GB18030 (a superset of GBK and GB2312). Windows (``\\r\\n``) and old-Mac (``\\r``)
line endings become ``\\n``; full-width and no-break spaces become plain spaces.

Limits: a ``.txt`` article, a standard-input article or a single JSONL line may be at most
:data:`MAX_ARTICLE_BYTES` (10 MiB); a JSONL file as a whole has no limit, since it is streamed.
"""

from __future__ import annotations

import codecs
import io
import json
import logging
import os
import select
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import BinaryIO, NamedTuple

from classifier.article import Article
from classifier.errors import ClassifierError

_log = logging.getLogger(__name__)
MAX_ARTICLE_BYTES = 10 * 1024 * 1024
#: A first line longer than this is body text, not a title.
MAX_TITLE_CHARS = 60
INPUT_SUFFIXES = (".txt", ".json", ".jsonl")
#: A ``.json`` file is read whole; larger inputs belong in JSONL, which is streamed.
MAX_JSON_BYTES = 256 * 1024 * 1024
_SNIFF_BYTES = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SPACE_TABLE = str.maketrans({"\u3000": " ", "\u00a0": " ", "\ufeff": ""})


def normalise_text(text: str) -> str:
    """Unify line endings and spaces: ``\\r\\n`` and ``\\r`` to ``\\n``, full-width spaces to ``' '``."""
    # Each step only when needed: str.translate visits every character of a CJK text one by one
    # (in a `tag --jobs 2` run, most of the reading process's time), while `in` is a fast scan.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u3000" in text or "\u00a0" in text or "\ufeff" in text:
        text = text.translate(_SPACE_TABLE)
    return text


def detect_encoding(head: bytes, name: str) -> str:
    """Name the codec of a file from its first bytes, and say which on the ``classifier.reading`` logger.

    A BOM decides; then UTF-8 if the bytes are valid UTF-8; otherwise GB18030 (a superset of GBK
    and GB2312) or Big5 (HKSCS), whichever decoding reads as more common Chinese characters
    (:func:`classifier.chinese.chinese_score`): Big5 bytes are almost always valid GBK too, so
    validity alone would read a Big5 file as garbled GBK.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to 64 KiB is plenty).
    name : str
        File name, for the messages.

    Raises
    ------
    ClassifierError
        When the bytes look binary (NUL bytes without a UTF-16 BOM) or decode as nothing we know.
    """
    codec = _detect(head, name)
    _log.info("%s: read as %s", name, codec)
    return codec


def _detect(head: bytes, name: str) -> str:
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    if b"\x00" in head:
        raise ClassifierError(f"{name}: looks like a binary file, not text")
    decoded = {}
    for codec in ("utf-8", "gb18030", "big5hkscs"):
        try:
            # final=False: a multi-byte character cut by the end of `head` is not an error.
            decoded[codec] = codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8":
            return codec
    if not decoded:
        raise ClassifierError(f"{name}: not text in UTF-8, UTF-16, GB18030 or Big5")
    if len(decoded) == 1:
        return next(iter(decoded))
    from classifier.chinese import chinese_score

    return max(decoded, key=lambda codec: chinese_score(decoded[codec]))  # a tie keeps GB18030


def decode_bytes(data: bytes, name: str) -> str:
    """Decode a whole file's bytes (see :func:`detect_encoding`) and normalise them."""
    codec = detect_encoding(data[:_SNIFF_BYTES], name)
    try:
        return normalise_text(data.decode(codec))
    except UnicodeDecodeError as error:
        raise ClassifierError(f"{name}: cannot be decoded as {codec} (byte {error.start})") from None


def _read_limited_file(path: Path, limit: int) -> bytes:
    with Path(path).open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ClassifierError(f"{path}: larger than {limit // 2**20} MiB; write it as JSONL, which is streamed")
    return data


def _read_limited(stream: BinaryIO, name: str) -> bytes:
    data = stream.read(MAX_ARTICLE_BYTES + 1)
    if len(data) > MAX_ARTICLE_BYTES:
        raise ClassifierError(f"{name}: larger than the {MAX_ARTICLE_BYTES // 2**20} MiB limit for one article")
    return data


def read_text_file(path: Path) -> str:
    """Read one text file (an article or a newspaper page), decoded and normalised."""
    path = Path(path)
    if not path.exists():
        raise ClassifierError(f"{path}: no such file or directory")
    if not path.is_file():
        raise ClassifierError(f"{path}: not a file")
    with path.open("rb") as stream:
        return decode_bytes(_read_limited(stream, str(path)), str(path))


def article_from_text(text: str, article_id: str, name: str) -> Article:
    """Make an article of plain text: a short first line is the title.

    Raises
    ------
    ClassifierError
        When the text holds nothing but white space.
    """
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise ClassifierError(f"{name}: empty article")
    title = ""
    first = lines[0].lstrip("#").strip()
    if len(lines) > 1 and len(first) <= MAX_TITLE_CHARS:
        title, lines = first, lines[1:]
    return Article(id=article_id, title=title, text="\n".join(lines))


def _article_from_record(record: object, default_id: str, where: str) -> Article:
    if not isinstance(record, dict):
        raise ClassifierError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if "text" not in record:
        raise ClassifierError(f'{where}: no "text" field')
    if not isinstance(record["text"], str):
        raise ClassifierError(f'{where}: "text" must be a string')
    topics = record.get("topics")
    if topics is not None and not (isinstance(topics, list) and all(isinstance(t, str) for t in topics)):
        raise ClassifierError(f'{where}: "topics" must be a list of strings')
    article = Article.from_dict(record, default_id=default_id)
    article.text = normalise_text(article.text).strip()
    article.title = normalise_text(article.title).strip()
    if not article.text and not article.title:
        raise ClassifierError(f"{where}: empty article")
    return article


def iter_jsonl_lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line)`` of a JSONL byte stream, decoding lazily, one line at a time.

    Line numbers start at 1 and count every line, so an error names the line it is on; blank
    lines are skipped. Lines are cut on ``\n`` bytes, which no byte of a multi-byte character
    in UTF-8, GB18030 or Big5 can be; UTF-16, and files with only ``\r`` line ends, are decoded
    as a text stream instead.
    """
    for line in _jsonl_lines(stream, name):
        text = line.text()
        if text is not None:
            yield line.lineno, text


class JsonLine(NamedTuple):
    """One non-blank JSONL line as read, not yet decoded or parsed (:meth:`article` does both).

    ``tag --jobs N`` reads its input as these and lets its worker processes make the articles:
    the reading process then only cuts lines, and a bad line still fails naming its file and line.
    """

    raw: bytes | str  # bytes to decode with ``codec``, or a line decoded already
    codec: str
    name: str
    stem: str
    lineno: int

    def text(self) -> str | None:
        """The decoded line, ``None`` when it is blank once decoded.

        Raises
        ------
        ClassifierError
            When it cannot be decoded (naming the file, line and byte).
        """
        line = self.raw
        if isinstance(line, bytes):
            try:
                line = line.decode(self.codec)
            except UnicodeDecodeError as error:
                raise ClassifierError(
                    f"{self.name}:{self.lineno}: cannot be decoded as {self.codec} (byte {error.start + 1} of the line)"
                ) from None
        if self.lineno == 1:
            line = line.lstrip("\ufeff")
        return line if line.strip() else None

    def article(self) -> Article | None:
        """The line's article, ``None`` when the line is blank once decoded.

        Raises
        ------
        ClassifierError
            When it cannot be decoded, is not JSON, or not an article object (naming the file and line).
        """
        line = self.text()
        if line is None:
            return None
        where = f"{self.name}:{self.lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ClassifierError(f"{where}: not valid JSON ({error.msg})") from None
        return _article_from_record(record, f"{self.stem}-L{self.lineno}", where)


class JsonBlock(NamedTuple):
    """Consecutive lines of a JSONL byte stream as read, neither cut, decoded nor parsed (:meth:`lines` cuts them).

    ``tag --jobs N`` hands its workers these: a block of many lines crosses to a worker process
    for about what one line's :class:`JsonLine` costs, and the worker does the rest.
    """

    raw: bytes  # whole lines (the last may lack its ``\n`` at the end of the input)
    codec: str
    name: str
    stem: str
    lineno: int  # the number of the block's first line

    def lines(self) -> Iterator[JsonLine]:
        """The block's lines that hold something, as :func:`read_articles_deferred` hands lines on.

        Raises
        ------
        ClassifierError
            When a line that does not start as an object cannot be decoded (naming the file and line).
        """
        for lineno, raw in enumerate(self.raw.split(b"\n"), start=self.lineno):
            line = JsonLine(raw, self.codec, self.name, self.stem, lineno)
            if _holds_something(line):
                yield line


def _holds_something(line: JsonLine) -> bool:
    """Whether a line of bytes is not blank: the lines handed on as articles (or errors)."""
    raw = line.raw
    # A line of ASCII white space is blank in every codec detect_encoding gives here. A line
    # not starting as an object does may be blank only once decoded (a BOM, white space
    # beyond ASCII): it is decoded now, so that every line handed on holds something.
    return bool(raw.strip()) and (raw.lstrip()[:1] == b"{" or line.text() is not None)


def _jsonl_lines(
    stream: BinaryIO, name: str, stem: str = "", block_bytes: int | None = None
) -> Iterator[JsonLine | JsonBlock]:
    """The non-blank lines of a JSONL byte stream as :class:`JsonLine`, cut but not decoded.

    With ``block_bytes``, lines come as :class:`JsonBlock` of about that many bytes instead (a
    block ends at the end of a line), except lines of a stream read as text (UTF-16, ``\r`` line
    ends) and the rare block without a ``{``, whose lines are sorted out here, one by one.
    """
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[arg-type]
    head = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    codec = detect_encoding(head, name)
    if codec == "utf-16" or (b"\r" in head and b"\n" not in head):
        for lineno, text in _iter_text_lines(buffered, name, codec):
            yield JsonLine(text, codec, name, stem, lineno)
        return
    if block_bytes is not None:
        yield from _jsonl_blocks(buffered, codec, name, stem, block_bytes)
        return
    limit = MAX_ARTICLE_BYTES + 1
    lineno = 0
    while raw := buffered.readline(limit):
        lineno += 1
        if len(raw) >= limit and not raw.endswith(b"\n"):
            raise ClassifierError(f"{name}:{lineno}: line longer than the {MAX_ARTICLE_BYTES // 2**20} MiB limit")
        line = JsonLine(raw, codec, name, stem, lineno)
        if _holds_something(line):
            yield line


def _jsonl_blocks(
    buffered: io.BufferedReader, codec: str, name: str, stem: str, block_bytes: int
) -> Iterator[JsonLine | JsonBlock]:
    lineno = 1
    # From a pipe, what it holds now (its writer may be waiting for our output); from a file, full blocks.
    size = _file_size(buffered)
    read = partial(_read_ready, buffered) if size is None else buffered.read
    left = size or 0
    while block := read(_next_block(block_bytes, size, left)):
        left -= len(block)
        if not block.endswith(b"\n"):
            start = block.rfind(b"\n") + 1  # where the last, cut line starts
            block += buffered.readline(MAX_ARTICLE_BYTES + 1)
            if len(block) - start - block.endswith(b"\n") > MAX_ARTICLE_BYTES:
                cut = lineno + block.count(b"\n", 0, start)
                raise ClassifierError(f"{name}:{cut}: line longer than the {MAX_ARTICLE_BYTES // 2**20} MiB limit")
        item = JsonBlock(block, codec, name, stem, lineno)
        if b"{" in block:  # then a line holds something, in every codec detect_encoding gives here
            yield item
        elif block.strip():
            yield from item.lines()
        lineno += block.count(b"\n")


def _file_size(stream: BinaryIO) -> int | None:
    """The size of a regular file from its current position; ``None`` for a pipe or terminal."""
    try:
        status = os.fstat(stream.fileno())
        return status.st_size - stream.tell() if stat.S_ISREG(status.st_mode) else None
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None


def _next_block(block_bytes: int, size: int | None, left: int) -> int:
    """How many bytes the next block takes: ``left`` bytes before the end of a file of ``size`` (``None``: a pipe).

    Blocks shrink over the last ``4 * block_bytes`` of a longer file, down to an eighth: the
    workers that tag them then end close together, not one waiting for another's last block.
    """
    if size is None or size <= 4 * block_bytes or left >= 4 * block_bytes:
        return block_bytes
    return max(1, block_bytes // 8, left // 4)


def _read_ready(stream: io.BufferedReader, size: int) -> bytes:
    """Up to ``size`` bytes of a pipe: at least one (none at its end), and no more than it holds now."""
    data = stream.read1(size)
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return data
    parts = [data]
    while data and size > (have := sum(map(len, parts))) and select.select([fd], [], [], 0)[0]:
        data = stream.read1(size - have)
        parts.append(data)
    return b"".join(parts)


def _iter_text_lines(buffered: io.BufferedReader, name: str, codec: str) -> Iterator[tuple[int, str]]:
    text = io.TextIOWrapper(buffered, encoding=codec, errors="strict", newline=None)
    lineno = 0
    try:
        while line := text.readline(MAX_ARTICLE_BYTES + 1):
            lineno += 1
            if len(line) > MAX_ARTICLE_BYTES:
                raise ClassifierError(f"{name}:{lineno}: line longer than the {MAX_ARTICLE_BYTES // 2**20} MiB limit")
            if line.strip():
                yield lineno, line
    except UnicodeDecodeError:
        raise ClassifierError(f"{name}: cannot be decoded as {codec} (after line {lineno})") from None


def iter_jsonl(stream: BinaryIO, name: str, stem: str) -> Iterator[Article]:
    """Yield the articles of a JSONL stream; ``id`` defaults to ``<stem>-L<line>``."""
    for line in _jsonl_lines(stream, name, stem):
        article = line.article()
        if article is not None:
            yield article


def read_jsonl(path: Path) -> Iterator[Article]:
    """Yield the articles of a JSONL file, one line at a time."""
    for line in _read_jsonl_lines(Path(path)):
        article = line.article()
        if article is not None:
            yield article


def _read_jsonl_lines(path: Path, block_bytes: int | None = None) -> Iterator[JsonLine | JsonBlock]:
    if not path.is_file():
        raise ClassifierError(f"{path}: no such file")
    with path.open("rb") as stream:
        yield from _jsonl_lines(stream, str(path), path.stem, block_bytes)


def expand_paths(paths: Iterable[str | Path], skip: Iterable[Path | str | None] = ()) -> Iterator[Path | str]:
    """Turn the user's paths into files: directories give their ``.txt``/``.json``/``.jsonl`` files, sorted.

    Hidden files (a name starting with ``.``, such as a write in progress) and the files in
    ``skip`` (e.g. the command's own output file, which may lie in the directory being read)
    are passed over in directories. ``-`` is passed through as is. A missing path raises
    :class:`ClassifierError` when reached.
    """
    skipped = {Path(p).resolve() for p in skip if p is not None}
    for raw in paths:
        if str(raw) == "-":
            yield "-"
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in INPUT_SUFFIXES
                and not p.name.startswith(".")
                and p.resolve() not in skipped
            )
            if not files:
                raise ClassifierError(f"{path}: directory holds no {', '.join(INPUT_SUFFIXES)} file")
            yield from files
        elif path.exists():
            yield path
        else:
            raise ClassifierError(f"{path}: no such file or directory")


def read_json(path: Path) -> Iterator[Article]:
    """The articles of a ``.json`` file: an array of article objects, or one object.

    Raises
    ------
    ClassifierError
        When it is not JSON, or JSON of another shape (with a pointer to JSONL, the streamed form).
    """
    data = _read_limited_file(path, MAX_JSON_BYTES)
    text = decode_bytes(data, str(path))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        hint = "; one article per line is .jsonl" if error.msg == "Extra data" else ""
        raise ClassifierError(f"{path}:{error.lineno}: not valid JSON ({error.msg}){hint}") from None
    records = value if isinstance(value, list) else [value]
    if not all(isinstance(r, dict) for r in records):
        raise ClassifierError(f"{path}: expected an article object or an array of them (or JSONL, one a line)")
    for n, record in enumerate(records, start=1):
        yield _article_from_record(record, f"{path.stem}-{n}", f"{path}: article {n}")


def _read_stdin(deferred: bool = False, block_bytes: int | None = None) -> Iterator[Article | JsonLine | JsonBlock]:
    stream = sys.stdin.buffer
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)
    head = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    codec = detect_encoding(head, "<stdin>")
    first = head.decode(codec, errors="ignore").lstrip("\ufeff \t\r\n")[:1]
    if first == "{":
        if deferred:
            yield from _jsonl_lines(buffered, "<stdin>", "stdin", block_bytes)
        else:
            yield from iter_jsonl(buffered, "<stdin>", "stdin")
    else:
        yield article_from_text(decode_bytes(_read_limited(buffered, "<stdin>"), "<stdin>"), "stdin", "<stdin>")


def count_articles(files: Iterable[Path | str]) -> int | None:
    """How many articles the inputs hold, for a progress bar's ETA; ``None`` for standard input.

    Counts the lines of JSONL files (blank lines included: an estimate is enough), a fraction of
    a second for millions of articles; any other file is one article.
    """
    total = 0
    for path in files:
        if path == "-":
            return None
        if Path(path).suffix.lower() != ".jsonl":
            total += 1
            continue
        with open(path, "rb") as stream:
            total += sum(block.count(b"\n") for block in iter(lambda: stream.read(1 << 20), b""))
    return total


def read_labelled(path: Path | str, topics: Sequence[str] | None = None) -> list[Article]:
    """Read a labelled JSONL of whole articles (``id``, ``title``, ``text``, ``topics``), such as a test set.

    Raises
    ------
    ClassifierError
        When a line has no ``topics``, or a topic not in ``topics`` (when given).
    """
    articles = list(read_jsonl(Path(path)))
    for n, article in enumerate(articles, start=1):
        if article.topics is None:
            raise ClassifierError(f'{path}: article {article.id!r} (record {n}) has no "topics"')
        if topics is not None:
            unknown = sorted(set(article.topics) - set(topics))
            if unknown:
                raise ClassifierError(f"{path}: article {article.id!r} has topics unknown to the model: {unknown}")
    return articles


def read_articles(paths: Iterable[str | Path], split_pages: bool = False) -> Iterator[Article]:
    """Yield every article named by ``paths``, lazily and in order.

    Parameters
    ----------
    paths : iterable of str or Path
        Files (``.txt`` = one article, ``.json`` = an array of articles, ``.jsonl`` = one a line,
        any other suffix is read as ``.txt``), directories, or ``-`` for standard input.
    split_pages : bool
        The files are whole newspaper pages: split each into its articles
        (:func:`classifier.reading.split.split_page`).

    Raises
    ------
    ClassifierError
        On any input we cannot read (the message names the file and, for JSONL, the line), and
        when the inputs hold no article at all.
    """
    for item in read_articles_deferred(paths, split_pages):
        yield from articles_of(item)


def read_articles_deferred(
    paths: Iterable[str | Path], split_pages: bool = False, block_bytes: int | None = None
) -> Iterator[Article | JsonLine | JsonBlock]:
    """:func:`read_articles`, with each JSONL line left undecoded and unparsed (a :class:`JsonLine`).

    For a process that hands the lines on (``tag --jobs N`` to its workers), where
    :func:`articles_of` makes the same articles, or raises the same errors, as :func:`read_articles`.
    With ``block_bytes``, JSONL lines come as :class:`JsonBlock` of about that many bytes instead
    (from files and standard input alike), each holding at least one line that is not blank.
    """
    paths = list(paths)
    count = 0
    for path in expand_paths(paths):
        items: Iterator[Article | JsonLine | JsonBlock]
        if split_pages:
            items = _split(path)
        elif path == "-":
            items = _read_stdin(deferred=True, block_bytes=block_bytes)
        elif path.suffix.lower() == ".jsonl":
            items = _read_jsonl_lines(path, block_bytes)
        elif path.suffix.lower() == ".json":
            items = read_json(path)
        else:
            items = iter([article_from_text(read_text_file(path), path.stem, str(path))])
        for item in items:
            count += 1
            yield item
    if count == 0:
        raise ClassifierError(f"no articles in {', '.join(str(p) for p in paths)}")


def articles_of(item: Article | JsonLine | JsonBlock) -> Iterator[Article]:
    """The articles of an item of :func:`read_articles_deferred`: one, or a block's.

    Raises
    ------
    ClassifierError
        When a JSONL line cannot be decoded, is not JSON or not an article (naming the file and line).
    """
    if isinstance(item, JsonBlock):
        for line in item.lines():
            yield article_of(line)
    else:
        yield article_of(item)


def article_of(item: Article | JsonLine) -> Article:
    """The article of an item of :func:`read_articles_deferred` that is not a block.

    Raises
    ------
    ClassifierError
        When a JSONL line cannot be decoded, is not JSON or not an article (naming the file and line).
    """
    if isinstance(item, JsonLine):
        article = item.article()
        assert article is not None, "_jsonl_lines hands on no blank line"
        return article
    return item


def _split(path: Path | str) -> Iterator[Article]:
    from classifier.reading.split import split_page

    if path == "-":
        raise ClassifierError("--split reads page files, not standard input")
    if path.suffix.lower() in (".json", ".jsonl"):
        raise ClassifierError(f"{path}: a newspaper page is a text file; {path.suffix} holds articles already")
    yield from split_page(read_text_file(path), path.stem)
