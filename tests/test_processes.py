"""Worker processes: forked pools (workers die on SIGTERM and leave Ctrl-C to the parent), and their allocator setting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from classifier.errors import ClassifierError
from classifier.processes import fork_pool


def _worker_handlers(_: int) -> tuple[bool, bool]:
    return signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_workers_die_on_sigterm_and_ignore_ctrl_c_even_under_the_cli_handler() -> None:
    def unwind(signum: int, frame: object) -> None:
        raise SystemExit(143)

    previous = signal.signal(signal.SIGTERM, unwind)  # what the CLI installs; the workers inherit it
    try:
        with fork_pool(2) as pool:
            assert pool.map(_worker_handlers, range(4)) == [(True, True)] * 4
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.slow
def test_training_pools_end_when_the_cli_handler_is_installed() -> None:
    # A training under the CLI's SIGTERM handler hung for ever once: a worker unwound while another
    # held the pool's queue lock. Many small forked fits in a row must all end.
    script = textwrap.dedent(
        """
        import signal
        import numpy as np
        from classifier.cli._util import raise_terminated
        from classifier.model.estimator import TopicClassifier
        from scipy import sparse

        signal.signal(signal.SIGTERM, raise_terminated)
        rng = np.random.default_rng(0)
        X = sparse.csr_matrix(rng.random((40, 30)))
        tags = [["a"] if i % 2 else ["b"] for i in range(40)]
        for _ in range(15):
            TopicClassifier(["a", "b"], n_jobs=2).fit(X, tags)
        print("done")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "done"


def test_available_cpus_follows_the_affinity_mask() -> None:
    import os

    from classifier.processes import available_cpus

    mask = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(mask)})
        assert available_cpus() == 1
    finally:
        os.sched_setaffinity(0, mask)
    assert available_cpus() == len(mask)


def test_the_mmap_threshold_is_fixed_where_the_c_library_is_glibc() -> None:
    import platform

    from classifier.processes import fix_malloc_thresholds

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert fix_malloc_thresholds() is True


# A batch's temporaries (3 MiB here) freed and allocated again, 20 times; the minor page faults counted.
_REFAULTS = """
import resource
import numpy as np
from classifier.processes import fix_malloc_thresholds
assert fix_malloc_thresholds()
a = np.ones(3 << 17)  # warm-up: the heap grows once
del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    a = np.ones(3 << 17)
    del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_fixed_thresholds_keep_freed_batch_memory_for_the_next_batch() -> None:
    """Fixing the mmap threshold stops glibc adjusting the trim threshold, which then stays at 128 KiB:
    every freed temporary at the heap's top went back to the system and was faulted in again at
    the next batch (0.6 s of system time on the pool, measured). The trim threshold is set with it."""
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", _REFAULTS], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    # 20 x 768 pages of 4 KiB when every batch is faulted in afresh (5,888-14,720 measured with the mmap
    # threshold alone; fewer where huge pages back the heap), none or a few when the memory is kept
    assert int(done.stdout) < 200


_WARMED: list[int] = []


def _warm(log: Path) -> None:
    with log.open("a") as stream:
        stream.write(f"{os.getpid()}\n")
    _WARMED.append(os.getpid())


def _slow_square(x: int) -> tuple[int, int, list[int]]:
    import time

    time.sleep(0.01 * (x % 3))  # chunks end out of order
    if x == 13:
        raise ClassifierError("thirteen")
    return x * x, os.getpid(), list(_WARMED)


def test_warm_fork_map_warms_once_keeps_order_and_raises_in_order(tmp_path: Path) -> None:
    from functools import partial

    from classifier.processes import warm_fork_map

    log = tmp_path / "warm.log"
    results = list(warm_fork_map(_slow_square, range(12), 2, warm=partial(_warm, log)))
    assert [r[0] for r in results] == [x * x for x in range(12)]
    warmed = log.read_text().split()
    assert len(warmed) == 1 and _WARMED == [], "warmed once, in the first worker, not here"
    assert len({r[1] for r in results}) == 2 and all(r[2] == [int(warmed[0])] for r in results), "both share it"

    seen = []
    with pytest.raises(ClassifierError, match="thirteen"):
        for value in warm_fork_map(_slow_square, range(40), 2):
            seen.append(value[0])
    assert seen == [x * x for x in range(13)], "every result before the error, none after"


def _fail() -> None:
    raise ClassifierError("corrupt model")


def _die(x: int) -> int:
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_warm_fork_map_reports_a_failed_warm_up_and_a_dead_worker() -> None:
    from classifier.processes import warm_fork_map

    with pytest.raises(ClassifierError, match="corrupt model"):
        list(warm_fork_map(_slow_square, range(10), 2, warm=_fail))
    with pytest.raises(ClassifierError, match="a worker process ended unexpectedly"):
        list(warm_fork_map(_die, range(10), 2))


def _pid(x: int) -> int:
    return os.getpid()


def test_an_abandoned_warm_fork_map_ends_its_workers() -> None:
    import time

    from classifier.processes import warm_fork_map

    results = warm_fork_map(_pid, iter(range(10**9)), 2)  # endless input: read lazily
    pids = {next(results) for _ in range(20)}
    results.close()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in pids):
        assert time.monotonic() < deadline, "workers left running"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _first_slow(x: int) -> int:
    import time

    time.sleep(0.3 if x % 8 == 0 else 0.0)  # the others' results wait behind it, filling the window
    return x


def test_warm_fork_map_goes_on_when_a_slow_chunk_held_the_window() -> None:
    from classifier.processes import warm_fork_map

    assert list(warm_fork_map(_first_slow, range(30), 2)) == list(range(30))
