"""Where ``classifier train`` spends its time on all XWLB labels: imports, vectorisers, liblinear fits, saving.

Wall seconds per phase, timed by wrapping ``TopicClassifier._map`` (which runs every logistic
regression fit, out-of-fold and final, in forked processes),
``TopicClassifier._out_of_fold_decisions`` and the features' fit (``TextNormaliser.transform``,
``FeatureUnion.fit_transform``, or ``fit_features`` where training has it); then saving a version. Run from the project root::

    PYTHONPATH=. python benchmarks/train_profile.py [--thucnews]

``save_model`` is timed first, as the command runs it (skops not imported; skops' import and dump
in a forked process beside the rest; jieba's dictionary built by a process forked before
scikit-learn's import, where the code has ``build_dictionary_ahead``), then its parts one by one
(the dictionary built again here). Without a prior weight to choose (THUCNews), the out-of-fold
figure includes the final fits, done in the same map where the code does so.
``--thucnews``: THUCNews train.jsonl (10k headlines, its own topics, no term priors) instead.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any


def main() -> None:
    start = time.perf_counter()
    import classifier.cli  # noqa: F401 - what the command imports first

    imported_cli = time.perf_counter()
    from classifier.model import store

    if hasattr(store, "build_dictionary_ahead"):  # as the command does, before scikit-learn's import
        store.build_dictionary_ahead()
    from sklearn.pipeline import FeatureUnion

    from classifier.locations import shared_data_dir
    from classifier.model import estimator, features, training
    from classifier.model.training import load_training, train_model

    imported = time.perf_counter()
    xwlb = shared_data_dir() / "xwlb"
    if "--thucnews" in sys.argv[1:]:
        labels = [shared_data_dir() / "thucnews" / "train.jsonl"]
        articles, recipe, files = load_training(labels, own_topics=True)
    else:
        labels = [Path("labels"), xwlb / "dev.jsonl", xwlb / "recent.jsonl"]
        articles, recipe, files = load_training(labels, Path("labels/taxonomy.toml"))
    loaded = time.perf_counter()
    spent = {"fits": 0.0, "out_of_fold": 0.0, "vectorisers": 0.0}

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - began

        return wrapper

    estimator.TopicClassifier._map = timed("fits", estimator.TopicClassifier._map)
    estimator.TopicClassifier._out_of_fold_decisions = timed(
        "out_of_fold", estimator.TopicClassifier._out_of_fold_decisions
    )
    if hasattr(training, "fit_features"):  # the blocks fitted side by side
        training.fit_features = timed("vectorisers", training.fit_features)
    else:  # the code before (this script also times main's)
        FeatureUnion.fit_transform = timed("vectorisers", FeatureUnion.fit_transform)
        features.TextNormaliser.transform = timed("vectorisers", features.TextNormaliser.transform)
    pipeline, meta = train_model(articles, recipe, label_sources=files)
    trained = time.perf_counter()

    from classifier.model import store

    imported_store = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        store.save_model(pipeline, meta, out_dir=Path(tmp) / "version")
        save_s = time.perf_counter() - began
        shutil.rmtree(Path(tmp) / "version")
        began = time.perf_counter()
        import skops.io  # its import alone (save_model imported it in the forked process)

        skops_import_s = time.perf_counter() - began
        began = time.perf_counter()
        if hasattr(store, "_dump_pipeline"):
            store._dump_pipeline(pipeline, Path(tmp) / "p.skops")
        else:  # the code before
            skops.io.dump(pipeline, Path(tmp) / "p.skops", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        skops_s = time.perf_counter() - began
        from classifier.model import lexicon
        from classifier.model.export import export_tagger

        began = time.perf_counter()
        export_tagger(pipeline)
        export_s = time.perf_counter() - began
        began = time.perf_counter()
        lexicon.jieba_dictionary.cache_clear()
        lexicon.jieba_dictionary()
        dictionary_s = time.perf_counter() - began
    print(
        f"load average {os.getloadavg()[0]:.2f}; {len(articles)} articles\n"
        f"import classifier.cli {imported_cli - start:.2f} s, import training {imported - imported_cli:.2f} s, "
        f"read labels {loaded - imported:.2f} s\n"
        f"train_model {trained - loaded:.2f} s: vectorisers fit {spent['vectorisers']:.2f} s, "
        f"logistic regression fits {spent['fits']:.2f} s ({os.cpu_count()} processes; the out-of-fold "
        f"decisions {spent['out_of_fold']:.2f} s of it)\n"
        f"import the store {imported_store - trained:.2f} s, save_model {save_s:.2f} s; its parts one by one: "
        f"import skops {skops_import_s:.2f} s, skops dump {skops_s:.2f} s, tagging arrays {export_s:.2f} s, "
        f"jieba's dictionary {dictionary_s:.2f} s"
    )


if __name__ == "__main__":
    main()
