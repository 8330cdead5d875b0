"""Issue #13's figures in one run, each a ratio of programs measured side by side: tagging against fastText, cold start, memory, training.

What it measures (every run a fresh process; rounds interleaved A B C, A B C, ...; one-process
runs pinned to one core with ``taskset -c 1``, two-process runs on ``-c 0,1``):

* batch: the whole process, from reading the pool JSONL to writing JSON lines, articles/s, of
  (a) a plain fastText program (reads the JSONL, cuts title + text with rjieba, predicts every
  label's probability with ``k=-1``, writes JSON lines), fastText trained with ``loss="ova"``,
  ``wordNgrams=2`` (other settings default) on the same labels as our model (seeds + dev +
  recent, no-topic articles labelled ``none``); (b) ``classifier tag --jobs 1 --format jsonl``;
  (c) ``classifier tag --jobs 2``. (b) and (c) must write the same bytes;
* cold start: ``classifier tag <one seed article>`` against ``python -c "import numpy"``, median
  of ``--cold-repeats`` (7) interleaved;
* peak RSS, summed over the command and its worker processes (shared pages counted in each, so
  an over-estimate), of (b) and (c) on the pool and on the pool four times over;
* training: ``classifier train`` against a fastText training program (reads the same labels, cuts
  with rjieba, writes fastText's input file, trains, saves) on THUCNews train.jsonl (10k
  headlines, ``--own-topics``) and on all XWLB labels (labels/ + dev.jsonl + recent.jsonl), both
  on both cores (our fits run in forked processes, fastText's in threads);
* equality: the array tagger's feature rows and scores against the scikit-learn pipeline's on the
  pool (max |score difference|, rows bit-identical), in this process after the timings.

The model tagged is the shipped default (``models/default``: all hand labels, self-trained on
unlabelled news); fastText is trained on the same labels (seeds + dev + recent). The machine's load average is recorded at start
and end: other jobs slow every program, so only the ratios within one run mean anything.

Run from the project root (``--limit N``: the first N pool articles and THUCNews rows, a smoke run)::

    PYTHONPATH=. python benchmarks/speed.py [--repeats 3] [--limit N] [--skip-train] [--results DIR]

Writes ``speed.json`` and ``speed.md`` to ``--results`` (default ``benchmarks/results``). The
subcommands ``--fasttext-tag`` and ``--fasttext-train`` are the fastText programs measured.
"""

from __future__ import annotations

import sys


def fasttext_tag(model_path: str, paths: list[str]) -> None:
    """The plain fastText program: JSONL in, rjieba words, every label's probability, JSON lines out."""
    import json

    import fasttext
    import rjieba

    model = fasttext.load_model(model_path)
    write = sys.stdout.write
    for path in paths:
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                if not line.strip():
                    continue
                record = json.loads(line)
                text = f"{record.get('title') or ''}\n{record.get('text') or ''}"
                words = " ".join(w for w in rjieba.cut(text, False) if not w.isspace())
                labels, probs = model.predict(words, k=-1)
                scores = {label[9:]: round(float(p), 4) for label, p in zip(labels, probs, strict=True)}
                write(json.dumps({"id": record.get("id"), "scores": scores}, ensure_ascii=False) + "\n")


def fasttext_train(out: str, labels: list[str]) -> None:
    """fastText on the same labels as ``classifier train --labels ...``: read, cut, write, train, save."""
    import os
    import tempfile

    import fasttext
    import rjieba

    from classifier.reading.labels import load_labelled_articles

    articles = load_labelled_articles(labels, topics=None)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "train.txt")
        with open(data, "w", encoding="utf-8") as stream:
            for article in articles:
                tags = " ".join(f"__label__{t}" for t in (article.topics or ["none"]))
                words = " ".join(w for w in rjieba.cut(article.full_text, False) if not w.isspace())
                stream.write(f"{tags} {words}\n")
        model = fasttext.train_supervised(input=data, loss="ova", wordNgrams=2, verbose=0)
        model.save_model(out)


# --- measuring ---------------------------------------------------------------------------


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fasttext-tag", nargs="+", metavar=("MODEL", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--fasttext-train", nargs="+", metavar=("OUT", "LABELS"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help="Interleaved rounds of the batch and training runs.")
    parser.add_argument("--cold-repeats", type=int, default=7, help="Interleaved cold starts of each program.")
    parser.add_argument("--limit", type=int, help="Only the first N pool articles and THUCNews rows (smoke run).")
    parser.add_argument("--skip-train", action="store_true", help="Leave out the training comparison.")
    parser.add_argument(
        "--seeds-model", action="store_true", help="Tag with a seeds-only model (and fastText on the seeds) instead."
    )
    parser.add_argument("--results", help="Where to write speed.json and speed.md (default: benchmarks/results).")
    args = parser.parse_args()
    if args.fasttext_tag:
        return fasttext_tag(args.fasttext_tag[0], args.fasttext_tag[1:])
    if args.fasttext_train:
        return fasttext_train(args.fasttext_train[0], args.fasttext_train[1:])
    report(args)


def report(args: object) -> None:
    """Run every measurement (interleaved rounds), print the table and write it with the raw runs."""
    import json
    import os
    import shutil
    import statistics
    import subprocess
    import tempfile
    import time
    from pathlib import Path

    from classifier.locations import shared_data_dir
    from classifier.model.store import resolve_model_dir

    repo = Path(__file__).resolve().parent.parent
    data = shared_data_dir()
    pool, dev, recent = data / "xwlb" / "pool.jsonl", data / "xwlb" / "dev.jsonl", data / "xwlb" / "recent.jsonl"
    thucnews = data / "thucnews" / "train.jsonl"
    seed_article = str(sorted((repo / "seeds").glob("*.txt"))[0])
    py, me = sys.executable, str(Path(__file__).resolve())
    cli = [py, "-m", "classifier"]
    one_core, two_cores = (["taskset", "-c", "1"], ["taskset", "-c", "0,1"]) if shutil.which("taskset") else ([], [])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # .pyc files, as installed
    env["PYTHONPATH"] = str(repo)
    limit = getattr(args, "limit", None)
    figures: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": {"start": [round(x, 2) for x in os.getloadavg()]},
        "limit": limit,
        "cpus": len(os.sched_getaffinity(0)),
    }

    with tempfile.TemporaryDirectory(prefix="speed.") as tmp_name:
        tmp = Path(tmp_name)
        env["CLASSIFIER_MODELS"] = str(tmp / "store")  # nothing of the user's store is touched
        subprocess.run([py, "-m", "compileall", "-q", str(repo / "classifier"), me], check=True, env=env)
        if limit:
            pool = _head(pool, tmp / "pool.jsonl", limit)
            thucnews = _head(thucnews, tmp / "thucnews.jsonl", limit)
        n_pool = sum(1 for line in pool.open("rb") if line.strip())
        figures["pool_articles"] = n_pool
        if getattr(args, "seeds_model", False):
            # The setting of the first figures: a model of the seed labels, fastText on them.
            model_dir = tmp / "model"
            run(
                [*cli, "train", "--labels", str(repo / "labels" / "seed_labels.jsonl"), "--output", str(model_dir)],
                env=env,
            )
            figures["model"] = "seeds only (trained here on labels/seed_labels.jsonl)"
            ft_labels = [str(repo / "labels" / "seed_labels.jsonl")]
        else:
            # The shipped default model (all hand labels, self-trained), and fastText on the same labels.
            model_dir = resolve_model_dir(None)
            figures["model"] = f"the shipped default, {model_dir.name} (all 550 hand labels, self-trained)"
            ft_labels = [str(repo / "labels"), str(dev), str(recent)]
        ft_model = tmp / "fasttext.bin"
        run([py, me, "--fasttext-train", str(ft_model), *ft_labels], env=env)

        # -- batch: the whole process on the pool, interleaved rounds -----------------------
        outputs = {name: tmp / f"{name}.jsonl" for name in ("ours1", "ours2")}
        tag = [*cli, "tag", str(pool), "--format", "jsonl", "--model", str(model_dir)]
        programs = {
            "fasttext": (one_core + [py, me, "--fasttext-tag", str(ft_model), str(pool)], None),
            "ours1": (one_core + [*tag, "--jobs", "1"], outputs["ours1"]),
            "ours2": (two_cores + [*tag, "--jobs", "2"], outputs["ours2"]),
        }
        runs: dict[str, list[tuple[float, int, float]]] = {name: [] for name in programs}
        for _ in range(args.repeats):
            for name, (command, out) in programs.items():
                runs[name].append(run(command, env=env, stdout=out))
        wall = {name: statistics.median(r[0] for r in rs) for name, rs in runs.items()}
        rate = {name: n_pool / w for name, w in wall.items()}
        cpu = {name: statistics.median(r[2] for r in rs) for name, rs in runs.items()}
        figures["batch"] = {
            "runs_s": {name: [round(r[0], 2) for r in rs] for name, rs in runs.items()},
            # CPU seconds of the whole process tree: less disturbed than wall time by other jobs
            "cpu_s": {name: [round(r[2], 2) for r in rs] for name, rs in runs.items()},
            "rate_per_s": {name: round(r, 1) for name, r in rate.items()},
            "peak_rss_mib": {name: max(r[1] for r in rs) for name, rs in runs.items()},
            "ours1_vs_fasttext": round(rate["ours1"] / rate["fasttext"], 3),
            "ours1_vs_fasttext_cpu": round(cpu["fasttext"] / cpu["ours1"], 3),
            "ours2_vs_ours1": round(rate["ours2"] / rate["ours1"], 3),
            "ours2_output_identical_to_ours1": outputs["ours2"].read_bytes() == outputs["ours1"].read_bytes(),
        }

        # -- memory: the pool four times over (streamed input: memory must stay flat) ----------
        big = tmp / "pool4x.jsonl"
        big.write_bytes(pool.read_bytes() * 4)
        big_tag = [*cli, "tag", str(big), "--format", "jsonl", "--model", str(model_dir)]
        figures["pool_x4"] = {}
        for name, command in (
            ("ours1", one_core + [*big_tag, "--jobs", "1"]),
            ("ours2", two_cores + [*big_tag, "--jobs", "2"]),
        ):
            seconds, peak, cpu_s = run(command, env=env)
            figures["pool_x4"][name] = {"peak_rss_mib": peak, "s": round(seconds, 2), "cpu_s": round(cpu_s, 2)}
        big.unlink()

        # -- cold start: one article, interleaved --------------------------------------------
        cold_programs = {
            "import_numpy": one_core + [py, "-c", "import numpy"],
            "ours": one_core + [*cli, "tag", seed_article, "--model", str(model_dir)],
        }
        cold_runs: dict[str, list[float]] = {name: [] for name in cold_programs}
        for _ in range(args.cold_repeats):
            for name, command in cold_programs.items():
                cold_runs[name].append(run(command, env=env)[0])
        cold = {name: statistics.median(v) for name, v in cold_runs.items()}
        figures["cold"] = {
            "runs_s": {name: [round(x, 3) for x in v] for name, v in cold_runs.items()},
            "median_s": {name: round(v, 3) for name, v in cold.items()},
            "ours_vs_import_numpy": round(cold["ours"] / cold["import_numpy"], 2),
        }

        # -- training: the default recipe against fastText on the same labels ------------------
        if not getattr(args, "skip_train", False):
            label_sets = {
                "thucnews": ([str(thucnews)], ["--own-topics"]),
                "xwlb_all": ([str(repo / "labels"), str(dev), str(recent)], []),
                # the shipped default's own training: the same labels, self-trained on unlabelled news
                "xwlb_all_self": (
                    [str(repo / "labels"), str(dev), str(recent)],
                    ["--unlabelled", str(pool), "--unlabelled", str(data / "xwlb" / "recent-pool.jsonl")],
                ),
            }
            train_runs: dict[str, list[float]] = {}
            for _ in range(args.repeats):
                for set_name, (labels, flags) in label_sets.items():
                    out = tmp / f"model_{set_name}"
                    shutil.rmtree(out, ignore_errors=True)
                    paths = [x for path in labels for x in ("--labels", path)]
                    # both on every core: ours fits its regressions in forked processes, fastText in threads
                    command = two_cores + [*cli, "train", *paths, *flags, "--output", str(out)]
                    train_runs.setdefault(f"ours_{set_name}", []).append(run(command, env=env)[0])
                    command = two_cores + [py, me, "--fasttext-train", str(tmp / f"ft_{set_name}.bin"), *labels]
                    train_runs.setdefault(f"fasttext_{set_name}", []).append(run(command, env=env)[0])
            train = {name: statistics.median(v) for name, v in train_runs.items()}
            figures["train"] = {
                "runs_s": {name: [round(x, 2) for x in v] for name, v in train_runs.items()},
                "median_s": {name: round(v, 2) for name, v in train.items()},
                "ours_vs_fasttext": {s: round(train[f"ours_{s}"] / train[f"fasttext_{s}"], 2) for s in label_sets},
            }
        figures["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]
        figures["equality"] = equality(model_dir, pool)

    results = Path(getattr(args, "results", None) or repo / "benchmarks" / "results")
    results.mkdir(parents=True, exist_ok=True)
    table = markdown(figures)
    print(table)
    stem = "speed_seeds_model" if getattr(args, "seeds_model", False) else "speed"
    (results / f"{stem}.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    (results / f"{stem}.md").write_text(table, encoding="utf-8")


def equality(model_dir: object, pool: object) -> dict:
    """The array tagger against the scikit-learn pipeline on the pool: rows bit-identical, max |score difference|."""
    from itertools import islice
    from pathlib import Path

    import numpy as np

    from classifier.model.store import load_model
    from classifier.reading.reader import read_articles
    from classifier.tagging.tagger import load_tagging_model

    fast = load_tagging_model(Path(str(model_dir))).model
    pipeline = load_model(Path(str(model_dir))).pipeline
    iterator = iter(read_articles([Path(str(pool))]))
    n = identical_rows = identical_scores = 0
    worst = 0.0
    while batch := [a.full_text for a in islice(iterator, 1024)]:
        expected = pipeline[:-1].transform(batch).tocsr()
        got = fast.features(batch)
        for i in range(len(batch)):
            a, b = expected.indptr[i], expected.indptr[i + 1]
            c, d = got.indptr[i], got.indptr[i + 1]
            identical_rows += bool(
                np.array_equal(expected.indices[a:b], got.indices[c:d])
                and np.array_equal(expected.data[a:b], got.data[c:d])
            )
        reference = pipeline[-1].predict_proba(expected)
        scores = fast.scores(batch)
        worst = max(worst, float(np.abs(scores - reference).max(initial=0.0)))
        identical_scores += int(np.all(scores == reference, axis=1).sum())
        n += len(batch)
    return {
        "articles": n,
        "rows_identical": identical_rows,
        "scores_identical": identical_scores,
        "max_abs_score_difference": worst,
    }


def markdown(figures: dict) -> str:
    """Every figure of issue #13 in one table, with its target and the raw runs."""
    batch, cold, x4 = figures["batch"], figures["cold"], figures["pool_x4"]
    equal = figures["equality"]
    rows = [
        ("batch, `tag --jobs 1` vs the fastText program, rate ratio (wall)", ">= 1.0", batch["ours1_vs_fasttext"]),
        ("  the same in CPU seconds (fastText / ours)", "", batch["ours1_vs_fasttext_cpu"]),
        ("batch, `tag --jobs 2` vs `--jobs 1`, rate ratio", ">= 1.8", batch["ours2_vs_ours1"]),
        (
            "  `--jobs 2` output identical to `--jobs 1`",
            "yes",
            "yes" if batch["ours2_output_identical_to_ours1"] else "NO",
        ),
        ('cold start, one article / `python -c "import numpy"` (medians)', "<= 3.0", cold["ours_vs_import_numpy"]),
        ("peak RSS pool x1, `--jobs 2`, summed over processes, MiB", "<= 400", batch["peak_rss_mib"]["ours2"]),
        ("peak RSS pool x4, `--jobs 2`, summed over processes, MiB", "<= 400, flat", x4["ours2"]["peak_rss_mib"]),
        (
            "peak RSS pool x1 / x4, `--jobs 1`, MiB",
            "",
            f"{batch['peak_rss_mib']['ours1']} / {x4['ours1']['peak_rss_mib']}",
        ),
        ("peak RSS, the fastText program, MiB", "", batch["peak_rss_mib"]["fasttext"]),
    ]
    if "train" in figures:
        names = {
            "thucnews": "THUCNews 10k train",
            "xwlb_all": "all XWLB labels",
            "xwlb_all_self": "all XWLB labels + self-training (the default's recipe)",
        }
        for key, ratio in figures["train"]["ours_vs_fasttext"].items():
            rows.append((f"training time, ours / fastText ({names[key]})", "<= 2.0", ratio))
    rows.append(
        (
            "max abs score difference vs the scikit-learn pipeline (pool)",
            "<= 1e-9",
            f"{equal['max_abs_score_difference']:.1e}",
        )
    )
    rows.append(
        (
            "  feature rows / score rows bit-identical",
            "",
            f"{equal['rows_identical']} / {equal['scores_identical']} of {equal['articles']}",
        )
    )
    load = figures["load_average"]
    lines = [
        f"# benchmarks/speed.py — {figures['date']}, {figures['cpus']} CPUs, pool of {figures['pool_articles']} articles"
        + (f" (`--limit {figures['limit']}`: a smoke run)" if figures["limit"] else ""),
        "",
        f"Model: {figures.get('model', '')}.",
        "",
        f"Load average (1, 5, 15 min) at start {load['start']}, at end {load['end']}.",
        "",
        "| figure | target | measured |",
        "|---|---|---|",
        *[f"| {name} | {target} | {value} |" for name, target, value in rows],
        "",
        "Raw runs (seconds):",
        "",
        "```",
        f"batch  {figures['batch']['runs_s']}",
        f"cpu    {figures['batch']['cpu_s']}",
        f"rate   {figures['batch']['rate_per_s']} articles/s",
        f"x4     {figures['pool_x4']}",
        f"cold   {figures['cold']['runs_s']}",
    ]
    if "train" in figures:
        lines.append(f"train  {figures['train']['runs_s']}")
    lines += ["```", ""]
    return "\n".join(lines)


def run(command: list[str], env: dict[str, str] | None = None, stdout: object = None) -> tuple[float, int, float]:
    """Run a command: its wall seconds, the peak RSS (MiB) of its process tree (sampled every 20 ms)
    and the CPU seconds (user + system) of the process and the workers it waited for."""
    import os
    import resource
    import subprocess
    import threading
    import time

    from measure import tree_rss_kib

    peak = 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(stdout or os.devnull, "wb") as out:  # type: ignore[arg-type]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, env=env)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_kib(process.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = process.communicate()
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, peak // 1024, cpu


def _head(path: object, out: object, n: int) -> object:
    """The first ``n`` non-blank lines of a JSONL file, written to ``out``."""
    from itertools import islice
    from pathlib import Path

    with open(str(path), "rb") as stream:
        lines = list(islice((line for line in stream if line.strip()), n))
    Path(str(out)).write_bytes(b"".join(lines))
    return Path(str(out))


if __name__ == "__main__":
    main()
