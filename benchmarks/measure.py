"""What the benchmarks read off a running process tree (shared by serve.py and speed.py)."""

from __future__ import annotations


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants, KiB (pages they share counted in each)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            total += sum(tree_rss_kib(int(child)) for child in children.read().split())
    except (OSError, ValueError):
        pass
    return total
