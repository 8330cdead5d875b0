"""A progress line for long runs: count, rate and ETA on standard error, only on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: Runs that end sooner than this never draw: tagging one article stays silent.
SHOW_AFTER_SECONDS = 0.5
REDRAW_SECONDS = 0.1
BAR_WIDTH = 24


class Progress:
    """Counts finished items and redraws one line on ``stream`` at most ten times a second.

    Silent when ``stream`` is not a terminal (output piped or redirected), so logs and pipes
    never see control characters.

    Parameters
    ----------
    total : int or None
        Expected item count, for the bar and the ETA; ``None`` shows count and rate only.
    label : str
        What is counted, e.g. ``"articles"``.
    stream : file or None
        Default: ``sys.stderr``.
    """

    def __init__(self, total: int | None = None, label: str = "items", stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _is_terminal(self.stream)
        self.total = total
        self.label = label
        self.done = 0
        self._start = time.monotonic()
        self._drawn_at = 0.0
        self._drawn = False

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._start >= SHOW_AFTER_SECONDS and now - self._drawn_at >= REDRAW_SECONDS:
            self._draw(now)

    def close(self) -> None:
        """Erase the line, so that what follows on the terminal starts clean."""
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _draw(self, now: float) -> None:
        self.stream.write("\r\x1b[2K" + self.line(now - self._start))
        self.stream.flush()
        self._drawn_at = now
        self._drawn = True

    def line(self, elapsed: float) -> str:
        """The text of the progress line after ``elapsed`` seconds."""
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if not self.total:
            return f"{self.done:,} {self.label}  {rate:,.0f}/s"
        share = min(self.done / self.total, 1.0)
        filled = int(share * BAR_WIDTH)
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        return (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done:,}/{self.total:,} {self.label}"
            f"  {rate:,.0f}/s  ETA {_clock(eta)}"
        )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(max(seconds, 0) + 0.5), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or fake streams
        return False
