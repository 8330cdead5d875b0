"""The compiled-model cache: written on the first load, read on the next."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def test_model_cache_is_written_then_used(seed_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import classifier.tagging.cache as cache
    from classifier.files import sha256_file
    from classifier.tagging.compiled import CompiledModel

    first = cache.load_tagging_model(seed_model)
    assert isinstance(first, CompiledModel)
    assert cache._cache_file(sha256_file(seed_model / "model.joblib")).is_file()

    def no_compiling(*args: object) -> None:
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(cache, "compile_model", no_compiling)
    again = cache.load_tagging_model(seed_model)
    assert np.array_equal(again.coef, first.coef)
