"""Tagging whole archives on a Dask cluster: partitions in, one output part each, a manifest, resumable."""
