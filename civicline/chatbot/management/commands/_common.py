"""What the chatbot's bulk commands share: picking the owning department, reporting a result."""

from __future__ import annotations

import json
from typing import TextIO

from django.core.management.base import CommandError

from civicline.chatbot.import_plan import ImportPlan
from civicline.core.models import Department, Staff

ACTOR_LABEL = "コマンド"
SHOWN_REFUSED = 50  # refused rows printed as text; --json lists them all


def department_option(code: str | None) -> Department:
    """The department named by ``--department`` (code or name), else the system administrator's."""
    if code:
        department = (
            Department.objects.filter(code=code).first() or Department.objects.filter(name=code).first()
        )
        if department is None:
            raise CommandError(
                f"課「{code}」が見つかりません。--department に課コードか課名を指定してください。"
            )
        return department
    admin = (
        Staff.objects.filter(role=Staff.Role.SYSTEM_ADMIN, department__isnull=False).order_by("pk").first()
    )
    if admin is not None:
        return admin.department
    only = list(Department.objects.all()[:2])
    if len(only) == 1:
        return only[0]
    raise CommandError("担当課を決められません。--department に課コードを指定してください。")


def add_preview_options(parser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="取り込まずに、新規・更新・変更なしの件数と取り込めない行（行番号と理由）を表示します",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="結果を JSON で出力します"
        '（{"rows", "new", "changed", "unchanged", "refused": [{"line", "reason"}]}）',
    )


def write_json(out: TextIO, plan: ImportPlan) -> None:
    out.write(json.dumps(plan.as_json(), ensure_ascii=False))


def write_preview(out: TextIO, plan: ImportPlan, *, heading: str) -> None:
    """The preview as staff read it in a terminal: counts, the columns read, every refused row."""
    counts = plan.counts()
    line = (
        f"{heading}: {counts['rows']} 行のうち 新規 {counts['new']} 件、更新 {counts['changed']} 件、"
        f"変更なし {counts['unchanged']} 件、取り込めない行 {counts['refused']} 件"
    )
    if counts["drafts"]:
        line += f"（分別区分が空の {counts['drafts']} 件は下書き）"
    out.write(line)
    out.write("読み取った列: " + "、".join(f"{label}←{header}" for label, header in plan.columns()))
    if plan.merged:
        out.write("まとめた行:")
        for merged in plan.merged[:SHOWN_REFUSED]:
            out.write(f"  {merged.line} 行目: {merged.message}")
    if plan.refused:
        out.write("取り込めない行:")
        for refused in plan.refused[:SHOWN_REFUSED]:
            out.write(f"  {refused.line} 行目: {refused.reason}")
        if len(plan.refused) > SHOWN_REFUSED:
            out.write(f"  ほか {len(plan.refused) - SHOWN_REFUSED} 行（--json ですべて出力できます）")
    out.write("（--dry-run のため何も変更していません）")


def refused_error(errors: list[str]) -> CommandError:
    return CommandError(
        "取り込みを中止しました（何も変更していません）:\n" + "\n".join(errors[:SHOWN_REFUSED])
    )
