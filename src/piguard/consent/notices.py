"""Privacy notices: content hash, the checks a publishable text must pass, shipped texts.

A notice is published in Chinese and English together; its hash covers both texts and
the title, so a consent record naming ``(version, hash)`` pins exactly what the customer
was shown. Publishing a version marked *material* for some purposes makes every
existing consent to those purposes stale (R-COL-5): see :mod:`piguard.consent.rules`.

:class:`NoticeBoard` is the ledger's part that publishes versions and lists them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import Connection

from piguard.catalog import Catalog
from piguard.consent import rules
from piguard.consent import store as sql
from piguard.consent.context import CLOCK_SKEW, LedgerContext, checked_text
from piguard.consent.model import NOTICE_KINDS, Notice, NoticeKind
from piguard.errors import NotFound, ValidationError

#: What every notice must say, per language (R-COL-8; R-MIN-2 for the children's rules):
#: the retention periods and the channels through which rights are exercised. A text
#: missing one of these words in a language is refused: it cannot be the notice the law asks for.
REQUIRED_TERMS: dict[NoticeKind, dict[str, tuple[str, ...]]] = {
    "privacy": {"zh": ("保存期限", "权利"), "en": ("retention", "rights")},
    "children": {
        "zh": ("不满十四周岁", "监护人", "保存期限", "权利"),
        "en": ("under 14", "guardian", "retention", "rights"),
    },
}

MAX_TEXT = 200_000


def content_hash(title: str, text_zh: str, text_en: str) -> str:
    """``sha256:`` + hex digest of the canonical JSON of title and both texts."""
    canonical = json.dumps({"title": title, "zh": text_zh, "en": text_en}, ensure_ascii=False, sort_keys=True)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_notice(
    catalog: Catalog,
    *,
    kind: str,
    title: str,
    text_zh: str,
    text_en: str,
    material: bool,
    purposes_changed: tuple[str, ...],
) -> None:
    """Refuse a notice that cannot be published.

    :raises ValidationError: naming the part that is wrong (``text_zh``, ``purposes_changed``...).
    """
    if kind not in NOTICE_KINDS:
        raise ValidationError(f"must be one of {', '.join(NOTICE_KINDS)}", "kind")
    if not title.strip() or len(title) > 200:
        raise ValidationError("must be 1-200 characters", "title")
    for lang, text in (("zh", text_zh), ("en", text_en)):
        name = f"text_{lang}"
        if not text.strip():
            raise ValidationError("the notice is published in Chinese and English; this text is empty", name)
        if len(text) > MAX_TEXT:
            raise ValidationError(f"longer than {MAX_TEXT} characters", name)
        if "\x00" in text:
            raise ValidationError("contains NUL characters", name)
        folded = text.casefold()
        for term in REQUIRED_TERMS[kind][lang]:
            if term.casefold() not in folded:
                raise ValidationError(f"a {kind} notice must state '{term}' (R-COL-8, R-MIN-2)", name)
    for purpose in purposes_changed:
        if purpose not in catalog.purposes:
            raise ValidationError(f"unknown purpose '{purpose}'", "purposes_changed")
    if material and not purposes_changed:
        raise ValidationError(
            "a material change must name the purposes it changes (R-COL-5)", "purposes_changed"
        )
    if kind == "children" and material:
        raise ValidationError("material changes are published in the privacy notice", "material")


def shipped_notice(kind: NoticeKind = "privacy") -> tuple[str, str, str]:
    """The demo notice shipped in ``piguard/catalogs/notices``: ``(title, text_zh, text_en)``."""
    folder = resources.files("piguard") / "catalogs" / "notices"
    text_zh = (folder / f"{kind}.zh.md").read_text(encoding="utf-8")
    text_en = (folder / f"{kind}.en.md").read_text(encoding="utf-8")
    title = text_en.splitlines()[0].lstrip("# ").strip()
    return title, text_zh, text_en


def read_text_file(path: Path) -> str:
    """Read a notice text file (UTF-8, BOM tolerated)."""
    return path.read_text(encoding="utf-8-sig")


class NoticeBoard:
    """The published notices of one tenant (R-COL-5, R-COL-8), read through the ledger's cache."""

    def __init__(self, context: LedgerContext) -> None:
        self.context = context

    def notices(self, kind: NoticeKind | None = None) -> list[Notice]:
        """Every published version, oldest first."""
        self.context.cache.sync()
        return [n for n in self._all() if kind is None or n.kind == kind]

    def _all(self) -> list[Notice]:
        """The notices, from the cache when it holds them (callers have synced already)."""
        cache = self.context.cache
        generation = cache.generation
        cached: list[Notice] | None = cache.shared("notices")
        if cached is None:
            with self.context.db.read() as conn:
                cached = sql.all_notices(conn, self.context.tenant)
            cache.put_shared("notices", cached, generation)
        return cached

    def notice(self, version: int | None = None, kind: NoticeKind = "privacy") -> Notice:
        """One version, or the latest of ``kind``.

        :raises NotFound: no such version, or none published yet.
        """
        found = [
            n for n in self.notices() if (n.version == version if version is not None else n.kind == kind)
        ]
        if not found:
            raise NotFound(
                f"no {kind} notice published" if version is None else f"no notice version {version}"
            )
        return found[-1]

    def material(self) -> tuple[rules.MaterialChange, ...]:
        """The material changes published so far, as the rules weigh them (callers have synced)."""
        return tuple(
            rules.MaterialChange(n.version, n.effective_at, frozenset(n.purposes_changed))
            for n in self._all()
            if n.material
        )

    def publish(
        self,
        text_zh: str,
        text_en: str,
        *,
        title: str,
        operator: str,
        kind: NoticeKind = "privacy",
        material: bool = False,
        purposes_changed: Sequence[str] = (),
        effective_at: datetime | None = None,
        conn: Connection | None = None,
    ) -> Notice:
        """Publish a new notice version (R-COL-8). Versions number 1, 2, ... per tenant.

        A *material* version makes consents to ``purposes_changed`` given against earlier
        versions stale from ``effective_at`` (default: now): reads and writes for those
        purposes are refused until the customer consents again (R-COL-5).

        :raises ValidationError: a text is missing what a notice must state, or a purpose is unknown.
        """
        ctx = self.context
        changed = tuple(sorted(set(purposes_changed)))
        check_notice(
            ctx.catalog,
            kind=kind,
            title=title,
            text_zh=text_zh,
            text_en=text_en,
            material=material,
            purposes_changed=changed,
        )
        now = ctx.now()
        effective = effective_at.astimezone(UTC) if effective_at is not None else now
        if effective < now - CLOCK_SKEW:
            raise ValidationError("a notice cannot take effect in the past", "effective_at")
        with ctx.writing(conn) as tx:
            version = sql.next_notice_version(tx, ctx.tenant)
            notice = Notice(
                version,
                kind,
                title.strip(),
                text_zh,
                text_en,
                content_hash(title.strip(), text_zh, text_en),
                material,
                changed,
                now,
                effective,
                checked_text(operator, "operator", 128),
            )
            sql.insert_notice(tx, ctx.tenant, notice)
            value = sql.bump_watermark(tx, ctx.tenant)
        ctx.cache.changed(None, value)
        return notice
