"""HTTP routes of incidents under ``/v1/incidents`` (R-INC-1..7).

Each route runs one declared operation of :class:`~piguard.incidents.Incidents`: the register,
the scope computed from the audit trail, grading, notices, containment, closing, the emergency
plan and drills. The list carries no texts; one incident's page opens them for those who handle
incidents.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.catalog.vocabulary import DATA_ACTIONS, Action
from piguard.incidents import Incidents
from piguard.installation import Installation

_TEXT = 4000


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: str | None = Field(default=None, max_length=_TEXT)
    cause: str | None = Field(default=None, max_length=_TEXT)
    harm: str | None = Field(default=None, max_length=_TEXT)
    measures: str | None = Field(default=None, max_length=_TEXT)
    contact: str | None = Field(default=None, max_length=_TEXT)
    description: str | None = Field(default=None, max_length=_TEXT)
    #: GDPR 33(1): required with a ``gdpr`` report recorded after 72 h.
    delay_reason: str | None = Field(default=None, max_length=_TEXT)

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=_TEXT)
    discovered: datetime
    occurred: datetime | None = None
    category: str = Field(default="other", max_length=64)
    pi_types: list[str] = Field(default_factory=list, max_length=500)
    persons: int = Field(default=0, ge=0)
    sensitive: int = Field(default=0, ge=0)
    owner: str | None = Field(default=None, max_length=128)
    discoverer: str | None = Field(default=None, max_length=128)
    from_alert: str | None = Field(default=None, max_length=64)
    cause_known: bool = False
    texts: Texts = Field(default_factory=Texts)


class UpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    justification: str = Field(min_length=1, max_length=_TEXT)
    stage: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, max_length=_TEXT)
    texts: Texts = Field(default_factory=Texts)
    category: str | None = Field(default=None, max_length=64)
    pi_types: list[str] | None = Field(default=None, max_length=500)
    cause_known: bool | None = None
    owner: str | None = Field(default=None, max_length=128)
    #: Reports sent and when (``regulator``, ``follow_up``, ``final``, ``gdpr``, ``individuals``).
    reports: dict[str, datetime] = Field(default_factory=dict)


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actors: list[str] = Field(default_factory=list, max_length=100)
    clients: list[str] = Field(default_factory=list, max_length=100)
    since: datetime | None = None
    until: datetime | None = None
    #: Catalog actions that show data (default: all of them); an entry counts when its operation declares one.
    actions: list[Action] = Field(default_factory=lambda: sorted(DATA_ACTIONS), min_length=1)
    record_types: list[str] = Field(default_factory=list, max_length=100)
    fields: list[str] = Field(default_factory=list, max_length=500)


class GradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    persons: int | None = Field(default=None, ge=0)
    sensitive: int | None = Field(default=None, ge=0)
    large_amount: bool | None = None
    confirm: str | None = Field(default=None, max_length=32)
    justification: str = Field(default="", max_length=_TEXT)


class NotifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["draft", "send", "public", "skip"] = "draft"
    locale: Literal["zh", "en"] = "zh"
    skip_reason: str | None = Field(default=None, max_length=_TEXT)


class ContainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    freeze: str | None = Field(default=None, min_length=1, max_length=64)
    suspend_partner: str | None = Field(default=None, min_length=1, max_length=64)
    rotate_keys: bool = False
    justification: str = Field(default="", max_length=_TEXT)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    justification: str = Field(min_length=1, max_length=_TEXT)


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: str = Field(min_length=1, max_length=200_000)


class DrillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: date
    scenario: str = Field(min_length=1, max_length=_TEXT)
    participants: int = Field(ge=1)
    findings: str = Field(default="", max_length=_TEXT)


def build_router(inst: Installation) -> APIRouter:
    """The incident routes under ``/v1``."""
    incidents = inst.capability(Incidents)
    router = APIRouter(prefix="/v1", tags=["incidents"])

    @router.post("/incidents", status_code=201)
    def open_incident(body: OpenIn, request: Request, who: Who) -> dict[str, Any]:
        """Open an incident (by hand, or from an alert with ``from_alert``): id, grade, deadlines."""
        return incidents.open(
            context(request, who), title=body.title, discovered=body.discovered, occurred=body.occurred,
            category=body.category, pi_types=body.pi_types, persons=body.persons, sensitive=body.sensitive,
            owner=body.owner, discoverer=body.discoverer, from_alert=body.from_alert,
            cause_known=body.cause_known, texts=body.texts.given(),
        )  # fmt: skip

    @router.get("/incidents")
    def list_incidents(
        request: Request, who: Who, status: Literal["open", "closed"] | None = Query(default=None)
    ) -> dict[str, Any]:
        """The register (no texts)."""
        return {"incidents": incidents.find(context(request, who), status=status)}

    @router.post("/incidents/plan", status_code=201)
    def publish_plan(body: PlanIn, request: Request, who: Who) -> dict[str, Any]:
        """A new version of the emergency plan (R-INC-5)."""
        return incidents.publish_plan(context(request, who), body.document)

    @router.post("/incidents/drills", status_code=201)
    def record_drill(body: DrillIn, request: Request, who: Who) -> dict[str, Any]:
        """Record a drill of the emergency plan (R-INC-5)."""
        return incidents.record_drill(
            context(request, who), held_on=body.held_on, scenario=body.scenario,
            participants=body.participants, findings=body.findings,
        )  # fmt: skip

    @router.get("/incidents/drills")
    def list_drills(request: Request, who: Who) -> dict[str, Any]:
        """The plan's versions and the drills, and whether the yearly drill is overdue."""
        return incidents.drills(context(request, who))

    @router.get("/incidents/{incident_id}")
    def show_incident(incident_id: str, request: Request, who: Who) -> dict[str, Any]:
        """One incident: texts, timeline, clocks, affected counts by field and level, notices."""
        return incidents.show(context(request, who), incident_id[:64])

    @router.post("/incidents/{incident_id}/update")
    def update_incident(incident_id: str, body: UpdateIn, request: Request, who: Who) -> dict[str, Any]:
        texts = body.texts.given()
        if body.title is not None:
            texts["title"] = body.title
        return incidents.update(
            context(request, who), incident_id[:64], justification=body.justification, stage=body.stage,
            texts=texts or None, category=body.category, pi_types=body.pi_types,
            cause_known=body.cause_known, owner=body.owner, reports=body.reports or None,
        )  # fmt: skip

    @router.post("/incidents/{incident_id}/scope")
    def scope_incident(incident_id: str, body: ScopeIn, request: Request, who: Who) -> dict[str, Any]:
        """The customers touched, from the audit trail verified over the window first."""
        return incidents.scope(
            context(request, who), incident_id[:64], actors=body.actors, clients=body.clients,
            since=body.since, until=body.until, actions=body.actions, record_types=body.record_types,
            fields=body.fields,
        )  # fmt: skip

    @router.post("/incidents/{incident_id}/grade")
    def grade_incident(incident_id: str, body: GradeIn, request: Request, who: Who) -> dict[str, Any]:
        return incidents.grade(
            context(request, who), incident_id[:64], persons=body.persons, sensitive=body.sensitive,
            large_amount=body.large_amount, confirm=body.confirm, justification=body.justification,
        )  # fmt: skip

    @router.post("/incidents/{incident_id}/notify")
    def notify_incident(incident_id: str, body: NotifyIn, request: Request, who: Who) -> dict[str, Any]:
        """Draft the regulator's report, send individual notices, the public text, or skip (reason)."""
        return incidents.notify(
            context(request, who), incident_id[:64], mode=body.mode, locale=body.locale,
            skip_reason=body.skip_reason,
        )  # fmt: skip

    @router.post("/incidents/{incident_id}/contain")
    def contain_incident(incident_id: str, body: ContainIn, request: Request, who: Who) -> dict[str, Any]:
        """Contain: freeze a user or API client, suspend a partner's agreements, rotate the keys."""
        return incidents.contain(
            context(request, who), incident_id[:64], freeze=body.freeze,
            suspend_partner=body.suspend_partner, rotate_keys=body.rotate_keys,
            justification=body.justification,
        )  # fmt: skip

    @router.post("/incidents/{incident_id}/close")
    def close_incident(incident_id: str, body: CloseIn, request: Request, who: Who) -> dict[str, Any]:
        return incidents.close(context(request, who), incident_id[:64], justification=body.justification)

    return router
