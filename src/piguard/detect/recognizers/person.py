"""Personal names: Chinese names found next to cues, and pinyin or English names in Latin text.

No model is used. A Chinese name is a surname from the shipped list
(:mod:`piguard.data.surnames`, the list the name mask keeps) followed by one or two
characters from the shipped given-name list, 2–4 characters in all, *and* a cue
next to it: a role before it (``客户``, ``联系人``, ``姓名：``) or a word after it
(``先生``, ``来电``, ``反映``). A surname+given pair without any cue is not reported:
without a cue ``高明`` is as likely an adjective as a person.

Latin names are runs of two or three capitalised words that are all valid
pinyin syllables with one of them a pinyin surname (``Zhang Wei``, ``Chao Zeng``),
or any capitalised words right after a title (``Mr``, ``Ms``, ``Dr``) or ``name:``.
"""

from __future__ import annotations

import re
import string

from piguard.data.surnames import COMPOUND_SURNAMES, PINYIN_SURNAMES, SINGLE_SURNAMES
from piguard.detect.context import CueBook, word_scanner
from piguard.detect.data import words
from piguard.detect.finding import Finding
from piguard.detect.prefilter import Trigger
from piguard.detect.recognizer import ScanContext, ScanRecognizer

__all__ = ["PersonRecognizer"]

_BEFORE = (
    "客户",
    "顾客",
    "用户",
    "会员",
    "联系人",
    "姓名",
    "名字",
    "收件人",
    "收件",
    "收款人",
    "付款人",
    "汇款人",
    "来电者",
    "对接人",
    "联络人",
    "紧急联络",
    "我叫",
    "名叫",
    "收货人",
    "寄件人",
    "持卡人",
    "户名",
    "开户人",
    "申请人",
    "投诉人",
    "来电人",
    "报案人",
    "患者",
    "乘客",
    "业主",
    "租户",
    "经办人",
    "负责人",
    "法定代表人",
    "法人",
    "被保险人",
    "投保人",
    "借款人",
    "担保人",
    "家属",
    "配偶",
    "丈夫",
    "妻子",
    "儿子",
    "女儿",
    "父亲",
    "母亲",
    "车主",
    "房主",
    "户主",
    "联系",
    "致电",
    "转告",
    "告知",
    "通知",
    "协助",
    "请",
    "为",
)
# Words after a name strong enough to announce one on their own ...
_AFTER_STRONG = (
    "先生",
    "女士",
    "小姐",
    "老师",
    "同学",
    "来电",
    "致电",
    "反映",
    "投诉",
    "本人",
    "您好",
    "说她",
    "说他",
    "申请退款",
    "的手机",
    "的电话",
    "的身份证",
    "的银行卡",
    "的卡",
    "的邮箱",
    "的地址",
    "的账户",
    "的订单",
    "家住",
    "住在",
    "名下",
)
# ... and weaker ones that only confirm a name announced by a role before it.
_AFTER = (
    *_AFTER_STRONG,
    "表示",
    "称",
    "说",
    "要求",
    "申请",
    "咨询",
    "办理",
    "已",
    "于",
    "在",
    "和",
    "与",
    "同意",
    "确认",
    "预约",
    "希望",
    "的",
)
# Words that start with a given-name character and commonly follow a name: if
# the name's last character begins one of them, that character is not the name's.
_TAIL_WORDS = (
    "家住",
    "家里",
    "家中",
    "本人",
    "和",
    "一直",
    "一起",
    "长期",
    "安排",
    "成功",
    "明天",
    "新办",
    "心里",
)

_PINYIN = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u|v))"
    r"{1,3}",
    re.IGNORECASE,
)
# The boundary look-behind comes after the first letter (width 2) so that the
# pattern starts with a character class, which re scans for in C; led by the
# look-behind it was tried at every position of every note (2.8 µs per note).
_CAPITALISED_RUN = re.compile(r"[A-Z](?<![A-Za-z][A-Z])[a-z]+(?:[ \-][A-Z][a-z]+){1,4}(?![A-Za-z])")
_TITLE = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?|\b(?:[Nn]ame|[Cc]ustomer|[Cc]lient|[Cc]ontact)\s*(?::|is))\s*$"
)
_LATIN_CUE = re.compile(
    r"(?:customer|client|caller|cardholder|contact|user|applicant|passenger|name|客户|联系人|姓名|持卡人)\W{0,3}$",
    re.IGNORECASE,
)
_WORD_SEPARATOR = re.compile(r"[ \-]")
# Where a speaker label may start: the text's start, a line start, after "[12:30] "
# or "12:30:05 ".
# Led by a character class, so re skips to line breaks and spaces in C (an
# alternation with "^" made it try every position).
_SPEAKER_STARTS = re.compile(r"[\n ](?<=[\]0-9日] |[\s\S]\n)")
_TITLES = frozenset({"Mr", "Mrs", "Ms", "Miss", "Dr", "Prof"})
_NOT_NAMES = frozenset({"Hong Kong", "Xi An"})

_REASON_BEFORE = "person: pattern=surname+given; cue=role before"
#: Score with a cue on both sides, and on one side.
BOTH_SCORE, ONE_SCORE = 0.95, 0.85


def _alternation(items: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(items, key=len, reverse=True))


class PersonRecognizer(ScanRecognizer):
    """Finds Chinese names next to cues and pinyin/English names in Latin text."""

    name = "person"
    types = frozenset({"person"})

    def __init__(self) -> None:
        single = "".join(SINGLE_SURNAMES)
        compound = COMPOUND_SURNAMES
        self._compound = frozenset(compound)
        given = "".join(words("given_chars.txt"))
        name = f"(?:{_alternation(compound)}|[{single}])[{given}]{{1,2}}"
        # Two cue-led passes instead of one regex "cue name | name cue": a
        # pattern that may start with any surname character makes re try every
        # position of the text (12 µs per note); led by the cue words' first
        # characters (word_scanner) it skips to the few places a cue can start.
        self._before = re.compile(f"{word_scanner(_BEFORE)}(?:[:：]\\s?|\\s)?(?P<a>{name})")
        self._strong = re.compile(word_scanner(_AFTER_STRONG))
        # A name that ends where a strong after-cue starts (search from the left:
        # the longest name wins, as in "王小明先生").
        self._name_before_cue = re.compile(f"{name}$")
        # A speaker label in a chat log or transcript: a name at a line start or
        # after "[time] ", followed by a colon or by the message's date.
        self._speaker = re.compile(f"{name}(?=[:：]|[ \\t]+[0-9]{{4}}[-/年])")
        self._after = re.compile(_alternation(_AFTER))
        self._given = frozenset(given)
        self._given_chars = given
        self._surname_firsts = "".join(sorted(set(single) | {c[0] for c in compound}))
        self._pinyin_surnames = frozenset(s.lower() for s in PINYIN_SURNAMES)

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """A role cue and a surname character; a given-name character and a strong
        cue after it; two capitalised Latin words."""
        out: list[Trigger] = [
            (word[0], re.escape(word[1:]) + f"(?:[:：]\\s?|\\s)?[{self._surname_firsts}]") for word in _BEFORE
        ]
        # The look-behind (width 2) sees the character before the cue's first one.
        out += [(word[0], f"(?<=[{self._given_chars}].){re.escape(word[1:])}") for word in _AFTER_STRONG]
        # A speaker label: a given-name character, then a colon or the message's date.
        out.append((self._given_chars, "(?:[:：]|[ \\t]+[0-9]{4}[-/年])"))
        out.append((string.ascii_uppercase, "[a-z]+[ \\-][A-Z][a-z]"))
        return tuple(out)

    def scan(self, text: str, ctx: ScanContext, out: list[Finding]) -> None:
        """Append Chinese and Latin name findings."""
        self._scan_chinese(text, out)
        self._scan_latin(text, ctx, out)

    def _scan_chinese(self, text: str, out: list[Finding]) -> None:
        after = self._after
        spans: list[tuple[int, int]] = []
        for m in self._before.finditer(text):
            start, end = m.span("a")
            surname_len = 2 if text[start : start + 2] in self._compound else 1
            if end - start - surname_len == 2 and (
                after.match(text, end - 1) or text.startswith(_TAIL_WORDS, end - 1)
            ):
                end -= 1  # "客户王伟说" vs "客户张伟家住...": the last character starts the next word.
            score = BOTH_SCORE if after.match(text, end) else ONE_SCORE
            out.append(Finding(start, end, "person", score, _REASON_BEFORE))
            spans.append(m.span())
        speaker = self._speaker.match
        starts = [0, *(at.end() for at in _SPEAKER_STARTS.finditer(text))]
        if text.startswith("\n"):
            starts.append(1)
        for at in starts:
            label = speaker(text, at)
            if label is not None:
                out.append(
                    Finding(label.start(), label.end(), "person", ONE_SCORE, "person: pattern=speaker label")
                )
                spans.append(label.span())
        for m in self._strong.finditer(text):
            cue = m.start()
            lo = cue - 4 if cue > 4 else 0
            # A name must not reach into a cue-and-name the first pass matched.
            for a, b in spans:
                if a < cue < b:
                    lo = cue
                elif lo < b <= cue:
                    lo = b
            if cue - lo >= 2:
                name = self._name_before_cue.search(text, lo, cue)
                if name is not None:
                    out.append(Finding(name.start(), cue, "person", ONE_SCORE, "person: pattern=cue after"))

    def _scan_latin(self, text: str, ctx: ScanContext, out: list[Finding]) -> None:
        for m in _CAPITALISED_RUN.finditer(text):
            parts = _WORD_SEPARATOR.split(m.group())
            run_start = m.start()
            titled = _TITLE.search(text, max(0, run_start - 12), run_start) is not None
            if parts[0] in _TITLES and len(parts) > 2:
                # "Mr John Smith": the run starts with the title itself.
                run_start += len(parts[0]) + 1
                parts = parts[1:]
                titled = True
            cued = titled or _LATIN_CUE.search(text, max(0, m.start() - ctx.window), m.start()) is not None
            span = self._best_pinyin_span(parts)
            if span is None:
                if titled:
                    # "Mr John Smith": any two capitalised words after a title.
                    end = run_start + len(" ".join(parts[:2]))
                    out.append(Finding(run_start, end, "person", ONE_SCORE, "person: pattern=title"))
                continue
            first, count = span
            start = run_start + sum(len(p) + 1 for p in parts[:first])
            end = start + len(" ".join(parts[first : first + count]))
            if text[start:end] in _NOT_NAMES:
                continue
            reason = "person: pattern=pinyin" + ("; cue=title or role" if cued else "")
            out.append(Finding(start, end, "person", BOTH_SCORE if cued else 0.7, reason))

    def _best_pinyin_span(self, parts: list[str]) -> tuple[int, int] | None:
        # The first window of 3 or 2 words that are all pinyin and hold a surname
        # at one end ("Zhang Wei", "Chao Zeng", "Ouyang Xiu Ying").
        for first in range(len(parts) - 1):
            for count in (3, 2):
                window = parts[first : first + count]
                if len(window) < count or not all(_PINYIN.fullmatch(w) for w in window):
                    continue
                if window[0].lower() in self._pinyin_surnames or window[-1].lower() in self._pinyin_surnames:
                    return first, count
        return None
