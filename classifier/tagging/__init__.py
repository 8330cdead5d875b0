"""Tagging many articles fast: the model compiled to NumPy, the record-making tagger and the worker pool."""
