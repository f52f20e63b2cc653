"""RFI Chinese's HTML pages, after the two real ones in ``../shared/corpus/rfi/``: the article page
(head metadata, JSON-LD, data layer, the article wrapper with its ad interstitial and
self-promotions, tags, the 其他新闻 aside), listings, and the pages that are no articles."""

from __future__ import annotations

import html
import json
from datetime import timedelta
from urllib.parse import quote

from newsspider.samplesite.model import SiteModel, plain
from newsspider.samplesite.templates.rfi_article import (
    EDITIONS,
    LANG_TAGS,
    LISTED_SECTIONS,
    SECTION_NAMES,
    RfiArticle,
    listing_path,
)

SITE_NAME = ("RFI - 法国国际广播电台", "RFI - 法國國際廣播電台")
NOT_ARTICLE_PAGES = ("直播", "再次收听")
_INTERSTITIAL = (
    '<div class="m-interstitial"><div data-readmore-target class="m-interstitial__ad">'
    '<div class="m-block-ad " data-tms-ad-type="box" data-tms-ad-status="idle" data-tms-ad-pos="1">'
    '<div class="m-block-ad__label m-block-ad__label--report-enabled"><span class="m-block-ad__label__text">广告</span>'
    '<button title="举报广告" class="m-block-ad__label__report-link" rel="noopener" data-tms-ad-report></button></div>'
    '<div class="m-block-ad__content"></div></div></div>'
    '<button data-readmore-unlocker class="m-interstitial__unlock-btn"><span class="m-interstitial__unlock-btn__text">'
    "继续浏览后续</span></button></div>"
)
_SHARES = (
    '<div class="t-content__shares t-content__shares--has-label"><div class="a-share-bar-label">分享 :</div>'
    '<ul class="m-share-bar"><li class="m-share-bar__item"><a href="https://www.facebook.com/dialog/share?app_id=113191652055439" '
    'class="a-picto-social" target="_blank" rel="noopener nofollow"><span class="a-svg a-svg--picto-social-facebook"></span></a></li></ul></div>'
)


class RfiPages:
    def __init__(self, site: SiteModel):
        self.site = site

    # --- the chrome ----------------------------------------------------------------------------

    def _page(self, script: int, base: str, title: str, head: str, main: str) -> str:
        edition = EDITIONS[script]
        nav = "".join(
            f'<li class="m-nav__item"><a href="{listing_path(s, 1, script)}">{SECTION_NAMES[s][script]}</a></li>'
            for s in LISTED_SECTIONS
        )
        live = "".join(
            f'<a class="m-header__link" href="{quote(f"/cn/{name}")}">{name}</a>' for name in NOT_ARTICLE_PAGES
        )
        return (
            f'<!DOCTYPE html>\n<html dir="ltr" lang="{LANG_TAGS[script]}">\n<head>\n<meta charset="UTF-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1.0, viewport-fit=cover">\n'
            f"<title>{html.escape(title)} - {SITE_NAME[script]}</title>\n"
            f'<link rel="alternate" type="application/rss+xml" title="RFI" href="{base}/{edition}/rss">\n{head}\n</head>\n'
            f'<body><header class="m-header"><a class="m-header__logo" href="/{edition}/">RFI</a>'
            f'<a class="m-header__edition" href="/{EDITIONS[1 - script]}/">{"繁體" if script == 0 else "简体"}</a>{live}'
            f'<nav class="m-nav"><ul>{nav}</ul></nav></header>\n<main class="t-content">{main}</main>\n'
            '<footer class="m-footer"><p>© 2026 法国国际广播电台</p></footer></body>\n</html>\n'
        )

    def not_found(self, base: str) -> tuple[int, str, str]:
        page = self._page(0, base, "页面不存在", "", '<h1 class="a-page-title">404</h1><p>页面不存在</p>')
        return 404, "text/html; charset=utf-8", page

    def other_page(self, title: str, base: str) -> str:
        """A live, replay, author or keyword page: chrome and a heading, no article items."""
        return self._page(0, base, title, "", f'<h1 class="a-page-title">{html.escape(title)}</h1><p>节目与专题</p>')

    # --- listings ------------------------------------------------------------------------------

    def listing(self, section: str, entries: list[RfiArticle], page: int, pages: int, script: int, base: str) -> str:
        title = SECTION_NAMES[section][script] if section else SITE_NAME[script]
        head = f'<link rel="canonical" href="{base}{listing_path(section, page, script)}">'
        pager = ""
        if page < pages:
            next_href = listing_path(section, page + 1, script)
            head += f'\n<link rel="next" href="{base}{next_href}">'
            pager = f'<nav class="m-pagination"><a class="m-pagination__next" href="{next_href}">下一页</a></nav>'
        items = "".join(self._item(article, script) for article in entries)
        promo = self.site.articles[self.site.promo_ids()[0]]
        aside = (
            '<aside class="o-aside-content o-aside-content--most-read"><p class="a-aside-title__content">最多阅读</p>'
            f'<div class="m-item-most-read"><a href="{promo.path()}">{html.escape(promo.headline_text(0))}</a></div></aside>'
        )
        main = (
            f'<h1 class="a-page-title">{html.escape(title)}</h1><div class="o-layout-list">{items}</div>{pager}{aside}'
        )
        return self._page(script, base, title, head, main)

    def _item(self, article: RfiArticle, script: int, href: str | None = None) -> str:
        href = href or article.path(traditional=bool(script))
        headline = html.escape(article.headline_text(script))
        picture = (
            f'<picture class="a-picture"><img src="{article.image["src"]}" alt="" loading="lazy"></picture>'
            if article.image
            else ""
        )
        return (
            '<div class="o-layout-list__item"><div class="m-item-list-article" data-article-list>'
            f'<a class="m-item-image m-item-image--16x9" href="{href}" aria-hidden="true" tabindex="-1">{picture}</a>'
            f'<div class="article__infos"><div class="article__title "><a href="{href}" data-article-item-link>'
            f'<h2 aria-level="3">{headline}</h2></a></div>'
            f'<div class="a-tag"><span class="a-tag__wrapper ">{article.label[script]}</span></div></div></div></div>'
        )

    # --- the article page ----------------------------------------------------------------------

    def article(self, article: RfiArticle, script: int, base: str, modified: str) -> str:
        url = base + article.path(traditional=bool(script))
        other = base + article.path(traditional=not script)
        headline = html.escape(article.headline_text(script))
        lead = html.escape(article.lead[script])
        section = SECTION_NAMES[article.section][script].split("/")[-1]
        published = article.published.isoformat()
        meta = [
            f'<link rel="canonical" href="{url}">',
            f'<meta property="og:locale" content="{"zh_CN" if script == 0 else "zh_TW"}">',
            f'<meta property="og:site_name" content="{SITE_NAME[script]}">',
            '<meta property="og:type" content="article">',
        ]
        if self.site.variant != "drifted-headline":
            meta.append(f'<meta property="og:title" content="{headline}">')
        meta += [
            f'<meta property="og:description" content="{lead}">',
            f'<meta property="og:url" content="{url}">',
            f'<meta property="article:published_time" content="{published}">',
            f'<meta property="article:modified_time" content="{modified}">',
            f'<meta property="article:section" content="{section}">',
            *(f'<meta property="article:tag" content="{t[script]}">' for t in article.tags),
            f'<meta name="description" content="{lead}">',
            f'<link rel="alternate" hreflang="{LANG_TAGS[script]}" href="{url}">',
            # An article of the traditional edition alone names no simplified page.
            *(
                [f'<link rel="alternate" hreflang="{LANG_TAGS[1 - script]}" href="{other}">']
                if article.kind != "tw_only"
                else []
            ),
            self._json_ld(article, script, url, published, modified),
        ]
        main = (
            f'<article class="t-content__article-wrapper" data-article-content>'
            f'<div class="t-content__section a-tag"><span class="a-tag__wrapper">{article.label[script]}\n</span></div>'
            f"{self._title(headline)}"
            f'<p class="t-content__chapo">{lead}        </p>'
            f"{self._dates(article)}{self._media(article, script)}{self._authors(article, script)}"
            f'<div class="t-content__body u-clearfix">{self._body(article, script)}</div>{_SHARES}</article>'
            f"{self._related(article, script)}{self._tags(article, script)}{self._data_layer(article, script, url)}"
        )
        return self._page(script, base, article.headline_text(script), "\n".join(meta), main)

    def _title(self, headline: str) -> str:
        if self.site.variant == "drifted-headline":
            return f'<div class="t-content__headline">{headline}</div>'
        return f'<h1 class="t-content__title a-page-title">{headline}</h1>'

    @staticmethod
    def _dates(article: RfiArticle) -> str:
        # The visible line shows Paris time (+02:00 in summer, roughly, +01:00 otherwise); the attribute UTC.
        offset = 2 if 4 <= article.published.month <= 10 else 1
        shown = (article.published + timedelta(hours=offset)).strftime("%d/%m/%Y - %H:%M")
        return (
            '<div class="t-content__dates"><p class="m-pub-dates"><span class="m-pub-dates__date">'
            f'发表时间： <time datetime="{article.published.isoformat()}" pubdate="pubdate">{shown}</time>'
            '</span></p><div class="a-reading-time">3 分钟 <span class="u-sr-only">浏览时间</span></div></div>'
        )

    @staticmethod
    def _media(article: RfiArticle, script: int) -> str:
        image = article.image
        if not image:
            return ""
        caption = html.escape(image["caption"][script])
        credit = f"\n<span>{html.escape(image['credit'])}</span>" if image["credit"] else ""
        return (
            '<div class="t-content__main-media"><figure class="m-item-image m-item-image--16x9 m-item-image--has-caption">'
            f'<picture class="a-picture a-picture--16x9"><source type="image/webp" srcset="{image["src"][:-4]}.webp 1024w">'
            f'<img fetchpriority="high" src="{image["src"]}" width="1024" height="576" alt="{caption}" loading="eager" class="a-img ">'
            f'</picture><figcaption class="a-figcaption">\n<span>{caption}</span>{credit}\n</figcaption></figure></div>'
        )

    @staticmethod
    def _authors(article: RfiArticle, script: int) -> str:
        if not article.authors:
            return ""
        blocks = "".join(
            '<div class="m-from-author"><span class="m-from-author__by-label">作者：\n             </span>\n'
            f'<a href="{quote(f"/{EDITIONS[script]}/作者/{name[script]}/")}" title="{name[script]}" '
            f'class="m-from-author__name">{name[script]}\n                    </a></div>'
            for name in article.authors
        )
        return f'<div class="t-content__authors"><div class="m-authors">{blocks}</div></div>'

    def _body(self, article: RfiArticle, script: int) -> str:
        parts = [_INTERSTITIAL]
        for i, paragraph in enumerate(article.paragraphs):
            if i in article.subheadings:
                parts.append(f"<h2>\n<strong>{article.subheadings[i][script]}</strong>\n</h2>")
            parts.append(f"<p>{html.escape(plain(paragraph, script))}</p>")
        promo = self.site.articles[self.site.promo_ids()[1]]
        parts.append(
            '<div class="o-self-promo o-self-promo--nl o-self-promo--hidden" data-selfpromo-newsletter>'
            '<div class="o-self-promo-wrapper"><p class="o-self-promo__text"><strong>电邮新闻</strong>\n头条新闻就在您的每日新闻信里</p>'
            '<a href="https://emailing.rfi.fr/cn/subscribe" target="_blank" rel="noopener" class="o-self-promo__link">订阅</a></div></div>'
            '<div class="o-self-promo o-self-promo--app o-self-promo--hidden" data-selfpromo-app>'
            '<div class="o-self-promo-wrapper"><p class="o-self-promo__text">下载法广应用程序跟踪国际时事</p>'
            f'<a href="{promo.path()}" class="o-self-promo__link">{html.escape(promo.headline_text(0))}</a></div></div>'
        )
        return "\n".join(parts)

    def _related(self, article: RfiArticle, script: int) -> str:
        items = [self._item(article, script)] if article.links_itself else []
        for article_id, variant in article.related:
            target = self.site.articles[article_id]
            items.append(self._item(target, script, related_href(target, variant, script)))
        return (
            '<aside data-org-name="related" class="o-aside-content o-aside-content--related">'
            '<div class="o-aside-content__row "><div class="o-aside-content__title a-aside-title">'
            '<p class="a-aside-title__content">其他新闻</p></div></div>'
            f'<div class="o-layout-list grid-1-2-2">{"".join(items)}</div></aside>'
        )

    @staticmethod
    def _tags(article: RfiArticle, script: int) -> str:
        links = "".join(
            f'<li class="m-tags-list__tag"><a href="{quote(f"/{EDITIONS[script]}/关键词/{t[script]}/")}" class="a-hot-tag">{t[script]}</a></li>'
            for t in article.tags
        )
        return f'<div class="t-content__tags"><div class="t-content__tags__title">继续阅读相同主题内容:</div><ul class="m-tags-list">{links}</ul></div>'

    @staticmethod
    def _json_ld(article: RfiArticle, script: int, url: str, published: str, modified: str) -> str:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "url": url,
            "headline": article.headline_text(script),
            "description": article.lead[script],
            "datePublished": published,
            "dateModified": modified,
            "inLanguage": LANG_TAGS[script],
            "author": [{"@type": "Person", "name": a[script]} for a in article.authors],
        }
        return f'<script type="application/ld+json">[{json.dumps(data, ensure_ascii=False)}]</script>'

    @staticmethod
    def _data_layer(article: RfiArticle, script: int, url: str) -> str:
        data = {
            "content_title": article.headline_text(script),
            "content_id": f"WBMZ{article.number}-RFI-{EDITIONS[script].upper()}-{article.date}",
            "canonical": url,
            "publication_date": article.published.date().isoformat(),
            "authors": [{"name": a[script]} for a in article.authors],
        }
        return f'<script id="datalayer" type="application/json">{json.dumps(data)}</script>'


def related_href(target: RfiArticle, variant: str, script: int) -> str:
    """How a related list links ``target``: root-relative (``plain``), in the traditional edition
    (``tw``, the only way to an article of that edition alone), or with a tracking query."""
    path = target.path(traditional=variant == "tw" or script == 1)
    return path + "?xtor=CS1-9" if variant == "query" else path
