"""Traditional Chinese is read and tagged as simplified is: OpenCC conversion, Big5 detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.chinese import chinese_score, has_traditional, to_simplified
from classifier.reading.reader import detect_encoding, read_articles
from tests.conftest import needs_shared

SIMPLIFIED = (
    "医院改革让看病更方便\n全省推进公立医院综合改革，扩大家庭医生签约服务，群众就医负担明显减轻，医保报销比例提高。"
)
TRADITIONAL = (
    "醫院改革讓看病更方便\n全省推進公立醫院綜合改革，擴大家庭醫生簽約服務，群眾就醫負擔明顯減輕，醫保報銷比例提高。"
)


def test_traditional_text_is_converted_and_simplified_left_alone() -> None:
    assert to_simplified(TRADITIONAL) == SIMPLIFIED
    assert not has_traditional(SIMPLIFIED) and to_simplified(SIMPLIFIED) is SIMPLIFIED


@pytest.mark.slow
def test_the_traditional_character_list_is_opencc_s() -> None:
    import opencc

    convert = opencc.OpenCC("t2s").convert
    ranges = [(0x3400, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2A6E0)]
    changed = {chr(i) for a, b in ranges for i in range(a, b) if convert(chr(i)) != chr(i)}
    listed = set((Path(__file__).parent.parent / "classifier" / "traditional_chars.txt").read_text("utf-8").strip())
    assert listed == changed


@pytest.mark.parametrize(
    ("text", "encoding", "detected"),
    [
        (TRADITIONAL, "big5", "big5hkscs"),  # Big5 bytes are valid GBK too: read as GBK, they were garbled
        (TRADITIONAL, "gbk", "gb18030"),  # traditional characters in GBK stay GBK
        (SIMPLIFIED, "gbk", "gb18030"),
        (SIMPLIFIED, "gb18030", "gb18030"),
        (TRADITIONAL, "utf-8", "utf-8"),
    ],
)
def test_the_encoding_is_detected(text: str, encoding: str, detected: str) -> None:
    assert detect_encoding(text.encode(encoding), "x") == detected


def test_a_wrong_decoding_scores_low() -> None:
    raw = TRADITIONAL.encode("big5")
    right, wrong = chinese_score(raw.decode("big5")), chinese_score(raw.decode("gbk", errors="replace"))
    assert right > 0.95 and right - wrong > 0.2


def test_a_big5_file_reads_as_the_text_and_says_so_with_verbose(invoke, tmp_path: Path) -> None:
    path = tmp_path / "trad.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    (article,) = list(read_articles([path]))
    assert f"{article.title}\n{article.text}" == TRADITIONAL
    result = invoke("tag", path, "--verbose", "--format", "jsonl")
    assert result.exit_code == 0 and f"{path}: read as big5hkscs" in result.stderr


def test_traditional_and_simplified_get_the_same_topics_and_scores(invoke, tmp_path: Path) -> None:
    """A hospital-reform article in traditional characters scored public_service 0.06 (0.76 simplified)."""
    records = []
    for name, text, encoding in (("s", SIMPLIFIED, "utf-8"), ("t", TRADITIONAL, "utf-8"), ("b", TRADITIONAL, "big5")):
        path = tmp_path / f"{name}.txt"
        path.write_bytes(text.encode(encoding))
        result = invoke("tag", path, "--format", "jsonl")
        assert result.exit_code == 0, result.stderr
        records.append(json.loads(result.stdout))
    assert "public_service" in records[0]["topics"]
    assert records[0]["scores"] == records[1]["scores"] == records[2]["scores"]


@pytest.mark.slow
def test_the_dev_set_in_traditional_scores_as_in_simplified(seed_model: Path) -> None:
    import opencc

    from classifier.evaluation.evaluate import evaluate_pipeline
    from classifier.model.store import load_model
    from classifier.reading.reader import read_labelled

    dev = read_labelled(needs_shared("xwlb", "dev.jsonl"))
    to_traditional = opencc.OpenCC("s2t").convert
    traditional = [type(a)(a.id, to_traditional(a.title), to_traditional(a.text), a.topics, a.extra) for a in dev]
    assert sum(has_traditional(a.text) for a in traditional) > 150  # the conversion really happened
    pipeline = load_model(seed_model).pipeline
    simplified_f1 = evaluate_pipeline(pipeline, dev)["micro_f1"]
    traditional_f1 = evaluate_pipeline(pipeline, traditional)["micro_f1"]
    assert abs(simplified_f1 - traditional_f1) <= 0.02, (simplified_f1, traditional_f1)
