"""Packaging for Scrapyd deploys (`scrapyd-deploy` builds an egg from this)."""

import re
from pathlib import Path

from setuptools import find_packages, setup

# The version lives in the package (the WARC archive's warcinfo names it too).
VERSION = re.search(r'__version__ = "([^"]+)"', (Path(__file__).parent / "newsspider" / "__init__.py").read_text())[1]

setup(
    name="newsspider",
    version=VERSION,
    packages=find_packages(exclude=["tests", "tests.*"]),
    package_data={"newsspider": ["schemas/*.json", "samplesite/templates/*.html"]},
    entry_points={"scrapy": ["settings = newsspider.settings"]},
    zip_safe=False,
)
