from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import services
from civicline.chatbot.models import WebSource, WebSync
from civicline.core.audit import audit_context

from ._common import ACTOR_LABEL, department_option


class Command(BaseCommand):
    help = (
        "市のホームページのよくある質問ページから Q&A を読み込み、確認待ち（下書き）にします。"
        "同じ URL で再び実行すると、サイトで変わったところが確認待ちになります。"
    )

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="*", metavar="URL", help="よくある質問のページの URL")
        parser.add_argument("--sitemap", default="", help="サイトマップ（sitemap.xml）の URL")
        parser.add_argument("--filter", default="", help="サイトマップのうち URL にこの文字を含むページだけ")
        parser.add_argument("--department", help="取り込んだ Q&A の担当課（省略時: システム管理者の課）")

    def handle(self, *args, **options):
        department = department_option(options["department"])
        urls = list(dict.fromkeys(options["urls"]))
        # The same pages again are the same source: this run is a re-sync showing what changed.
        source = WebSource.objects.filter(
            department=department,
            page_urls=urls,
            sitemap_url=options["sitemap"],
            url_filter=options["filter"],
        ).first()
        try:
            with audit_context(actor_label=ACTOR_LABEL):
                if source is None:
                    source = services.web_source_create(
                        actor=None,
                        department=department,
                        page_urls=urls,
                        sitemap_url=options["sitemap"],
                        url_filter=options["filter"],
                    )
                sync = services.web_sync_start(actor=None, source=source, enqueue=False)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        sync = services.web_sync_run(sync_id=sync.pk)
        for page in sync.pages:
            outcome = page["error"] or f"{page['found']} 件"
            self.stdout.write(f"{page['url']}: {outcome}")
        if sync.status == WebSync.Status.FAILED:
            raise CommandError(sync.error)
        self.stdout.write(
            f"新規 {sync.n_new} 件、変更 {sync.n_changed} 件、サイトから削除 {sync.n_removed} 件、"
            f"変更なし {sync.n_unchanged} 件。"
            "管理画面の「ウェブから Q&A 取り込み」で確認して反映してください。"
        )
