"""Q&A import from the city's website (CB-9): extraction, polite fetching, staff review, re-sync.

Pages are served by a tiny http.server on loopback (the machine has no internet); the fixture
pages in ``webpages/`` are written after real Japanese municipal FAQ pages.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from civicline.chatbot import search, services, web_fetch
from civicline.chatbot.models import FaqEntry, Status, WebEntry, WebSource, WebSync
from civicline.chatbot.web_extract import extract
from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment

WEBPAGES = Path(__file__).parent / "webpages"
SHOMEI = (WEBPAGES / "faq_shomei.html").read_text()


def questions(html: bytes | str, url: str = "https://www.city.example.jp/faq/page.html") -> list[str]:
    return [p.question for p in extract(html, url=url)]


# --- extraction ---------------------------------------------------------------------------------


def test_definition_list_faq_without_the_sites_header_footer_and_contacts_CB9():
    pairs = extract(SHOMEI.encode(), url="https://www.city.example.jp/faq/shomei.html")

    assert [p.question for p in pairs] == [
        "住民票の写しはどこで取れますか？",
        "住民票の写しの手数料はいくらですか？",
        "代理人が請求するときに必要なものは？",
    ]
    assert pairs[0].answer.startswith("市民課窓口（本庁舎1階）")  # the "A．" prefix is gone
    # A chat answer has no link to click: the address is spelled out, made absolute.
    assert "コンビニ交付（https://www.city.example.jp/kurashi/konbini.html）" in pairs[0].answer
    assert (
        pairs[2].answer
        == "次のものが必要です。\n・委任状（本人が自署したもの）\n・代理人の本人確認書類（運転免許証など）"
    )
    assert {p.category for p in pairs} == {"よくある質問（住民票・証明書）"}


def test_headings_and_paragraphs_of_a_shift_jis_page_CB9():
    pairs = extract((WEBPAGES / "faq_kosodate.sjis.html").read_bytes(), url="https://www.city.example.jp/k/")

    assert [p.question for p in pairs] == [
        "保育園の入園申し込みはいつからですか？",
        "保育料はどうやって決まりますか",
        "引っ越ししたときの児童手当の手続き",  # an FAQ page's heading, though not phrased as a question
    ]
    # A line broken in the HTML source is one sentence again; list items stay one per line.
    assert "10月31日までです。年度途中の入園は" in pairs[0].answer
    assert "・3歳から5歳児クラス：無料" in pairs[1].answer.splitlines()


def test_details_summary_accordions_CB9():
    pairs = extract(
        (WEBPAGES / "faq_gomi.html").read_bytes(), url="https://www.city.example.jp/gomi/faq.html"
    )

    assert [(p.question, p.category) for p in pairs] == [
        ("スプレー缶はどうやって出せばいいですか？", "ごみの出し方 よくある質問"),
        ("収集日に出し忘れたときは？", "ごみの出し方 よくある質問"),
    ]
    assert pairs[0].answer.splitlines()[1] == "中身が残っている場合は、風通しの良い屋外で使い切ってください。"


def test_q_and_a_prefixes_and_bracketed_labels_CB9():
    pairs = extract((WEBPAGES / "faq_zeimu.html").read_bytes(), url="https://www.city.example.jp/zei/qa.html")

    assert [(p.question, p.answer) for p in pairs] == [
        (
            "納税通知書をなくしてしまいました。再発行はできますか？",
            "納税課で再発行できます。\n電話でも受け付けています。QRコード決済用の納付書も再発行できます。",
        ),
        (
            "口座振替の申し込み方法を教えてください",
            "金融機関の窓口に、通帳と届出印をお持ちください。\nA4サイズの申込書は市のホームページからも印刷できます。",
        ),
        ("固定資産税の納期はいつですか", "4月、7月、12月、翌年2月の各月末です。"),
    ]


def test_one_question_per_page_with_question_and_answer_headings_CB9():
    pairs = extract((WEBPAGES / "faq_mynumber.html").read_bytes(), url="https://www.city.example.jp/m.html")

    assert len(pairs) == 1
    assert pairs[0].question == "マイナンバーカードの受け取りに行くとき、何を持っていけばよいですか。"
    assert pairs[0].answer.splitlines() == [
        "次のものをお持ちください。",
        "・交付通知書（はがき）",
        "・本人確認書類（運転免許証など）",
        "・通知カード（お持ちの方）",
    ]


def test_schema_org_faqpage_json_ld_CB9():
    pairs = extract((WEBPAGES / "faq_jsonld.html").read_bytes(), url="https://www.city.example.jp/bag.html")

    assert [(p.question, p.answer) for p in pairs] == [
        ("指定ごみ袋はどこで買えますか？", "市内のスーパー、コンビニ、ドラッグストアで販売しています。"),
        ("指定ごみ袋の値段は？", "45リットル10枚入りで450円です。"),
    ]


def test_outside_faq_pages_only_headings_that_ask_are_taken_CB9():
    html = """<html><head><title>市民プール｜さぬき台市</title></head><body><main><h1>市民プール</h1>
    <h2>施設の概要</h2><p>25メートルプールと幼児用プールがあります。</p>
    <h2>駐車場はありますか？</h2><p>120台分の無料駐車場があります。</p>
    <h2>施設の概要</h2><dl><dt>住所</dt><dd>番町1-1</dd></dl></main></body></html>"""

    assert questions(html) == ["駐車場はありますか？"]


def test_reformatted_html_keeps_the_content_hash_so_resync_sees_no_change_CB9():
    compact_html = "<h1>FAQ</h1><dl><dt>Q. 開庁時間は？</dt><dd>A. 8時30分から17時15分です。</dd></dl>"
    reformatted = """<h1>FAQ</h1>
      <dl class="faq">
        <dt>Ｑ．開庁時間は？</dt>
        <dd>
          Ａ．8時30分から17時15分です。
        </dd>
      </dl>"""
    changed = compact_html.replace("17時15分", "17時30分")

    hashes = [
        extract(h, url="https://www.city.example.jp/")[0].content_hash for h in (compact_html, reformatted)
    ]
    assert hashes[0] == hashes[1]
    assert extract(changed, url="https://www.city.example.jp/")[0].content_hash != hashes[0]


# --- a website on loopback ----------------------------------------------------------------------


class Site:
    """A tiny web server: ``routes[path] = (status, headers, body)``; records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        self.base = ""

    def page(
        self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200
    ):
        self.routes[path] = (
            status,
            {"Content-Type": content_type},
            body.encode() if isinstance(body, str) else body,
        )

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [path for path, _agent in self.requests]


@pytest.fixture
def site(settings):
    settings.CHATBOT_WEB_IMPORT = {"allow_private": True, "delay": 0}
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            site.requests.append((self.path, self.headers.get("User-Agent", "")))
            status, headers, body = site.routes.get(
                self.path, (404, {"Content-Type": "text/html"}, b"not found")
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers and not headers.get("X-Unsized"):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


def run_sync(source: WebSource) -> WebSync:
    sync = services.web_sync_start(actor=None, source=source, enqueue=False)
    return services.web_sync_run(sync_id=sync.pk)


@pytest.fixture
def shomei_source(site, department) -> WebSource:
    site.page("/faq/shomei.html", SHOMEI)
    return services.web_source_create(
        actor=None, department=department, page_urls=[site.url("/faq/shomei.html")]
    )


# --- fetching -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_robots_txt_is_respected_and_every_request_names_itself_CB9(site, department):
    site.page("/robots.txt", "User-agent: *\nDisallow: /naibu/\n", content_type="text/plain")
    site.page("/faq/shomei.html", SHOMEI)
    site.page("/naibu/faq.html", SHOMEI)
    source = services.web_source_create(
        actor=None,
        department=department,
        page_urls=[site.url("/faq/shomei.html"), site.url("/naibu/faq.html")],
    )

    sync = run_sync(source)

    assert sync.status == WebSync.Status.DONE and sync.n_new == 3
    assert "robots.txt" in sync.pages[1]["error"]
    assert "/naibu/faq.html" not in site.paths()
    assert {agent for _path, agent in site.requests} == {web_fetch.USER_AGENT}


@pytest.mark.django_db
def test_robots_txt_disallowing_the_importer_by_name_CB9(site, department):
    site.page("/robots.txt", "User-agent: civicline-faq-import\nDisallow: /\n", content_type="text/plain")
    site.page("/faq.html", SHOMEI)
    source = services.web_source_create(actor=None, department=department, page_urls=[site.url("/faq.html")])

    sync = run_sync(source)

    assert "robots.txt" in sync.pages[0]["error"] and site.paths() == ["/robots.txt"]
    assert not WebEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "unsized"])
def test_oversized_pages_are_refused_CB9(site, department, monkeypatch, declared):
    monkeypatch.setattr(web_fetch, "MAX_PAGE_BYTES", 4096)
    site.page("/big.html", SHOMEI + "<!-- " + "あ" * 3000 + " -->")
    if not declared:
        site.routes["/big.html"][1]["X-Unsized"] = "1"
    source = services.web_source_create(actor=None, department=department, page_urls=[site.url("/big.html")])

    sync = run_sync(source)

    assert "大きすぎます" in sync.pages[0]["error"]
    assert not WebEntry.objects.exists()


@pytest.mark.django_db
def test_pages_that_are_not_html_are_refused_CB9(site, department):
    site.page("/faq.pdf", b"%PDF-1.7 Q. A.", content_type="application/pdf")
    source = services.web_source_create(actor=None, department=department, page_urls=[site.url("/faq.pdf")])

    sync = run_sync(source)

    assert "HTMLのページではありません（application/pdf）" in sync.pages[0]["error"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["ftp://www.city.example.jp/faq.html", "javascript:alert(1)", "file:///etc/passwd", "faq.html"]
)
def test_only_http_and_https_addresses_are_accepted_CB9(department, url):
    with pytest.raises(ValidationError, match="http:// または https://"):
        services.web_source_create(actor=None, department=department, page_urls=[url])
    assert not WebSource.objects.exists()


@pytest.mark.django_db
def test_the_servers_own_networks_are_not_fetched_by_default_CB9(site, settings, department):
    settings.CHATBOT_WEB_IMPORT = {"delay": 0}
    site.page("/faq.html", SHOMEI)
    source = services.web_source_create(actor=None, department=department, page_urls=[site.url("/faq.html")])

    sync = run_sync(source)

    assert "内部ネットワーク" in sync.pages[0]["error"] and site.requests == []


@pytest.mark.django_db
def test_sitemap_index_and_address_filter_CB9(site, department):
    site.page(
        "/sitemap.xml",
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/sitemap-1.xml')}</loc></sitemap></sitemapindex>",
        content_type="application/xml",
    )
    site.page(
        "/sitemap-1.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(
            f"<url><loc>{site.url(p)}</loc></url>"
            for p in ("/faq/shomei.html", "/news/1.html", "/faq/gomi.html")
        )
        + "</urlset>",
        content_type="text/xml",
    )
    site.page("/faq/shomei.html", SHOMEI)
    site.page("/faq/gomi.html", (WEBPAGES / "faq_gomi.html").read_bytes())
    source = services.web_source_create(
        actor=None, department=department, sitemap_url=site.url("/sitemap.xml"), url_filter="/faq/"
    )

    sync = run_sync(source)

    assert [p["url"] for p in sync.pages] == [site.url("/faq/shomei.html"), site.url("/faq/gomi.html")]
    assert sync.n_new == 5 and "/news/1.html" not in site.paths()


# --- review and re-sync -------------------------------------------------------------------------


@pytest.mark.django_db
def test_imported_qa_wait_for_review_and_reach_residents_only_when_accepted_CB9(
    shomei_source, staff_user, knowledge
):
    run_sync(shomei_source)
    where, fee, proxy = WebEntry.objects.order_by("pk")

    assert {e.state for e in (where, fee, proxy)} == {WebEntry.State.NEW}
    assert not FaqEntry.objects.filter(source=FaqEntry.Source.WEB).exists()
    assert fee.question not in [c.title for c in search.rank("住民票の手数料はいくら").candidates]

    faq = services.web_entry_accept(actor=staff_user, entry=fee)
    services.web_entry_reject(actor=staff_user, entry=proxy)

    assert faq.status == Status.PUBLISHED and faq.source == FaqEntry.Source.WEB
    assert faq.department == staff_user.department and faq.category == "よくある質問（住民票・証明書）"
    assert faq.answer.startswith("1通300円です。") and shomei_source.page_urls[0] in faq.answer
    assert search.rank("住民票の手数料はいくら").candidates[0].id == faq.pk
    assert AuditEntry.objects.filter(summary__contains="ウェブから取り込んだQ&Aを却下").exists()

    again = run_sync(shomei_source)  # nothing changed on the site: nothing to review again

    assert (again.n_new, again.n_changed, again.n_removed, again.n_unchanged) == (0, 0, 0, 3)
    assert WebEntry.objects.get(pk=proxy.pk).state == WebEntry.State.REJECTED
    assert list(WebEntry.objects.filter(state__in=WebEntry.PENDING)) == [where]


@pytest.mark.django_db
def test_resync_shows_new_changed_and_removed_and_applies_each_CB9(site, shomei_source, staff_user):
    run_sync(shomei_source)
    for entry in WebEntry.objects.all():
        services.web_entry_accept(actor=staff_user, entry=entry)
    site.page(
        "/faq/shomei.html",
        SHOMEI.replace("1通300円です。", "1通350円です。")
        .replace(
            "<dt>Q3．代理人",
            "<dt>Q4．戸籍謄本はどこで取れますか？</dt><dd>A．市民課窓口で取れます。</dd><dt>Q3．代理人",
        )
        .replace("<dt>Q1．住民票の写しはどこで取れますか？</dt>", "<dt>Q1．削除された質問ですか？</dt>"),
    )

    sync = run_sync(shomei_source)

    states = {e.question: e for e in WebEntry.objects.all()}
    assert (sync.n_new, sync.n_changed, sync.n_removed, sync.n_unchanged) == (2, 1, 1, 1)
    fee = states["住民票の写しの手数料はいくらですか？"]
    assert fee.state == WebEntry.State.CHANGED
    assert fee.previous_answer.startswith("1通300円") and fee.answer.startswith("1通350円")
    removed = states["住民票の写しはどこで取れますか？"]
    assert removed.state == WebEntry.State.REMOVED
    assert states["戸籍謄本はどこで取れますか？"].state == WebEntry.State.NEW
    assert FaqEntry.objects.get(pk=fee.faq_id).answer.startswith("1通300円")  # nothing applied yet

    services.web_entry_accept(actor=staff_user, entry=fee)
    services.web_entry_accept(actor=staff_user, entry=removed)

    assert FaqEntry.objects.get(pk=fee.faq_id).answer.startswith("1通350円")
    assert FaqEntry.objects.get(pk=removed.faq_id).status == Status.DRAFT  # unpublished, not lost
    assert not WebEntry.objects.filter(pk=removed.pk).exists()


@pytest.mark.django_db
def test_rejecting_a_change_keeps_the_published_answer_and_is_not_asked_again_CB9(
    site, shomei_source, staff_user
):
    run_sync(shomei_source)
    for entry in WebEntry.objects.all():
        services.web_entry_accept(actor=staff_user, entry=entry)
    site.page("/faq/shomei.html", SHOMEI.replace("1通300円です。", "1通350円です。"))
    run_sync(shomei_source)
    fee = WebEntry.objects.get(state=WebEntry.State.CHANGED)

    services.web_entry_reject(actor=staff_user, entry=fee)
    again = run_sync(shomei_source)

    assert FaqEntry.objects.get(pk=fee.faq_id).answer.startswith("1通300円")
    assert again.n_changed == 0 and not WebEntry.objects.filter(state__in=WebEntry.PENDING).exists()


@pytest.mark.django_db
def test_an_unreachable_page_proves_nothing_but_a_404_removes_its_qa_CB9(site, shomei_source, staff_user):
    run_sync(shomei_source)
    for entry in WebEntry.objects.all():
        services.web_entry_accept(actor=staff_user, entry=entry)

    site.page("/faq/shomei.html", "error", status=503)
    unreachable = run_sync(shomei_source)
    site.routes.pop("/faq/shomei.html")
    gone = run_sync(shomei_source)

    assert unreachable.n_removed == 0 and "HTTP 503" in unreachable.pages[0]["error"]
    assert gone.n_removed == 3
    assert set(WebEntry.objects.values_list("state", flat=True)) == {WebEntry.State.REMOVED}


# --- console and command ------------------------------------------------------------------------


@pytest.mark.django_db
def test_console_import_runs_in_the_worker_not_in_the_request_CB9(
    site, staff_client, django_capture_on_commit_callbacks
):
    site.page("/faq/shomei.html", SHOMEI)

    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(
            reverse("chatbot:web-source-create"), {"page_urls": site.url("/faq/shomei.html")}
        )

    source = WebSource.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "chatbot:web-source-detail", args=[source.pk]
    )
    assert site.requests == [] and source.syncs.get().status == WebSync.Status.QUEUED
    page = staff_client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in page  # progress refreshes itself while the worker runs

    for callback in callbacks:
        callback()  # the worker (Huey runs immediately in tests)

    page = staff_client.get(response.url).content.decode()
    assert source.syncs.get().status == WebSync.Status.DONE
    assert "確認待ち（3 件）" in page and "住民票の写しの手数料はいくらですか？" in page
    assert 'http-equiv="refresh"' not in page


@pytest.mark.django_db
def test_console_review_shows_the_diff_and_applies_entries_one_by_one_CB9(site, shomei_source, staff_client):
    run_sync(shomei_source)
    first, fee, proxy = WebEntry.objects.order_by("pk")
    staff_client.post(reverse("chatbot:web-entry-accept", args=[fee.pk]))
    edit = reverse("chatbot:web-entry-edit", args=[first.pk])
    assert "詳しくは市のホームページをご覧ください" in staff_client.get(edit).content.decode()
    staff_client.post(
        edit, {"question": "住民票はどこでもらえる？", "answer": "市民課か支所で。", "category": "証明書"}
    )
    staff_client.post(reverse("chatbot:web-entry-reject", args=[proxy.pk]))

    assert FaqEntry.objects.get(question="住民票はどこでもらえる？").category == "証明書"
    assert FaqEntry.objects.count() == 2

    site.page("/faq/shomei.html", SHOMEI.replace("1通300円です。", "1通350円です。"))
    run_sync(shomei_source)
    page = staff_client.get(reverse("chatbot:web-source-detail", args=[shomei_source.pk])).content.decode()

    # Before: 1通3[0]0円 with the 0 struck out; after: 1通3[5]0円 with the 5 marked.
    assert "1通3<del>0</del>0円" in page and "1通3<ins>5</ins>0円" in page and "確認待ち（1 件）" in page
    staff_client.post(reverse("chatbot:web-entry-accept", args=[fee.pk]))
    assert FaqEntry.objects.get(pk=WebEntry.objects.get(pk=fee.pk).faq_id).answer.startswith("1通350円")
    response = staff_client.post(reverse("chatbot:web-entry-accept", args=[fee.pk]), follow=True)
    assert "この項目は確認済みです。" in response.content.decode()


@pytest.mark.django_db
def test_another_department_cannot_see_or_review_the_import_CB9(
    shomei_source, console_client, other_staff_user, system_admin
):
    run_sync(shomei_source)
    entry = WebEntry.objects.first()
    client = console_client(other_staff_user)

    assert str(shomei_source) not in client.get(reverse("chatbot:web-source-list")).content.decode()
    assert client.get(reverse("chatbot:web-source-detail", args=[shomei_source.pk])).status_code == 404
    assert client.post(reverse("chatbot:web-sync-start", args=[shomei_source.pk])).status_code == 404
    for name in ("chatbot:web-entry-accept", "chatbot:web-entry-reject", "chatbot:web-entry-edit"):
        assert (
            client.post(reverse(name, args=[entry.pk]), {"question": "x", "answer": "x"}).status_code == 404
        )
    with pytest.raises(NotYourDepartment):
        services.web_entry_accept(actor=other_staff_user, entry=entry)
    assert not FaqEntry.objects.exists() and WebEntry.objects.get(pk=entry.pk).state == WebEntry.State.NEW
    admin_page = console_client(system_admin).get(
        reverse("chatbot:web-source-detail", args=[shomei_source.pk])
    )
    assert admin_page.status_code == 200


@pytest.mark.django_db
def test_markup_in_imported_text_is_shown_escaped_CB9(site, department, staff_client):
    site.page(
        "/faq.html",
        "<h1>よくある質問</h1><dl><dt>Q. &lt;script&gt;alert('q')&lt;/script&gt;ですか？</dt>"
        "<dd>A. &lt;img src=x onerror=alert('a')&gt; です。</dd></dl>",
    )
    source = services.web_source_create(actor=None, department=department, page_urls=[site.url("/faq.html")])
    run_sync(source)

    page = staff_client.get(reverse("chatbot:web-source-detail", args=[source.pk])).content.decode()

    assert "&lt;script&gt;alert(&#x27;q&#x27;)&lt;/script&gt;ですか？" in page
    assert "<script>alert" not in page and "<img src=x" not in page


@pytest.mark.django_db
def test_command_imports_then_shows_what_changed_on_the_site_CB9(site, department, capsys):
    site.page("/faq/shomei.html", SHOMEI)

    call_command("import_faq_web", site.url("/faq/shomei.html"), "--department", department.code)
    site.page("/faq/shomei.html", SHOMEI.replace("1通300円です。", "1通350円です。"))
    call_command("import_faq_web", site.url("/faq/shomei.html"), "--department", department.code)

    out = capsys.readouterr().out
    assert "新規 3 件、変更 0 件" in out
    assert WebSource.objects.count() == 1 and WebSync.objects.count() == 2
    # Never accepted, so the changed text simply replaces the draft under review.
    assert WebEntry.objects.filter(state=WebEntry.State.NEW).count() == 3
    assert "1通350円です。" in WebEntry.objects.get(question="住民票の写しの手数料はいくらですか？").answer


@pytest.mark.django_db
def test_console_navigation_links_the_web_import_CB9(staff_client):
    page = staff_client.get(reverse("chatbot:faq-list")).content.decode()

    assert reverse("chatbot:web-source-list") in page
