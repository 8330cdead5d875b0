"""Evaluation: a fitted model on a labelled test set, and a training recipe by out-of-fold predictions."""
