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
        "test_staff_send_a_flex_draft_to_their_test_device_and_see_it_on_the_phone",
        "01-register-device.png",
    ),
    "preview-flex-on-phone": (
        "test_staff_send_a_flex_draft_to_their_test_device_and_see_it_on_the_phone",
        "04-flex-on-the-phone.png",
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
