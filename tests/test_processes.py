"""Worker processes: forked pools (workers die on SIGTERM and leave Ctrl-C to the parent), and their allocator setting."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

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

    from classifier.processes import fix_mmap_threshold

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert fix_mmap_threshold() is True
