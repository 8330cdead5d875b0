"""Tagging over worker processes: an order-keeping process pool with bounded memory, fed batch by batch."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from classifier.article import Article
from classifier.processes import available_cpus, can_fork, fix_mmap_threshold, fork_pool
from classifier.reading.reader import JsonLine, article_of

if TYPE_CHECKING:
    from classifier.tagging.tagger import Tagger

T = TypeVar("T")
R = TypeVar("R")

#: Articles a worker tags at a time (:data:`classifier.tagging.tagger.BATCH_SIZE`'s value). Defined
#: here too, so that the process that only reads and writes never imports NumPy or the model code.
BATCH_SIZE = 256

#: Chunks in flight per worker: enough to keep every worker busy, few enough that memory
#: stays flat however long the input is.
CHUNKS_PER_WORKER = 3


def default_jobs() -> int:
    """The CPUs this process may use: one worker each."""
    return available_cpus()


def ordered_map(function: Callable[[T], R], chunks: Iterable[T], jobs: int) -> Iterator[R]:
    """``map(function, chunks)`` over ``jobs`` processes, results in input order.

    The input is read lazily: at most ``CHUNKS_PER_WORKER * jobs`` chunks are pending at once
    (``Pool.imap`` would read the whole input ahead). Workers are forked, so ``function`` may
    use whatever the parent loaded (the model) without pickling it. With ``jobs <= 1``, or
    where fork is not available, it runs in this process.
    """
    if jobs <= 1 or not can_fork():
        yield from map(function, chunks)
        return
    with fork_pool(jobs) as pool:
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(function, (chunk,)))
            if len(pending) >= CHUNKS_PER_WORKER * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


@dataclass(frozen=True)
class TaggerLoader:
    """How to load a model and make its :class:`~classifier.tagging.tagger.Tagger`, in the process that tags.

    ``tag --jobs N`` hands this to :func:`tag_batches`: each forked worker loads the model itself
    (without jieba's stored dictionary: a worker's batches are cut with rjieba), and the reading
    process, which never tags, never holds it nor imports NumPy.
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


#: What the forked workers inherit from :func:`tag_batches`: a tagger (or its loader) and the encoder.
_WORKER_STATE: tuple[Tagger | TaggerLoader, Callable[[dict[str, Any]], Any] | None] | None = None
#: A worker's own tagger, when it was given a loader: loaded at its first batch, kept for the next.
_WORKER_TAGGER: Tagger | None = None


def _tag(tagger: Tagger, encode: Callable[[dict[str, Any]], Any] | None, batch: list[Article | JsonLine]) -> list[Any]:
    records = tagger.tag_batch([article_of(item) for item in batch])
    return records if encode is None else [encode(record) for record in records]


def _tag_in_worker(batch: list[Article | JsonLine]) -> list[Any]:
    global _WORKER_TAGGER
    assert _WORKER_STATE is not None, "set by tag_batches before the workers are forked"
    tagger, encode = _WORKER_STATE
    if isinstance(tagger, TaggerLoader):
        if _WORKER_TAGGER is None:
            fix_mmap_threshold()  # batch temporaries given back to the system when freed
            _WORKER_TAGGER = tagger(dictionary=False)
        tagger = _WORKER_TAGGER
    return _tag(tagger, encode, batch)


def tag_batches(
    tagger: Tagger | TaggerLoader,
    articles: Iterable[Article | JsonLine],
    jobs: int = 1,
    encode: Callable[[dict[str, Any]], Any] | None = None,
) -> Iterator[list[Any]]:
    """Yield the records batch by batch, in input order, over ``jobs`` processes.

    ``articles`` may hold JSONL lines not yet parsed
    (:func:`classifier.reading.reader.read_articles_deferred`): the worker that tags a line
    parses it, and a bad line raises its error from there, naming its file and line.
    ``encode`` (for example ``json.dumps``) is applied to each record where it is made, in the
    worker: a string crosses back to this process far more cheaply than a record. This process,
    which reads the input and writes the output, competes with the workers for the cores, so it
    does as little as it can.

    ``tagger`` is a :class:`Tagger`, or a :class:`TaggerLoader`: then each worker loads the model
    itself, after the fork, and this process never loads it unless it tags (peak memory summed
    over the processes is then the workers' alone, plus a small reader). A loaded tagger is
    prepared here and shared by the forked workers instead. An input of a single batch is tagged
    in this process whatever ``jobs`` says: starting workers would cost more than it saves.
    """
    global _WORKER_STATE
    iterator = iter(articles)
    head = [batch for batch in (list(islice(iterator, BATCH_SIZE)) for _ in range(2)) if batch]
    if len(head) < 2 or jobs <= 1 or not can_fork():
        here = tagger() if isinstance(tagger, TaggerLoader) else tagger
        for batch in _chain_batches(head, iterator):
            yield _tag(here, encode, batch)
        return
    batches = _chain_batches(head, iterator)
    if not isinstance(tagger, TaggerLoader):
        tagger.prepare()  # rjieba's dictionary and the lookup tables built once, shared by the forked workers
    _WORKER_STATE = (tagger, encode)  # the forked workers inherit it: the model is never pickled
    try:
        yield from ordered_map(_tag_in_worker, batches, jobs)
    finally:
        _WORKER_STATE = None


def _chain_batches(head: list[list[T]], iterator: Iterator[T]) -> Iterator[list[T]]:
    yield from head
    while batch := list(islice(iterator, BATCH_SIZE)):
        yield batch
