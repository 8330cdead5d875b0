"""The batcher: concurrent requests tagged together, each answered with its own records, in order."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.service.batcher import Batcher


class _Tagger:
    def __init__(self, calls: list[int], gate: threading.Event, top: int | None, explain: bool) -> None:
        self.calls, self.gate, self.top, self.explain = calls, gate, top, explain

    def tag_batch(self, articles: list[Article]) -> list[dict[str, Any]]:
        self.gate.wait(5)
        if any(a.text == "bad" for a in articles):
            raise ClassifierError("bad article")
        self.calls.append(len(articles))
        return [{"id": a.id, "top": self.top, "explain": self.explain} for a in articles]


class _Serving:
    """What the batcher needs of a served model: ``tagger(top, explain)``; counts the batches it tags."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.gate = threading.Event()
        self.gate.set()

    def tagger(self, top: int | None = None, explain: bool = False) -> _Tagger:
        return _Tagger(self.calls, self.gate, top, explain)


def _articles(prefix: str, n: int) -> list[Article]:
    return [Article(id=f"{prefix}{i}", title="", text="文本") for i in range(n)]


def test_requests_that_wait_are_tagged_in_one_batch_and_answered_in_order() -> None:
    serving = _Serving()

    async def scenario() -> list[list[dict[str, Any]]]:
        batcher = Batcher()
        serving.gate.clear()  # hold the first turn so that the others queue behind it
        first = asyncio.create_task(batcher.tag(serving, _articles("a", 1)))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(batcher.tag(serving, _articles(f"r{n}-", 2))) for n in range(10)]
        await asyncio.sleep(0.05)
        serving.gate.set()
        return [await first, *[await task for task in rest]]

    answers = asyncio.run(scenario())
    assert serving.calls == [1, 20]  # the ten waiting requests went as one batch
    assert [r["id"] for r in answers[0]] == ["a0"]
    for n, records in enumerate(answers[1:]):
        assert [r["id"] for r in records] == [f"r{n}-0", f"r{n}-1"]


def test_settings_are_not_mixed_and_a_bad_request_fails_alone() -> None:
    serving = _Serving()

    async def scenario() -> list[Any]:
        batcher = Batcher()
        serving.gate.clear()
        first = asyncio.create_task(batcher.tag(serving, _articles("a", 1)))
        await asyncio.sleep(0.05)
        tasks = [
            asyncio.create_task(batcher.tag(serving, _articles("top", 1), top=1)),
            asyncio.create_task(batcher.tag(serving, [Article(id="x", title="", text="bad")])),
            asyncio.create_task(batcher.tag(serving, _articles("plain", 1))),
            asyncio.create_task(batcher.tag(serving, _articles("why", 1), explain=True)),
        ]
        await asyncio.sleep(0.05)
        serving.gate.set()
        await first
        return await asyncio.gather(*tasks, return_exceptions=True)

    top, bad, plain, why = asyncio.run(scenario())
    assert top == [{"id": "top0", "top": 1, "explain": False}]
    assert isinstance(bad, ClassifierError)
    assert plain == [{"id": "plain0", "top": None, "explain": False}]
    assert why == [{"id": "why0", "top": None, "explain": True}]


def test_a_turn_holds_at_most_max_articles_unless_one_request_is_larger() -> None:
    serving = _Serving()

    async def scenario() -> None:
        batcher = Batcher(max_articles=5)
        serving.gate.clear()
        first = asyncio.create_task(batcher.tag(serving, _articles("a", 1)))
        await asyncio.sleep(0.05)
        tasks = [
            asyncio.create_task(batcher.tag(serving, _articles(f"b{n}", size))) for n, size in enumerate((3, 3, 8))
        ]
        await asyncio.sleep(0.05)
        serving.gate.set()
        await asyncio.gather(first, *tasks)

    asyncio.run(scenario())
    assert serving.calls == [1, 3, 3, 8]


def test_no_articles_means_no_turn() -> None:
    serving = _Serving()
    assert asyncio.run(Batcher().tag(serving, [])) == []
    assert serving.calls == []
