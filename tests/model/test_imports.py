"""Stand-ins while scikit-learn imports: pandas never imported, SciPy's statistics imported only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from classifier.model.imports import _Deferred, stand_ins

ROOT = Path(__file__).resolve().parents[2]


def test_a_deferred_module_is_imported_at_first_use_and_then_is_the_real_one(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "heavy_mod.py").write_text(
        "import sys\nsys.heavy_imports = getattr(sys, 'heavy_imports', 0) + 1\n"
        "def twice(x):\n    return 2 * x\nLIMIT = 7\n"
    )
    (tmp_path / "user_mod.py").write_text("from heavy_mod import twice\nimport heavy_mod\n")
    (tmp_path / "other_mod.py").write_text("import absent_mod\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "heavy_imports", 0, raising=False)
    for name in ("heavy_mod", "user_mod", "other_mod"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with stand_ins(missing=["absent_mod"], deferred=["heavy_mod"]):
        import user_mod

        with pytest.raises(ImportError):
            import other_mod  # noqa: F401
    assert isinstance(user_mod.twice, _Deferred) and sys.heavy_imports == 0, "taken by name, not imported"
    assert "heavy_mod" not in sys.modules and "absent_mod" not in sys.modules, "the stand-ins are gone"
    assert user_mod.twice(21) == 42 and sys.heavy_imports == 1, "imported at the first call"
    assert user_mod.heavy_mod.twice(3) == 6 and user_mod.twice(1) == 2 and sys.heavy_imports == 1, "once"
    import heavy_mod

    assert heavy_mod.LIMIT == 7 and not isinstance(heavy_mod.twice, _Deferred), "later imports get the real module"


def test_a_module_imported_already_is_left_as_it_is() -> None:
    import json

    with stand_ins(missing=["json"], deferred=["json"]):
        import json as again
    assert again is json and sys.modules["json"] is json


@pytest.mark.slow
def test_training_imports_neither_pandas_nor_scipy_stats_and_scikit_learn_still_works() -> None:
    """In a fresh process (this one has imported both already)."""
    script = """
import sys
from classifier.model.training import Recipe
from tests.model import corpus

assert "pandas" not in sys.modules and "scipy.stats" not in sys.modules, "neither imported"
assert "scipy.stats._stats_py" not in sys.modules
pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
assert "scipy.stats._stats_py" not in sys.modules, "training called none of it"
import sklearn.metrics._ranking as ranking
import sklearn.preprocessing._data as data
assert ranking.rankdata([3, 1, 2]).tolist() == [3.0, 1.0, 2.0], "a name taken while stood in for still works"
assert data.stats.rankdata([2, 1]).tolist() == [2.0, 1.0]
import scipy.stats
import pandas
assert type(scipy.stats).__name__ == "module" and scipy.stats.rankdata.__module__.startswith("scipy.stats")
assert sys.modules["scipy"].stats is scipy.stats and pandas.DataFrame is not None, "the real modules afterwards"
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT)
