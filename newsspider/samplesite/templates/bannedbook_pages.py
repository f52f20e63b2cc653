"""www.bannedbook.org's HTML pages: the WordPress chrome (menus, sidebars, ad slots, promo lists)
around article entries, AMP views, both listing templates, the home page and the 404 page."""

from __future__ import annotations

import html
from functools import cached_property
from importlib import resources
from urllib.parse import quote

from newsspider.samplesite import texts
from newsspider.samplesite.model import SIMPLIFIED, Segment, SiteModel, plain
from newsspider.samplesite.templates.bannedbook_article import (
    LANG_TAGS,
    LISTED_SECTIONS,
    PAGE_SIZE,
    TAG_ARCHIVE,
    BannedbookArticle,
    canonical_href,
    listing_path,
    related_path,
)


class BannedbookPages:
    def __init__(self, site: SiteModel):
        self.site = site
        self._latest_cache: tuple[int, list[BannedbookArticle]] | None = None

    def home(self, base: str) -> str:
        """The home page: site chrome and sidebars, but no article listing (its real markup is not
        known), so that a crawl started there finds no article links and says so."""
        center = '<h2 class="pagetitle">禁闻网</h2><p>欢迎访问。请从分类栏目进入新闻列表。</p>'
        return self._page(SIMPLIFIED, base, "/", "禁闻网", center, head_meta=f'<link rel="canonical" href="{base}/" />')

    def not_found(self, base: str) -> tuple[int, str, str]:
        center = '<h2 class="pagetitle">404 Not Found</h2><p>页面不存在</p>'
        return (
            404,
            "text/html; charset=utf-8",
            self._page(SIMPLIFIED, base, "/404/", "页面不存在", center, head_meta=""),
        )

    @cached_property
    def _chrome(self) -> str:
        return resources.files("newsspider.samplesite").joinpath("templates/page.html").read_text("utf-8")

    def _page(self, script: int, base: str, path: str, title: str, center: str, head_meta: str) -> str:
        plain_path = path.replace("/bnews/zh-tw/", "/bnews/")
        tw_path = plain_path.replace("/bnews/", "/bnews/zh-tw/", 1)
        current = ("wpcc_current_lang", "wpcc_lang") if script == SIMPLIFIED else ("wpcc_lang", "wpcc_current_lang")
        replacements = {
            "{{lang}}": LANG_TAGS[script],
            "{{title}}": f"{html.escape(title)} - {texts.SITE_NAME[script]}",
            "{{head_meta}}": head_meta,
            "{{alternates}}": (
                f'<link rel="alternate" hreflang="zh-Hans" href="{base}{plain_path}" />\n'
                f'<link rel="alternate" hreflang="zh-Hant" href="{base}{tw_path}" />'
            ),
            "{{lang_links}}": (
                f'<span id="wpcc_original_link" class="{current[0]}"><a class="wpcc_link" href="{base}{plain_path}" title="简体">简体</a></span>\n'
                f'<span id="wpcc_zh-tw_link" class="{current[1]}"><a class="wpcc_link" href="{base}{tw_path}" title="正体">正体</a></span>'
            ),
            "{{breadcrumb}}": (
                f'<div class="breadcrumb">\n<a href="{base}/" class="home">禁闻网</a> &gt; '
                f'<span class="current-item">{html.escape(title)}</span></div>'
            ),
            "{{center}}": center,
            "{{page_schema}}": "",
            "{{sidebar}}": self._sidebar(script, base),
        }
        page = self._chrome
        for key, value in replacements.items():
            page = page.replace(key, value)
        return page

    def _sidebar(self, script: int, base: str) -> str:
        """Hot posts (promo pages), the latest articles and a tag cloud, as real sidebars carry:
        links a crawler must not follow, and the bulk that makes real pages 30-60 KB."""
        hot = "".join(
            f'<li><a href="{base}{self.site.articles[a].path(traditional=bool(script))}" target="_blank">'
            f"{html.escape(self.site.articles[a].headline_text(script))}</a></li>"
            for a in self.site.promo_ids()[:4]
        )
        latest = "".join(
            f'<li class="latest-post"><a href="{base}{a.path(traditional=bool(script))}" target="_blank" '
            f'title="{html.escape(a.headline_text(script))}">{html.escape(a.headline_text(script))}</a>'
            f'<span class="latest-date">{a.date[:4]}-{a.date[4:6]}-{a.date[6:]}</span></li>'
            for a in self._latest()
        )
        tags = "".join(
            f'<a href="{base}/bnews/tag/{quote(t[script])}/" class="tag-cloud-link" style="font-size:{12 + n % 9}pt">'
            f"{html.escape(t[script])}</a> "
            for n, t in enumerate(texts.TAGS)
        )
        return (
            f'<div id="sidebar-hot-posts" class="list"><h3>热门文章</h3><ul>{hot}</ul></div>\n'
            f'<div id="sidebar-latest" class="widget"><h3>最新文章</h3><ul>{latest}</ul></div>\n'
            f'<div id="sidebar-tags" class="widget tagcloud"><h3>热门标签</h3>{tags}</div>'
        )

    def _latest(self) -> list[BannedbookArticle]:
        """The 60 newest listed articles (cached until the site changes)."""
        if self._latest_cache is None or self._latest_cache[0] != len(self.site.articles):
            self._latest_cache = (len(self.site.articles), self.site.listed()[:60])
        return self._latest_cache[1]

    def article(self, article: BannedbookArticle, script: int, base: str) -> str:
        path = article.path(traditional=bool(script))
        url = base + path
        headline = html.escape(article.headline_text(script))
        meta = [f'<meta property="og:locale" content="{LANG_TAGS[script].replace("-", "_")}" />']
        if article.canonical:
            meta.append(f'<link rel="canonical" href="{canonical_href(article, script, base)}" />')
        meta.append(f'<link rel="amphtml" href="{url}/amp" />')
        meta.append('<meta name="author" content="編輯團隊" />')
        if self.site.variant != "drifted-headline":
            meta.append(f'<meta property="og:title" content="{headline} - {texts.SITE_NAME[script]}" />')
        meta.append(f'<meta property="og:url" content="{url}" />')
        description = html.escape(plain(article.paragraphs[0], script))
        if article.description_kind == "og":
            meta.append(f'<meta property="og:description" content="{description}" />')
        elif article.description_kind == "meta":
            meta.append(f'<meta name="description" content="{description}" />')
        if article.published_time:
            meta.append(f'<meta property="article:published_time" content="{article.published_time}" />')
        drifted = self.site.variant == "drifted-template"
        title = {"drifted-headline": f'<h1 class="entry-title">{headline}</h1>', "drifted-template": ""}.get(
            self.site.variant, f"<h2>{headline}</h2>"
        )
        postmeat = ""
        if article.postmeat:
            section_name = texts.SECTION_NAMES.get(article.section, ("", ""))[script]
            postmeat = (
                f'<div class="postmeat ac">{article.postmeat} '
                f'<a href="{base}/bnews/{article.section}/" rel="category tag">{section_name}</a></div> '
            )
        center = (
            f"<!-- 面包屑导航 --> {title} {postmeat}"
            f'<p class="notice"><b>{texts.NOTICE[script]}</p><p>{texts.NOTICE_FOLLOW_UP[script]}</b></p>  '
            f"{_entry_wrapper(drifted, self._entry(article, script, base), headline)}<!--END ENTRY-->"
            f"{_COMMENTS_AREA}"
        )
        return self._page(script, base, path, article.headline_text(script), center, "\n".join(meta))

    def _entry(self, article: BannedbookArticle, script: int, base: str) -> str:
        parts: list[str] = []
        credit = self._credit_paragraph(article, script)
        if credit:
            parts.append(credit)
        link_base = "" if article.relative_links else base
        for i, paragraph in enumerate(article.paragraphs):
            parts.append(f"<p>{_markup(paragraph, script, link_base)}</p>")
            if i == 0 and article.image:
                parts.append(f'<p><img src="{html.escape(article.image["src"])}" alt="" /></p>')
                if article.image["caption"]:
                    label = "图：" if script == SIMPLIFIED else "圖："
                    parts.append(
                        f"<p>{article.image['caption'][script]}&nbsp;&nbsp;&nbsp;{label}{article.image['credit'][script]}</p>"
                    )
            if i == 1:
                parts.append(
                    '<!--<div id="taboola-mid-1"></div>--><div class="banner-ads in-article">'
                    '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-2194043486084479" '
                    'data-ad-slot="9775570531"></ins><script>(adsbygoogle = window.adsbygoogle || []).push({});</script>'
                    f'<a href="{base}{self.site.articles[self.site.promo_ids()[0]].path()}"><img src="/images/ad-banner.jpg" alt="" /></a></div>'
                )
        parts.append("<p></p>")
        if article.editor:
            label = "责任编辑：" if script == SIMPLIFIED else "責任編輯："
            share = "站长动态，转发分享↓" if script == SIMPLIFIED else "站長動態，轉發分享↓"
            parts.append(
                f'<p>{share}<a href="https://twitter.com/bannedebook" target="_blank">Follow Us</a> '
                f"{label}{article.editor[script]}</p>"
                f'<p><img src="{base}/images/follow-us.png" alt="Follow Us" /></p>'
            )
        parts.append(self._related_list(article, script, base))
        parts.append(self._promo_list(script, base))
        if article.source and article.source_in_src_info:
            label = "来源：" if script == SIMPLIFIED else "來源："
            credit_class = "story-source" if self.site.variant == "drifted-template" else "src-info"
            parts.append(f'<p class="{credit_class}">{label}{article.source[script]} </p>')
        parts.append(_SHARE_AND_ADS)
        return " ".join(parts)

    @staticmethod
    def _credit_paragraph(article: BannedbookArticle, script: int) -> str | None:
        author = article.author[script] if article.author else None
        source = article.source[script] if article.source else None
        if article.layout == "author_first":
            return f"<p>作者： {author}</p>"
        if article.disclaimer:
            label = "来源：" if script == SIMPLIFIED else "來源："
            credits = {
                "author_source": f"作者：{author}{label}{source}",
                "source_only": f"{label}{source}",
                "author_ascii": f"作者: {author}",
            }
            return f"<p>{credits[article.credit_style]}{article.disclaimer[script]}</p>"
        if article.credit_style == "author_source":
            if script == SIMPLIFIED:
                return f"<p>作者：{author}来源：{source}，文章仅供参考，内容并不代表本网立场和观点。</p>"
            return f"<p>作者：{author}來源：{source}，文章謹供參考，內容並不代表本網立場和觀點。</p>"
        if article.credit_style == "source_only":
            if script == SIMPLIFIED:
                return f"<p>来源：{source}, 文章内容并不代表本网立场。</p>"
            return f"<p>來源：{source}, 文章內容並不代表本網立場和觀點。</p>"
        if script == SIMPLIFIED:
            return f"<p>作者: {author} , 文章内容仅代表作者个人观点。</p>"
        return f"<p>作者: {author} , 文章內容謹代表作者個人觀點。</p>"

    def _related_list(self, article: BannedbookArticle, script: int, base: str) -> str:
        items = []
        for article_id, variant in article.related:
            target = self.site.articles[article_id]
            opener, topic = target.headline
            items.append(
                f"<li><a href='{base}{related_path(target, variant, script)}' target='_blank'>"
                f"{html.escape(opener[script])}<b>{html.escape(topic[script])}</b></a></li>"
            )
        return f"<ul class='op-related-articles' title='{texts.RELATED_TITLE[script]}'> {' '.join(items)} </ul>"

    def _promo_list(self, script: int, base: str) -> str:
        promo = self.site.promo_ids()
        items = [
            f'<li>🔥<a href="{base}{self.site.articles[promo[1]].path()}" target="_blank">{html.escape(self.site.articles[promo[1]].headline_text(script))}</a></li>',
            f'<li>🔥<a href="{base}{self.site.articles[promo[2]].path()}" target="_blank">{html.escape(self.site.articles[promo[2]].headline_text(script))}</a></li>',
            '<li>🔥<a href="https://github.com/bannedbook/fanqiang/wiki/V2ray%E6%9C%BA%E5%9C%BA" target="_blank">'
            "解锁ChatGPT|全平台高速翻墙:高清视频秒开,超低延迟</a></li>",
            '<li>🔥<a href="https://github.com/bannedbook/fanqiang/wiki/%E7%A6%81%E9%97%BB%E7%BD%91%E5%AE%89%E5%8D%93%E7%BF%BB%E5%A2%99%E6%96%B0%E9%97%BBAPP" '
            'target="_blank">免费PC翻墙、安卓VPN翻墙APP</a></li>',
        ]
        return f'<ul class="texttj"> {" ".join(items)} </ul>'

    def amp(self, article: BannedbookArticle, script: int, base: str) -> str:
        headline = html.escape(article.headline_text(script))
        body = "".join(f"<p>{_markup(p, script, base)}</p>" for p in article.paragraphs)
        return (
            f'<!doctype html><html amp lang="{LANG_TAGS[script]}"><head><meta charset="utf-8">'
            f"<title>{headline} - {texts.SITE_NAME[script]}</title>"
            f'<link rel="canonical" href="{base}{article.path(traditional=bool(script))}">'
            '<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">'
            '<script async src="https://cdn.ampproject.org/v0.js"></script></head><body>'
            f'<header class="amp-wp-header"><a href="{base}/bnews/">{texts.SITE_NAME[script]}</a></header>'
            f'<article class="amp-wp-article"><header class="amp-wp-article-header"><h1 class="amp-wp-title">{headline}</h1></header>'
            f'<div class="amp-wp-article-content">{body}</div></article></body></html>'
        )

    def listing(self, section: str, page: int, script: int, base: str) -> str | None:
        entries = self.site.listing(section)
        template = "postlist" if section == "tag" else dict(LISTED_SECTIONS)[section]
        size = PAGE_SIZE[template]
        pages = max(1, -(-len(entries) // size))
        if page < 1 or page > pages:
            return None
        chunk = entries[(page - 1) * size : page * size]
        name = TAG_ARCHIVE[script] if section == "tag" else texts.SECTION_NAMES[section][script]
        path = listing_path(section, page, script)
        next_url = base + listing_path(section, page + 1, script) if page < pages else None
        head_meta = f'<link rel="canonical" href="{base}{path}" />'
        if template == "postlist":
            if next_url:
                head_meta += f'\n<link rel="next" href="{next_url}" />'
            body = self._postlist(chunk, script, base)
            nav = (
                f'<p><div class="wp-pagenavi" style="text-align:center">\n<a href="{next_url}"><b>{texts.NEXT_PAGE[script]}</b></a></div></p>'
                if next_url
                else ""
            )
        else:
            body = self._posts_items(chunk, script, base)
            nav = self._pagenavi(section, page, pages, script, base)
        center = (
            f'<h2 class="pagetitle">【{html.escape(name)}】文章列表</h2>\n'
            '<div id="archive-share"><div class="sharethis-inline-share-buttons"></div></div>\n'
            f"{body}\n{self._promo_list(script, base)}\n{nav}"
        )
        return self._page(script, base, path, name, center, head_meta)

    def _postlist(self, chunk: list[BannedbookArticle], script: int, base: str) -> str:
        out = []
        for n, article in enumerate(chunk):
            if n % 3 == 0:
                out.append(self._listing_ad(n, base))
            url = base + article.path(traditional=bool(script))
            title = html.escape(article.headline_text(script))
            d = article.date
            section_name = texts.SECTION_NAMES.get(article.section, ("", ""))[script]
            out.append(
                f'<div class="postlist">\n<h4><a href="{url}" target="_blank">{title}</a><span><a href="{url}" '
                f'target="_blank" rel="nofollow">{texts.READ_MORE[script]}</a></span></h4>\n'
                f'<a href="{url}" target="_blank">\n<img src="{base}/bnews/wp-content/uploads/thumb/{article.article_id}.jpg" alt="{title}" />\n</a>\n'
                f'<div class="postcontent">{html.escape(plain(article.paragraphs[0], script)[:40])} [&hellip;]</div>'
                f'<div class="postmeat al">日期：{d[:4]}年{d[4:6]}月{d[6:]}日 | 分类：'
                f'<a href="{base}/bnews/{article.section}/" rel="category tag">{section_name}</a></div>\n</div>'
            )
        return "\n".join(out)

    def _posts_items(self, chunk: list[BannedbookArticle], script: int, base: str) -> str:
        out = []
        for n, article in enumerate(chunk):
            if n % 4 == 0:
                out.append(self._listing_ad(n, base))
            url = base + article.path(traditional=bool(script))
            title = html.escape(article.headline_text(script))
            d = article.date
            out.append(
                f'<div class="posts-item">\n<div class="posts-item-thumb"><a href="{url}" target="_blank">'
                f'<img src="{base}/bnews/wp-content/uploads/thumb/{article.article_id}.jpg" alt="{title}" /></a></div>\n'
                f'<div class="posts-item-body"><h3 class="posts-item-title"><a class="posts-item-title-link" href="{url}" '
                f'target="_blank">{title}</a></h3>\n<div class="posts-item-excerpt">'
                f"{html.escape(plain(article.paragraphs[0], script)[:40])} [&hellip;]</div>\n"
                f'<div class="posts-item-meta"><span class="posts-item-date">{d[:4]}-{d[4:6]}-{d[6:]}</span></div></div>\n</div>'
            )
        return "\n".join(out)

    def _listing_ad(self, n: int, base: str) -> str:
        promo = self.site.articles[self.site.promo_ids()[3 + n % 2]]
        return (
            f'<div class="banner-ads archive-auto{n // 3 + 1}">\n<ins class="adsbygoogle" style="display:block" '
            'data-ad-client="ca-pub-2194043486084479" data-ad-slot="9775570531" data-ad-format="auto"></ins>\n'
            "<script>\n(adsbygoogle = window.adsbygoogle || []).push({});\n</script>\n"
            f'<a href="{base}{promo.path()}" target="_blank"><img src="/images/ad738x90.jpg" alt="" /></a>\n</div>'
        )

    def _pagenavi(self, section: str, page: int, pages: int, script: int, base: str) -> str:
        label = f"第 {page} 页，共 {pages} 页" if script == SIMPLIFIED else f"第 {page} 頁，共 {pages} 頁"
        links = [f"<span class='pages'>{label}</span>"]
        for n in range(1, pages + 1):
            if n == page:
                links.append(f"<span class='current'>{n}</span>")
            else:
                links.append(f'<a class="page larger" href="{base}{listing_path(section, n, script)}">{n}</a>')
        if page < pages:
            links.append(
                f'<a class="nextpostslink" rel="next" href="{base}{listing_path(section, page + 1, script)}">&raquo;</a>'
            )
        return f"<div class='wp-pagenavi'>{''.join(links)}</div>"


def _markup(paragraph: list[Segment], script: int, base: str) -> str:
    out = []
    for kind, words in paragraph:
        word = html.escape(words[script])
        if kind == "tag":
            title = texts.TAG_LINK_TITLE[script].format(word)
            out.append(
                f'<a href="{base}/bnews/tag/{quote(words[script])}/" class="st_tag internal_tag" rel="tag" title="{title}">{word}</a>'
            )
        elif kind == "keyword":
            out.append(
                f'<span class=\'wp_keywordlink_affiliate\'><a href="{base}/" title="{word}" target="_blank">{word}</a></span>'
            )
        else:
            out.append(word)
    return "".join(out)


# The share anchor and AuctionX ad slots that close every real article entry.
_SHARE_AND_ADS = (
    "<a name='sharetosocial'></a> <div style=\"margin-bottom:5px;padding-bottom:5px;clear:both\"> "
    '<div id="archive-pix-1" class="banner-ads"> <!-- AuctionX Display platform tag START --> '
    '<div id="27602x728x90x621x_ADSLOT1" clicktrack="%%CLICK_URL_ESC%%"></div>  '
    "<!-- AuctionX Display platform tag END --> </div> "
    '<div id="archive-pix-2" class="banner-ads"> <!-- AuctionX Display platform tag START --> '
    '<div id="27556x300x250x621x_ADSLOT1" clicktrack="%%CLICK_URL_ESC%%" style="margin:0 auto;text-align:center"></div>  '
    "<!-- AuctionX Display platform tag END --> </div> </div>"
)


# The comment area below every real WordPress article: a form, no article text.
_COMMENTS_AREA = (
    '<div id="comments" class="comments-area"><h3 id="reply-title" class="comment-reply-title">发表评论 '
    '<small><a rel="nofollow" id="cancel-comment-reply-link" href="#respond" style="display:none;">取消回复</a></small></h3>'
    '<form action="/bnews/wp-comments-post.php" method="post" id="commentform" class="comment-form">'
    '<p class="comment-notes"><span id="email-notes">电子邮件地址不会被公开。</span> 必填项已用<span class="required">*</span>标注</p>'
    '<p class="comment-form-comment"><label for="comment">评论</label> <textarea id="comment" name="comment" cols="45" rows="8" '
    'maxlength="65525" required="required"></textarea></p><p class="comment-form-author"><label for="author">名称 '
    '<span class="required">*</span></label> <input id="author" name="author" type="text" value="" size="30" maxlength="245" '
    'required="required" /></p><p class="comment-form-email"><label for="email">电子邮件 <span class="required">*</span></label> '
    '<input id="email" name="email" type="text" value="" size="30" maxlength="100" required="required" /></p>'
    '<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="发表评论" /></p></form></div>'
)


def _entry_wrapper(drifted: bool, entry: str, headline: str) -> str:
    """The entry as the site serves it; a theme change moves the title into a story header and
    renames the containers (the ``drifted-template`` variant)."""
    if drifted:
        return f'<h1 class="story-title">{headline}</h1> <section class="story-text"> {entry} </section>'
    return f'<div class="entry"> {entry} </div>'
