"""Tagging over worker processes: an order-keeping process pool with bounded memory, fed batch by batch."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from classifier.article import Article
from classifier.processes import available_cpus, can_fork, fork_pool
from classifier.tagging.tagger import BATCH_SIZE, Tagger

T = TypeVar("T")
R = TypeVar("R")

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


_WORKER_STATE: tuple[Tagger, Callable[[dict[str, Any]], Any] | None] | None = None


def _tag(tagger: Tagger, encode: Callable[[dict[str, Any]], Any] | None, batch: list[Article]) -> list[Any]:
    records = tagger.tag_batch(batch)
    return records if encode is None else [encode(record) for record in records]


def _tag_in_worker(batch: list[Article]) -> list[Any]:
    assert _WORKER_STATE is not None, "set by tag_batches before the workers are forked"
    return _tag(*_WORKER_STATE, batch)


def tag_batches(
    tagger: Tagger,
    articles: Iterable[Article],
    jobs: int = 1,
    encode: Callable[[dict[str, Any]], Any] | None = None,
) -> Iterator[list[Any]]:
    """Yield the records batch by batch, in input order, over ``jobs`` processes.

    ``encode`` (for example ``json.dumps``) is applied to each record where it is made, in the
    worker: a string crosses back to this process far more cheaply than a record, and this
    process, which reads the input and writes the output, is what limits two workers on two
    cores. An input of a single batch is tagged in this process whatever ``jobs`` says: starting
    workers would cost more than it saves.
    """
    global _WORKER_STATE
    iterator = iter(articles)
    head = [batch for batch in (list(islice(iterator, BATCH_SIZE)) for _ in range(2)) if batch]
    if len(head) < 2 or jobs <= 1:
        for batch in _chain_batches(head, iterator):
            yield _tag(tagger, encode, batch)
        return
    batches = _chain_batches(head, iterator)
    tagger.prepare()  # rjieba's dictionary and the lookup tables built once, shared by the forked workers
    _WORKER_STATE = (tagger, encode)  # the forked workers inherit it: the model is never pickled
    try:
        yield from ordered_map(_tag_in_worker, batches, jobs)
    finally:
        _WORKER_STATE = None


def _chain_batches(head: list[list[Article]], iterator: Iterator[Article]) -> Iterator[list[Article]]:
    yield from head
    while batch := list(islice(iterator, BATCH_SIZE)):
        yield batch
