"""Drift: what recent articles hold that the model does not know, from its own record of its training data.

News changes under a tagger: new programmes, place names and events. :func:`drift_report` tags
a stream of recent articles and reports, per month,

* the share of articles the model gives no topic, and the share of low-confidence ones (some
  topic's score close to its threshold: :func:`classifier.model.decision.low_confidence`);

and the words that are frequent in the recent articles but rare in the training data (the
model's ``words.df``, written at training time), ranked by how many low-confidence articles they
occur in: candidates for the taxonomy's term lists, or for ``classifier suggest``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.chinese import pad
from classifier.errors import ClassifierError
from classifier.model.decision import low_confidence
from classifier.model.text import JiebaTokenizer, normalise
from classifier.tagging.tagger import Tagger, TaggingModel

#: A candidate word is in at least this many recent articles ...
MIN_ARTICLES = 5
#: ... in at most this share of the training texts ...
RARE_SHARE = 0.01
#: ... and in a share of the recent articles at least this many times that.
MIN_RATIO = 3.0
_CANDIDATE = re.compile(r"[\u4e00-\u9fff]")


def training_words(model: TaggingModel) -> tuple[dict[str, int], int, JiebaTokenizer]:
    """The model's record of its training texts: document frequency per word, their number, and its tokenizer.

    Raises
    ------
    ClassifierError
        When the model has no such record (a model trained before it was kept, or one without tagging arrays).
    """
    from classifier.model.store import read_tagger

    found = read_tagger(model.path) if model.path is not None else None
    block = next((b for b in found[1]["blocks"] if b["kind"] == "words"), None) if found else None
    if found is None or block is None or f"{block['name']}.df" not in found[0]:
        raise ClassifierError(
            f"model {model.version}: no record of its training words (it predates drift reports); retrain it"
        )
    arrays = found[0]
    terms = arrays[f"{block['name']}.terms"].tolist()
    df = arrays[f"{block['name']}.df"].tolist()
    tokenizer = JiebaTokenizer(block["user_words"], hmm=block["hmm"])
    return dict(zip(terms, df, strict=True)), int(block["n_documents"]), tokenizer


def drift_report(
    model: TaggingModel,
    articles: Iterable[Article],
    since: date | None = None,
    top: int = 30,
    min_articles: int = MIN_ARTICLES,
) -> dict[str, Any]:
    """Tag recent articles and say what the model meets that it does not know.

    Parameters
    ----------
    model : TaggingModel
        From :func:`classifier.tagging.tagger.load_tagging_model`.
    articles : iterable of Article
        Recent articles, tagged before or not (they are tagged here).
    since : date or None
        Leave out articles dated before it (undated articles are kept, in an ``undated`` row).
    top : int
        How many candidate words to report.
    min_articles : int
        A candidate word occurs in at least this many of the articles.

    Returns
    -------
    dict
        ``model``, ``articles``, ``periods`` (per month: ``period``, ``articles``, ``no_topic``,
        ``low_confidence``, shares in [0, 1]) and ``words`` (``word``, ``low_confidence_articles``,
        ``articles``, ``training_texts``, ``new``), plus ``training_texts`` (their number).
    """
    train_df, n_train, tokenizer = training_words(model)
    tagger = Tagger(model)
    thresholds = np.asarray(model.model.thresholds)
    periods: dict[str, Counter] = {}
    recent_df: Counter = Counter()
    unsure_df: Counter = Counter()
    n = 0
    batch: list[Article] = []

    def flush() -> None:
        nonlocal n
        for article, record in zip(batch, tagger.tag_batch(batch), strict=True):
            scores = np.array([record["scores"][t] for t in tagger.topics])
            unsure = bool(low_confidence(scores, thresholds)[0])
            day = article.date
            row = periods.setdefault(day.strftime("%Y-%m") if day else "undated", Counter())
            row.update(articles=1, no_topic=not record["topics"], low_confidence=unsure)
            words = {w for w in tokenizer(normalise(article.full_text)) if len(w) >= 2 and _CANDIDATE.search(w)}
            recent_df.update(words)
            if unsure:
                unsure_df.update(words)
            n += 1
        batch.clear()

    for article in articles:
        if since is not None and (day := article.date) is not None and day < since:
            continue
        batch.append(article)
        if len(batch) == 256:
            flush()
    flush()
    if n == 0:
        raise ClassifierError(f"no articles dated on or after {since}" if since else "no articles")
    words = []
    for word, count in recent_df.items():
        trained = train_df.get(word, 0)
        share = trained / max(n_train, 1)
        if count >= min_articles and share <= RARE_SHARE and count / n >= MIN_RATIO * share:
            words.append(
                {
                    "word": word,
                    "low_confidence_articles": unsure_df[word],
                    "articles": count,
                    "training_texts": trained,
                    "new": trained == 0,
                }
            )
    words.sort(key=lambda w: (-w["low_confidence_articles"], -w["articles"], w["word"]))
    return {
        "model": model.version,
        "articles": n,
        "training_texts": n_train,
        "since": str(since) if since else None,
        "periods": [
            {
                "period": period,
                "articles": row["articles"],
                "no_topic": row["no_topic"] / row["articles"],
                "low_confidence": row["low_confidence"] / row["articles"],
            }
            for period, row in sorted(periods.items())
        ],
        "words": words[:top],
    }


def format_drift(report: dict[str, Any]) -> str:
    """The drift report as two readable tables."""
    lines = [
        f"{report['articles']} articles against model {report['model']} ({report['training_texts']} training texts)",
        "",
        f"{'period':<10} {'articles':>8} {'no topic':>9} {'low confidence':>15}",
    ]
    for row in report["periods"]:
        lines.append(f"{row['period']:<10} {row['articles']:>8} {row['no_topic']:>9.1%} {row['low_confidence']:>15.1%}")
    lines += ["", "frequent now, rare in the training data (by low-confidence articles):"]
    lines.append(f"{pad('word', 14)} {'low-conf':>8} {'articles':>8} {'training':>8}")
    for w in report["words"]:
        mark = "  new" if w["new"] else ""
        lines.append(
            f"{pad(w['word'], 14)} {w['low_confidence_articles']:>8} {w['articles']:>8} {w['training_texts']:>8}{mark}"
        )
    return "\n".join(lines)
