"""Surveys in the talk: a resident who asks for 「アンケート」 gets the surveys they may answer now.

Without this, the words went to the chatbot, which knew no answer (「分かりませんでした」), and a
resident who had lost the invitation had no way back to a survey.
"""

from __future__ import annotations

import re

from civicline.line.registry import LineContext

from . import line_messages, selectors

# Short requests only: 「アンケート」「アンケートに答えたい」「アンケート一覧」「回答できるアンケートは？」.
# A longer sentence that merely mentions a survey (「アンケートの結果はいつ公開？」) stays a question
# for the chatbot. Before the chatbot, which answers any text.
KEYWORDS = re.compile(
    r"^[\s　]*(?:回答できる|答えられる|今の|いまの)?(?:アンケート|あんけーと)"
    r"(?:[にをへはの]?(?:答え|こたえ|回答|参加|協力|一覧|見|み|ある|あり|やり|する|したい)[^\n。]{0,10})?"
    r"[\s　。．！!？?]*$"
)
PRIORITY = 20


def on_keyword(ctx: LineContext) -> None:
    surveys = selectors.surveys_for_resident(friend=ctx.friend) if ctx.friend is not None else []
    ctx.reply(line_messages.open_surveys(surveys) if surveys else line_messages.none_open())
