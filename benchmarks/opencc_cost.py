"""What reading traditional Chinese costs simplified text: the normaliser with and without the OpenCC step.

Every text passes :func:`classifier.chinese.has_traditional` (one regular-expression scan); only
the texts holding a traditional character are converted. This times ``normalise`` over the pool
with the step and with it bypassed, interleaved, and the conversion alone on the same texts made
traditional (OpenCC ``s2t``), so the cost a traditional article pays is visible too.

    PYTHONPATH=. python benchmarks/opencc_cost.py [--repeats 5] [--limit 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from itertools import islice

import classifier.model.text as text
from classifier.chinese import has_traditional, to_simplified
from classifier.locations import shared_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=int, default=3000)
    args = parser.parse_args()
    pool = shared_data_dir() / "xwlb" / "pool.jsonl"
    with pool.open(encoding="utf-8") as stream:
        texts = [(r["title"] + "\n" + r["text"]) for r in map(json.loads, islice(stream, args.limit))]
    import opencc

    traditional = [opencc.OpenCC("s2t").convert(t) for t in texts]
    chars = sum(map(len, texts))

    def timed(function, inputs) -> float:
        start = time.perf_counter()
        for t in inputs:
            function(t)
        return time.perf_counter() - start

    with_step, without_step, scan, convert = [], [], [], []
    for _ in range(args.repeats):
        with_step.append(timed(text.normalise, texts))
        original = text.to_simplified
        text.to_simplified = lambda t: t  # the normaliser as it was before the OpenCC step
        without_step.append(timed(text.normalise, texts))
        text.to_simplified = original
        scan.append(timed(has_traditional, texts))
        convert.append(timed(to_simplified, traditional))
    med = statistics.median
    print(f"{len(texts)} pool articles, {chars:,} characters; median of {args.repeats}; load {os.getloadavg()[0]:.2f}")
    print(f"normalise with the OpenCC step    {med(with_step) * 1e6 / len(texts):8.1f} us/article")
    print(f"normalise without it              {med(without_step) * 1e6 / len(texts):8.1f} us/article")
    print(f"  the traditional-character scan  {med(scan) * 1e6 / len(texts):8.1f} us/article")
    print(f"converting a traditional article  {med(convert) * 1e6 / len(texts):8.1f} us/article")


if __name__ == "__main__":
    main()
