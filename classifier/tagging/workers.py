"""Tagging over worker processes: an order-keeping process pool with bounded memory, fed chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from classifier.article import Article
from classifier.processes import available_cpus, can_fork, fix_malloc_thresholds, warm_fork_map
from classifier.reading.reader import JsonBlock, JsonLine, articles_of

if TYPE_CHECKING:
    from classifier.tagging.tagger import Tagger

T = TypeVar("T")
R = TypeVar("R")

#: Articles a worker tags at a time (:data:`classifier.tagging.tagger.BATCH_SIZE`'s value). Defined
#: here too, so that the process that only reads and writes never imports NumPy or the model code.
BATCH_SIZE = 256

#: Bytes of JSONL input a worker is handed at a time (:func:`classifier.reading.reader.read_articles_deferred`'s
#: ``block_bytes``): about 170 articles of the pool, 0.07 s of tagging. Per block, this process only reads,
#: and sends the bytes on; large enough that the cost per block vanishes, small enough that the tail (one
#: worker finishing its last block while the other waits) stays short.
BLOCK_BYTES = 256 * 1024

#: Chunks in flight per worker: one it tags, one waiting (so it never waits for this process); few
#: enough that memory stays flat however long the input, and that no worker has much left at the end.
CHUNKS_PER_WORKER = 2


def default_jobs() -> int:
    """The CPUs this process may use: one worker each."""
    return available_cpus()


def ordered_map(
    function: Callable[[T], R], chunks: Iterable[T], jobs: int, warm: Callable[[], None] | None = None
) -> Iterator[R]:
    """``map(function, chunks)`` over ``jobs`` processes, results in input order.

    The input is read lazily: a few chunks per worker are pending at once (``Pool.imap`` would
    read the whole input ahead). Workers are forked, so ``function`` may use whatever the parent
    loaded without pickling it; ``warm`` runs once, in the first worker, which then forks the
    others (:func:`classifier.processes.warm_fork_map`). With ``jobs <= 1``, or where fork is not
    available, it all runs in this process.
    """
    if jobs <= 1 or not can_fork():
        if warm is not None:
            warm()
        yield from map(function, chunks)
        return
    yield from warm_fork_map(function, chunks, jobs, warm, in_flight=CHUNKS_PER_WORKER)


@dataclass(frozen=True)
class TaggerLoader:
    """How to load a model and make its :class:`~classifier.tagging.tagger.Tagger`, in the process that tags.

    ``tag --jobs N`` hands this to :func:`tag_batches`: the first forked worker loads the model
    (without jieba's stored dictionary: a worker's batches are cut with rjieba) and forks the
    others, which share it; the reading process, which never tags, never holds it nor imports NumPy.
    """

    model: Path | str | None = None
    trust_pickle: bool = False
    top: int | None = None
    explain: bool = False

    def __call__(self, dictionary: bool = True) -> Tagger:
        """Load the model and make the tagger (``dictionary=False``: leave jieba's stored dictionary aside)."""
        from classifier.tagging.tagger import Tagger, load_tagging_model

        tagging_model = load_tagging_model(self.model, self.trust_pickle, dictionary=dictionary)
        return Tagger(tagging_model, top=self.top, explain=self.explain)


Item = Article | JsonLine | JsonBlock
#: What one chunk gives back: its records (or encoded records), or ``(count, lines)`` joined by ``"\n"``.
Result = list[Any] | tuple[int, str]

#: What the forked workers inherit from :func:`tag_batches`: a tagger (or its loader), the encoder, and
#: whether the encoded records of a chunk are joined into one string.
_WORKER_STATE: tuple[Tagger | TaggerLoader, Callable[[dict[str, Any]], Any] | None, bool] | None = None
#: A worker's own tagger, when it was given a loader: loaded at its first chunk, kept for the next.
_WORKER_TAGGER: Tagger | None = None


def _tag(tagger: Tagger, encode: Callable[[dict[str, Any]], Any] | None, join: bool, chunk: list[Item]) -> Result:
    """A chunk's records, tagged :data:`BATCH_SIZE` articles at a time."""
    articles = (article for item in chunk for article in articles_of(item))
    out: list[Any] = []
    while batch := list(islice(articles, BATCH_SIZE)):
        records = tagger.tag_batch(batch)
        out.extend(records if encode is None else map(encode, records))
    # one string crosses back to the reading process, and is written there, for about what one line costs
    return (len(out), "\n".join(out)) if join else out


def _warm_worker() -> None:
    """Make the workers' tagger, in the first worker, before it forks the others (which share it)."""
    global _WORKER_TAGGER
    assert _WORKER_STATE is not None, "set by tag_batches before the workers are forked"
    tagger = _WORKER_STATE[0]
    if isinstance(tagger, TaggerLoader) and _WORKER_TAGGER is None:
        fix_malloc_thresholds()  # large batch temporaries given back to the system, the heap's top kept
        _WORKER_TAGGER = tagger(dictionary=False)
        _WORKER_TAGGER.prepare()  # rjieba's dictionary and the lookup tables, built once for every worker


def _tag_in_worker(chunk: list[Item]) -> Result:
    assert _WORKER_STATE is not None, "set by tag_batches before the workers are forked"
    tagger, encode, join = _WORKER_STATE
    if isinstance(tagger, TaggerLoader):
        if _WORKER_TAGGER is None:
            _warm_worker()
        assert _WORKER_TAGGER is not None
        tagger = _WORKER_TAGGER
    return _tag(tagger, encode, join, chunk)


def tag_batches(
    tagger: Tagger | TaggerLoader,
    articles: Iterable[Item],
    jobs: int = 1,
    encode: Callable[[dict[str, Any]], Any] | None = None,
) -> Iterator[list[Any]]:
    """Yield the records list by list, in input order, over ``jobs`` processes.

    ``articles`` may hold JSONL lines not yet parsed, one by one or in blocks
    (:func:`classifier.reading.reader.read_articles_deferred`): the worker that tags a line
    parses it, and a bad line raises its error from there, naming its file and line. A list
    holds a block's articles, or :data:`BATCH_SIZE` other articles.
    ``encode`` (for example ``json.dumps``) is applied to each record where it is made, in the
    worker: a string crosses back to this process far more cheaply than a record. This process,
    which reads the input and writes the output, competes with the workers for the cores, so it
    does as little as it can.

    ``tagger`` is a :class:`Tagger`, or a :class:`TaggerLoader`: then the first worker loads the
    model, after the fork, and forks the others, and this process never loads it unless it tags
    (peak memory summed over the processes is then the workers' alone, plus a small reader). A loaded tagger is
    prepared here and shared by the forked workers instead. An input of a single chunk is tagged
    in this process whatever ``jobs`` says: starting workers would cost more than it saves.
    """
    for result in _run(tagger, articles, jobs, encode, join=False):
        assert isinstance(result, list)
        yield result


def tag_lines(
    tagger: Tagger | TaggerLoader,
    articles: Iterable[Item],
    jobs: int,
    encode: Callable[[dict[str, Any]], str],
) -> Iterator[tuple[int, str]]:
    """:func:`tag_batches` with each list of encoded records joined: ``(how many, the lines joined by "\\n")``.

    What ``tag --format jsonl`` writes: the lines of a whole block cross from a worker to this
    process as one string, and are written as one.
    """
    for result in _run(tagger, articles, jobs, encode, join=True):
        assert isinstance(result, tuple)
        yield result


def _run(
    tagger: Tagger | TaggerLoader,
    articles: Iterable[Item],
    jobs: int,
    encode: Callable[[dict[str, Any]], Any] | None,
    join: bool,
) -> Iterator[Result]:
    global _WORKER_STATE
    chunks = _chunks(articles)
    head = list(islice(chunks, 2))
    if len(head) < 2 or jobs <= 1 or not can_fork():
        if len(head) == 2:
            fix_malloc_thresholds()  # many batches here too: their temporaries reused, not faulted in afresh
        here = tagger() if isinstance(tagger, TaggerLoader) else tagger
        for chunk in chain(head, chunks):
            yield _tag(here, encode, join, chunk)
        return
    if not isinstance(tagger, TaggerLoader):
        tagger.prepare()  # rjieba's dictionary and the lookup tables built once, shared by the forked workers
    _WORKER_STATE = (tagger, encode, join)  # the forked workers inherit it: the model is never pickled
    try:
        yield from ordered_map(_tag_in_worker, chain(head, chunks), jobs, warm=_warm_worker)
    finally:
        _WORKER_STATE = None


def _chunks(items: Iterable[Item]) -> Iterator[list[Item]]:
    """The units of work: a block alone, other items :data:`BATCH_SIZE` at a time."""
    pending: list[Item] = []
    for item in items:
        if isinstance(item, JsonBlock):
            if pending:
                yield pending
                pending = []
            yield [item]
        else:
            pending.append(item)
            if len(pending) >= BATCH_SIZE:
                yield pending
                pending = []
    if pending:
        yield pending
