"""The sample site as RFI Chinese (``SampleSite(site="rfi")``, ``serve --site rfi``): its pages hold
what the real ones do and the rfi spider's extraction gives every record the model expects (a real
``scrapy crawl rfi`` is tests/test_crawl.py's, run for each site)."""

from urllib.parse import quote

import pytest

from newsspider.samplesite.generator import SampleSite
from newsspider.sites.rfi import SITE as RFI

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def sample():
    return SampleSite(site="rfi")


def fetch(sample, path):
    status, _, body = sample.render(path, BASE)
    return status, body


def test_the_rfi_site_has_the_variety_extraction_must_handle(sample):
    articles = [sample.articles[a] for a in sample.public_ids]
    assert SampleSite(site="rfi").expected_records(BASE) == sample.expected_records(BASE)
    assert {0, 1, 2} == {len(a.authors) for a in articles}
    assert any(a.image and a.image["credit"] for a in articles) and any(not a.image for a in articles)
    assert any(a.image and not a.image["credit"] for a in articles)
    assert any("/" in a.section for a in articles) and any(a.subheadings for a in articles)
    assert any(a.links_itself for a in articles) and any(a.tags for a in articles)
    assert {"plain", "query", "tw"} == {variant for a in articles for _, variant in a.related}
    assert len({a.article_id for a in articles}) == len(articles)


def test_article_pages_carry_the_real_markup_in_both_editions(sample):
    article = next(a for a in map(sample.articles.get, sample.public_ids) if a.kind == "listed" and a.tags)
    status, page = fetch(sample, article.path())
    assert status == 200 and '<html dir="ltr" lang="zh-Hans">' in page
    for marker in ("t-content__chapo", "m-interstitial", "o-self-promo", "o-aside-content--related", "a-hot-tag"):
        assert marker in page
    assert f'hreflang="zh-Hant" href="{BASE}{article.path(traditional=True)}"' in page
    assert 'id="datalayer"' in page and '"@type": "NewsArticle"' in page
    status, traditional = fetch(sample, article.path(traditional=True))
    assert status == 200 and 'lang="zh-Hant"' in traditional
    assert f'hreflang="zh-Hans" href="{BASE}{article.path()}"' in traditional


def test_only_articles_parse_as_articles_and_tw_only_ones_are_not_in_cn(sample):
    tw_only = next(a for a in sample.articles.values() if a.kind == "tw_only")
    assert fetch(sample, tw_only.path())[0] == 404 and fetch(sample, tw_only.path(traditional=True))[0] == 200
    for path in ("/cn/直播", "/cn/再次收听/", "/cn/作者/王丹/", "/cn/关键词/香港/"):
        assert fetch(sample, quote(path))[0] == 200 and RFI.parse_article_url(BASE + quote(path)) is None
    for article in sample.articles.values():
        parsed = RFI.parse_article_url(BASE + article.path(traditional=article.kind == "tw_only"))
        assert parsed is not None and parsed.article_id == article.article_id


def test_discovery_pages_list_the_articles(sample):
    robots = fetch(sample, "/robots.txt")[1]
    disallowed = next(a for a in sample.articles.values() if a.kind == "disallowed")
    assert f"Disallow: {quote('/cn/预览/')}" in robots and "Sitemap: " in robots
    assert disallowed.path() in fetch(sample, quote("/cn/政治/"))[1]
    assert '<link rel="next"' in fetch(sample, quote("/cn/政治/"))[1]
    assert fetch(sample, quote("/cn/政治/") + "?page=99")[0] == 404
    sitemaps = "".join(str(sample.render(path, BASE)[2]) for path in sample.sitemap_paths() if not path.endswith(".gz"))
    assert sitemaps.count("<url>") == sum(len(sample.sitemap_chunk(n)) for n in range(0, sample.sitemap_count(), 2))
    assert fetch(sample, "/cn/rss")[1].count("<item>") == 20
    assert fetch(sample, quote("/cn/国际/atom"))[1].count("<entry>") == 20
