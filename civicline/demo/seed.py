"""Seed the demo city: departments, a system administrator, department staff, feature samples.

Idempotent: a second run changes nothing and prints the same credentials.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicline.core.features import all_features
from civicline.core.models import Department, Staff

# (code, name, notification address) — the system administrator's department comes first.
DEPARTMENTS = [
    ("digital", "デジタル戦略課", "digital@demo-city.example"),
    ("shimin", "市民課", "shimin@demo-city.example"),
    ("kankyo", "環境政策課", "kankyo@demo-city.example"),
    ("doro", "道路管理課", "doro@demo-city.example"),
    ("kikikanri", "危機管理課", "kikikanri@demo-city.example"),
    ("kosodate", "こども相談課", "kosodate@demo-city.example"),
    ("koho", "広報戦略課", "koho@demo-city.example"),
]

# The departments' names as residents of each language read them on cards and pages (issue 21).
DEPARTMENT_NAMES = {
    "digital": (
        "Digital Strategy Division",
        "数字战略课",
        "디지털전략과",
        "Phòng Chiến lược Số",
        "デジタルの かかり",
    ),
    "shimin": (
        "Citizens Affairs Division",
        "市民课",
        "시민과",
        "Phòng Hộ tịch Thị dân",
        "しみんの てつづきの かかり",
    ),
    "kankyo": (
        "Environmental Policy Division",
        "环境政策课",
        "환경정책과",
        "Phòng Chính sách Môi trường",
        "ごみと かんきょうの かかり",
    ),
    "doro": (
        "Road Management Division",
        "道路管理课",
        "도로관리과",
        "Phòng Quản lý Đường bộ",
        "どうろの かかり",
    ),
    "kikikanri": (
        "Crisis Management Division",
        "危机管理课",
        "위기관리과",
        "Phòng Quản lý Khủng hoảng",
        "さいがいに そなえる かかり",
    ),
    "kosodate": (
        "Children's Consultation Division",
        "儿童咨询课",
        "아동상담과",
        "Phòng Tư vấn Trẻ em",
        "こどもの そうだんの かかり",
    ),
    "koho": (
        "Public Relations Division",
        "宣传战略课",
        "홍보전략과",
        "Phòng Quan hệ Công chúng",
        "おしらせの かかり",
    ),
}
NAME_LANGUAGES = ("en", "zh-hans", "ko", "vi", "ja-easy")

# (username, display name, department code, role)
ACCOUNTS = [
    ("admin", "デジタル 太郎", "digital", Staff.Role.SYSTEM_ADMIN),
    ("shimin", "市民 花子", "shimin", Staff.Role.DEPARTMENT_STAFF),
    ("kankyo", "環境 一郎", "kankyo", Staff.Role.DEPARTMENT_STAFF),
    ("doro", "道路 次郎", "doro", Staff.Role.DEPARTMENT_STAFF),
    ("kikikanri", "危機 三郎", "kikikanri", Staff.Role.DEPARTMENT_STAFF),
    ("kosodate", "子育 さくら", "kosodate", Staff.Role.DEPARTMENT_STAFF),
    ("koho", "広報 みどり", "koho", Staff.Role.DEPARTMENT_STAFF),
]


@dataclass(frozen=True)
class Credential:
    username: str
    password: str
    department: str
    role: str
    totp_secret: str  # base32, for an authenticator app


def _password() -> str:
    # Readable yet passes the password rules: three words of letters and digits.
    return "-".join(secrets.token_urlsafe(4) for _ in range(3))


@transaction.atomic
def seed_city(credentials_file: Path) -> list[Credential]:
    known = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
    departments = {}
    for code, name, email in DEPARTMENTS:
        names = {
            language: {"name": text}
            for language, text in zip(NAME_LANGUAGES, DEPARTMENT_NAMES[code], strict=True)
        }
        departments[code], _ = Department.objects.get_or_create(
            code=code, defaults={"name": name, "email": email, "translations": names}
        )
    result = []
    for username, display_name, dept_code, role in ACCOUNTS:
        staff = Staff.objects.filter(username=username).first()
        if staff is None or username not in known:
            password = _password()
            staff = staff or Staff(username=username)
            staff.display_name, staff.department, staff.role = display_name, departments[dept_code], role
            staff.set_password(password)
            staff.save()
            known[username] = password
        device, _ = TOTPDevice.objects.get_or_create(user=staff, name="demo", defaults={"confirmed": True})
        result.append(
            Credential(
                username=username,
                password=known[username],
                department=departments[dept_code].name,
                role=staff.get_role_display(),
                totp_secret=base64.b32encode(device.bin_key).decode(),
            )
        )
    credentials_file.write_text(json.dumps(known, indent=1))
    credentials_file.chmod(0o600)
    for feature in all_features():
        if feature.demo_seed:
            feature.demo_seed()
    return result
