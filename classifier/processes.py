"""Worker processes: forked pools that end cleanly (Ctrl-C left to the parent, death on SIGTERM), and their allocator setting."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

from classifier.errors import ClassifierError

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

T = TypeVar("T")
R = TypeVar("R")

# multiprocessing is imported where a pool is made or asked about: a one-article `tag` never needs it (7 ms).


def available_cpus() -> int:
    """The CPUs this process may use (its affinity mask: ``taskset`` or a container's limit)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether worker processes can be forked here (not on Windows or macOS's default, not inside a worker)."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def worker_signals() -> None:
    """Run in each worker as it starts.

    Ctrl-C reaches the whole process group: only the parent handles it, then ends the workers
    with SIGTERM, which must kill a worker outright. The CLI's own SIGTERM handler (inherited
    through fork) unwinds instead, and a worker that unwinds while another holds the pool's
    queue lock waits for ever: the parent then hangs joining it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def fork_pool(processes: int) -> Iterator[Pool]:
    """A pool of ``processes`` forked workers; on leaving, the workers are ended whatever happened.

    Forked, so the workers see what the parent had loaded (a model, a feature matrix) without
    pickling it.
    """
    import multiprocessing

    pool = multiprocessing.get_context("fork").Pool(processes, initializer=worker_signals)
    try:
        yield pool
        pool.close()
    finally:
        pool.terminate()  # on error, Ctrl-C or an abandoned generator: stop the workers now
        pool.join()


def fix_malloc_thresholds(mmap_threshold: int = 4 << 20) -> bool:
    """Fix glibc ``malloc``'s mmap threshold at ``mmap_threshold`` bytes and its trim threshold at twice that.

    For a process that tags many batches; returns whether the thresholds were set. By default the
    mmap threshold rises to the size of each large block freed (up to 32 MiB), after which a
    batch's temporaries (a few MiB each) stay in the heap when freed: a ``tag --jobs`` worker then
    holds about 20 MiB more than it uses (measured on the pool x2). And wherever
    ``M_TRIM_THRESHOLD`` is set, as Dask's nanny sets it for its workers
    (``MALLOC_TRIM_THRESHOLD_=65536``), the mmap threshold stays at 128 KiB: every temporary above
    it is a fresh mapping, and tagging ran about 30% slower (benchmarks/results/archive.md).

    Fixing the mmap threshold also stops glibc raising the trim threshold with it (to twice the
    mmap threshold, its own rule), so that is set here too: left at 128 KiB, the heap's freed top
    went back to the system after every batch and was faulted in again by the next, 0.6-0.7 s of
    system time in a ``tag --jobs 1`` of the pool (benchmarks/results/speed_notes.md). Nothing
    happens where the C library is not glibc.
    """
    try:
        import ctypes

        mallopt = ctypes.CDLL("libc.so.6").mallopt
        # -3: M_MMAP_THRESHOLD, -1: M_TRIM_THRESHOLD
        return bool(mallopt(-3, mmap_threshold)) and bool(mallopt(-1, 2 * mmap_threshold))
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False


def warm_fork_map(
    function: Callable[[T], R],
    chunks: Iterable[T],
    jobs: int,
    warm: Callable[[], None] | None = None,
    in_flight: int = 2,
) -> Iterator[R]:
    """``map(function, chunks)`` over ``jobs`` forked processes, results in input order, each made once.

    The first worker runs ``warm`` (loading a model, say) and only then forks the others: a
    warm-up is paid once, not once per worker, and the workers share its memory as the forked
    children of one process do, while this process never holds it. Each worker has at most
    ``in_flight`` chunks sent to it (one it works on, one waiting, so that it never waits for this
    process), and no result is more than ``in_flight * jobs`` chunks ahead of the one to give
    next: memory stays flat however long the input, and at its end no worker has much left
    while another is idle.

    An error raised by ``function`` or ``warm`` is raised here, in input order; on any error,
    Ctrl-C or an abandoned generator the workers are ended (SIGTERM) before this returns.
    Workers ignore Ctrl-C and die on SIGTERM (:func:`worker_signals`).
    """
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    pipes = [context.Pipe() for _ in range(jobs)]
    ours = [mine for mine, _ in pipes]
    first = context.Process(target=_first_worker, args=(function, warm, pipes), daemon=True)
    first.start()
    for _, theirs in pipes:
        theirs.close()  # a worker that dies is then seen as the end of its pipe
    # A send waits while a busy worker's pipe is full; a thread per worker waits, so that this one
    # goes on reading results and feeding the others (and never waits on a worker waiting on it).
    feeders = {conn: _Feeder(conn) for conn in ours}
    pids = {first.pid}
    sent = {conn: 0 for conn in ours}
    results: dict[int, tuple[bool, Any]] = {}
    given = taken = 0  # chunks sent out, results handed on
    iterator = iter(chunks)
    more = True
    finished = False
    try:
        while True:
            # results handed on first: each frees room in the window for the chunks fed next
            while taken in results:
                ok, value = results.pop(taken)
                taken += 1
                if not ok:
                    raise value
                yield value
            while more and given - taken < in_flight * jobs:
                conn = min(ours, key=sent.__getitem__)
                if sent[conn] >= in_flight:
                    break
                chunk = next(iterator, _END)
                if chunk is _END:
                    more = False
                    break
                feeders[conn].send((given, chunk))
                sent[conn] += 1
                given += 1
            if not more and taken == given:
                finished = True
                return
            for conn in wait([conn for conn in ours if sent[conn]] or ours):
                try:
                    message = conn.recv()
                except (EOFError, OSError):  # OSError: it died with our data unread (connection reset)
                    raise ClassifierError("a worker process ended unexpectedly (out of memory?)") from None
                if message[0] == "pid":
                    pids.add(message[1])
                elif message[0] == "error":  # the warm-up failed
                    raise message[1]
                else:
                    index, ok, value = message
                    results[index] = (ok, value)
                    sent[conn] -= 1
    finally:
        if not finished:
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        for feeder in feeders.values():
            feeder.stop()
        for conn in ours:
            conn.close()  # the workers see the end of their pipes, and end
        first.join()


class _Feeder:
    """A thread that sends a worker its chunks, in order."""

    def __init__(self, conn: Any) -> None:
        import queue
        import threading

        self.conn = conn
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def send(self, message: Any) -> None:
        """Send ``message`` when the worker has taken the ones before."""
        self.queue.put(message)

    def stop(self) -> None:
        """Send what is queued (a killed worker's pipe refuses it at once), then end the thread."""
        self.queue.put(_END)
        self.thread.join()

    def _run(self) -> None:
        while (message := self.queue.get()) is not _END:
            try:
                self.conn.send(message)
            except (OSError, ValueError):  # the worker ended: the reading side sees the end of its pipe
                while self.queue.get() is not _END:
                    pass
                return


_END: Any = object()


def _first_worker(
    function: Callable[[Any], Any], warm: Callable[[], None] | None, pipes: list[tuple[Any, Any]]
) -> None:
    worker_signals()
    for mine, _ in pipes:
        mine.close()  # the parent's ends: with them closed here, a parent that dies is seen as the end of a pipe
    conns = [theirs for _, theirs in pipes]
    try:
        if warm is not None:
            warm()
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        _send(conns[0], ("error", error))
        return
    children = []
    for conn in conns[1:]:
        pid = os.fork()
        if pid == 0:
            try:
                for other in conns:
                    if other is not conn:
                        other.close()  # only its own end open: a worker that dies is seen as the end of its pipe
                _serve(function, conn)
            finally:
                os._exit(0)
        children.append(pid)
        conn.close()
    _serve(function, conns[0])
    for pid in children:  # waited for, so that their CPU time counts in ours (the parent's RUSAGE_CHILDREN)
        with suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _serve(function: Callable[[Any], Any], conn: Any) -> None:
    conn.send(("pid", os.getpid()))
    while True:
        try:
            index, chunk = conn.recv()
        except EOFError:
            return
        try:
            message = (index, True, function(chunk))
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            message = (index, False, error)
        _send(conn, message)


def _send(conn: Any, message: tuple[Any, ...]) -> None:
    try:
        conn.send(message)
    except Exception as error:  # noqa: BLE001 - an error that does not pickle: its text crosses instead
        conn.send((*message[:-1], RuntimeError(f"{message[-1]!r} ({error})")))
