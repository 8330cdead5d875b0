"""Labelling: the decision journal, the interactive review, suggestions of what to label, model comparison."""
