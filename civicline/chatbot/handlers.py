"""The chatbot in the talk screen (CB-1, CB-2, CB-5).

Any text no other feature claimed is a question: a confident answer is sent at once, otherwise up
to five candidate questions as quick replies, otherwise a polite "分かりませんでした" with ways to go
on. Every answer asks "解決しましたか？" and the resident's tap is kept with the question's log.
Postbacks: ``feature=chatbot&action=answer&kind=faq&id=…&log=…`` (a candidate tapped),
``action=feedback&log=…&resolved=1|0``, ``action=scenario[&node=…]`` (the scenario tree).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.features import all_features
from civicline.line import registry
from civicline.line.registry import LineContext

from . import multilingual, search, services
from .models import FaqEntry, GarbageItem, ScenarioNode, Status

FEATURE = "chatbot"
QUICK_REPLY_LABEL = 20  # LINE's limit for a quick reply button's label
MAX_QUICK_REPLIES = 13
MAX_TEXT = 5000  # LINE's limit for a text message
# Below every other feature's text patterns: the chatbot answers whatever nobody else took.
PRIORITY = 1000
# A chip's own words typed instead of tapped (「分野から探す」) do what the chip does.
BROWSE_TEXT = r"^(?:分野から探す|分野で探す|分野から|メニューから探す)(?:（よくある質問）)?[。．.!！\s]*$"
CONTACT_TEXT = r"^(?:お?問い?合わ?せ先|連絡先|問合せ先|問い合わせ窓口)(?:を教えて\w*|は\w*)?[。．.!！?？\s]*$"
CHIP_PRIORITY = 900


def _data(action: str, **params: Any) -> str:
    return urlencode({"feature": FEATURE, "action": action, **params})


def _label(text: str) -> str:
    return text if len(text) <= QUICK_REPLY_LABEL else text[: QUICK_REPLY_LABEL - 1] + "…"


def _postback(label: str, data: str, display: str | None = None) -> dict[str, Any]:
    action = {"type": "postback", "label": _label(label), "data": data}
    if display:
        action["displayText"] = display[:300]
    return {"type": "action", "action": action}


def _with_quick_replies(message: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {**message, "quickReply": {"items": items[:MAX_QUICK_REPLIES]}} if items else message


def _feedback_items(log_id: int) -> list[dict[str, Any]]:
    return [
        _postback(_("解決した"), _data("feedback", log=log_id, resolved=1), _("解決した")),
        _postback(_("解決しなかった"), _data("feedback", log=log_id, resolved=0), _("解決しなかった")),
    ]


# The conversations feature's own postback (its menu tile's): what the chip does in any language.
ASK_STAFF_POSTBACK = "feature=conversations&action=start"


def _ask_staff_item() -> dict[str, Any]:
    text = _("職員と話したい")
    if languages.current() == languages.JAPANESE or not any(
        feature.key == "conversations" for feature in all_features()
    ):
        # Sent as the resident's own text, so that whichever feature answers 「職員と話したい」 takes it.
        return {"type": "action", "action": {"type": "message", "label": _label(text), "text": text}}
    # In another language (やさしい日本語 too) the words sent would be ones only Japanese patterns
    # look for in vain: the conversations feature is asked directly (issue 21).
    return _postback(text, ASK_STAFF_POSTBACK, text)


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text[:MAX_TEXT]}


# --- answers ------------------------------------------------------------------------------------


def oversized_garbage_url() -> str:
    """Where residents book an oversized-garbage pickup (the reservations feature by default)."""
    return settings.CHATBOT_OVERSIZED_GARBAGE_URL or f"{settings.SITE_URL}/liff/reservations/"


def garbage_messages(item: GarbageItem) -> list[dict[str, Any]]:
    """The item's category and how to put it out, in the resident's language where staff wrote it."""
    category = item.category
    shown = multilingual.shown
    lines = [
        _("「%(name)s」は【%(category)s】です。")
        % {
            "name": shown(item, "name", mark=False),
            "category": shown(category, "name", mark=False) if category else "―",
        }
    ]
    if category and category.how_to:
        lines.append(_("出し方: %(how)s") % {"how": shown(category, "how_to")})
    if item.how_to:
        lines.append(_("注意: %(how)s") % {"how": shown(item, "how_to")})
    if item.note:
        lines.append(shown(item, "note"))
    if item.fee:
        lines.append(_("手数料: %(fee)s") % {"fee": item.fee})
    messages = [_text("\n".join(lines))]
    if category and category.is_oversized:
        messages.append(
            {
                "type": "template",
                "altText": _("粗大ごみの収集を予約する"),
                "template": {
                    "type": "buttons",
                    "text": _("粗大ごみの収集は予約制です。"),
                    "actions": [
                        {"type": "uri", "label": _("収集を予約する"), "uri": oversized_garbage_url()}
                    ],
                },
            }
        )
    return messages


def faq_answer_text(entry: FaqEntry) -> str:
    """The answer, and the city's page about it: the page is kept whole, the answer cut if need be."""
    answer = multilingual.answer(entry)
    if not entry.url:
        return answer
    more = "\n\n" + _("詳しくはこちら: %(url)s") % {"url": entry.url}
    return answer[: MAX_TEXT - len(more)] + more


def faq_messages(entry: FaqEntry) -> list[dict[str, Any]]:
    messages = [_text(faq_answer_text(entry))]
    if entry.flex:
        question = multilingual.shown(entry, "question", mark=False)
        messages.append({"type": "flex", "altText": question[:400], "contents": entry.flex})
    return messages


def scenario_messages(node: ScenarioNode) -> list[dict[str, Any]]:
    return [_text(multilingual.answer(node))]


def published_entry(kind: str, pk: int) -> FaqEntry | GarbageItem | ScenarioNode | None:
    """The published entry a candidate points to (gone or unpublished since: None)."""
    if kind == "faq":
        return FaqEntry.objects.filter(pk=pk, status=Status.PUBLISHED).first()
    if kind == "garbage":
        return GarbageItem.objects.filter(pk=pk, status=Status.PUBLISHED).select_related("category").first()
    if kind == "scenario":
        return ScenarioNode.objects.filter(pk=pk, status=Status.PUBLISHED).exclude(answer="").first()
    return None


def answer_messages(entry: FaqEntry | GarbageItem | ScenarioNode) -> list[dict[str, Any]]:
    if isinstance(entry, FaqEntry):
        return faq_messages(entry)
    if isinstance(entry, GarbageItem):
        return garbage_messages(entry)
    return scenario_messages(entry)


def _reply_answer(ctx: LineContext, messages: list[dict[str, Any]], log_id: int) -> None:
    *first, last = messages
    ctx.reply([*first, _with_quick_replies(last, _feedback_items(log_id))])


def _not_understood(ctx: LineContext) -> None:
    ctx.reply(
        _with_quick_replies(
            _text(
                _(
                    "申し訳ありません、分かりませんでした。\n"
                    "別の言葉で質問していただくか、下のボタンからお探しください。"
                    "ごみの出し方は「電池」「ソファー」のように品目の名前だけでも調べられます。"
                )
            ),
            [
                _postback(_("分野から探す"), _data("scenario"), _("分野から探す")),
                _postback(_("問い合わせ先"), _data("contact"), _("問い合わせ先")),
                _ask_staff_item(),
            ],
        )
    )


# --- handlers -----------------------------------------------------------------------------------


def on_question(ctx: LineContext) -> None:
    if search.current_index().is_empty:
        # A city that has not filled the chatbot yet keeps the account's usual reply.
        default = registry.current().default_reply("message")
        if default is not None:
            ctx.reply(default(ctx))
        return
    asked = services.question_ask(text=ctx.text or "", user_id=ctx.user_id)
    ranking, log = asked.ranking, asked.log
    if ranking.confident and ranking.best is not None:
        entry = published_entry(ranking.best.kind, ranking.best.id)
        if entry is not None:
            _reply_answer(ctx, answer_messages(entry), log.pk)
            return
    candidates = [c for c in ranking.candidates if c.score >= search.CANDIDATE_THRESHOLD]
    if not candidates:
        _not_understood(ctx)
        return
    titles = multilingual.titles(candidates)
    lines = [_("お探しの内容は次のどれですか？")]
    lines.extend(f"{number}. {titles[c.kind, c.id]}" for number, c in enumerate(candidates, start=1))
    items = []
    for c in candidates:
        title = titles[c.kind, c.id]
        items.append(_postback(title, _data("answer", kind=c.kind, id=c.id, log=log.pk), title))
    items.append(_postback(_("どれでもない"), _data("feedback", log=log.pk, resolved=0), _("どれでもない")))
    ctx.reply(_with_quick_replies(_text("\n".join(lines)), items))


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def on_answer(ctx: LineContext) -> None:
    params = ctx.postback.params if ctx.postback else {}
    pk, log_id = _int(params.get("id")), _int(params.get("log"))
    entry = published_entry(params.get("kind", "faq"), pk) if pk is not None else None
    if entry is None:
        ctx.reply(_text(_("この回答は現在ご案内できません。お手数ですが、もう一度ご質問ください。")))
        return
    if log_id is None:
        ctx.reply(answer_messages(entry))
        return
    services.question_answered(log_id=log_id, user_id=ctx.user_id, entry=entry)
    _reply_answer(ctx, answer_messages(entry), log_id)


def on_feedback(ctx: LineContext) -> None:
    params = ctx.postback.params if ctx.postback else {}
    log_id, resolved = _int(params.get("log")), params.get("resolved") == "1"
    if log_id is not None:
        services.question_feedback(log_id=log_id, user_id=ctx.user_id, resolved=resolved)
    if resolved:
        ctx.reply(_text(_("ご利用ありがとうございました。")))
        return
    ctx.reply(
        _with_quick_replies(
            _text(
                _(
                    "お役に立てず申し訳ありません。いただいた質問は今後の回答づくりに活用します。"
                    "別の言葉で質問するか、分野から探してください。"
                )
            ),
            [
                _postback(_("分野から探す"), _data("scenario"), _("分野から探す")),
                _postback(_("問い合わせ先"), _data("contact"), _("問い合わせ先")),
                _ask_staff_item(),
            ],
        )
    )


def on_scenario(ctx: LineContext) -> None:
    params = ctx.postback.params if ctx.postback else {}
    node_id = _int(params.get("node"))
    published = ScenarioNode.objects.filter(status=Status.PUBLISHED)
    node = published.filter(pk=node_id).first() if node_id is not None else None
    children = list(published.filter(parent=node))
    if node is not None and not children and node.answer:
        log = services.question_ask_scenario(node=node, user_id=ctx.user_id)
        _reply_answer(ctx, scenario_messages(node), log.pk)
        return
    if not children:
        ctx.reply(_text(_("ご案内できる項目がありません。")))
        return
    if node is None:
        prompt = _("知りたい分野を選んでください。")
    else:
        prompt = _("「%(label)s」のどれについてですか？") % {
            "label": multilingual.shown(node, "label", mark=False)
        }
    items = []
    for child in children:
        label = multilingual.shown(child, "label", mark=False)
        items.append(_postback(label, _data("scenario", node=child.pk), label))
    ctx.reply(_with_quick_replies(_text(prompt), items))


def contact_text() -> str:
    return settings.CHATBOT_CONTACT_TEXT or _(
        "市役所へのお問い合わせは、代表電話（平日 8:45〜17:15）または各課の窓口へお願いします。"
    )


def on_contact(ctx: LineContext) -> None:
    ctx.reply(_text(contact_text()))
