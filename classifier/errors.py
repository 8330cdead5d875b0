"""The one exception type users see as a one-line message."""


class ClassifierError(Exception):
    """A problem with the user's input or files.

    The CLI prints ``str(error)`` on one line to stderr and exits non-zero,
    so the message must say what is wrong and where (file, line).
    """
