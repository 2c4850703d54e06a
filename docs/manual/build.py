"""Rebuild the staff manual's screenshots from the browser tests (X-21).

    .venv/bin/python docs/manual/build.py            # run the browser tests, then copy their screenshots
    .venv/bin/python docs/manual/build.py --no-run   # only copy what test-output/ already holds

The chapters (*.md beside this file) show images/<name>.png; SCREENSHOTS below says which browser
test's screenshot each one is, so every picture in the manual is the current UI.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "test-output" / "screenshots"
IMAGES = Path(__file__).resolve().parent / "images"

# manual image name -> (browser test's screenshot folder, file)
SCREENSHOTS = {
    "console-home": ("test_staff_logs_in_with_password_and_code_and_finds_their_audit_log", "01-home.png"),
    "audit-log": ("test_staff_logs_in_with_password_and_code_and_finds_their_audit_log", "02-audit-log.png"),
    "preview-device": (
        "test_staff_pair_their_phone_then_send_a_flex_draft_to_it_and_see_it_on_the_phone",
        "02-pairing-code.png",
    ),
    "preview-paired-on-phone": (
        "test_staff_pair_their_phone_then_send_a_flex_draft_to_it_and_see_it_on_the_phone",
        "03-paired-on-the-phone.png",
    ),
    "preview-flex-on-phone": (
        "test_staff_pair_their_phone_then_send_a_flex_draft_to_it_and_see_it_on_the_phone",
        "07-flex-on-the-phone.png",
    ),
    "chatbot-garbage": (
        "test_resident_asks_garbage_and_faq_and_staff_teach_the_unknown_question",
        "01-garbage-answer.png",
    ),
    "chatbot-candidates": (
        "test_resident_asks_garbage_and_faq_and_staff_teach_the_unknown_question",
        "02-faq-candidates.png",
    ),
    "chatbot-adopt": (
        "test_resident_asks_garbage_and_faq_and_staff_teach_the_unknown_question",
        "04-adopt-form.png",
    ),
    "chatbot-insights": (
        "test_resident_asks_garbage_and_faq_and_staff_teach_the_unknown_question",
        "05-insights-after.png",
    ),
    "facilities-import-errors": (
        "test_staff_import_a_broken_file_then_the_fixed_one",
        "01-preview-with-errors.png",
    ),
    "facilities-import-ready": ("test_staff_import_a_broken_file_then_the_fixed_one", "02-preview-ready.png"),
    "facilities-board": (
        "test_resident_finds_open_shelters_and_staff_close_one",
        "04-staff-closed-a-shelter.png",
    ),
    "facilities-talk": (
        "test_resident_finds_open_shelters_and_staff_close_one",
        "01-talk-nearest-open-shelters.png",
    ),
    "facilities-map": (
        "test_map_page_in_a_phone_browser_lists_facilities_without_tiles",
        "03-wide-map-beside-list.png",
    ),
    "reservations-resident-calendar": (
        "test_a_resident_books_on_the_phone_sees_it_cancels_from_line_and_staff_and_mail_follow",
        "02-calendar.png",
    ),
    "reservations-staff-calendar": (
        "test_a_resident_books_on_the_phone_sees_it_cancels_from_line_and_staff_and_mail_follow",
        "09-staff-calendar-booked.png",
    ),
    "conversations-inbox": (
        "test_a_resident_asks_for_a_person_and_the_right_department_answers_in_the_talk",
        "03-inbox.png",
    ),
    "conversations-thread": (
        "test_a_resident_asks_for_a_person_and_the_right_department_answers_in_the_talk",
        "04-conversation.png",
    ),
    "conversations-confirm": (
        "test_a_resident_asks_for_a_person_and_the_right_department_answers_in_the_talk",
        "05-confirm.png",
    ),
    "ops-status": ("test_admin_sees_operations_status_and_downloads_the_handover_zip", "01-ops-status.png"),
    "ops-handover": (
        "test_admin_sees_operations_status_and_downloads_the_handover_zip",
        "02-ops-handover.png",
    ),
    "reports-staff-inbox": (
        "test_a_resident_reports_with_two_photos_and_a_pin_and_only_they_get_the_reply",
        "07-staff-inbox.png",
    ),
    "reports-staff-detail": (
        "test_a_resident_reports_with_two_photos_and_a_pin_and_only_they_get_the_reply",
        "08-staff-detail.png",
    ),
    "reports-reply-confirm": (
        "test_a_resident_reports_with_two_photos_and_a_pin_and_only_they_get_the_reply",
        "11-staff-reply-confirm.png",
    ),
    "richmenu-editor": (
        "test_staff_build_preview_and_publish_a_nine_tile_menu_and_a_resident_taps_across_tabs",
        "01-editor-tab-a.png",
    ),
    "richmenu-resident": (
        "test_staff_build_preview_and_publish_a_nine_tile_menu_and_a_resident_taps_across_tabs",
        "07-resident-tab-a.png",
    ),
    "richmenu-emergency": (
        "test_staff_switch_the_emergency_menu_on_and_every_residents_phone_shows_it",
        "02-emergency-switched-on.png",
    ),
    "delivery-settings": (
        "test_a_resident_registers_on_the_phone_and_only_matching_people_get_the_scheduled_delivery",
        "03-settings-filled.png",
    ),
    "delivery-segments": (
        "test_a_resident_registers_on_the_phone_and_only_matching_people_get_the_scheduled_delivery",
        "05-segments.png",
    ),
    "delivery-compose": (
        "test_a_resident_registers_on_the_phone_and_only_matching_people_get_the_scheduled_delivery",
        "06-compose.png",
    ),
    "delivery-progress": (
        "test_a_resident_registers_on_the_phone_and_only_matching_people_get_the_scheduled_delivery",
        "12-progress.png",
    ),
    "survey-builder": (
        "test_staff_build_and_send_a_branching_survey_residents_answer_and_staff_analyse",
        "02-staff-builder-branch.png",
    ),
    "survey-results": (
        "test_staff_build_and_send_a_branching_survey_residents_answer_and_staff_analyse",
        "12-staff-results.png",
    ),
    "survey-crosstab": (
        "test_staff_build_and_send_a_branching_survey_residents_answer_and_staff_analyse",
        "13-staff-crosstab.png",
    ),
    "comment-submissions": (
        "test_a_comment_half_in_the_talk_half_in_liff_gets_a_receipt_and_staff_reply_to_that_submitter",
        "11-staff-submissions.png",
    ),
    "comment-talk": (
        "test_a_comment_half_in_the_talk_half_in_liff_gets_a_receipt_and_staff_reply_to_that_submitter",
        "02-talk-first-question.png",
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="do not run the browser tests first")
    options = parser.parse_args()
    if not options.no_run:
        subprocess.run(
            [sys.executable, "-m", "pytest", "tests/browser", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            check=True,
        )
    IMAGES.mkdir(exist_ok=True)
    missing = []
    for name, (folder, file) in SCREENSHOTS.items():
        source = SOURCE / folder / file
        if source.exists():
            shutil.copyfile(source, IMAGES / f"{name}.png")
        else:
            missing.append(f"{name}: {folder}/{file}")
    print(f"{len(SCREENSHOTS) - len(missing)} screenshots copied to {IMAGES.relative_to(ROOT)}")
    for line in missing:
        print(f"missing (test renamed or its screenshot changed?): {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
