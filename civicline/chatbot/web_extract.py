"""Finding question-and-answer pairs in a city's web page (CB-9).

Municipal sites write FAQ in a handful of ways, all read here (beautifulsoup4 with the standard
library's html.parser), in this order; what one way consumed is removed so that the next does not
read it again:

1. schema.org ``FAQPage`` in JSON-LD;
2. ``<details><summary>question</summary>answer</details>``;
3. ``<dl><dt>question<dd>answer``;
4. prefixed blocks — "Q." / "Ｑ１" / "問" / 【質問】 … then "A." / 「回答」 … — including the
   one-question-per-page layout (``<h1>question</h1><h2>回答</h2><p>answer``);
5. a heading (h2–h4) and the paragraphs, lists and tables up to the next heading.

Headings and ``dt`` are also used for things that are not questions (お問い合わせ, 所在地), so (3)
and (5) take a block only when it reads like a question, or on a page titled as an FAQ page when
it is not one of those fixtures. Site navigation, headers, footers and side bars are dropped first.
Staff review every pair before residents see it, so the rules prefer finding too much to too little.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from .text import compact

MAX_QUESTION = 300
MAX_ANSWER = 4500
MAX_CATEGORY = 100
MAX_PAIRS_PER_PAGE = 300

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
QUESTION_HEADINGS = {"h2", "h3", "h4"}
# Rendered (and consumed) as one block: a paragraph, a whole list, a whole table.
UNITS = HEADINGS | {"p", "ul", "ol", "table", "pre", "blockquote", "dl", "details"}
BLOCKS = UNITS | {"div", "section", "article", "main", "li", "figure", "address", "dt", "dd", "tr"}
BLOCK_NAMES = sorted(BLOCKS)
CHROME = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe"]
CJK = r"\u3000-\u30ff\u3400-\u9fff\uff00-\uffef"
WRAPPED = re.compile(rf"(?<=[{CJK}])\s*\n\s*(?=[{CJK}])")
SPACES = re.compile(r"[ \t\r\n\f\v]+")
CJK_SPACE = re.compile(rf"(?<=[{CJK}]) (?=[{CJK}])")

# "Q." "Ｑ１" "Q 住民票…" but not "QRコード"; "A." "Ａ：" "A 市民課…" but not "A4サイズ".
Q_PREFIX = re.compile(
    r"^\s*(?:[QＱ][0-9０-９]*(?:\s*[.．:：、)）]|\s+|(?=[^\x00-\x7fＡ-Ｚａ-ｚ]))"
    r"|[【「\[(（]\s*(?:質問|問)\s*[0-9０-９]*\s*[】」\])）]|(?:質問|問)\s*[0-9０-９]*\s*[.．:：、])\s*"
)
A_PREFIX = re.compile(
    r"^\s*(?:[AＡ](?:[0-9０-９]+(?:\s*[.．:：、)）]|\s+)|\s*[.．:：、)）]|\s+|(?=[^\x00-\x7f0-9０-９Ａ-Ｚａ-ｚ]))"
    r"|[【「\[(（]\s*(?:回答|答え?)\s*[】」\])）]|(?:回答|答え?)\s*[.．:：、])\s*"
)
Q_LABELS = {"質問", "問", "問い", "q", "question", "ご質問", "質問内容"}
A_LABELS = {"回答", "答", "答え", "a", "answer", "回答内容"}
QUESTION_LIKE = re.compile(
    r"(?:[?？]|か|かな|たい|には|とは|教えて(?:ください)?|方法は?|どう(?:すれば|したら)(?:いい|よい)?"
    r"|(?:いつ|どこ|なに|何|いくら|だれ|誰)(?:です)?)[。．.!！]?$"
)
FAQ_TITLE = re.compile(r"よくある(?:ご)?質問|FAQ|[QＱ]\s*[&＆]\s*[AＡ]|問答", re.IGNORECASE)
# Headings every municipal page carries that are never questions.
FIXTURES = re.compile(
    r"お問(?:い)?合(?:わ)?せ|問合せ|担当|電話|ファクス|FAX|メール|所在地|住所|関連|リンク|添付|"
    r"ダウンロード|このページ|アンケート|評価|メニュー|ナビ|PDF|Adobe|ページの先頭|更新日|印刷|検索",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Pair:
    question: str
    answer: str
    category: str = ""

    @property
    def key(self) -> str:
        """Identifies the question on its page across re-syncs, however its spacing or width changed."""
        return compact(self.question)[:300]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.question}\n{self.answer}".encode()).hexdigest()


def extract(content: bytes | str, *, url: str, encoding: str | None = None) -> list[Pair]:
    """The Q&A pairs of one page, in page order, each question once."""
    if isinstance(content, bytes):
        soup = BeautifulSoup(content, "html.parser", from_encoding=encoding)
    else:
        soup = BeautifulSoup(content, "html.parser")
    found = list(_json_ld(soup))
    for tag in soup.find_all(CHROME):
        # An article's own header holds its title; only the site's header and footer are chrome.
        if not tag.decomposed and not (
            tag.name in ("header", "footer") and tag.find_parent(["article", "main", "section"])
        ):
            tag.decompose()
    title = _page_title(soup)
    _spell_out_links(soup, url)
    root = (
        soup.find("main")
        or soup.find(attrs={"role": "main"})
        or soup.find(id=re.compile(r"^(?:main|contents?|main[-_]?contents?|tmp_contents)$"))
        or soup.body
        or soup
    )
    faq_page = bool(FAQ_TITLE.search(title))
    found += _details(root)
    found += _definition_lists(root, faq_page)
    found += _prefixed(root, title)
    found += _headed(root, faq_page)
    pairs: dict[str, Pair] = {}
    for question, answer in found:
        # A question is one line, even when the page broke it over two blocks.
        question = CJK_SPACE.sub("", SPACES.sub(" ", Q_PREFIX.sub("", question, count=1))).strip()
        answer = A_PREFIX.sub("", answer, count=1).strip()
        if not question or not answer or len(question) > MAX_QUESTION:
            continue
        if len(answer) > MAX_ANSWER:
            answer = answer[: MAX_ANSWER - 1] + "…"
        pair = Pair(question, answer)
        pairs.setdefault(pair.key, pair)
    category = title[:MAX_CATEGORY] if len(pairs) > 1 else ""
    return [Pair(p.question, p.answer, category) for p in pairs.values()][:MAX_PAIRS_PER_PAGE]


def _is_question(text: str, faq_page: bool) -> bool:
    if QUESTION_LIKE.search(text) or Q_PREFIX.match(text):
        return True
    return faq_page and not FIXTURES.search(text)


def _page_title(soup: BeautifulSoup) -> str:
    h1 = soup.find("h1")
    if h1 is not None and render(h1):
        return render(h1)
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    return re.split(r"\s*[|｜:：–—]\s*", title)[0]


def render(node: Tag | NavigableString) -> str:
    """Text as a resident should read it: one line per block or list item, inner spacing collapsed."""
    parts: list[str] = []

    def walk(n: Tag | NavigableString) -> None:
        if isinstance(n, NavigableString):
            if type(n) is NavigableString:  # not a comment, doctype or CDATA
                parts.append(SPACES.sub(" ", WRAPPED.sub("", str(n))))
            return
        if n.name == "br":
            parts.append("\n")
            return
        block = n.name in BLOCKS or n.name in ("td", "th")
        if block:
            parts.append("\n")
        if n.name == "li":
            parts.append("・")
        for child in n.children:
            walk(child)
        if block:
            parts.append("\n")

    walk(node)
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _spell_out_links(soup: BeautifulSoup, url: str) -> None:
    """Links keep their address in the text: a chat answer has no "こちら" to click."""
    page = urldefrag(url).url
    for a in soup.find_all("a", href=True):
        href = urljoin(url, a["href"].strip())
        if urlsplit(href).scheme not in ("http", "https") or urldefrag(href).url == page:
            continue
        if href not in a.get_text():
            a.append(f"（{href}）")


def _walk_json(data: object) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_json(item)
    elif isinstance(data, dict):
        yield data
        yield from _walk_json(data.get("@graph", []))


def _types(obj: dict) -> set[str]:
    kinds = obj.get("@type", [])
    return set(kinds if isinstance(kinds, list) else [kinds])


def _json_ld(soup: BeautifulSoup) -> Iterator[tuple[str, str]]:
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        for obj in _walk_json(data):
            if "FAQPage" not in _types(obj):
                continue
            for question in _walk_json(obj.get("mainEntity", [])):
                answer = question.get("acceptedAnswer")
                answer = answer[0] if isinstance(answer, list) and answer else answer
                if isinstance(answer, dict) and isinstance(question.get("name"), str):
                    html = str(answer.get("text", ""))
                    yield (
                        render(BeautifulSoup(question["name"], "html.parser")),
                        render(BeautifulSoup(html, "html.parser")),
                    )


def _details(root: Tag) -> Iterator[tuple[str, str]]:
    for details in root.find_all("details"):
        summary = details.find("summary")
        if summary is None:
            continue
        question = render(summary.extract())
        yield question, render(details)
        details.decompose()


def _definition_lists(root: Tag, faq_page: bool) -> Iterator[tuple[str, str]]:
    for dl in root.find_all("dl"):
        pairs: list[tuple[str, list[str]]] = []
        for child in dl.find_all(["dt", "dd"]):
            if child.name == "dt":
                pairs.append((render(child), []))
            elif pairs:
                pairs[-1][1].append(render(child))
        taken = [(q, "\n".join(a)) for q, a in pairs if a and _is_question(q, faq_page)]
        if taken:
            yield from taken
            dl.decompose()


def _blocks(node: Tag) -> Iterator[Tag | NavigableString]:
    """The page as a flat run of blocks in reading order (containers opened, units kept whole)."""
    for child in node.children:
        if isinstance(child, Tag):
            if child.name in UNITS or child.find(BLOCK_NAMES) is None:
                yield child
            else:
                yield from _blocks(child)
        elif type(child) is NavigableString and child.strip():
            yield child


def _is_heading(block: Tag | NavigableString) -> bool:
    return isinstance(block, Tag) and block.name in HEADINGS


def _prefixed(root: Tag, title: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    question: list[str] = []
    answer: list[str] = []
    used: list[Tag | NavigableString] = []
    mode = ""

    def finish() -> None:
        nonlocal mode
        if question and answer:
            found.append(("\n".join(question), "\n".join(answer)))
            for block in used:
                block.extract()
        question.clear(), answer.clear(), used.clear()
        mode = ""

    for block in list(_blocks(root)):
        text = render(block)
        label = text.strip(" .．:：").lower()
        if not text:
            continue
        if Q_PREFIX.match(text) or label in Q_LABELS:
            finish()
            if label not in Q_LABELS:
                question.append(text)
            # A prefixed heading is the whole question; a prefixed paragraph may run on.
            if label not in Q_LABELS and (_is_heading(block) or QUESTION_LIKE.search(text)):
                mode = "answer"
            else:
                mode = "question"
        elif A_PREFIX.match(text) or label in A_LABELS:
            if not question:
                if label not in A_LABELS or not title:
                    continue
                question.append(title)  # one question per page: the page's title asks it
            if label not in A_LABELS:
                answer.append(text)
            mode = "answer"
        elif not mode:
            continue
        elif _is_heading(block):
            finish()
            continue
        elif mode == "question":
            question.append(text)
            mode = "answer" if QUESTION_LIKE.search(text) else "question"
        else:
            answer.append(text)
        used.append(block)
    finish()
    return found


def _headed(root: Tag, faq_page: bool) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    heading: str | None = None
    body: list[str] = []
    for block in [*_blocks(root), None]:
        if block is None or _is_heading(block):
            if heading and body and _is_question(heading, faq_page):
                found.append((heading, "\n".join(body)))
            heading = render(block) if block is not None and block.name in QUESTION_HEADINGS else None
            body = []
        elif heading is not None and (text := render(block)):
            body.append(text)
    return found
