"""The model a server process tags with: loaded once, reloaded beside the old one and swapped atomically."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.files import sha256_file
from classifier.tagging.tagger import Tagger, TaggingModel, load_tagging_model

_log = logging.getLogger("classifier.service")

#: An article every model can tag: readiness means "this answers", not only "a model is in memory".
_PROBE = Article(id="probe", title="探针", text="今年以来，各地加快光伏、风电等新能源项目建设。")


@dataclass(frozen=True)
class Serving:
    """One loaded model, never changed after it is made: a request keeps the one it started with."""

    model: TaggingModel
    checksum: str
    loaded_at: float

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def topics(self) -> list[str]:
        return list(self.model.model.topics)

    def tagger(self, top: int | None = None, explain: bool = False) -> Tagger:
        return Tagger(self.model, top=top, explain=explain)


@dataclass
class ReloadEvent:
    """The outcome of the latest load attempt (shown in ``/v1/models``)."""

    at: float
    ok: bool
    version: str | None
    error: str | None = None
    trigger: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at)),
            "ok": self.ok,
            "version": self.version,
            "error": self.error,
            "trigger": self.trigger,
        }


@dataclass
class ModelHolder:
    """Holds the serving model and replaces it without a gap.

    Parameters
    ----------
    model : str or None
        A version, directory or model file to serve (pinned); ``None`` serves the store's default and
        follows it when it changes (``classifier models use``, ``train --set-default``).
    """

    model: str | None = None
    _serving: Serving | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    last: ReloadEvent | None = field(default=None, init=False)
    _followed: str | None = field(default=None, init=False, repr=False)

    @property
    def serving(self) -> Serving:
        """The model to use for one request (read once per request; a swap never changes it under you)."""
        current = self._serving
        if current is None:
            raise ClassifierError("no model is loaded")
        return current

    @property
    def loaded(self) -> bool:
        return self._serving is not None

    def load(self, trigger: str = "start") -> ReloadEvent:
        """Load the model (the pinned one or the store's current default) and swap it in.

        The new model is loaded and tested while the old one keeps serving; only a model that tags the
        probe article replaces it. A failure leaves the old model serving and is recorded in :attr:`last`.
        Loads are serialised: two reloads at once do the work twice, never interleaved.
        """
        from classifier.model.store import MANIFEST_FILE, default_version

        with self._lock:
            followed = default_version() if self.model is None else None
            try:
                model = load_tagging_model(self.model)
                Tagger(model).tag_batch([_PROBE])  # cut with JiebaLite: checks jieba.npz too
                Tagger(model).prepare()  # then rjieba, which cuts a server's many small requests 10x faster
                manifest = Path(model.path or "") / MANIFEST_FILE
                checksum = sha256_file(manifest) if model.path and manifest.is_file() else ""
            except ClassifierError as error:
                event = ReloadEvent(time.time(), False, None, str(error), trigger)
            except Exception as error:  # a model that breaks in any way must not take the server down
                event = ReloadEvent(time.time(), False, None, f"{type(error).__name__}: {error}", trigger)
            else:
                self._serving = Serving(model, checksum, time.time())
                event = ReloadEvent(time.time(), True, model.version, None, trigger)
            self._followed = followed
            self.last = event
        if event.ok:
            _log.info("serving model %s (%s)", event.version, trigger)
        else:
            _log.error("model load refused (%s): %s; still serving %s", trigger, event.error, self.version())
        return event

    def version(self) -> str | None:
        current = self._serving
        return current.version if current else None

    def default_changed(self) -> bool:
        """Whether the store's default now names another version than the one last loaded (unpinned only)."""
        if self.model is not None:
            return False
        from classifier.model.store import default_version

        try:
            return default_version() != self._followed
        except OSError:
            return False

    def ready(self) -> bool:
        """Whether a model is loaded and answers."""
        current = self._serving
        if current is None:
            return False
        try:
            current.tagger().tag_batch([_PROBE])
        except Exception:  # readiness is a yes/no answer; the reason is in the log of the load
            return False
        return True
