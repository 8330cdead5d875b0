"""Text features: the term priors."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.model.features import TermPriors


def test_term_priors_count_longest_terms_per_group() -> None:
    priors = TermPriors(groups={"energy": ["煤炭", "煤炭保供", "电网"], "none": ["外交部"]}, weight=1.0).fit([])
    X = priors.transform(["煤炭保供和电网，电网", "外交部发言人", "无关"]).toarray()
    # "煤炭保供" is matched once as the longer term, not again as "煤炭".
    assert X[:, 0] == pytest.approx(np.log1p([3, 0, 0]))
    assert X[:, 1] == pytest.approx(np.log1p([0, 1, 0]))
    assert list(priors.get_feature_names_out()) == ["energy", "none"]
