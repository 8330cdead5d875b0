"""Topic tagger for Chinese news."""

__version__ = "0.1.0"
