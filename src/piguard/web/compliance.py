"""The officer's compliance page: the checks of the newest report (failing first), the governance
records, the kept reports with their downloads, and a button that runs the checks and generates a
new signed report (JSON and HTML; PDFs from the CLI or the API).

Every action runs one operation of the :class:`~piguard.compliance.Compliance` capability; the
page shows catalog names, counts and record ids only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.compliance import Compliance
from piguard.web import i18n
from piguard.web.core import Console, Staff

ORDER = {"fail": 0, "not_available": 1, "manual": 2, "record": 3, "pass": 4}
MEDIA = {".json": "application/json", ".html": "text/html; charset=utf-8", ".pdf": "application/pdf"}


def register(router: APIRouter, console: Console) -> None:
    """Add the compliance page."""
    staff_dep = Depends(console.staff)

    def compliance() -> Compliance:
        return console.capability(Compliance)

    @router.get("/compliance")
    def page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "audit", "approve")
        ctx = console.ctx(request, staff, "")
        error = None
        checks: list[dict[str, Any]] = []
        reports: list[dict[str, Any]] = []
        governance = None
        try:
            # The checks of the newest kept report (running them all on every page view would
            # sweep every customer each time): the button below runs them afresh.
            reports = compliance().reports(ctx, limit=20)
            if reports:
                doc = json.loads(compliance().report_file(ctx, reports[0]["id"], "report.json"))
                seen: dict[str, dict[str, Any]] = {}
                for req in doc["requirements"]:
                    for c in req["checks"]:
                        seen[c["check"]] = c
                checks = sorted(seen.values(), key=lambda c: (ORDER[c["status"]], c["check"]))
            governance = compliance().governance(ctx)
        except errors.Error as exc:
            error = console.say(staff, exc)
        return console.render(
            request, "compliance.html", title="compliance.title", staff=staff, error=error, checks=checks,
            reports=reports, governance=governance,
        )  # fmt: skip

    @router.post("/compliance/report")
    async def generate(request: Request) -> Response:
        await console.posted(request)
        return await run_in_threadpool(generate_now, request)

    def generate_now(request: Request) -> Response:
        staff = console.staff(request)
        console.require(staff, "audit", "approve")
        t = i18n.translator(staff.lang)
        try:
            # JSON and HTML here (PDFs are CPU-bound: ``piguard compliance report`` or the API).
            done = compliance().report(console.ctx(request, staff, ""), formats=("json", "html"))
            staff.session.flash("ok", t("compliance.generated").format(id=done["id"]))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/compliance")

    @router.get("/compliance/reports/{report_id}/{name}")
    def download(report_id: str, name: str, request: Request, staff: Staff = staff_dep) -> Response:
        console.require(staff, "audit", "approve")
        data = compliance().report_file(console.ctx(request, staff, ""), report_id[:64], name[:64])
        suffix = Path(name).suffix
        headers = {} if suffix == ".html" else {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type=MEDIA.get(suffix, "application/octet-stream"), headers=headers)
