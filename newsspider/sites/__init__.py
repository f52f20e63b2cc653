"""The sites newsspider crawls, one file each (see :mod:`.base`), by spider name."""

from __future__ import annotations

from importlib import import_module

from newsspider.errors import BadInput
from newsspider.sites.base import ArticleUrl, Site

__all__ = ["ArticleUrl", "Site", "get", "names", "spider_names"]

# One entry per site file: adding a site is adding its module name here.
SITE_MODULES: tuple[str, ...] = ("bannedbook", "rfi")


def names() -> tuple[str, ...]:
    return SITE_MODULES


def spider_names() -> tuple[str, ...]:
    """Every spider: one per site file, and ``news`` for the sites that have none."""
    return (*SITE_MODULES, "news")


def get(name: str) -> Site:
    """The site a spider crawls, by its name; bad input naming the known ones otherwise."""
    if name not in SITE_MODULES:
        raise BadInput(f"no site {name!r}; known: {', '.join(SITE_MODULES)}")
    return import_module(f"newsspider.sites.{name}").SITE
