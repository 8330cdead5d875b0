"""Tagging many articles fast: the array tagger (batch-vectorised NumPy), the record-making tagger and the worker pool."""
