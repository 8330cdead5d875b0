"""Importing scikit-learn for training without pandas, and with SciPy's statistics imported only when used."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def import_scikit_learn() -> None:
    """Import scikit-learn's modules training needs without pandas, and without ``scipy.stats`` until it is used.

    - **pandas.** ``sklearn.utils.fixes``, imported by every scikit-learn estimator, runs ``import
      pandas`` when pandas is installed (it is, with the ``dask`` extra) and keeps the module as
      ``fixes.pd``, which nothing in scikit-learn reads (the functions that take frames are handed
      pandas by their caller, and scikit-learn's frame checks look in ``sys.modules`` at call
      time). Importing pandas and PyArrow cost 0.2-0.3 s. So that import fails, once: ``fixes.pd``
      is ``None``, as where pandas is not installed.
    - **scipy.stats.** ``sklearn.utils.fixes``, ``metrics``, ``model_selection`` and ``_loss``
      import ``scipy.stats`` or names from it (``rankdata``, ``gmean``...) at import time, 0.4-0.5 s
      of scikit-learn's 1.1-1.4 s; training calls none of them. They get stand-ins
      (:func:`stand_ins`) that import it if ever used.

    Both are on the critical path of every ``classifier train``. Nothing happens when scikit-learn
    is imported already.
    """
    if "sklearn" in sys.modules:
        return
    with stand_ins(missing=["pandas"], deferred=["scipy.stats"]):
        import sklearn.feature_extraction.text  # noqa: F401
        import sklearn.linear_model  # noqa: F401
        import sklearn.metrics  # noqa: F401
        import sklearn.model_selection  # noqa: F401
        import sklearn.pipeline  # noqa: F401
        import sklearn.preprocessing  # noqa: F401
        import sklearn.utils.fixes  # noqa: F401


@contextmanager
def stand_ins(missing: Sequence[str] = (), deferred: Sequence[str] = ()) -> Iterator[None]:
    """Modules stood in for while the body imports others: ``missing`` ones fail to import, ``deferred`` ones wait.

    A ``deferred`` module is a stand-in whose every public name is a :class:`_Deferred`: the real
    module is imported the first time one of them is called or looked into. What the body imports
    keeps the stand-ins it took (``from scipy.stats import rankdata``); afterwards the stand-ins
    leave ``sys.modules`` (and their parent package), so every later import gets the real module,
    pandas included. Modules already imported are left as they are.
    """
    standing: dict[str, Any] = {}
    for name in missing:
        if name not in sys.modules:
            standing[name] = None  # `import name` raises ImportError
    for name in deferred:
        if name not in sys.modules:
            standing[name] = _DeferredModule(name)
    sys.modules.update(standing)
    try:
        yield
    finally:
        for name, stand_in in standing.items():
            if sys.modules.get(name, 0) is stand_in:
                del sys.modules[name]
            parent, _, child = name.rpartition(".")
            package = sys.modules.get(parent) if parent else None
            if stand_in is not None and package is not None and package.__dict__.get(child) is stand_in:
                delattr(package, child)  # ``scipy.stats`` is then imported by the package when asked for


class _DeferredModule(types.ModuleType):
    """Stands for a module while scikit-learn imports: every public name in it is a :class:`_Deferred`."""

    def __getattr__(self, name: str) -> _Deferred:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Deferred(self.__name__, name)


class _Deferred:
    """``module.name``, imported the first time it is called or one of its attributes is read.

    For functions and objects used through their attributes, which is all scikit-learn takes from
    ``scipy.stats`` (``rankdata``, ``gmean``, ``chi2``...). A constant taken by name would stay a
    stand-in (it compares unequal to its value), and so would a class used with ``isinstance``.
    """

    __slots__ = ("_module", "_name")

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name

    def _target(self) -> Any:
        return getattr(importlib.import_module(self._module), self._name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._target(), attribute)

    def __repr__(self) -> str:
        return f"<{self._module}.{self._name}, imported at first use>"
