"""Reading articles: formats, encodings, line endings, and one-line errors for bad input."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from classifier.errors import ClassifierError
from classifier.reading.reader import MAX_ARTICLE_BYTES, read_articles
from tests.conftest import write_jsonl

ARTICLE = "全省经济运行平稳向好\n\n今年前两个月，我省工业生产小幅增长，固定资产投资回升明显。\n消费市场稳步复苏。"


def read_one(path: Path):
    (article,) = list(read_articles([path]))
    return article


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"],  # utf-16 writes a BOM
)
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(ARTICLE.encode(encoding))
    article = read_one(path)
    assert article.title == "全省经济运行平稳向好"
    assert article.text.startswith("今年前两个月")
    assert article.id == "a"


def test_utf16_big_endian_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "be.txt"
    path.write_bytes(codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"))
    assert read_one(path).title == "全省经济运行平稳向好"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(ARTICLE.replace("\n", newline).encode("utf-8"))
    article = read_one(path)
    assert article.title == "全省经济运行平稳向好"
    assert "\r" not in article.text
    assert article.text.split("\n") == [
        "今年前两个月，我省工业生产小幅增长，固定资产投资回升明显。",
        "消费市场稳步复苏。",
    ]


def test_full_width_spaces_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("标题\n\u3000\u3000正文第一段。", encoding="utf-8")
    assert read_one(path).text == "正文第一段。"


def test_long_first_line_is_not_a_title(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("这是一段很长的正文" * 10 + "\n第二段。", encoding="utf-8")
    assert read_one(path).title == ""


def test_jsonl_ids_default_to_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "batch.jsonl", [{"text": "第一篇。"}, {"id": "x7", "title": "题", "text": "第二篇。"}]
    )
    articles = list(read_articles([path]))
    assert [a.id for a in articles] == ["batch-L1", "x7"]
    assert articles[1].title == "题"


def test_jsonl_keeps_optional_fields(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "text": "正文", "date": "20240101", "topics": ["energy"]}])
    article = read_one(path)
    assert article.topics == ["energy"]
    assert article.extra == {"date": "20240101"}


def test_directory_is_read_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("乙篇正文。", encoding="utf-8")
    (tmp_path / "a.txt").write_text("甲篇正文。", encoding="utf-8")
    write_jsonl(tmp_path / "c.jsonl", [{"text": "丙篇。"}])
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    assert [a.id for a in read_articles([tmp_path])] == ["a", "b", "c-L1"]


def test_jsonl_is_read_lazily(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "好的。"}\nnot json\n', encoding="utf-8")
    articles = read_articles([path])
    assert next(articles).text == "好的。"  # the bad second line is not reached yet
    with pytest.raises(ClassifierError):
        next(articles)


def test_gbk_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes('{"text": "煤炭保供稳价"}\r\n{"text": "电网建设"}\r\n'.encode("gbk"))
    assert [a.text for a in read_articles([path])] == ["煤炭保供稳价", "电网建设"]


# ---- bad input: one clear message naming the file (and line) ----


def error_of(paths: list) -> str:
    with pytest.raises(ClassifierError) as info:
        list(read_articles(paths))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_path(tmp_path: Path) -> None:
    assert "no such file or directory" in error_of([tmp_path / "nope.txt"])


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert "binary" in error_of([path])


def test_empty_article(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(" \n\u3000\n\n", encoding="utf-8")
    assert error_of([path]) == f"{path}: empty article"


def test_jsonl_line_not_json(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "好"}\n\n{"text": oops}\n', encoding="utf-8")
    assert error_of([path]).startswith(f"{path}:3: not valid JSON")


def test_jsonl_line_without_text(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "好"}, {"title": "没有正文"}])
    assert error_of([path]) == f'{path}:2: no "text" field'


def test_jsonl_empty_text(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "  "}])
    assert error_of([path]) == f"{path}:1: empty article"


def test_file_over_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes("字".encode() * (MAX_ARTICLE_BYTES // 3 + 10))
    assert "MiB limit" in error_of([path])


def test_empty_directory(tmp_path: Path) -> None:
    assert "directory holds no .txt, .json, .jsonl file" in error_of([tmp_path])


def test_a_json_array_of_articles(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([{"id": "a", "text": "第一篇"}, {"title": "二", "text": "第二篇"}]), encoding="utf-8")
    articles = list(read_articles([path]))
    assert [(a.id, a.title, a.text) for a in articles] == [("a", "", "第一篇"), ("batch-2", "二", "第二篇")]


def test_a_json_object_is_one_article(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"id": "x", "title": "标题", "text": "正文"}), encoding="utf-8")
    assert [a.id for a in read_articles([path])] == ["x"]


def test_json_lines_in_a_json_file_point_to_jsonl(tmp_path: Path) -> None:
    """A .json file was once tagged as one article, JSON and all."""
    path = tmp_path / "lines.json"
    path.write_text('{"text": "一"}\n{"text": "二"}\n', encoding="utf-8")
    assert error_of([path]) == f"{path}:2: not valid JSON (Extra data); one article per line is .jsonl"
    (tmp_path / "numbers.json").write_text("[1, 2]", encoding="utf-8")
    assert "expected an article object or an array of them" in error_of([tmp_path / "numbers.json"])


def test_an_empty_jsonl_says_no_articles(tmp_path: Path) -> None:
    """It used to exit 0 in silence."""
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    assert error_of([path]) == f"no articles in {path}"


def test_a_bad_byte_is_reported_on_its_own_line(tmp_path: Path) -> None:
    """An invalid UTF-8 byte on line 9001 was reported on line 8998 (the decoder reads ahead in chunks)."""
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"text": f"第{i}篇文章"}, ensure_ascii=False).encode() for i in range(1, 9001)]
    lines.append(b'{"text": "\xff"}')
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert error_of([path]).startswith(f"{path}:9001: cannot be decoded as utf-8")


def test_a_directory_passes_over_hidden_files_and_the_files_to_skip(tmp_path: Path) -> None:
    from classifier.reading.reader import expand_paths

    write_jsonl(tmp_path / "in.jsonl", [{"text": "正文"}])
    write_jsonl(tmp_path / "tags.jsonl", [{"text": "上次的输出"}])
    (tmp_path / ".tags.jsonl.x1y2").write_text('{"text": "写了一半', encoding="utf-8")
    assert list(expand_paths([tmp_path], skip=[tmp_path / "tags.jsonl"])) == [tmp_path / "in.jsonl"]


def test_normalise_text_equals_the_plain_replacements() -> None:
    """Steps skipped when a text does not need them: the result is what replace + translate give."""
    from classifier.reading.reader import _SPACE_TABLE, normalise_text

    for text in [
        "a\r\nb\rc\n",
        "全角\u3000空格\xa0和\ufeffBOM",
        "纯中文文本",
        "",
        "\r",
        "\r\n\r\n",
        "\ufeff",
        "x\xa0\r",
    ]:
        assert normalise_text(text) == text.replace("\r\n", "\n").replace("\r", "\n").translate(_SPACE_TABLE)


def test_deferred_lines_give_the_same_articles_and_errors(tmp_path: Path) -> None:
    """``tag --jobs N``'s reading process hands on undecoded lines; the workers' articles are read_articles'."""
    from classifier.reading.reader import JsonLine, article_of, read_articles_deferred

    path = tmp_path / "a.jsonl"
    lines = [json.dumps({"id": "x", "text": "一"}, ensure_ascii=False), "", "  \u3000 ", json.dumps({"text": "二"})]
    path.write_bytes(codecs.BOM_UTF8 + "\n".join(lines).encode("utf-8") + b"\n\n")
    items = list(read_articles_deferred([path]))
    assert all(isinstance(item, JsonLine) for item in items) and len(items) == 2, "blank lines are not handed on"
    assert [article_of(item) for item in items] == list(read_articles([path]))
    assert [a.id for a in read_articles([path])] == ["x", "a-L4"]

    bad = tmp_path / "bad.jsonl"
    good = [json.dumps({"text": f"第{i}篇文章"}, ensure_ascii=False).encode() for i in range(1, 9001)]
    bad.write_bytes(b"\n".join([*good, b'{"text": "\xff"}', b"{not json"]) + b"\n")
    items = list(read_articles_deferred([bad]))  # nothing is decoded or parsed yet
    assert len(items) == 9002 and article_of(items[0]).text == "第1篇文章"
    with pytest.raises(ClassifierError, match=r"bad.jsonl:9001: cannot be decoded as utf-8 \(byte 11 of the line\)"):
        article_of(items[9000])
    with pytest.raises(ClassifierError, match=r"bad.jsonl:9002: not valid JSON"):
        article_of(items[9001])


def _blocks_and_lines(path: Path, block_bytes: int) -> tuple[list, list]:
    """The articles of ``path`` read in blocks, and read line by line (or the error of each, as text)."""
    from classifier.reading.reader import articles_of, read_articles_deferred

    def articles(block: int | None) -> list:
        try:
            return [a for item in read_articles_deferred([path], block_bytes=block) for a in articles_of(item)]
        except ClassifierError as error:
            return [str(error)]

    return articles(block_bytes), articles(None)


@pytest.mark.parametrize("block_bytes", [1, 7, 40, 1 << 20])
def test_blocks_give_the_same_articles_ids_and_errors_as_lines(tmp_path: Path, block_bytes: int) -> None:
    """``tag``'s workers get JSONL in blocks of lines: the same articles, ids and errors (file and line) as line by line."""
    from classifier.reading.reader import JsonBlock, read_articles_deferred

    path = tmp_path / "a.jsonl"
    lines = [json.dumps({"text": f"第{i}篇"}, ensure_ascii=False) for i in range(30)]
    lines[3:3] = ["", "  \u3000 ", "\r"]  # blank, blank once decoded, a stray \r
    path.write_bytes(codecs.BOM_UTF8 + "\n".join(lines).encode("utf-8"))  # no \n at the end
    blocks, one_by_one = _blocks_and_lines(path, block_bytes)
    assert blocks == one_by_one and len(blocks) == 30 and blocks[29].id == "a-L33"
    items = list(read_articles_deferred([path], block_bytes=block_bytes))
    assert any(isinstance(item, JsonBlock) for item in items)

    bad = tmp_path / "bad.jsonl"
    # past the 64 KiB the codec is told from
    good = [json.dumps({"text": f"第{i}篇文章"}, ensure_ascii=False).encode() for i in range(1, 3001)]
    for wrong, message in [(b'{"text": "\xff"}', "bad.jsonl:3001: cannot be"), (b"{not", "bad.jsonl:3001: not valid")]:
        bad.write_bytes(b"\r\n".join([*good, wrong, *good]) + b"\r\n")
        blocks, one_by_one = _blocks_and_lines(bad, block_bytes)
        assert blocks == one_by_one and len(blocks) == 1 and message in blocks[0]


def test_blocks_of_lines_without_an_object(tmp_path: Path) -> None:
    """A block without ``{`` holds junk or blank lines: an error on the right line, or no article at all."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "x"}\n\n   \n\n' + "\u3000\n".encode() + b"junk\n")
    blocks, one_by_one = _blocks_and_lines(path, 4)
    assert blocks == one_by_one and "a.jsonl:6: not valid JSON" in blocks[0]
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n \n" + "\u3000\n\u00a0\n".encode())
    blocks, one_by_one = _blocks_and_lines(blank, 2)
    assert blocks == one_by_one and "no articles in" in blocks[0]


def test_a_line_over_the_limit_in_blocks(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"text": "x"}\n' * 3 + b'{"text": "' + b"a" * MAX_ARTICLE_BYTES + b'"}\n')
    blocks, one_by_one = _blocks_and_lines(path, 10)
    assert blocks == one_by_one and "long.jsonl:4: line longer than the 10 MiB limit" in blocks[0]


def test_standard_input_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From a pipe, a block is what the pipe holds (not a wait for more); all of it is read."""
    import io
    import os
    import sys
    import threading

    from classifier.reading.reader import articles_of, read_articles_deferred

    lines = b"".join(json.dumps({"text": f"第{i}篇"}).encode() + b"\n" for i in range(2000))
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_end, lines), os.close(write_end)))
    writer.start()
    with os.fdopen(read_end, "rb") as stream:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
        articles = [a for item in read_articles_deferred(["-"], block_bytes=4096) for a in articles_of(item)]
    writer.join()
    assert [a.id for a in articles] == [f"stdin-L{i}" for i in range(1, 2001)]
