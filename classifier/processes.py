"""Worker processes: forked pools that end cleanly (Ctrl-C left to the parent, death on SIGTERM), and their allocator setting."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

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


def fix_mmap_threshold(threshold: int = 4 << 20) -> bool:
    """Set glibc ``malloc``'s mmap threshold for this process to ``threshold`` bytes; whether it was set.

    For a process that tags many batches. By default the threshold rises to the size of each large
    block freed (up to 32 MiB), after which a batch's temporaries (a few MiB each) stay in the heap
    when freed: a ``tag --jobs`` worker then holds about 20 MiB more than it uses (measured on the
    pool x2). And wherever ``M_TRIM_THRESHOLD`` is set, as Dask's nanny sets it for its workers
    (``MALLOC_TRIM_THRESHOLD_=65536``), the threshold stays at 128 KiB: every temporary above it
    is a fresh mapping, and tagging ran about 30% slower (benchmarks/results/archive.md). A fixed
    4 MiB keeps both off. Nothing happens where the C library is not glibc.
    """
    try:
        import ctypes

        return bool(ctypes.CDLL("libc.so.6").mallopt(-3, threshold))  # -3: M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False
