"""`classifier suggest`: the unlabelled articles a label would help most, as a `classifier labels review` source."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from classifier.cli._util import (
    Format,
    FormatOpt,
    LabelStoreOpt,
    ModelOpt,
    OutputOpt,
    TrustPickleOpt,
    choose_format,
    json_lines,
    note,
    write_lines,
)
from classifier.labelling import STRATEGIES

Strategy = StrEnum("Strategy", {name: name for name in STRATEGIES})  # type: ignore[misc]
DEFAULT_STRATEGY = Strategy(STRATEGIES[0])


def suggest(
    pool: Annotated[list[str], typer.Argument(help="Unlabelled articles: JSONL files, directories, or -.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many articles to suggest.")] = 50,
    strategy: Annotated[Strategy, typer.Option("--strategy", "-s")] = DEFAULT_STRATEGY,  # type: ignore[valid-type]
    model: ModelOpt = None,
    trust_pickle: TrustPickleOpt = False,
    format: FormatOpt = None,
    output: OutputOpt = None,
    label_store: LabelStoreOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random strategy.")] = 0,
) -> None:
    """Rank unlabelled articles by how much a label would help. Formats: table, jsonl.

    uncertainty: a topic's score is near its threshold (two unsure topics count more);
    diverse: the same, spread over different stories; random: the baseline.
    Articles labelled in labels/*.jsonl or decided in the label journal are left out.
    """
    from classifier.labelling.journal import open_journal
    from classifier.labelling.suggest import labelled_ids
    from classifier.labelling.suggest import suggest as rank_pool
    from classifier.model.store import load_model
    from classifier.reading.reader import expand_paths, read_articles

    style = choose_format(format, [Format.table, Format.jsonl], output)
    files = list(expand_paths(pool))
    loaded = load_model(model, trust_pickle=trust_pickle)
    exclude = labelled_ids(open_journal(label_store))
    articles = list(read_articles(files))
    note(f"scoring {len(articles)} articles with {loaded.path.name}...")
    picks = rank_pool(loaded.pipeline, articles, n=limit, strategy=strategy.value, exclude=exclude, seed=seed)
    if style == Format.table:
        lines = [f"{'rank':>4}  {'id':<20} {'model topics':<36} {'reason':<52} title"]
        lines += [
            f"{r['rank']:>4}  {r['id']:<20} {','.join(r['model_topics']) or '-':<36} {r['reason']:<52} {r['title'][:24]}"
            for r in picks
        ]
    else:
        lines = list(json_lines(picks))
    write_lines(lines, output)
    if output is not None:
        note(f"wrote {len(picks)} suggestions to {output}; label them with `classifier labels review {output}`")
