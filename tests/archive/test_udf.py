"""The per-partition function on pandas frames, called as Dask, Spark (mapInPandas, predict_batch_udf) and Ray would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.archive import udf
from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.tagging.tagger import Tagger, load_tagging_model

pd = pytest.importorskip("pandas")

TEXTS = ["足球联赛今晚开赛，主队在主场迎战", "央行下调存款准备金率，释放流动性", "乒乓球队夺得团体冠军"]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a", "b", "c"], "title": ["体育", "", None], "text": TEXTS})


def expected(top: int | None = None) -> list[dict]:
    articles = [Article("a", "体育", TEXTS[0]), Article("b", "", TEXTS[1]), Article("c", "", TEXTS[2])]
    return Tagger(load_tagging_model(), top=top).tag_batch(articles)


def test_ray_map_batches_frame_in_frame_out() -> None:
    # Ray: dataset.map_batches(tag_frame, batch_format="pandas") calls it with one frame a batch.
    tagged = udf.tag_frame(frame())
    assert list(tagged.columns) == ["id", "title", "topics", "scores", "keywords"]
    assert tagged.to_dict(orient="records") == expected()


def test_spark_map_in_pandas_iterator_of_frames() -> None:
    # Spark: df.mapInPandas(tag_frames, schema) hands an iterator of Arrow batches as frames.
    batches = [frame().iloc[:2], frame().iloc[2:]]
    tagged = list(udf.tag_frames(iter(batches), top=1))
    assert [len(t) for t in tagged] == [2, 1]
    assert pd.concat(tagged).to_dict(orient="records") == expected(top=1)


def test_spark_predict_batch_udf() -> None:
    # Spark: predict_batch_udf(make_predict_fn, return_type=StringType(), batch_size=...) calls
    # make_predict_fn once per Python worker, then predict with one NumPy array per input column.
    predict = udf.make_predict_fn()
    f = frame()
    out = predict(f["id"].to_numpy(), f["title"].fillna("").to_numpy(), f["text"].to_numpy())
    assert [json.loads(s) for s in out] == expected()


def test_the_model_is_loaded_once_per_process_and_checked(seed_model: Path) -> None:
    udf._MODELS.clear()
    before = udf.loads
    checksum = udf.model_checksum(seed_model)
    for _ in range(3):
        udf.tag_frame(frame(), str(seed_model), checksum=checksum)
    assert udf.loads == before + 1
    with pytest.raises(ClassifierError, match="another model than the driver"):
        udf.cached_model(str(seed_model), "0" * 64)


def test_missing_ids_and_bad_rows() -> None:
    f = pd.DataFrame({"text": ["股市上涨", "篮球比赛"]}, index=[10, 11])
    assert list(udf.tag_frame(f)["id"]) == ["row-10", "row-11"]
    with pytest.raises(ClassifierError, match='no "text" column'):
        udf.tag_frame(pd.DataFrame({"body": ["x"]}))
    with pytest.raises(ClassifierError, match="row 0: empty article"):
        udf.tag_frame(pd.DataFrame({"id": ["x"], "text": [""]}))


def test_a_bundle_carries_only_what_tagging_reads_and_is_checked(seed_model: Path) -> None:
    bundle = udf.model_bundle(seed_model)
    assert set(bundle.files) == {"manifest.json", "meta.json", "tagger.npz", "tagger.json"}
    udf._MODELS.clear()
    before = udf.loads
    first = udf.bundled_model(bundle)
    assert udf.bundled_model(bundle) is first and udf.loads == before + 1
    assert first.model.topics == load_tagging_model(seed_model).model.topics
    udf._MODELS.clear()
    forged = udf.ModelBundle(bundle.checksum, dict(bundle.files, **{"tagger.json": b"{}"}))
    with pytest.raises(ClassifierError, match="checksum does not match"):
        udf.bundled_model(forged)
    with pytest.raises(ClassifierError, match="does not match its checksum"):
        udf.bundled_model(udf.ModelBundle("0" * 64, bundle.files))
