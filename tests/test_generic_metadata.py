"""The page metadata the generic record reads (``newsspider.generic.metadata``)."""

from __future__ import annotations

from newsspider.generic.extract import generic_article

PARAGRAPH = "<p>议会本周将就该法案进行表决，分析人士指出，经济放缓的压力正在持续加大。</p>"


def test_a_time_element_whose_datetime_is_no_moment_gives_its_visible_date() -> None:
    # generic_article parses with lxml.etree, whose elements have no text_content(): this page crashed it.
    article_html = f"<article>{PARAGRAPH * 4}</article>"
    page = f'<html><body><h1>标题</h1><time datetime="">2024年6月21日</time>{article_html}</body></html>'
    article = generic_article(page, "https://example.com/a", None, {}, "2026-01-01T00:00:00Z", "news")
    assert article is not None
    assert article.datePublished == "2024-06-21"
