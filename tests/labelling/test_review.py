"""`classifier labels review` as a person meets it: the real program in a pseudo-terminal, driven by keystrokes.

The program runs as a child process on a pty (standard library ``pty``), so it reads single keys
in cbreak mode exactly as in a terminal; the test reads the screen it draws and sends keys.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_jsonl

TIMEOUT = 30.0

ARTICLES = [
    (
        "t1",
        "太原市大气污染防治攻坚",
        "全市推进大气污染防治，空气质量持续改善，细颗粒物浓度下降，生态环境部门加强执法。",
    ),
    ("t2", "光伏电站并网发电", "新建光伏电站今日并网发电，新能源装机容量再创新高，电网保供能力增强。"),
    ("t3", "文艺演出走进社区", "文化馆组织文艺演出走进社区，群众文化活动丰富多彩，非遗传承人现场展示技艺。"),
    ("t4", "乡村振兴产业兴旺", "村里发展特色种植，农民收入增加，乡村振兴迈出新步伐，人居环境整治成效明显。"),
]


def articles_file(path: Path) -> Path:
    return write_jsonl(path, [{"id": i, "title": t, "text": x} for i, t, x in ARTICLES])


def _take_terminal() -> None:
    """In the child, in its new session: make the pty its controlling terminal, so Ctrl-C sends SIGINT."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A child process on a pseudo-terminal: send keys, wait for text on the screen."""

    def __init__(self, args: list[str], cwd: Path, term: str = "xterm") -> None:
        master, slave = pty.openpty()
        env = {**os.environ, "TERM": term, "COLUMNS": "100", "LINES": "40", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "classifier", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=env,
            start_new_session=True,
            preexec_fn=_take_terminal,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.screen = ""

    def read(self, timeout: float = 0.2) -> str:
        chunks = []
        while select.select([self.master], [], [], timeout)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data.decode("utf-8", errors="replace"))
            timeout = 0.05
        text = "".join(chunks)
        self.screen += text
        return text

    def expect(self, text: str, timeout: float = TIMEOUT) -> str:
        """Wait until ``text`` appears in the output since the last ``expect``; return that output."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on screen after {timeout} s; screen:\n{self.screen[-3000:]}")
            if self.process.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                raise AssertionError(f"program exited ({self.process.returncode}) before {text!r}:\n{self.screen}")
            self.read()
        seen, cut = self.screen, self.screen.index(text) + len(text)
        self.screen = self.screen[cut:]
        return seen[:cut]

    def send(self, keys: str) -> None:
        for key in keys:
            os.write(self.master, key.encode("utf-8"))
            time.sleep(0.05)  # one keystroke at a time, as typed

    def wait(self, timeout: float = TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read()
        self.read()
        return self.process.wait(timeout=1)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal():
    opened: list[Terminal] = []

    def start(*args: str, cwd: Path, term: str = "xterm") -> Terminal:
        opened.append(Terminal([str(a) for a in args], cwd=cwd, term=term))
        return opened[-1]

    yield start
    for t in opened:
        t.close()


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def labels_problems(path: Path) -> list[str]:
    from classifier.reading.labels import check_labels
    from classifier.taxonomy import load_taxonomy

    return check_labels([path], load_taxonomy().ids)


@pytest.mark.slow
def test_review_in_a_terminal_saves_each_decision_and_resumes(terminal, tmp_path: Path) -> None:
    source = articles_file(tmp_path / "pool.jsonl")
    store = tmp_path / "labels" / "new_labels.jsonl"
    args = ["labels", "review", source, "--label-store", store, "--annotator", "tester"]
    term = terminal(*args, cwd=ROOT)

    first = term.expect("Enter save")
    assert "\x1b[2J" in first  # a real terminal: the screen is cleared between articles
    assert "t1" in first and "太原市大气污染防治攻坚" in first
    assert "[e]" not in first and " e  environment" in first  # topic keys shown beside the topics
    term.send("\r")  # accept the model's guess
    term.expect("saved t1")
    assert len(read_jsonl(store)) == 1  # saved at once, before the review ends

    term.expect("Enter save")
    term.send("f")  # the whole text, then any key back
    term.expect("press any key")
    term.send(" ")
    screen = term.expect("Enter save")
    assert "光伏电站并网发电" in screen
    term.send("2")  # toggle energy by number...
    term.expect("Enter save")
    term.send("2")  # ...and back
    term.expect("Enter save")
    term.send("c")  # toggle economy by its letter
    screen = term.expect("Enter save")
    assert "[x] 5 c  economy" in screen
    term.send("\r")
    term.expect("saved t2")

    term.expect("Enter save")
    term.send("b")  # back to t2: correct it to "none of these"
    screen = term.expect("Enter save")
    assert "光伏电站并网发电" in screen and "this article: saved" in screen
    term.send("0")
    term.expect("saved t2: none of these")

    term.expect("Enter save")  # t3
    term.send("s")
    term.expect("skipped t3")
    term.expect("Enter save")  # t4
    term.send("q")
    term.expect("run the same command again to resume")
    assert term.wait() == 0

    labels = {r["id"]: r for r in read_jsonl(store)}
    assert sorted(labels) == ["t1", "t2"]
    journal = [e for e in read_jsonl(store.parent / "journal" / "new_labels.jsonl") if e["action"] in ("label", "skip")]
    assert [(e["id"], e["action"]) for e in journal] == [
        ("t1", "label"),
        ("t2", "label"),
        ("t2", "label"),
        ("t3", "skip"),
    ]
    assert labels["t1"]["topics"] == journal[0]["model_topics"]  # accepted = the guess, saved by a person
    assert labels["t1"]["decision"] in ("accepted", "none")
    assert labels["t2"]["topics"] == [] and labels["t2"]["decision"] == "none"
    assert "economy" in journal[1]["topics"]  # the first decision stays in the journal
    for record in labels.values():
        assert record["annotator"] == "tester" and record["labelled"] and record["source"] == "pool.jsonl"
        assert record["text"] and "model_topics" not in record
    assert labels_problems(store) == []

    # Run again: t1-t3 are decided or skipped, t4 comes up first.
    term = terminal(*args, cwd=ROOT)
    screen = term.expect("Enter save")
    assert "t4" in screen and "乡村振兴产业兴旺" in screen
    was_checked = "[x] 7 u  urban_rural" in screen
    term.send("u")  # toggle urban_rural by its letter
    screen = term.expect("Enter save")
    assert ("[x] 7 u  urban_rural" in screen) is not was_checked
    term.send("\r")
    term.expect("no more articles")
    assert term.wait() == 0
    last = read_jsonl(store)[-1]
    assert last["id"] == "t4" and ("urban_rural" in last["topics"]) is not was_checked
    assert last["decision"] in ("changed", "none")


@pytest.mark.slow
def test_ctrl_c_keeps_the_decisions_made(terminal, tmp_path: Path) -> None:
    source = articles_file(tmp_path / "pool.jsonl")
    store = tmp_path / "labels" / "new_labels.jsonl"
    term = terminal("labels", "review", source, "--label-store", store, "--annotator", "tester", cwd=ROOT, term="dumb")
    first = term.expect("Enter save")
    assert "\x1b[" not in first  # TERM=dumb: no escape sequences
    term.send("e\r")
    term.expect("saved t1")
    term.expect("Enter save")
    term.send("\x03")  # Ctrl-C
    term.expect("interrupted")
    assert term.wait() == 130
    assert [r["id"] for r in read_jsonl(store)] == ["t1"]


def test_review_reads_keys_from_a_pipe(tmp_path: Path) -> None:
    """Not a terminal: each input line is a sequence of keys, an empty line is Enter."""
    source = articles_file(tmp_path / "pool.jsonl")
    store = tmp_path / "new_labels.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "classifier", "labels", source, "--label-store", store, "--limit", "2", "--no-model"],
        input="\ne t\n\n0\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert "nothing checked" in result.stdout  # no model, no guess: Enter alone saves nothing
    assert "no more articles" in result.stdout
    labels = read_jsonl(store)
    assert [(r["id"], r["topics"], r["decision"]) for r in labels] == [
        ("t1", ["environment", "technology"], "manual"),
        ("t2", [], "manual"),
    ]
