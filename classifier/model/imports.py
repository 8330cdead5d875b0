"""Importing scikit-learn for training without pandas, which scikit-learn imports only to hold a name it never reads."""

from __future__ import annotations

import sys


def import_scikit_learn() -> None:
    """Import scikit-learn's base modules without importing pandas, when neither is imported yet.

    ``sklearn.utils.fixes``, imported by every scikit-learn estimator, runs ``import pandas`` when
    pandas is installed (it is, with the ``dask`` extra) and keeps the module as ``fixes.pd``, which
    nothing in scikit-learn reads (the functions that take frames are handed pandas by their
    caller, and scikit-learn's frame checks look in ``sys.modules`` at call time). Importing pandas
    and PyArrow cost 0.2-0.3 s of the 1.0-1.3 s scikit-learn's import takes (one core), on the
    critical path of every ``classifier train``. So that import fails, once: ``fixes.pd`` is
    ``None``, as where pandas is not installed, and pandas imports as usual afterwards, for anyone.
    Nothing happens when scikit-learn or pandas is already imported.
    """
    if "sklearn" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` raises ImportError
    try:
        import sklearn.utils.fixes  # noqa: F401
    finally:
        if sys.modules.get("pandas", 0) is None:
            del sys.modules["pandas"]
