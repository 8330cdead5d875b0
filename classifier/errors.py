"""The exceptions users see as a one-line message: bad input or files, and a termination request."""


class ClassifierError(Exception):
    """A problem with the user's input or files.

    The CLI prints ``str(error)`` on one line to stderr and exits non-zero,
    so the message must say what is wrong and where (file, line).
    """


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (temporary files removed, nothing half-written), then exit 143.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` swallows it.
    """
