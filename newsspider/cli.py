"""What the ``python -m newsspider`` commands share: a parser whose refusals are one line
(``newsspider <command>: error: ...``, exit 2, no usage block), their descriptions without reST
markup, and argument types."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import NoReturn

_MARKUP = re.compile(r"``([^`]+)``|:\w+:`~?([^`]+)`")


def summary(doc: str | None) -> str:
    """A module docstring's first paragraph as plain text (``x`` and :class:`X` as x and X)."""
    first = (doc or "").strip().split("\n\n", 1)[0]
    return " ".join(_MARKUP.sub(lambda m: m[1] or m[2], first).split())


class Parser(argparse.ArgumentParser):
    def __init__(self, command: str, doc: str | None, **kwargs: object):
        super().__init__(prog=f"python -m newsspider {command}", description=summary(doc), **kwargs)  # type: ignore[arg-type]
        self.command = command

    def error(self, message: str) -> NoReturn:
        print(f"newsspider {self.command}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def at_least(minimum: int) -> Callable[[str], int]:
    """An argument type: a whole number >= ``minimum``."""

    def whole(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return number

    return whole
