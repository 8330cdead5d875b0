"""Labelling: the decision journal, the interactive review, suggestions of what to label, model comparison."""

#: How ``suggest`` can pick articles (here, not in :mod:`classifier.labelling.suggest`, so that the
#: command line can list them without importing the labelling code: a cold ``tag`` pays for every
#: command module's imports).
STRATEGIES = ("uncertainty", "diverse", "random")
