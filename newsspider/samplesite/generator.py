"""A deterministic, offline copy of a news site's page structure.

The site is generated from a seed (:mod:`newsspider.samplesite.model`) and served as one of the
real sites it imitates (:mod:`newsspider.samplesite.templates`): www.bannedbook.org by default,
or RFI Chinese (``site="rfi"``).
Because the generator writes the pages, it also knows the record each article must yield
(:meth:`SampleSite.expected_records`), so crawl tests compare exactly.
"""

from __future__ import annotations

from newsspider.samplesite.model import SiteModel, SiteTemplate
from newsspider.samplesite.templates.bannedbook import BannedbookTemplate
from newsspider.samplesite.templates.rfi import RfiTemplate

TEMPLATES: dict[str, type[SiteTemplate]] = {"bannedbook": BannedbookTemplate, "rfi": RfiTemplate}
SITEMAP_SIZE = 100  # articles per post sitemap (Yoast's default is 1000)
# Every listed section needs two articles, whichever site is imitated.
MIN_ARTICLES = max(2 * len(template.sections) for template in TEMPLATES.values())
# "drifted-headline": the site moved its article title out of its usual element and dropped
# og:title, the kind of template change the drift alarm exists for.
# "drifted-template": a theme change renamed the entry container (section.story-text), moved the
# title into an h1.story-title and renamed the credit markup (p.story-source), og:title kept.
VARIANTS = ("real", "drifted-headline", "drifted-template")


class SampleSite(SiteModel):
    """All pages of the sample site, rendered on demand for a given base URL."""

    def __init__(
        self,
        seed: int = 2024,
        articles: int = 320,
        variant: str = "real",
        sitemap_size: int = SITEMAP_SIZE,
        site: str = "bannedbook",
    ):
        if site not in TEMPLATES:
            raise ValueError(f"site must be one of {', '.join(TEMPLATES)}")
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
        super().__init__(TEMPLATES[site], seed, articles, variant, sitemap_size)
