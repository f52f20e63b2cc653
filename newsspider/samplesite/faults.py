"""Seeded, reproducible faults for the sample site: what broken servers and broken HTML do.

A :class:`FaultPlan` assigns fault kinds to articles (every view of the article, in either
edition and as AMP, gets the same fault) and adds site-wide traps: a pagination trap and related
lists full of odd links. The server asks :meth:`FaultPlan.respond` how to answer each request.
What the plan edits in a page, and where, the site's template tells (:class:`FaultMarkup`).
"""

from __future__ import annotations

import gzip
import random
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from newsspider.samplesite.generator import SampleSite
from newsspider.samplesite.model import FaultMarkup

# kind -> True when a correct crawler still gets the article (after retries, repairs, redirects).
FAULT_KINDS: dict[str, bool] = {
    "burst503": True,  # two 503s with Retry-After: 1, then the page
    "burst500": True,
    "burst502": True,
    "reset": True,  # the first connection is reset
    "slow": True,  # the first answer comes after DOWNLOAD_TIMEOUT
    "truncated": True,  # the first body is shorter than its Content-Length
    "empty_once": True,  # the first answer is an empty 200
    "redirect_chain": True,  # 301 -> 302 -> the page
    "gbk": True,  # GBK bytes, charset only in <meta>
    "big5": True,  # Big5 bytes, charset only in <meta>
    "wrong_charset": True,  # UTF-8 bytes declared ISO-8859-1 in the header
    "bom": True,  # UTF-8 with a BOM and no declared charset
    "malformed": True,  # unclosed <p>, NUL bytes, a stray </html>, a second div.entry
    "empty_always": False,
    "image": False,  # a JPEG at the article URL
    "pdf": False,
    "huge": False,  # larger than DOWNLOAD_MAXSIZE
    "gzip_bomb": False,  # small on the wire, larger than DOWNLOAD_MAXSIZE decompressed
    "redirect_loop": False,
    "redirect_offsite": False,  # a redirect to another host
    "no_headline": False,
    "no_body": False,
    "challenge": False,  # Cloudflare's managed challenge instead of the page, every time
}
# A sitemap the index lists (the template's bomb_sitemap) is small on the wire and larger than any
# sane cap unzipped; its malformed_feed is not well-formed XML (a bare "&", cut off in its fourth item).
BOMB_SITEMAP_BYTES = 64 * 1024 * 1024
OFFSITE_HOST = "offsite.invalid"


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    reset: bool = False  # close the connection with a RST, no answer
    delay: float = 0.0
    declared_length: int | None = None  # a Content-Length other than the body's


class FaultPlan:
    def __init__(self, site: SampleSite, seed: int = 1, per_kind: int = 2, slow_seconds: float = 3.0):
        self.site = site
        self.markup: FaultMarkup = site.template.fault_markup
        self.slow_seconds = slow_seconds
        rng = random.Random(seed)
        hosts = {rid for a in site.articles.values() for rid, _ in a.related if site.articles[rid].kind != "listed"}
        # Faulty articles are listed ones that are nobody's only way to an unlisted article.
        candidates = sorted(
            a.article_id
            for a in site.articles.values()
            if a.kind == "listed" and not any(rid in hosts for rid, _ in a.related)
        )
        picks = rng.sample(candidates, per_kind * len(FAULT_KINDS))
        self.by_article: dict[str, str] = {
            article_id: kind
            for kind, chunk in zip(FAULT_KINDS, _chunks(picks, per_kind), strict=True)
            for article_id in chunk
        }
        # Articles linked in odd forms (tracking parameters, fragments, https, percent-encoding).
        self.variant_targets = rng.sample([a for a in site.public_ids if a not in self.by_article], 6)
        self._seen: dict[str, int] = {}
        self._bomb: bytes | None = None
        self._sitemap_bomb_body: bytes | None = None

    def expected_ids(self) -> set[str]:
        lost = {a for a, kind in self.by_article.items() if not FAULT_KINDS[kind]}
        return set(self.site.public_ids) - lost

    def start_urls(self, base: str) -> list[str]:
        return [*self.site.start_urls(base), base.rstrip("/") + self.markup.trap_path]

    def article_id_at(self, path: str) -> str | None:
        """The article whose page is at ``path`` (as requested), ``None`` for other pages."""
        return self.site.template.article_id_at(path)

    def respond(self, path_and_query: str, base: str, site_base: str | None = None) -> tuple[Answer, str | None]:
        """The answer to a request, and the fault injected (``None`` for a healthy answer)."""
        parts = urlsplit(path_and_query)
        path, markup = parts.path, self.markup
        if path.startswith(markup.trap_path):
            return self._trap(path_and_query, base), "pagination_trap"
        if path == markup.malformed_feed:
            return self._malformed_feed(path, base), "malformed_feed"
        if path == markup.bomb_sitemap:
            return self._sitemap_bomb(), "sitemap_bomb"
        if path == markup.sitemap_index:
            answer = self._page(path, base, site_base=site_base)
            extra = f"<sitemap><loc>{base}{markup.bomb_sitemap}</loc></sitemap>\n</sitemapindex>".encode()
            answer.body = answer.body.replace(b"</sitemapindex>", extra)
            return answer, None
        article_id = self.article_id_at(path)
        kind = self.by_article.get(article_id) if article_id else None
        seen = self._seen.get(path_and_query, 0)
        self._seen[path_and_query] = seen + 1
        if kind is None:
            # The query too: a listing's page number may be in it (RFI's ?page=N).
            return self._page(path_and_query, base, site_base=site_base), None
        injected = getattr(self, f"_{kind}")(path, parts.query, base, seen)
        return injected if isinstance(injected, tuple) else (injected, kind)

    # --- healthy pages, with the site-wide odd links --------------------------------------------

    def _page(self, path: str, base: str, encoding: str = "utf-8", site_base: str | None = None) -> Answer:
        status, content_type, text = self.site.render(path, base, site_base)
        if isinstance(text, bytes):
            return Answer(status, {"Content-Type": content_type}, text)
        if status == 200 and self.article_id_at(path):
            end = self.markup.related_end
            text = text.replace(end, self._odd_links(base) + end, 1)
        return Answer(status, {"Content-Type": content_type}, text.encode(encoding, errors="xmlcharrefreplace"))

    def _malformed_feed(self, path: str, base: str) -> Answer:
        _, content_type, text = self.site.render(path, base)
        text = text.replace("</title>", " & more</title>", 1)
        fourth = [i for i in range(len(text)) if text.startswith("<item>", i)][3]
        return Answer(200, {"Content-Type": content_type}, text[: fourth + 40].encode("utf-8"))

    def _sitemap_bomb(self) -> Answer:
        if self._sitemap_bomb_body is None:
            head = b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            self._sitemap_bomb_body = gzip.compress(head + b" " * BOMB_SITEMAP_BYTES, compresslevel=9, mtime=0)
        return Answer(200, {"Content-Type": "application/x-gzip"}, self._sitemap_bomb_body)

    def _odd_links(self, base: str) -> str:
        host = urlsplit(base).netloc
        variants = []
        for n, article_id in enumerate(self.variant_targets):
            path = self.site.articles[article_id].path()
            variants.append(
                [
                    f"{base}{path}?utm_source=twitter&utm_medium=social&fbclid=IwAR0x",
                    f"{base}{path}#comments",
                    f"https://{host}{path}",
                    f"{base}/%{ord(path[1]):02X}{path[2:]}",  # a letter percent-encoded that needs no encoding
                    f"{base}{path}?utm_campaign=x#respond",
                    f"HTTP://{host.upper()}{path}",
                ][n]
            )
        odd = ["javascript:void(0)", "mailto:editor@example.org", "tel:+1-555-0100", "data:text/html,<b>x</b>"]
        items = [self.markup.related_item.format(href=href) for href in [*variants, *odd]]
        return " ".join(items) + " "

    def _trap(self, path_and_query: str, base: str) -> Answer:
        """The trap's page N exists for every N and always links to N+1, with the entries of the
        first start listing."""
        number = re.search(r"\d+", path_and_query[len(self.markup.trap_path) :])
        page = int(number[0]) if number else 1
        status, content_type, text = self.site.render(self.site.start_urls("")[0], base)
        text = self.markup.pagination.sub("", text)
        next_url = f"{base.rstrip('/')}{self.markup.trap_path}{self.markup.trap_page.format(n=page + 1)}"
        text = text.replace("</head>", f'<link rel="next" href="{next_url}" /></head>', 1)
        return Answer(status, {"Content-Type": content_type}, text.encode("utf-8"))

    # --- one method per fault kind -------------------------------------------------------------

    def _burst(self, path: str, base: str, seen: int, status: int, retry_after: str | None = None):
        if seen >= 2:
            return self._page(path, base), None
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if retry_after:
            headers["Retry-After"] = retry_after
        return Answer(status, headers, b"<html><body>busy</body></html>")

    def _burst503(self, path, query, base, seen):
        return self._burst(path, base, seen, 503, "1")

    def _burst500(self, path, query, base, seen):
        return self._burst(path, base, seen, 500)

    def _burst502(self, path, query, base, seen):
        return self._burst(path, base, seen, 502)

    def _reset(self, path, query, base, seen):
        return Answer(reset=True) if seen == 0 else (self._page(path, base), None)

    def _slow(self, path, query, base, seen):
        answer = self._page(path, base)
        if seen == 0:
            answer.delay = self.slow_seconds
            return answer
        return answer, None

    def _truncated(self, path, query, base, seen):
        answer = self._page(path, base)
        if seen == 0:
            answer.declared_length = len(answer.body) + 4096
            answer.body = answer.body[: len(answer.body) // 2]
            return answer
        return answer, None

    def _empty_once(self, path, query, base, seen):
        return (
            Answer(200, {"Content-Type": "text/html; charset=utf-8"}) if seen == 0 else (self._page(path, base), None)
        )

    def _empty_always(self, path, query, base, seen):
        return Answer(200, {"Content-Type": "text/html; charset=utf-8"})

    def _image(self, path, query, base, seen):
        return Answer(
            200, {"Content-Type": "image/jpeg"}, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(2048) + b"\xff\xd9"
        )

    def _pdf(self, path, query, base, seen):
        return Answer(
            200, {"Content-Type": "application/pdf"}, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(2048) + b"%%EOF\n"
        )

    def _huge(self, path, query, base, seen):
        body = self._page(path, base).body
        return Answer(200, {"Content-Type": "text/html; charset=utf-8"}, body + b" " * (12 * 1024 * 1024))

    def _gzip_bomb(self, path, query, base, seen):
        if self._bomb is None:
            self._bomb = gzip.compress(b"<html><body>" + bytes(64 * 1024 * 1024), compresslevel=9)
        return Answer(200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, self._bomb)

    def _redirect_chain(self, path, query, base, seen):
        step = int(parse_qs(query).get("r", ["0"])[0])
        if step >= 2:
            return self._page(path, base), None
        return Answer(301 if step == 0 else 302, {"Location": f"{base}{path}?r={step + 1}"})

    def _redirect_loop(self, path, query, base, seen):
        step = int(parse_qs(query).get("loop", ["0"])[0])
        return Answer(302, {"Location": f"{base}{path}?loop={(step + 1) % 2}"})

    def _redirect_offsite(self, path, query, base, seen):
        return Answer(302, {"Location": f"http://{OFFSITE_HOST}{path}"})

    def _charset(self, path: str, base: str, encoding: str) -> Answer:
        answer = self._page(path, base)
        text = re.sub(r'charset=("?)UTF-8', rf"charset=\g<1>{encoding}", answer.body.decode("utf-8"), count=1)
        return Answer(200, {"Content-Type": "text/html"}, text.encode(encoding, errors="xmlcharrefreplace"))

    def _gbk(self, path, query, base, seen):
        return self._charset(path, base, "gbk")

    def _big5(self, path, query, base, seen):
        return self._charset(path, base, "big5")

    def _wrong_charset(self, path, query, base, seen):
        answer = self._page(path, base)
        answer.headers["Content-Type"] = "text/html; charset=iso-8859-1"
        return answer

    def _bom(self, path, query, base, seen):
        answer = self._page(path, base)
        answer.headers["Content-Type"] = "text/html"
        answer.body = b"\xef\xbb\xbf" + answer.body
        return answer

    def _split_entry(self, answer: Answer) -> tuple[str, str, str]:
        """The page around the article entry's content, and that content."""
        opening, end = self.markup.entry
        head, entry = answer.body.decode("utf-8").split(opening, 1)
        entry, tail = entry.split(end, 1)
        return head, entry, tail

    def _join_entry(self, answer: Answer, head: str, entry: str, tail: str, after: str = "") -> Answer:
        opening, end = self.markup.entry
        answer.body = f"{head}{opening}{entry}{end}{after}{tail}".encode()
        return answer

    def _malformed(self, path, query, base, seen):
        answer = self._page(path, base)
        head, entry, tail = self._split_entry(answer)
        entry = entry.replace("</p>", "", 3)  # unclosed paragraphs
        entry = re.sub(r"(<p>[^<]{4})", "\\1\x00", entry, count=2)  # NUL bytes inside the text
        entry = entry.replace("</p>", "</p></html>", 1)  # a stray end of document
        return self._join_entry(answer, head, entry, tail, after=self.markup.second_entry)

    def _no_headline(self, path, query, base, seen):
        answer = self._page(path, base)
        text = self.markup.headline.sub("", answer.body.decode("utf-8"))
        text = re.sub(r'<meta property="og:title"[^>]*>', "", text)
        answer.body = text.encode("utf-8")
        return answer

    def _challenge(self, path, query, base, seen):
        return challenge_answer()

    def _no_body(self, path, query, base, seen):
        answer = self._page(path, base)
        head, entry, tail = self._split_entry(answer)
        return self._join_entry(answer, head, self.markup.body_text.sub("", entry), tail)


# What Cloudflare's managed challenge looks like to a plain HTTP client (title, script, header).
CHALLENGE_PAGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">'
    '</head><body><div class="main-wrapper" role="main"><div class="main-content">'
    "<noscript>Enable JavaScript and cookies to continue</noscript></div></div>"
    "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: \"www.bannedbook.org\",cType: 'managed'};"
    "var a = document.createElement('script');a.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1';"
    "document.getElementsByTagName('head')[0].appendChild(a);}());</script></body></html>"
)


def challenge_answer() -> Answer:
    """HTTP 403 with ``cf-mitigated: challenge``: the site asks for a browser, not for patience."""
    headers = {"Content-Type": "text/html; charset=UTF-8", "cf-mitigated": "challenge", "Server": "cloudflare"}
    return Answer(403, headers, CHALLENGE_PAGE.encode("utf-8"))


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
