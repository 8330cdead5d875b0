"""The progress line: rate and ETA."""

from __future__ import annotations

import io


def test_progress_line_shows_rate_and_eta() -> None:
    from classifier.progress import Progress

    progress = Progress(total=1000, label="articles", stream=io.StringIO())
    progress.done = 250
    line = progress.line(elapsed=0.5)
    assert "250/1,000 articles" in line and "500/s" in line and "ETA 0:02" in line
    progress.total = None
    assert progress.line(elapsed=0.5) == "250 articles  500/s"
