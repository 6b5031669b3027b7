"""Context cues: words near a candidate that make it more or less likely to be PI.

Windows are counted in characters, not tokens: Chinese has no spaces, and a
token-based window (Presidio's) never sees a multi-character cue such as
``身份证`` once the text is split into single characters. The window stops at
clause punctuation (``，。；！？`` and line breaks), so a cue in the previous
clause does not leak into this one, and only the *nearest* cue counts:
in ``订单号123，手机13812345678`` the phone's cue is ``手机``, not ``订单号``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CLAUSE_ENDS",
    "DEFAULT_CUES",
    "NUMBER_TYPES",
    "Cue",
    "CueBook",
    "adjust",
    "caseless",
    "word_scanner",
]

#: Types whose candidates are digit strings that order numbers, tracking numbers
#: or amounts can imitate; negative cues only apply to these.
NUMBER_TYPES = frozenset({"resident_id", "mobile", "landline", "bank_card", "uscc", "passport", "ip"})


@dataclass(frozen=True, slots=True)
class Cue:
    """A context word.

    :param word: the word as it appears (ASCII matched case-insensitively).
    :param types: the PI types it announces; empty for a negative cue.
    :param negative: True when the word announces something that is *not* PI.
    """

    word: str
    types: frozenset[str]
    negative: bool


_POSITIVE: dict[str, tuple[str, ...]] = {
    "resident_id": (
        "身份证",
        "身份证号",
        "身份证号码",
        "证件号",
        "证件号码",
        "身份号码",
        "公民身份号码",
        "证号",
        "身份证件",
        "ID card",
        "ID no",
        "ID number",
    ),
    "mobile": (
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "联系电话",
        "联系方式",
        "号码",
        "来电",
        "致电",
        "回拨",
        "回电",
        "拨打",
        "微信",
        "tel",
        "phone",
        "mobile",
        "cell",
    ),
    "landline": ("座机", "固话", "电话", "联系电话", "办公电话", "分机", "tel", "phone"),
    "bank_card": (
        "卡号",
        "银行卡",
        "银行卡号",
        "储蓄卡",
        "信用卡",
        "借记卡",
        "账号",
        "帐号",
        "银行账户",
        "卡",
        "还款卡",
        "扣款卡",
        "尾号",
        "card",
        "account",
    ),
    "email": ("邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"),
    "ip": ("IP", "IP地址", "登录地址", "来源", "访问", "address"),
    "uscc": ("信用代码", "统一社会信用代码", "社会信用代码", "税号", "纳税人识别号", "营业执照"),
    "passport": ("护照", "护照号", "护照号码", "passport"),
    "license_plate": ("车牌", "车牌号", "车辆", "号牌", "车号", "plate"),
    "birth_date": ("出生", "出生日期", "出生年月", "生日", "出生于", "DOB", "born", "birth", "birthday"),
}

#: Words that announce a number that is not personal information.
_NEGATIVE: tuple[str, ...] = (
    "订单",
    "订单号",
    "单号",
    "快递单号",
    "运单号",
    "快递",
    "物流",
    "工单",
    "工单号",
    "流水号",
    "交易号",
    "交易流水",
    "编号",
    "批次",
    "合同号",
    "发票",
    "发票号",
    "凭证号",
    "序列号",
    "验证码",
    "金额",
    "余额",
    "工号",
    "会员号",
    "积分",
    "邮编",
    "邮政编码",
    "型号",
    "版本",
    "时间戳",
    "退款",
    "件号",
    "报案号",
    "保单号",
    "商品",
    "SKU",
    "order",
    "tracking",
    "ticket",
    "invoice",
    "ref",
    "version",
    "serial",
)

# Characters that end a clause; a cue before one of them belongs to another clause.
CLAUSE_ENDS = "，。；！？,;!?\n"
# What may stand between a cue and its value: "身份证号：110…", "ID no 110…".
_GLUE = frozenset(" :：#")


def caseless(word: str) -> str:
    """Return a regex for ``word`` with ASCII letters in both cases, without ``re.IGNORECASE``.

    The IGNORECASE flag makes :mod:`re` give up its first-character prefilter,
    which is what keeps the cue scan at C speed (see :func:`word_scanner`).
    """
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else re.escape(c) for c in word)


def word_scanner(words: Iterable[str], extra_singles: str = "") -> str:
    """Return a regex matching any of ``words`` (longest first), led by a character class.

    A plain alternation ``w1|w2|…`` makes :mod:`re` try every alternative at
    every position of the text (~7 MB/s on Chinese text). Written as
    ``[first characters](?:rest1(?<=w1)|rest2(?<=w2)|…)`` the engine skips, in
    C, to the characters that can start a word, then each alternative fails on
    its first literal; the look-behind confirms the whole word. Single-character
    words (and ``extra_singles``) match through the final look-behind class.
    ASCII letters match in both cases.
    """
    ordered = sorted(set(words), key=len, reverse=True)
    firsts = {c for w in ordered for c in (w[0].lower(), w[0].upper())} | set(extra_singles)
    singles = "".join(w for w in ordered if len(w) == 1) + extra_singles
    alternatives = [f"{caseless(w[1:])}(?<={caseless(w)})" for w in ordered if len(w) > 1]
    if singles:
        alternatives.append(f"(?<=[{re.escape(singles)}])")
    head = "".join(re.escape(c) for c in sorted(firsts))
    return f"[{head}](?:{'|'.join(alternatives)})"


class CueBook:
    """A compiled set of cues, searched in a window before a candidate.

    :param positive: PI type -> words announcing it.
    :param negative: words announcing a non-PI number.
    """

    def __init__(self, positive: dict[str, tuple[str, ...]], negative: tuple[str, ...]) -> None:
        table: dict[str, tuple[set[str], bool]] = {}
        for type_, cue_words in positive.items():
            for word in cue_words:
                table.setdefault(word.lower(), (set(), False))[0].add(type_)
        for word in negative:
            table[word.lower()] = (set(), True)
        cues = {w: Cue(w, frozenset(types), neg) for w, (types, neg) in table.items()}
        # Lookup by the text as written: every case variant of an ASCII cue is
        # filled in on first sight (see nearest); clause ends map to None.
        self._lookup: dict[str, Cue | None] = {**cues, **dict.fromkeys(CLAUSE_ENDS)}
        self._cues = cues
        # One scan finds cues and clause ends together; longest first, so that
        # 订单号 is one (negative) cue and not 号 or 单号.
        self._regex = re.compile(word_scanner(cues, CLAUSE_ENDS))
        # Last two characters (lowercased) -> (word, is ASCII, cue), longest
        # first; one-character words apart. Most values are glued to their cue
        # ("手机138…", "身份证号：110…"), and checking the few words that end right
        # there is ~4x cheaper than scanning the window. Keyed by two characters
        # because ~30 cues end in 号.
        by_tail: dict[str, list[tuple[str, bool, Cue]]] = {}
        for word, cue in cues.items():
            if len(word) > 1:
                by_tail.setdefault(word[-2:], []).append((word, word.isascii(), cue))
        self._by_tail = {
            tail: tuple(sorted(entries, key=lambda e: -len(e[0]))) for tail, entries in by_tail.items()
        }
        self._single = {word: cue for word, cue in cues.items() if len(word) == 1}

    def words_for(self, type_: str) -> tuple[str, ...]:
        """Return the positive cue words announcing ``type_`` (lowercase)."""
        return tuple(w for w, cue in self._cues.items() if type_ in cue.types)

    def nearest(self, text: str, start: int, window: int) -> Cue | None:
        """Return the cue closest before ``start`` within ``window`` characters and the same clause.

        :param text: the whole text.
        :param start: index of the candidate's first character.
        :param window: how many characters to look back.
        """
        lo = start - window if start > window else 0
        end = start
        while end > lo and text[end - 1] in _GLUE:
            end -= 1
        if end > lo:
            for word, ascii_, cue in self._by_tail.get(text[end - 2 if end > 1 else 0 : end].lower(), ()):
                begin = end - len(word)
                if begin >= lo and (
                    text[begin:end].lower() == word if ascii_ else text.startswith(word, begin, end)
                ):
                    return cue
            single = self._single.get(text[end - 1])
            if single is not None:
                return single
        last = None
        for last in self._regex.finditer(text, lo, end):  # noqa: B007
            pass
        if last is None:
            return None
        word = last.group()
        try:
            return self._lookup[word]
        except KeyError:  # An ASCII cue written in another case ("Card", "TEL").
            cue = self._lookup[word] = self._cues[word.lower()]
            return cue


DEFAULT_CUES = CueBook(_POSITIVE, _NEGATIVE)


def adjust(base: float, cue: Cue | None, type_: str) -> float:
    """Return ``base`` raised by a positive cue for ``type_`` or zeroed by a negative one.

    A cue announcing a *different* type leaves the score alone: ``手机`` before a
    card number says little either way.
    """
    if cue is None:
        return base
    if cue.negative:
        return 0.0 if type_ in NUMBER_TYPES else base
    if type_ in cue.types:
        return max(base, min(1.0, base + 0.3), 0.95)
    return base
