"""Typer's value coercion without pydantic for plain strings, paths, integers and choices (a cold ``tag`` imports no pydantic).

Typer 0.2x coerces every given option value through a pydantic ``TypeAdapter``, and importing
pydantic for it costs about 0.09 s of a one-article ``classifier tag`` (measured: the cold start of
issue #13). Most values need no pydantic: this module gives every parameter a coercer that converts
them as Typer's adapters do (``str``; a list of ``str``; ``Path`` then Typer's own path checks; a
plain decimal ``int`` within its bounds; an ``Enum`` choice by Typer's own matching) and hands
every other value, and every value it would refuse, to Typer's own coercion (built on first use),
so errors read as Typer words them. With a Typer that has no such coercion layer, :func:`install`
does nothing.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

try:  # Typer's private coercion layer: present in the versions that coerce with pydantic
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path, routes_to_path
except ImportError:  # pragma: no cover - an older Typer coerces with click's types, no pydantic
    RuntimeParam = None  # type: ignore[assignment,misc]


def install(command: Any, ctx: Any) -> None:
    """Give the parameters of ``command`` (and of its subcommands, for a group) the coercer below.

    ``get_params`` also makes the command's ``--help`` option (kept by the command), whose unset
    value Typer coerces too.
    """
    if RuntimeParam is None:  # pragma: no cover
        return
    for param in command.get_params(ctx):
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is not None and getattr(param, "_runtime_param", "absent") is None:
            try:
                param._runtime_param = _PlainRuntimeParam(descriptor)
            except (TypeError, AttributeError, ValueError):  # pragma: no cover - a Typer whose private layer changed
                return  # Typer's own coercion for every parameter left
    for sub in getattr(command, "commands", {}).values():
        install(sub, ctx)


_NOT_PLAIN = object()  # a value left to Typer's own coercion

if RuntimeParam is not None:

    class _PlainRuntimeParam(RuntimeParam):  # type: ignore[misc,valid-type]
        """Strings, string lists and paths converted here; any other value by Typer's own coercion."""

        def __init__(self, descriptor: Any) -> None:
            super().__init__(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
            object.__setattr__(self, "_descriptor", descriptor)
            object.__setattr__(self, "_typer", None)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                plain = self._plain(value, param, ctx)
            except (TypeError, AttributeError):  # pragma: no cover - a Typer whose private helpers changed
                plain = _NOT_PLAIN
            if plain is not _NOT_PLAIN:
                return plain
            return self._by_typer(value, param, ctx)

        def _plain(self, value: Any, param: Any, ctx: Any) -> Any:
            """The value converted as Typer would, or ``_NOT_PLAIN`` for Typer's own coercion."""
            annotation, info = self.annotation, self.parameter_info
            plain = info.parser is None and self._descriptor.file_annotation is None
            if plain and annotation is bool and isinstance(value, bool | None):  # an unset --help
                return value
            if plain and annotation is str and isinstance(value, str):
                return value
            if plain and annotation == list[str] and isinstance(value, list | tuple):
                if all(isinstance(item, str) for item in value):
                    return list(value)
            if plain and annotation is Path and isinstance(value, str) and routes_to_path(annotation, info):
                return coerce_cli_path(Path(value), info, path_type=info.path_type or Path, param=param, ctx=ctx)
            if plain and annotation is int and isinstance(value, str) and value.isascii() and value.isdigit():
                number = int(value)  # a plain decimal within its bounds; anything else, and the error, Typer's
                if (
                    not info.clamp
                    and (info.min is None or number >= info.min)
                    and (info.max is None or number <= info.max)
                ):
                    return number
            if plain and isinstance(annotation, type) and issubclass(annotation, Enum) and isinstance(value, str):
                try:
                    return coerce_cli_choice(
                        value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
                    )
                except ValueError:
                    pass  # Typer's own coercion says so, in its words
            return _NOT_PLAIN

        def _by_typer(self, value: Any, param: Any, ctx: Any) -> Any:
            if self._typer is None:
                object.__setattr__(self, "_typer", build_runtime_param(self._descriptor))
            return self._typer._coerce_value(value, param=param, ctx=ctx)
