"""City facilities on the map (MP-1), the datasets departments import them from (MP-2), and
shelters' disaster kinds and open/closed status for emergencies (MP-4).

Facilities belong to a department: each department maintains (imports, edits) only its own.
Categories and the city-wide emergency state belong to the city as a whole.
"""

from __future__ import annotations

import secrets
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicline.core.crypto import EncryptedJSONField, EncryptedTextField
from civicline.core.models import Department, Staff
from civicline.core.scoping import DepartmentScopedQuerySet
from civicline.core.translations import TranslationsField


class DisasterKind(models.TextChoices):
    """The eight kinds of disaster a 指定緊急避難場所 is designated for (災害対策基本法, GSI data)."""

    FLOOD = "flood", _("洪水")
    LANDSLIDE = "landslide", _("崖崩れ・土石流・地滑り")
    STORM_SURGE = "storm_surge", _("高潮")
    EARTHQUAKE = "earthquake", _("地震")
    TSUNAMI = "tsunami", _("津波")
    FIRE = "fire", _("大規模な火事")
    INLAND_FLOOD = "inland_flood", _("内水氾濫")
    VOLCANO = "volcano", _("火山現象")


# (key, name, icon, colour, is_shelter, order): the categories MP-1 names; the city may add more.
STANDARD_CATEGORIES = [
    ("shelter", "避難所", "避", "#d93025", True, 10),
    ("evacuation_space", "指定緊急避難場所", "緊", "#e8710a", True, 20),
    ("childcare", "保育所・幼稚園", "保", "#c2185b", False, 30),
    ("school", "学校", "学", "#1a73e8", False, 40),
    ("city", "市施設", "市", "#188038", False, 50),
]


class FacilityCategory(models.Model):
    """A kind of facility on the map (避難所, 学校…), with the colour and glyph of its marker."""

    key = models.SlugField(_("識別子"), max_length=40, unique=True)
    name = models.CharField(_("分類名"), max_length=60, unique=True)
    # One or two characters drawn inside the marker: readable without an icon font or image.
    icon = models.CharField(
        _("アイコン文字"), max_length=2, help_text=_("地図の印に表示する1〜2文字（例: 避）")
    )
    colour = models.CharField(
        _("色"),
        max_length=7,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("色は #RRGGBB の形式で入力してください。"))],
    )
    is_shelter = models.BooleanField(
        _("避難先"),
        default=False,
        help_text=_("開設状況と対象の災害種別を管理し、近くの避難所の検索に含めます。"),
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    # The name in residents' other languages (the map's filter chips) (issue 21).
    translations = TranslationsField()
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("name",)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("施設の分類")
        verbose_name_plural = _("施設の分類")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def ensure_standard(cls, model: type[models.Model] | None = None) -> None:
        """Create the standard categories that are missing (a migration passes its historical model)."""
        for key, name, icon, colour, is_shelter, order in STANDARD_CATEGORIES:
            (model or cls).objects.get_or_create(
                key=key,
                defaults={
                    "name": name,
                    "icon": icon,
                    "colour": colour,
                    "is_shelter": is_shelter,
                    "order": order,
                },
            )


class FacilityDataset(models.Model):
    """One open-data list a department keeps (e.g. its 指定避難所一覧) and imports again when it changes.

    A re-import replaces the dataset's facilities: rows matched on the dataset's ID column are
    updated, new ones added, and those missing from the file removed.
    """

    class Kind(models.TextChoices):
        PUBLIC_FACILITIES = "public_facilities", _("公共施設一覧")
        EVACUATION_SPACES = "evacuation_spaces", _("指定緊急避難場所一覧")
        SHELTERS = "shelters", _("指定避難所一覧")
        CHILDCARE = "childcare", _("子育て施設一覧")

    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("データセット名"), max_length=100)
    # How operators name the dataset on the command line (import_facilities --dataset CODE).
    code = models.SlugField(
        _("識別子"),
        max_length=50,
        blank=True,
        help_text=_("コマンドで取り込むときの名前（半角英数字・ハイフン。例: hinanjo）。省略できます。"),
    )
    kind = models.CharField(_("データセットの種類"), max_length=30, choices=Kind.choices)
    category = models.ForeignKey(
        FacilityCategory, verbose_name=_("施設の分類"), on_delete=models.PROTECT, related_name="datasets"
    )
    attribution = models.CharField(
        _("出典"), max_length=200, blank=True, help_text=_("地図に表示します（例: 出典 国土地理院）。")
    )
    # The header of the last imported file, so that the export gives back the same columns.
    columns = models.JSONField(default=list, blank=True)
    # How the last import told facilities apart ("column:<name>" or "derived"): the next import
    # prefers the same, so that facilities keep their identity (and shelters their status).
    key_source = models.CharField(max_length=120, blank=True)
    imported_at = models.DateTimeField(_("最終取り込み"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["department", "name"]
        verbose_name = _("データセット")
        verbose_name_plural = _("データセット")
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="facilities_dataset_name"),
            models.UniqueConstraint(
                fields=["code"],
                condition=~models.Q(code=""),
                name="facilities_dataset_code",
                violation_error_message=_("この識別子は別のデータセットで使われています。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        FacilityCategory, verbose_name=_("分類"), on_delete=models.PROTECT, related_name="facilities"
    )
    # Null for a facility entered by hand in the console; imports never touch those.
    dataset = models.ForeignKey(
        FacilityDataset,
        verbose_name=_("データセット"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="facilities",
    )
    dataset_key = models.CharField(_("データセットのID"), max_length=100, blank=True)
    name = models.CharField(_("名称"), max_length=200)
    kana = models.CharField(_("名称（カナ）"), max_length=200, blank=True)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    latitude = models.FloatField(_("緯度"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("経度"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    phone = models.CharField(_("電話番号"), max_length=50, blank=True)
    hours = models.CharField(_("利用時間"), max_length=500, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    capacity = models.PositiveIntegerField(_("収容人数・定員"), null=True, blank=True)
    accessibility = models.TextField(_("バリアフリー情報"), blank=True)
    description = models.TextField(_("説明"), blank=True)
    notes = models.TextField(_("備考"), blank=True)
    # The source row's other columns (方書, 標高, 法人番号…), kept so that an export round-trips.
    extra = models.JSONField(default=dict, blank=True)
    # What residents read on the map, the shelter list and the talk's shelter cards, in their
    # language (issue 21); kana and notes are for staff and Japanese readers only.
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("name", "address", "hours", "accessibility", "description")

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kana", "name", "pk"]
        verbose_name = _("施設")
        verbose_name_plural = _("施設")
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "dataset_key"],
                condition=models.Q(dataset__isnull=False),
                name="facilities_facility_dataset_key",
            )
        ]
        indexes = [models.Index(fields=["latitude", "longitude"])]

    def __str__(self) -> str:
        return self.name

    @property
    def kinds(self) -> list[str]:
        """The disaster kinds it is a shelter for, as its audit entries record them.

        Read from the database each time: a service changes the shelter row through another object
        than the one cached here, and the entry must show what was saved.
        """
        shelter = Shelter.objects.filter(facility_id=self.pk).first() if self.pk else None
        return sorted(kind.value for kind in shelter.kinds) if shelter is not None else []


def new_checkin_key() -> str:
    return secrets.token_urlsafe(12)


class Shelter(models.Model):
    """What a facility in a shelter category has besides: disaster kinds covered and its status.

    A disaster-kind field is True where the facility is designated for that kind. A shelter with
    none set (指定避難所 lists carry no kinds) is not restricted to any kind.
    """

    class Status(models.TextChoices):
        CLOSED = "closed", _("未開設")
        OPEN = "open", _("開設中")
        CROWDED = "crowded", _("混雑")  # open, and filling up (set from check-ins)
        FULL = "full", _("満員")

    # Residents may be sent here: 混雑 is still open (the search lists it after nearer ones' status).
    RECEIVING = (Status.OPEN, Status.CROWDED)

    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, related_name="shelter")
    flood = models.BooleanField(DisasterKind.FLOOD.label, default=False)
    landslide = models.BooleanField(DisasterKind.LANDSLIDE.label, default=False)
    storm_surge = models.BooleanField(DisasterKind.STORM_SURGE.label, default=False)
    earthquake = models.BooleanField(DisasterKind.EARTHQUAKE.label, default=False)
    tsunami = models.BooleanField(DisasterKind.TSUNAMI.label, default=False)
    fire = models.BooleanField(DisasterKind.FIRE.label, default=False)
    inland_flood = models.BooleanField(DisasterKind.INLAND_FLOOD.label, default=False)
    volcano = models.BooleanField(DisasterKind.VOLCANO.label, default=False)
    status = models.CharField(_("開設状況"), max_length=10, choices=Status.choices, default=Status.CLOSED)
    status_changed_at = models.DateTimeField(_("状況の更新日時"), null=True, blank=True)
    # In the QR code of the shelter's poster: check-in links are not guessable from the shelter's id.
    checkin_key = models.CharField(max_length=32, unique=True, default=new_checkin_key, editable=False)

    objects = DepartmentScopedQuerySet.as_manager()
    scope_department_field = "facility__department"

    class Meta:
        verbose_name = _("避難先の状況")
        verbose_name_plural = _("避難先の状況")
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return str(self.facility)

    @property
    def kinds(self) -> list[DisasterKind]:
        return [kind for kind in DisasterKind if getattr(self, kind.value)]


class Need(models.TextChoices):
    """What a household arriving at a shelter needs help with (asked at check-in)."""

    WHEELCHAIR = "wheelchair", _("車いす")
    ALLERGY = "allergy", _("食物アレルギー")
    PETS = "pets", _("ペット同伴")
    MEDICAL = "medical", _("医療的ケア")


class ShelterCheckIn(models.Model):
    """A resident's household at a shelter, from the poster's QR code (LIFF) until they leave.

    One open check-in per resident (a partial unique constraint): checking in elsewhere checks out
    of the first, so nobody is counted twice. The needs and the note are personal data: sealed,
    shown only to the department keeping the shelter and the system administrator (X-1, X-4).
    """

    shelter = models.ForeignKey(Shelter, on_delete=models.CASCADE, related_name="checkins")
    friend = models.ForeignKey("line.Friend", on_delete=models.CASCADE, related_name="+")
    household_size = models.PositiveSmallIntegerField(
        _("人数"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    needs = EncryptedJSONField(_("必要な配慮"), default=list, blank=True)
    note = EncryptedTextField(_("伝えたいこと"), blank=True)
    checked_in_at = models.DateTimeField(_("到着"))
    checked_out_at = models.DateTimeField(_("退所"), null=True, blank=True)

    objects = DepartmentScopedQuerySet.as_manager()
    scope_department_field = "shelter__facility__department"

    class Meta:
        ordering = ["-checked_in_at", "-pk"]
        verbose_name = _("避難所の受付")
        verbose_name_plural = _("避難所の受付")
        constraints = [
            models.UniqueConstraint(
                fields=["friend"],
                condition=models.Q(checked_out_at__isnull=True),
                name="facilities_one_open_checkin",
            )
        ]
        indexes = [models.Index(fields=["shelter", "checked_out_at"])]

    def __str__(self) -> str:
        return f"check-in {self.pk} at shelter {self.shelter_id}"

    @property
    def need_labels(self) -> list[str]:
        return [str(Need(n).label) for n in self.needs or [] if n in Need.values]


class FacilityImport(models.Model):
    """An uploaded file between its preview and its application (the file is kept until applied)."""

    dataset = models.ForeignKey(FacilityDataset, on_delete=models.CASCADE, related_name="imports")
    # Null for a file imported by an operator's command (the audit log names the command).
    uploaded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    filename = models.CharField(_("ファイル名"), max_length=255)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(_("反映日時"), null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    objects = DepartmentScopedQuerySet.as_manager()
    scope_department_field = "dataset__department"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("取り込み")
        verbose_name_plural = _("取り込み")

    def __str__(self) -> str:
        return self.filename


def new_revision() -> str:
    return uuid.uuid4().hex


class MapState(models.Model):
    """The one row of city-wide state: the disaster under way, and the map data's revision.

    ``revision`` is renewed with every change to facilities, categories or statuses (in the same
    transaction), so every web process knows when its cached map data is stale. It is random, not
    a counter, so that a restored backup or a rolled-back change never meets a cache entry made
    for another state under the same number.
    """

    disaster_kind = models.CharField(
        _("現在の災害種別"), max_length=20, choices=DisasterKind.choices, blank=True
    )
    disaster_kind_changed_at = models.DateTimeField(null=True, blank=True)
    revision = models.CharField(max_length=32, default=new_revision)

    class Meta:
        verbose_name = _("地図の状態")

    def __str__(self) -> str:
        return self.get_disaster_kind_display() or str(_("平常時"))

    @classmethod
    def current(cls) -> MapState:
        state, _created = cls.objects.get_or_create(pk=1)
        return state
