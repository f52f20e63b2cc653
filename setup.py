"""Packaging for Scrapyd deploys (`scrapyd-deploy` builds an egg from this)."""

from setuptools import find_packages, setup

setup(
    name="newsspider",
    version="1.2.0",
    packages=find_packages(exclude=["tests", "tests.*"]),
    package_data={"newsspider": ["schemas/*.json", "samplesite/templates/*.html"]},
    entry_points={"scrapy": ["settings = newsspider.settings"]},
    zip_safe=False,
)
