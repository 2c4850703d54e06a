from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from civicline.core.forms import ConsoleForm
from civicline.core.models import Department, Staff
from civicline.core.translations import TranslationsFormMixin

from ..importers import FAQ_FIELDS, GARBAGE_FIELDS, GARBAGE_FORMATS, MAX_FILE_BYTES
from ..models import FaqEntry, GarbageCategory, GarbageItem, ScenarioNode, Status


class DepartmentChoiceMixin:
    """The owning department: chosen by the system administrator, else the staff member's own."""

    def _setup_department(self, staff: Staff, initial: Department | None) -> None:
        if staff.is_system_admin:
            self.fields["department"] = forms.ModelChoiceField(
                label=_("担当課"), queryset=Department.objects.filter(is_active=True), initial=initial
            )
            self.order_fields(["department"])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class FaqForm(DepartmentChoiceMixin, TranslationsFormMixin, ConsoleForm):
    category = forms.CharField(label=_("カテゴリ"), max_length=100, required=False)
    question = forms.CharField(label=_("質問"), max_length=300)
    phrasings = forms.CharField(
        label=_("言い換え"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("同じ質問の別の聞き方を1行に1つ。住民の言葉で書くほど見つかりやすくなります。"),
    )
    answer = forms.CharField(label=_("回答"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    url = forms.URLField(
        label=_("関連ページのURL（任意）"),
        max_length=1000,
        required=False,
        assume_scheme="https",
        help_text=_("市のホームページの詳しい説明のページ。回答の後に「詳しくはこちら」として送ります。"),
    )
    flex = forms.CharField(
        label=_("Flexカード（JSON・任意）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("回答の後に送るFlex Messageの contents（bubble または carousel）。"),
    )
    status = forms.ChoiceField(label=_("状態"), choices=Status.choices, initial=Status.PUBLISHED)

    def __init__(self, *args, staff: Staff, entry: FaqEntry | None = None, **kwargs):
        if entry is not None:
            kwargs.setdefault(
                "initial",
                {
                    "category": entry.category,
                    "question": entry.question,
                    "answer": entry.answer,
                    "url": entry.url,
                    "phrasings": "\n".join(p.text for p in entry.phrasings.all()),
                    "flex": json.dumps(entry.flex, ensure_ascii=False, indent=1) if entry.flex else "",
                    "status": entry.status,
                },
            )
        super().__init__(*args, **kwargs)
        self._setup_department(staff, entry.department if entry else staff.department)
        # Residents of other languages get the answer, and may ask the question, in theirs (issue 21).
        self.translation_fields_add(entry, fields=FaqEntry.TRANSLATED_FIELDS)

    def clean_phrasings(self) -> list[str]:
        lines = _lines(self.cleaned_data["phrasings"])
        if any(len(line) > 300 for line in lines):
            raise forms.ValidationError(_("言い換えは1行300文字までです。"))
        return lines

    def clean_flex(self) -> dict | None:
        text = self.cleaned_data["flex"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("JSONとして読めません: %(error)s") % {"error": exc}) from None
        if not isinstance(value, dict) or value.get("type") not in {"bubble", "carousel"}:
            raise forms.ValidationError(
                _("type が bubble または carousel のオブジェクトを指定してください。")
            )
        return value


class GarbageItemForm(DepartmentChoiceMixin, TranslationsFormMixin, ConsoleForm):
    name = forms.CharField(label=_("品目"), max_length=200)
    reading = forms.CharField(
        label=_("よみがな"),
        max_length=200,
        required=False,
        help_text=_("空欄なら自動で付けます。読みが違うときだけ直してください。"),
    )
    category_name = forms.CharField(label=_("分別区分"), max_length=100)
    how_to = forms.CharField(
        label=_("出し方・注意点"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    note = forms.CharField(label=_("備考"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    fee = forms.CharField(label=_("粗大ごみ手数料"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("状態"), choices=Status.choices, initial=Status.PUBLISHED)

    def __init__(self, *args, staff: Staff, item: GarbageItem | None = None, **kwargs):
        if item is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": item.name,
                    "reading": item.reading,
                    "category_name": item.category.name if item.category else "",
                    "how_to": item.how_to,
                    "note": item.note,
                    "fee": item.fee,
                    "status": item.status,
                },
            )
        super().__init__(*args, **kwargs)
        if item is None:
            self._setup_department(staff, staff.department)
        # The names residents of other languages ask by, and what they are told (issue 21).
        self.translation_fields_add(item, fields=GarbageItem.TRANSLATED_FIELDS)


class CsvImportForm(DepartmentChoiceMixin, ConsoleForm):
    """A CSV to preview before it is imported; the mapping names columns the file calls otherwise."""

    file = forms.FileField(label=_("CSVファイル"), help_text=_("UTF-8 または Shift_JIS、5MB まで。"))
    mapping = forms.CharField(label=_("列の対応（任意）"), max_length=500, required=False)

    def __init__(self, *args, staff: Staff, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_department(staff, staff.department)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("ファイルが大きすぎます（上限 5MB）。"))
        return upload


class GarbageImportForm(CsvImportForm):
    format = forms.ChoiceField(
        label=_("形式"),
        choices=[(key, key) for key in GARBAGE_FORMATS],
        initial="auto",
        help_text=_("auto: 見出しから判別（自治体標準オープンデータセット、5374 の target.csv など）。"),
    )
    field_order = ["department", "file", "format", "mapping"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].help_text = _(
            "見出しから分からないとき。例: name=品名,category=区分,reading=よみ（項目: %(fields)s）"
        ) % {"fields": ", ".join(GARBAGE_FIELDS)}


class FaqImportForm(CsvImportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].help_text = _(
            "見出しから分からないとき。例: question=問,answer=答,url=リンク（項目: %(fields)s）。"
            "使わない列は department= のように空にします。"
        ) % {"fields": ", ".join(FAQ_FIELDS)}
        if "department" in self.fields:
            self.fields["department"].label = _("取り込み先の課")
            self.fields["department"].help_text = _("ファイルに担当課の列がないか、空の行の担当課です。")


class GarbageCategoryForm(TranslationsFormMixin, ConsoleForm):
    # Shown, not edited here (items name their category): the master its translations are of.
    name = forms.CharField(label=_("分別区分"), max_length=100, required=False, disabled=True)
    how_to = forms.CharField(
        label=_("出し方"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, category: GarbageCategory, **kwargs):
        kwargs.setdefault("initial", {"name": category.name, "how_to": category.how_to})
        super().__init__(*args, **kwargs)
        self.translation_fields_add(category, fields=GarbageCategory.TRANSLATED_FIELDS)


class ScenarioNodeForm(DepartmentChoiceMixin, TranslationsFormMixin, ConsoleForm):
    parent = forms.ModelChoiceField(label=_("親の項目"), queryset=ScenarioNode.objects.none(), required=False)
    label = forms.CharField(label=_("ボタンの文言"), max_length=20, help_text=_("20文字まで"))
    answer = forms.CharField(
        label=_("回答"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("空欄なら分類（下に項目を並べる）、入力すれば回答です。"),
    )
    order = forms.IntegerField(label=_("表示順"), min_value=0, initial=0)
    status = forms.ChoiceField(label=_("状態"), choices=Status.choices, initial=Status.PUBLISHED)

    def __init__(self, *args, staff: Staff, parents, node: ScenarioNode | None = None, **kwargs):
        if node is not None:
            kwargs.setdefault(
                "initial",
                {
                    "parent": node.parent_id,
                    "label": node.label,
                    "answer": node.answer,
                    "order": node.order,
                    "status": node.status,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda n: " > ".join(n.path_labels())
        if node is None:
            self._setup_department(staff, staff.department)
        # The buttons and answers residents of other languages read (issue 21).
        self.translation_fields_add(node, fields=ScenarioNode.TRANSLATED_FIELDS)


class AdoptFaqForm(DepartmentChoiceMixin, ConsoleForm):
    question = forms.CharField(label=_("質問"), max_length=300)
    category = forms.CharField(label=_("カテゴリ"), max_length=100, required=False)
    answer = forms.CharField(label=_("回答"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, staff: Staff, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_department(staff, staff.department)


class AdoptPhrasingForm(ConsoleForm):
    entry = forms.ModelChoiceField(label=_("言い換えとして追加するQ&A"), queryset=FaqEntry.objects.none())

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = entries


class WebSourceForm(DepartmentChoiceMixin, ConsoleForm):
    page_urls = forms.CharField(
        label=_("ページのURL"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("よくある質問のページのURLを1行に1つ（100件まで）。"),
    )
    sitemap_url = forms.CharField(
        label=_("サイトマップのURL（任意）"),
        max_length=1000,
        required=False,
        help_text=_("sitemap.xml に載っているページをまとめて読みます（300ページまで）。"),
    )
    url_filter = forms.CharField(
        label=_("URLに含む文字（任意）"),
        max_length=200,
        required=False,
        help_text=_("サイトマップのうち、URLにこの文字を含むページだけを読みます。例: /faq/"),
    )

    def __init__(self, *args, staff: Staff, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_department(staff, staff.department)

    def clean_page_urls(self) -> list[str]:
        return _lines(self.cleaned_data["page_urls"])


class WebEntryForm(ConsoleForm):
    category = forms.CharField(label=_("カテゴリ"), max_length=100, required=False)
    question = forms.CharField(label=_("質問"), max_length=300)
    answer = forms.CharField(label=_("回答"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8}))
