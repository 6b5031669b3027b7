"""The detection engine: one combined scan, verification, overlap resolution, masking.

**Invariant:** the engine never reads the vault and never mutates its input;
findings carry offsets, not values.

Where the time goes (default path, every type, the generated corpus: 3,000
notes of ~180 bytes, ~5 findings each; CPU time per note, best of 7, cProfile
and ``time.process_time`` on the shared 2-core machine, 2026-11-22)::

    total detect + validate + resolve          ~40 µs   (~4.5 MB/s; was ~100 µs)
      island scan (_ISLAND, C speed)            ~2 µs
      combined regex in islands (guarded)       ~4 µs
      verifying ~3.5 pattern candidates        ~17 µs   digit runs ~9.5 (grouped or
                                                        prefixed runs ~7 µs each, landlines
                                                        ~11 µs in validate.landline),
                                                        e-mail ~1, USCC ~1 (stdnum)
      names (PersonRecognizer)                  ~6 µs   two cue-led regex passes ~2.3,
                                                        Latin capitalised runs ~1
      addresses                                 ~2 µs
      resolve + call overhead                   ~4 µs

What made it 2.5x faster: findings as named tuples; fast checksums on the
extracted digits (checks.py: Luhn 0.5 µs vs 3 µs, MOD 11-2 + date); the
context cue looked up only after the structural checks pass, first as "which
cue word ends right here" (dict keyed by the last two characters) and only
then by scanning the window; cue and name regexes led by a character class
(context.word_scanner) so re skips non-candidates in C; bare digit runs
dispatched to the digit recognizer without running the combined regex;
islands split at spaces between words and letters-only words skipped; the
combined regex guarded by a one-test token-start check. What is left is
Python per candidate (~2-4 µs each: slicing, a few calls, the Finding), which
is why the pure-Python default path stays near 4.5 MB/s, short of the 8 MB/s goal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache, partial
from itertools import accumulate
from typing import Any

from piguard.detect.context import DEFAULT_CUES, CueBook
from piguard.detect.finding import Finding, MaskResult, Replacement
from piguard.detect.prefilter import Trigger, coarse_lines, compile_triggers
from piguard.detect.recognizer import ScanContext
from piguard.detect.recognizers import BUILTIN, default_recognizers
from piguard.detect.registry import RecognizerRegistry
from piguard.detect.resolve import resolve
from piguard.errors import ValidationError
from piguard.masking import Operator, get_operator

__all__ = ["AUDIENCES", "DEFAULT_THRESHOLD", "MASK_RULES", "MODES", "Detector", "mask_value"]

# Every pattern recognizer's match lies in a run of ASCII-ish characters
# ("islands": digits, Latin letters, punctuation, full-width digits, 年月日 of
# dates, the plate dot), except for a licence plate's leading province
# character, one position earlier. Chinese notes are mostly CJK, which Python's
# regex engine crawls through at ~10 MB/s per alternative tried; this one
# charset-led pattern skips it at C speed, and the combined regex only runs
# inside the islands. An island continues over a single space only where a
# value can: before a digit, "+" or "(" (grouped numbers, "+86 138…") or after
# a lone capital (the plate "粤B D12345"). So English text and log lines fall
# into words, and words that cannot hold a value (letters only) are skipped
# without running the combined regex at all.
_ISLAND_CHARS = "\x21-\x7e\uff08\uff09\uff10-\uff19\uff0b\uff0d\uff38\uff58\u00b7\u2022年月日"
_ISLAND = re.compile(
    f"[{_ISLAND_CHARS}]+"
    f"(?: (?:(?=[0-9\uff10-\uff19+\uff0b(\uff08])|(?<=[^{_ISLAND_CHARS}][A-Z] ))[{_ISLAND_CHARS}]+)*"
)

#: ``default``: the full path over the whole text. ``bulk``: the full path only
#: on lines where a recognizer's trigger matches (see :mod:`piguard.detect.prefilter`).
MODES = ("default", "bulk")

#: Lines sampled to tell text where most lines hold PI (bulk mode then skips its prefilter).
_DENSE_SAMPLE = 32

#: Findings scoring below this are not reported.
DEFAULT_THRESHOLD = 0.5
#: Who will read masked text: ``staff`` sees a card's first 6 and last 4 digits,
#: ``customer`` only the last 4 (requirements §2b).
AUDIENCES = ("staff", "customer")

#: PI type -> (masking rule, parameters) used by :meth:`Detector.mask_text`.
MASK_RULES: dict[str, tuple[str, dict[str, Any]]] = {
    "person": ("name", {}),
    "mobile": ("mobile", {}),
    "landline": ("keep", {"first": 4, "last": 2}),
    "resident_id": ("resident_id", {}),
    "bank_card": ("bank_card", {}),
    "email": ("email", {}),
    "address": ("address", {}),
    "passport": ("passport", {}),
    "uscc": ("keep", {"first": 2, "last": 2}),
    "ip": ("keep", {"first": 0, "last": 0}),
    "license_plate": ("keep", {"first": 2, "last": 1}),
    "birth_date": ("date", {}),
}


def mask_value(type_: str, value: str, *, audience: str = "staff") -> str:
    """Mask one detected ``value`` of ``type_`` with the project's masking operators.

    IPv4 addresses keep their first two octets (``192.168.*.*``): enough to tell
    an internal network from the internet, not enough to find the host.

    :raises ValidationError: if ``audience`` is not one of :data:`AUDIENCES`.
    """
    if audience not in AUDIENCES:
        raise ValidationError("audience must be 'staff' or 'customer'")
    if type_ == "ip" and value.count(".") == 3:
        octets = value.split(".")
        return f"{octets[0]}.{octets[1]}.*.*"
    if type_ in _SHAPED and value.isdigit() and value.isascii():
        key = (type_, audience, len(value))
        # A membership test, not a sentinel compared by identity: compiled (piguard.native),
        # a tuple is a new object each time it is boxed.
        if key not in _SHAPES:
            masked = _masker(type_, audience)(value)
            _SHAPES[key] = _shape_of(value, masked)
            return masked
        shape = _SHAPES[key]
        if shape is not None:
            first, last, n = shape
            return value[:first] + "*" * n + value[len(value) - last :]
    return _masker(type_, audience)(value)


# Discovery masks every finding it reports (~5 µs through the operator, more
# than detecting a short line's PI). For a value of plain ASCII digits the
# operators of these types keep the same leading and trailing digits whatever
# the digits are: which ones depends only on the type, the audience and the
# length (an 11-digit mobile cannot start with a "+86" prefix; a resident ID
# hides its birth date by position). So the first value of each length is
# masked by the operator and the kept counts it shows are reused. A shape that
# is not "kept head, stars, kept tail" (a customer's card: "**** 1234") is
# recorded as None and always goes through the operator.
# tests/detect/test_mask_shapes.py checks the shortcut against the operators.
_SHAPED = frozenset({"mobile", "bank_card", "resident_id"})
_SHAPES: dict[tuple[str, str, int], tuple[int, int, int] | None] = {
    ("mobile", audience, n): None for audience in AUDIENCES for n in range(30) if n != 11
}


def _shape_of(value: str, masked: str) -> tuple[int, int, int] | None:
    n = len(value)
    stars = masked.count("*")
    first = masked.find("*")
    if len(masked) != n or first < 0:
        return None
    last = n - first - stars
    if masked != value[:first] + "*" * stars + value[n - last :]:
        return None
    return first, last, stars


@cache
def _masker(type_: str, audience: str) -> Callable[[str], str]:
    # The operator is looked up and its parameters validated once per type and
    # audience, not per value (what apply_mask does): the same rule, and about
    # a third of the cost of masking a note.
    rule, params = MASK_RULES.get(type_, ("redact", {}))
    if type_ == "bank_card":
        params = {"audience": audience}
    elif type_ == "ip":
        rule, params = "redact", {}
    operator = get_operator(rule)
    operator.validate(params)
    return partial(_operate, operator, params)


def _operate(operator: Operator, params: dict[str, Any], value: str) -> str:
    return operator.operate(value, params)


class Detector:
    """Finds personal information in text.

    >>> d = Detector()
    >>> [(f.type, f.start, f.end) for f in d.detect("客户张伟来电，手机13812345678")]
    [('person', 2, 4), ('mobile', 9, 20)]

    :param registry: the recognizers; the built-in set when None.
    :param threshold: the lowest score reported.
    :param thresholds: per-type lowest scores, over ``threshold`` for the types named.
    :param window: how many characters before a candidate are searched for cues.
    :param cues: the context cue book.
    :param bulk: make ``bulk`` the default mode of :meth:`detect` (discovery).
    :raises ValidationError: if a threshold is outside ``[0, 1]`` or ``window`` is negative.
    """

    def __init__(
        self,
        registry: RecognizerRegistry | None = None,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        window: int = 12,
        cues: CueBook = DEFAULT_CUES,
        bulk: bool = False,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0 or not all(0.0 <= t <= 1.0 for t in (thresholds or {}).values()):
            raise ValidationError("threshold must be between 0 and 1")
        if window < 0:
            raise ValidationError("window must not be negative")
        self.registry = registry if registry is not None else RecognizerRegistry(default_recognizers())
        self.threshold = threshold
        # Only the thresholds that differ from the common one: none, the usual
        # case, keeps resolve on its one-comparison path.
        self.thresholds = {t: v for t, v in (thresholds or {}).items() if v != threshold}
        self.window = window
        self.cues = cues
        self._all = self.registry.supported_types()
        self._contexts: dict[frozenset[str], ScanContext] = {}
        self._triggers: dict[frozenset[str], tuple[re.Pattern[str], re.Pattern[str]] | None] = {}
        self._triggered: dict[frozenset[str], bool] = {}
        self.mode = "bulk" if bulk else "default"

    @property
    def supported_types(self) -> frozenset[str]:
        """Every type this detector can report."""
        return self._all

    def _context(self, types: Iterable[str] | None) -> ScanContext:
        wanted = self._all if types is None else frozenset(types)
        ctx = self._contexts.get(wanted)
        if ctx is None:
            unknown = wanted - self._all
            if unknown:
                raise ValidationError(f"unknown PI types: {', '.join(sorted(unknown))}")
            ctx = ScanContext(types=wanted, cues=self.cues, window=self.window)
            self._contexts[wanted] = ctx
        return ctx

    def candidates(self, text: str, *, types: Iterable[str] | None = None) -> list[Finding]:
        """Return every verified finding, before threshold and overlap resolution."""
        ctx = self._contexts.get(self._all if types is None else frozenset(types)) or self._context(types)
        scanner = self.registry.compile(ctx.types)
        out: list[Finding] = []
        regex = scanner.regex
        if regex is not None:
            by_group = scanner.by_group
            # With every recognizer anchored at token starts, the guarded regex
            # rejects the other positions with one test instead of one per
            # fragment (2x faster on log lines and English text).
            guarded = scanner.guarded is not None
            finditer = (scanner.guarded or regex).finditer
            lead_chars = scanner.lead_chars if guarded else frozenset()
            digits = by_group.get("digits")
            for island in _ISLAND.finditer(text):
                lo, hi = island.span()
                if hi - lo < 3:
                    continue  # The shortest candidate, an IPv6 "::1", has three characters.
                run = island.group()
                if run.isascii():
                    if run.isalpha():
                        continue  # A word: every pattern needs a digit, "@" or ":".
                    if run.isdigit():
                        # A bare run of digits between non-island characters can
                        # only be a digit run: skip the combined regex.
                        if digits is not None and 10 <= hi - lo <= 19:
                            digits.verify(text, lo, hi, ctx, out)
                        continue
                if lo and text[lo - 1] in lead_chars:
                    # The guard only admits ASCII starts: a plate's province
                    # character, just before the island, is tried on its own.
                    m = regex.match(text, lo - 1, hi)
                    if m is not None:
                        by_group[m.lastgroup].verify(text, *m.span(), ctx, out)  # type: ignore[index]
                        lo = m.end()
                elif lo and not guarded:
                    lo -= 1  # A plate may start one character before the island.
                # Look-behinds still see the text before ``lo``: pos does not cut it off.
                for m in finditer(text, lo, hi):
                    by_group[m.lastgroup].verify(text, *m.span(), ctx, out)  # type: ignore[index]
        for recognizer in scanner.scanners:
            recognizer.scan(text, ctx, out)
        if len(ctx.types) == len(self._all):
            return out
        wanted = ctx.types
        return [f for f in out if f.type in wanted]

    def detect(
        self, text: str, *, types: Iterable[str] | None = None, mode: str | None = None
    ) -> list[Finding]:
        """Return the PI found in ``text``, non-overlapping and sorted by start.

        :param text: any text; it is not modified.
        :param types: restrict to these types (all when None).
        :param mode: one of :data:`MODES`; the detector's own mode when None.
            ``bulk`` treats each line as its own text (a cue on one line does
            not announce a value on the next) and skips lines no trigger matches.
        :raises ValidationError: if ``types`` names an unknown type or ``mode`` is unknown.
        """
        mode = self.mode if mode is None else mode
        if mode == "bulk":
            return self._detect_bulk(text, types)
        if mode != "default":
            raise ValidationError("mode must be 'default' or 'bulk'")
        return resolve(self.candidates(text, types=types), self.threshold, self.thresholds)

    def _trigger(self, types: frozenset[str]) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
        # (every trigger, only those led by a non-ASCII character), or None.
        if types not in self._triggers:
            triggers: list[Trigger] = []
            for recognizer in self.registry.recognizers(types):
                own = recognizer.triggers(self.cues)
                if own is None:  # No cheap condition: every line must be scanned.
                    self._triggers[types] = None
                    break
                triggers.extend(own)
            else:
                non_ascii = [("".join(c for c in chars if not c.isascii()), rest) for chars, rest in triggers]
                self._triggers[types] = (compile_triggers(triggers), compile_triggers(non_ascii))
        return self._triggers[types]

    def _has_triggers(self, types: frozenset[str]) -> bool:
        # Whether every wanted recognizer has triggers, without compiling them (_trigger does).
        known = self._triggered.get(types)
        if known is None:
            known = self._triggered[types] = all(
                r.triggers(self.cues) is not None for r in self.registry.recognizers(types)
            )
        return known

    def _dense_sample(self, lines: list[str], ctx: ScanContext) -> dict[int, list[Finding]] | None:
        # The findings of _DENSE_SAMPLE lines spread over the text (a header or a clean first
        # block does not decide), when at least 3/4 of them hold PI; None otherwise. Deciding
        # on findings, not on the trigger regex, means a note file never compiles the triggers
        # (~65 ms, before a large scan's workers fork); the sampled lines are not scanned again.
        step = len(lines) // _DENSE_SAMPLE
        sample: dict[int, list[Finding]] = {}
        hits = 0
        for i in range(_DENSE_SAMPLE):
            index = i * step
            found = sample[index] = resolve(
                self.candidates(lines[index], types=ctx.types), self.threshold, self.thresholds
            )
            hits += bool(found)
            if hits + _DENSE_SAMPLE - 1 - i < _DENSE_SAMPLE * 3 // 4:
                return None  # Cannot reach 3/4 any more.
        return sample if hits >= _DENSE_SAMPLE * 3 // 4 else None

    def _detect_bulk(self, text: str, types: Iterable[str] | None) -> list[Finding]:
        ctx = self._context(types)
        if not self._has_triggers(ctx.types):
            return resolve(self.candidates(text, types=ctx.types), self.threshold, self.thresholds)
        lines = text.split("\n")
        # Line index -> the trigger regex still to try on it. The coarse stage
        # pays for itself on many lines, not on one short text.
        maybe: Iterable[tuple[int, re.Pattern[str] | None]]
        sample = self._dense_sample(lines, ctx) if len(lines) >= 2 * _DENSE_SAMPLE else None
        if sample is not None:
            # Most lines hold PI (notes, customer exports): the prefilter would keep
            # nearly every line after costing ~30 % of the full path. Every line goes to
            # the full path, which reports nothing on a line without a trigger: the same findings.
            maybe = ((i, None) for i in range(len(lines)))
        else:
            triggers = self._trigger(ctx.types)
            assert triggers is not None  # _has_triggers
            full, non_ascii = triggers
            if len(lines) > 1 and all(type(r) in BUILTIN for r in self.registry.recognizers(ctx.types)):
                # The same lines as bytes ("\n" is never part of a UTF-8 sequence).
                blines = text.encode("utf-8", "surrogatepass").split(b"\n")
                birth = [w.encode() for w in self.cues.words_for("birth_date") if w.isascii()]
                ascii_led, other = coarse_lines(blines, birth)
                maybe = sorted(
                    [(i, full) for i in ascii_led] + [(i, non_ascii) for i in other], key=lambda p: p[0]
                )
            else:
                maybe = ((i, full) for i in range(len(lines)))
        starts = [0, *accumulate(len(line) + 1 for line in lines)]
        found: list[Finding] = []
        for index, trigger in maybe:
            line = lines[index]
            if trigger is not None and trigger.search(line) is None:
                continue
            here = sample.get(index) if sample is not None else None
            if here is None:
                here = resolve(self.candidates(line, types=ctx.types), self.threshold, self.thresholds)
            lo = starts[index]
            found.extend(
                Finding(f.start + lo, f.end + lo, f.type, f.score, f.reason) for f in here
            ) if lo else found.extend(here)
        return found

    def mask_text(
        self,
        text: str,
        *,
        audience: str = "staff",
        types: Iterable[str] | None = None,
        mode: str | None = None,
    ) -> MaskResult:
        """Return ``text`` with every finding masked, and the list of replacements.

        Replacement offsets refer to the *input* text.

        :raises ValidationError: if ``audience`` is not ``staff`` or ``customer``,
            or ``types`` names an unknown type.
        """
        if audience not in AUDIENCES:
            raise ValidationError("audience must be 'staff' or 'customer'")
        findings = self.detect(text, types=types, mode=mode)
        parts: list[str] = []
        replacements: list[Replacement] = []
        cursor = 0
        for f in findings:
            masked = mask_value(f.type, text[f.start : f.end], audience=audience)
            parts.append(text[cursor : f.start])
            parts.append(masked)
            replacements.append(Replacement(f.type, f.start, f.end, masked))
            cursor = f.end
        parts.append(text[cursor:])
        return MaskResult("".join(parts), replacements)

    def detect_many(
        self, texts: Iterable[str], *, types: Iterable[str] | None = None, mode: str | None = None
    ) -> Iterator[list[Finding]]:
        """Detect in each text of a stream; the same as :meth:`detect` per text."""
        for text in texts:
            yield self.detect(text, types=types, mode=mode)
