"""Old spellings of commands and options, kept working for one release with a one-line warning.

Scripts written against 0.1 keep running: the arguments are rewritten to today's spelling
before they are parsed, and each rewrite says so on stderr. Remove an entry a release after
it was added.
"""

from __future__ import annotations

from collections.abc import Sequence

#: ``classifier label ...`` became ``classifier labels ...`` (one group for everything about labels).
OLD_LABEL_GROUP = "label"
LABEL_SUBCOMMANDS = ("review", "add", "import", "export")

#: Per command path (as typed, old group names included): old option -> today's option.
RENAMED_OPTIONS: dict[tuple[str, ...], dict[str, str]] = {
    ("split",): {"--out": "--output"},
    ("train",): {"--out": "--output"},
    ("evaluate",): {"--out": "--output", "-k": "--folds"},
    ("models", "compare"): {"-k": "--folds"},
    ("suggest",): {"--label-file": "--label-store", "--n": "--limit"},
    # In `classifier label ...` the label store was --out/-o (now --label-store; -o is --output everywhere).
    ("label", "review"): {"--out": "--label-store", "-o": "--label-store"},
    ("label", "add"): {"--out": "--label-store", "-o": "--label-store", "-f": "--from", "-t": "--topics"},
    ("label", "import"): {"--out": "--label-store", "-o": "--label-store"},
    ("label", "export"): {"--out": "--label-store", "-o": "--label-store"},
}

#: Command groups: their first argument names a sub-command.
GROUPS = ("labels", "models", OLD_LABEL_GROUP)


def upgrade_arguments(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """Today's spelling of a command line, and one warning per old spelling found.

    Parameters
    ----------
    args : sequence of str
        The arguments after the program name.

    Returns
    -------
    args : list of str
        With old command and option names replaced (``--out=x`` and ``-k5`` forms included).
    warnings : list of str
        One line each, e.g. ``"--out is deprecated: use --output"``.
    """
    args = list(args)
    if not args:
        return args, []
    warnings: list[str] = []
    if args[0] == OLD_LABEL_GROUP:
        explicit = len(args) > 1 and args[1] in LABEL_SUBCOMMANDS
        sub = args[1] if explicit else "review"
        warnings.append(f"`classifier label {sub}` is deprecated: use `classifier labels {sub}`")
        path: tuple[str, ...] = (OLD_LABEL_GROUP, sub)
        head, rest = ["labels", sub], args[2:] if explicit else args[1:]
    elif args[0] in GROUPS and len(args) > 1:
        path, head, rest = (args[0], args[1]), args[:2], args[2:]
    else:
        path, head, rest = (args[0],), args[:1], args[1:]
    renamed = RENAMED_OPTIONS.get(path, {})
    out: list[str] = []
    for n, token in enumerate(rest):
        if token == "--":  # everything after it is an argument, never an option
            out += rest[n:]
            break
        new = _rename(token, renamed)
        if new != [token]:
            old = token.split("=", 1)[0] if token.startswith("--") else token[:2]
            warnings.append(f"{old} is deprecated: use {renamed[old]}")
        out += new
    return head + out, warnings


def _rename(token: str, renamed: dict[str, str]) -> list[str]:
    """``token`` in today's spelling (a short option with its value attached becomes two tokens)."""
    if token in renamed:
        return [renamed[token]]
    if token.startswith("--") and "=" in token:
        name, value = token.split("=", 1)
        if name in renamed:
            return [f"{renamed[name]}={value}"]
    elif len(token) > 2 and token[0] == "-" and token[1] != "-" and token[:2] in renamed:
        return [renamed[token[:2]], token[2:]]
    return [token]
