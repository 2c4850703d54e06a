"""A system administrator checks operations and downloads the handover export (X-17, X-20, X-21)."""

import pytest
from django.utils import timezone

from civicline.ops import services
from civicline.ops.models import AlertState


@pytest.mark.django_db(transaction=True)
def test_admin_sees_operations_status_and_downloads_the_handover_zip(
    staff_browser, shot, system_admin, ops_settings
):
    services.backup_create()
    services.heartbeat_beat(name="worker-1")
    AlertState.objects.create(key="backup_missing", active=False, message="", resolved_at=timezone.now())
    AlertState.objects.create(
        key="login_failures",
        active=True,
        raised_at=timezone.now(),
        message="直近10分間に管理画面へのログイン失敗が 12 件ありました。",
    )

    page = staff_browser(system_admin)
    page.click("nav >> text=運用状況")
    page.wait_for_selector("text=アクセスログの出力")
    shot(page, "ops-status")
    assert "ログイン失敗が 12 件" in page.inner_text("main")

    page.click("nav >> text=データの引き渡し")
    shot(page, "ops-handover")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_download() as download:
        page.click("text=全データをZIPでダウンロード")
    assert download.value.suggested_filename.endswith(".zip")
