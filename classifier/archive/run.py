"""The archive driver: partitions tagged over a Dask cluster, parts written by the workers, progress, resume."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from classifier.archive.partitions import Partition, describe_file, expand_inputs, list_partitions, read_partition
from classifier.archive.parts import FORMAT, FORMATS, SUCCESS, part_name, plan, remove_temporaries, write_manifest
from classifier.errors import ClassifierError
from classifier.files import sha256_file, write_atomic
from classifier.progress import Progress, _clock

if TYPE_CHECKING:
    from distributed import Client

    from classifier.archive.udf import ModelBundle

#: While parts finish, the manifest is rewritten at most once per this many seconds per 1,000 parts
#: (and always at the end): a rewrite costs the part count, so writes slow down as it grows, and the
#: manifest never costs more than a few hundred KB/s of writing; a small run records every part.
MANIFEST_SECONDS_PER_1000_PARTS = 1.0
MANIFEST_MAX_SECONDS = 5.0
#: Workers report articles tagged within a part on this topic, at most once per this many seconds.
PROGRESS_TOPIC = "classifier-archive-progress"
PROGRESS_EVENT_SECONDS = 1.0


@dataclass
class ArchiveReport:
    """What a run did: parts in all, parts done by this run, parts found done, articles, seconds."""

    output: Path
    parts: int
    tagged: int
    skipped: int
    articles: int
    seconds: float
    dashboard: str | None = None


def tag_partition(
    partition: Partition,
    path: str,
    bundle: ModelBundle,
    fmt: str,
    top: int | None,
    explain: bool,
) -> dict[str, Any]:
    """The task a worker runs: tag one partition into one part (the model from the worker's cache)."""
    from classifier.archive.parts import write_part
    from classifier.archive.udf import bundled_model
    from classifier.processes import fix_malloc_thresholds
    from classifier.tagging.tagger import Tagger

    if not Path(path).parent.is_dir():
        import socket

        raise ClassifierError(
            f"{Path(path).parent}: not found on worker {socket.gethostname()}; "
            "the output directory must be on storage every worker shares"
        )
    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_ set, which leaves every temporary of
    # over 128 KiB to its own mapping: tagging ran about 30% slower than in a `tag --jobs` worker.
    fix_malloc_thresholds()
    tagger = Tagger(bundled_model(bundle), top=top, explain=explain)
    batches = tagger_batches(tagger, read_partition(partition), _reporter(Path(path).name))
    return write_part(Path(path), batches, fmt, tagger.topics, explain)


def tagger_batches(
    tagger: Any, articles: Iterator[Any], report: Callable[[int], None] = lambda n: None
) -> Iterator[list[dict[str, Any]]]:
    from itertools import islice

    from classifier.tagging.tagger import BATCH_SIZE

    while batch := list(islice(articles, BATCH_SIZE)):
        yield tagger.tag_batch(batch)
        report(len(batch))


def _reporter(part: str) -> Callable[[int], None]:
    """Tell the driver, at most about once a second, how many articles of ``part`` are tagged (for its progress line)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return lambda n: None
    pending = [0, time.monotonic()]

    def report(n: int) -> None:
        pending[0] += n
        if time.monotonic() - pending[1] >= PROGRESS_EVENT_SECONDS:
            worker.log_event(PROGRESS_TOPIC, {"part": part, "articles": pending[0]})
            pending[:] = [0, time.monotonic()]

    return report


def parse_cluster(spec: str) -> tuple[str, int | None]:
    """``local`` / ``local:N`` (a cluster of N worker processes here) or a scheduler address ``tcp://host:8786``."""
    if spec == "local":
        return "local", None
    if spec.startswith("local:"):
        count = spec.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise ClassifierError(f"--cluster {spec}: local:N needs a worker count N >= 1")
        return "local", int(count)
    if "://" in spec:
        return spec, None
    raise ClassifierError(f"--cluster {spec}: give local, local:N or a scheduler address such as tcp://host:8786")


@contextmanager
def connect(spec: str) -> Iterator[Client]:
    """A client on a new local cluster (one single-threaded process per worker) or on a running scheduler."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClassifierError("--cluster needs Dask: pip install 'classifier[dask]'") from None
    address, workers = parse_cluster(spec)
    if address == "local":
        from classifier.tagging.workers import default_jobs

        # Single-threaded workers: the tagger holds the GIL, so processes, not threads, add cores.
        with (
            LocalCluster(
                n_workers=workers or default_jobs(),
                threads_per_worker=1,
                processes=True,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as error:
        raise ClassifierError(f"--cluster {spec}: cannot reach the scheduler ({error})") from None
    with client:
        yield client


class ArchiveProgress(Progress):
    """The progress line with parts: ``parts 3/20  [####....] 52,000/230,000 articles  1,900/s  ETA 1:33``."""

    def __init__(self, parts: int, done_parts: int, total: int | None, stream: TextIO | None = None) -> None:
        super().__init__(total=total, label="articles", stream=stream)
        self.parts = parts
        self.done_parts = done_parts

    def line(self, elapsed: float) -> str:
        return f"parts {self.done_parts}/{self.parts}  " + super().line(elapsed)


def tag_archive(
    inputs: list[str],
    output: Path,
    cluster: str,
    model: Path | str | None = None,
    fmt: str = "jsonl",
    top: int | None = None,
    explain: bool = False,
    overwrite: bool = False,
    say: Callable[[str], None] = lambda message: None,
    client: Client | None = None,
) -> ArchiveReport:
    """Tag every article of ``inputs`` on a Dask cluster into ``output``: one part per partition, resumable.

    Parameters
    ----------
    inputs : list of str
        JSONL or Parquet files, directories of them, or globs; every worker must see them at these paths.
    output : Path
        The output directory (on storage every worker can write), see :mod:`classifier.archive.parts`.
    cluster : str
        ``local``, ``local:N`` or a scheduler address (``tcp://host:8786``); ignored when ``client`` is given.
    model : Path, str or None
        Model directory or version (default: the store's default); every worker must see the directory.
    fmt : {"jsonl", "parquet"}
        The parts' format.
    overwrite : bool
        Start again when ``output`` holds another run's output (another model, inputs or options).
    say : callable
        Where the dashboard address and the summary go (the CLI: stderr).
    client : distributed.Client or None
        Use this client (tests, notebooks) instead of connecting to ``cluster``.

    Raises
    ------
    ClassifierError
        On unreadable input (the message names the file and line or row; no ``_SUCCESS`` is
        written), a model that is not the same on every worker, or an output directory of another run.
    """
    from classifier.archive.udf import model_bundle
    from classifier.model.store import read_meta, resolve_model_dir

    if fmt not in FORMATS:
        raise ClassifierError(f"--format {fmt}: an archive is written as {' or '.join(FORMATS)}")
    output = Path(output).resolve()
    files = expand_inputs(inputs, skip=output)
    partitions = list_partitions(files)
    model_dir = resolve_model_dir(model).resolve()
    bundle = model_bundle(model_dir)
    version = str(read_meta(model_dir).get("version") or model_dir.name)
    if client is None:
        parse_cluster(cluster)  # a bad spelling fails before a cluster starts
        with connect(cluster) as own:
            return _run(own, files, partitions, output, model_dir, version, bundle, fmt, top, explain, overwrite, say)
    return _run(client, files, partitions, output, model_dir, version, bundle, fmt, top, explain, overwrite, say)


def _run(
    client: Client,
    files: list[Path],
    partitions: list[Partition],
    output: Path,
    model_dir: Path,
    version: str,
    bundle: ModelBundle,
    fmt: str,
    top: int | None,
    explain: bool,
    overwrite: bool,
    say: Callable[[str], None],
) -> ArchiveReport:
    from distributed import as_completed

    start = time.monotonic()
    dashboard = _dashboard(client)
    if dashboard:
        say(f"dashboard: {dashboard}")
    # Hashing the inputs reads them all: the workers do it, in parallel, where the data is.
    described = client.gather(client.map(describe_file, [str(f) for f in files], pure=False))
    index = {str(f): i for i, f in enumerate(files)}
    fresh = {
        "format": FORMAT,
        "model": {"version": version, "path": str(model_dir), "checksum": bundle.checksum},
        "options": {"format": fmt, "top": top, "explain": explain},
        "inputs": described,
        "parts": [
            {"name": part_name(i, len(partitions), fmt), "input": index[p.path], "row_group": p.row_group}
            for i, p in enumerate(partitions)
        ],
        "complete": False,
    }

    def checksums(paths: list[Path]) -> list[str]:
        return client.gather(client.map(sha256_file, [str(p) for p in paths], pure=False))

    manifest = plan(output, fresh, overwrite, checksums)
    manifest["complete"] = False
    todo = [i for i, p in enumerate(manifest["parts"]) if not p.get("done")]
    skipped = len(partitions) - len(todo)
    write_manifest(output, manifest)
    if skipped:
        say(f"resuming: {skipped} of {len(partitions)} parts already done")
    counts = [d["articles"] for d in described]
    total = sum(_estimate(partitions[i], counts[manifest["parts"][i]["input"]]) for i in todo)
    progress = ArchiveProgress(len(partitions), skipped, total or None)
    # The model goes to every worker once (a few MB; a restarted worker fetches it from a peer),
    # and tasks name it: workers need no access to the model store, and no task carries the model.
    model = client.scatter(bundle, broadcast=True) if todo else None
    futures = {
        client.submit(
            tag_partition,
            partitions[i],
            str(output / manifest["parts"][i]["name"]),
            model,
            fmt,
            top,
            explain,
            pure=False,
            priority=-i,  # earlier parts first, so a resumed or watched run fills in from the front
        ): i
        for i in todo
    }
    # Articles within parts still running, from the workers' events; a part's count is settled when it ends.
    running: dict[str, int] = {}

    def on_event(event: tuple[float, dict[str, Any]]) -> None:
        message = event[1]
        if isinstance(message, dict) and message.get("part") in names:
            running[message["part"]] = running.get(message["part"], 0) + int(message["articles"])
            progress.advance(int(message["articles"]))

    names = {manifest["parts"][i]["name"] for i in todo}
    if progress.enabled:
        client.subscribe_topic(PROGRESS_TOPIC, on_event)
    written_at = time.monotonic()
    every = min(MANIFEST_MAX_SECONDS, MANIFEST_SECONDS_PER_1000_PARTS * len(partitions) / 1000)
    try:
        with progress:
            for future in as_completed(list(futures)):
                i = futures[future]
                result = future.result()  # a worker's ClassifierError (file and line) is raised here
                if not (output / manifest["parts"][i]["name"]).is_file():
                    raise ClassifierError(
                        f"{output / manifest['parts'][i]['name']}: written by a worker but not found here; "
                        "the output directory must be on storage the workers and this machine share"
                    )
                manifest["parts"][i].update(result, done=True)
                progress.done_parts += 1
                progress.advance(max(0, result["articles"] - running.pop(manifest["parts"][i]["name"], 0)))
                if time.monotonic() - written_at >= every:
                    write_manifest(output, manifest)
                    written_at = time.monotonic()
    finally:
        if progress.enabled:
            client.unsubscribe_topic(PROGRESS_TOPIC)
        client.cancel(list(futures))
        write_manifest(output, manifest)
    remove_temporaries(output)
    manifest["complete"] = True
    write_manifest(output, manifest)
    articles = manifest["counts"]["articles"]
    write_atomic(output / SUCCESS, f"{articles} articles in {len(partitions)} parts\n")
    seconds = time.monotonic() - start
    tagged = sum(manifest["parts"][i]["articles"] for i in todo)
    say(
        f"{len(todo)} parts tagged, {skipped} already done: {articles:,} articles in {output} "
        f"({tagged / seconds if seconds > 0 else 0:,.0f} articles/s this run, {_clock(seconds)})"
    )
    return ArchiveReport(output, len(partitions), len(todo), skipped, articles, seconds, dashboard)


def _estimate(partition: Partition, file_articles: int) -> int:
    if partition.row_group is None:
        return file_articles
    from classifier.archive.partitions import _parquet_file

    return _parquet_file(partition.path).metadata.row_group(partition.row_group).num_rows


def _dashboard(client: Client) -> str | None:
    try:
        return str(client.dashboard_link)
    except Exception:  # noqa: BLE001 - no dashboard (e.g. bokeh not installed) is not an error
        return None
