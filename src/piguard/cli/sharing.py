"""``piguard partners|agreements|assessments|share|disclose|extract|transfers``: governed sharing (issue 15).

Every command runs one declared operation of :class:`~piguard.sharing.Sharing` as the acting
principal (``PIGUARD_TOKEN``). ``share`` and ``extract`` write the desensitised or anonymised
content to ``--out`` and print its manifest; ``--json`` prints one JSON document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from piguard.cli.options import HomeOpt, JsonOpt, context, day_option, open_home
from piguard.cli.output import emit, reporting, stdout
from piguard.errors import ValidationError
from piguard.sharing import Agreement, Assessment, Partner, Sharing

__all__ = ["register"]

partners_app = typer.Typer(help="The partner register: who may receive customer data.", no_args_is_help=True)
agreements_app = typer.Typer(
    help="Agreements with partners: the exact fields and rules.", no_args_is_help=True
)
assessments_app = typer.Typer(help="Impact assessments (PIPIA, GB/T 39335-2020).", no_args_is_help=True)
transfers_app = typer.Typer(help="The transfer log (kept at least 3 years).", no_args_is_help=True)

OutOpt = Annotated[Path, typer.Option("--out", help="Where to write the content.")]


def _day(text: str, name: str) -> Any:
    day = day_option(text, name)
    if day is None:
        raise ValidationError("a date YYYY-MM-DD", name)
    return day


def _json_file(path: Path, name: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ValidationError("a readable JSON file", name) from None


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _partner_line(p: Partner) -> str:
    return f"{p.id}  {p.name}  {p.country}  {p.role}  {p.status}  assessment until {p.assessment_expires}"


def _agreement_line(a: Agreement) -> str:
    term = f"{a.starts_on}..{a.ends_on}"
    return f"{a.id}  {a.partner_id}  {a.type}  {a.purpose}  {a.state}  {term}  {','.join(a.fields)}"


def _assessment_line(a: Assessment) -> str:
    link = a.agreement_id or a.purpose
    return f"{a.id}  v{a.version}  {link}  {a.conclusion}  valid until {a.valid_until}"


@partners_app.command("add")
def partner_add(
    name: Annotated[str, typer.Option("--name")],
    contact: Annotated[str, typer.Option("--contact")],
    country: Annotated[str, typer.Option("--country", help="ISO 3166 two letters (CN, SG ...).")],
    role: Annotated[str, typer.Option("--role", help="entrusted, recipient or joint.")],
    security: Annotated[str, typer.Option("--security", help="ISO/IEC 27001, 等保三级 ...")],
    assessed: Annotated[str, typer.Option("--assessed", help="Date of the security assessment.")],
    expires: Annotated[str, typer.Option("--expires", help="Its expiry date.")],
    assessor: Annotated[str, typer.Option("--assessor")],
    uscc: Annotated[str | None, typer.Option("--uscc", help="Unified social credit code.")] = None,
    authority: Annotated[
        bool, typer.Option("--authority", help="A judicial or law-enforcement body.")
    ] = False,
    notify_url: Annotated[
        str | None,
        typer.Option("--notify-url", help="The partner's https:// endpoint for deletion notices."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a partner."""
    with reporting(as_json), open_home(home) as inst:
        p = inst.capability(Sharing).add_partner(
            context(inst),
            name=name,
            uscc_code=uscc,
            contact=contact,
            country=country,
            role=role,
            security_basis=security,
            assessed_on=_day(assessed, "assessed"),
            assessment_expires=_day(expires, "expires"),
            assessor=assessor,
            authority=authority,
            notify_url=notify_url,
        )
    emit(p.as_dict(), as_json, lambda: stdout.print(_partner_line(p), soft_wrap=True, highlight=False))


@partners_app.command("list")
def partner_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every partner."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Sharing).partners(context(inst))

    def human() -> None:
        for p in found:
            stdout.print(_partner_line(p), soft_wrap=True, highlight=False)

    emit({"partners": [p.as_dict() for p in found]}, as_json, human)


@partners_app.command("show")
def partner_show(
    partner_id: Annotated[str, typer.Argument()], home: HomeOpt = None, as_json: JsonOpt = False
) -> None:
    """One partner."""
    with reporting(as_json), open_home(home) as inst:
        [p] = inst.capability(Sharing).partners(context(inst), partner_id)
    emit(p.as_dict(), as_json, lambda: stdout.print_json(data=p.as_dict()))


@agreements_app.command("add")
def agreement_add(
    partner: Annotated[str, typer.Option("--partner")],
    type_: Annotated[str, typer.Option("--type", help="entrustment, provision, joint or cross_border.")],
    purpose: Annotated[str, typer.Option("--purpose")],
    fields: Annotated[
        Path, typer.Option("--fields", help='JSON file: {"field": rule or {"rule", "params"}}.')
    ],
    method: Annotated[str, typer.Option("--method")],
    safeguards: Annotated[str, typer.Option("--safeguards")],
    starts: Annotated[str, typer.Option("--starts")],
    ends: Annotated[str, typer.Option("--ends")],
    document_sha256: Annotated[
        str, typer.Option("--document-sha256", help="SHA-256 of the signed document.")
    ],
    sub_entrustment: Annotated[bool, typer.Option("--sub-entrustment")] = False,
    mechanism: Annotated[str | None, typer.Option("--mechanism", help="Cross-border mechanism.")] = None,
    destination: Annotated[str | None, typer.Option("--destination", help="Cross-border country.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an agreement with its exact fields and their desensitisation rules."""
    with reporting(as_json):
        rules = _json_file(fields, "fields")
        with open_home(home) as inst:
            a = inst.capability(Sharing).add_agreement(
                context(inst),
                partner_id=partner,
                type=type_,
                purpose=purpose,
                fields=rules,
                method=method,
                safeguards=safeguards,
                starts_on=_day(starts, "starts"),
                ends_on=_day(ends, "ends"),
                document_sha256=document_sha256,
                sub_entrustment=sub_entrustment,
                mechanism=mechanism,
                destination=destination,
            )
    emit(a.as_dict(), as_json, lambda: stdout.print(_agreement_line(a), soft_wrap=True, highlight=False))


@agreements_app.command("list")
def agreement_list(
    partner: Annotated[str | None, typer.Option("--partner")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Agreements (a partner's)."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Sharing).agreements(context(inst), partner_id=partner)

    def human() -> None:
        for a in found:
            stdout.print(_agreement_line(a), soft_wrap=True, highlight=False)

    emit({"agreements": [a.as_dict() for a in found]}, as_json, human)


@agreements_app.command("show")
def agreement_show(
    agreement_id: Annotated[str, typer.Argument()], home: HomeOpt = None, as_json: JsonOpt = False
) -> None:
    """One agreement."""
    with reporting(as_json), open_home(home) as inst:
        [a] = inst.capability(Sharing).agreements(context(inst), agreement_id)
    emit(a.as_dict(), as_json, lambda: stdout.print_json(data=a.as_dict()))


@agreements_app.command("end")
def agreement_end(
    agreement_id: Annotated[str, typer.Argument()],
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="returned or deleted (entrustments).")
    ] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence-sha256", help="SHA-256 of the evidence.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """End an agreement (an entrustment with its return-or-delete evidence)."""
    with reporting(as_json), open_home(home) as inst:
        a = inst.capability(Sharing).end_agreement(
            context(inst), agreement_id, outcome=outcome, evidence_sha256=evidence
        )
    emit(a.as_dict(), as_json, lambda: stdout.print(_agreement_line(a), soft_wrap=True, highlight=False))


@assessments_app.command("add")
def assessment_add(
    sections: Annotated[Path, typer.Option("--sections", help="JSON file with the GB/T 39335 sections.")],
    conclusion: Annotated[str, typer.Option("--conclusion")],
    reviewer: Annotated[str, typer.Option("--reviewer")],
    assessed: Annotated[str, typer.Option("--assessed")],
    valid_until: Annotated[str, typer.Option("--valid-until")],
    agreement: Annotated[str | None, typer.Option("--agreement")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an impact assessment (the next version for its agreement or purpose)."""
    with reporting(as_json):
        body = _json_file(sections, "sections")
        with open_home(home) as inst:
            a = inst.capability(Sharing).add_assessment(
                context(inst),
                sections=body,
                conclusion=conclusion,
                reviewer=reviewer,
                assessed_on=_day(assessed, "assessed"),
                valid_until=_day(valid_until, "valid_until"),
                agreement_id=agreement,
                purpose=purpose,
            )
    emit(a.as_dict(), as_json, lambda: stdout.print(_assessment_line(a), soft_wrap=True, highlight=False))


@assessments_app.command("list")
def assessment_list(
    agreement: Annotated[str | None, typer.Option("--agreement")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Impact assessments, newest version first."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Sharing).assessments(context(inst), agreement_id=agreement)

    def human() -> None:
        for a in found:
            stdout.print(_assessment_line(a), soft_wrap=True, highlight=False)

    emit({"assessments": [a.as_dict() for a in found]}, as_json, human)


@assessments_app.command("show")
def assessment_show(
    assessment_id: Annotated[str, typer.Argument()], home: HomeOpt = None, as_json: JsonOpt = False
) -> None:
    """One impact assessment with its sections."""
    with reporting(as_json), open_home(home) as inst:
        [a] = inst.capability(Sharing).assessments(context(inst), assessment_id)
    emit(a.as_dict(), as_json, lambda: stdout.print_json(data=a.as_dict()))


def share(
    agreement: Annotated[str, typer.Option("--agreement")],
    fields: Annotated[str, typer.Option("--fields", help="a,b,c")],
    out: OutOpt,
    customers: Annotated[
        Path | None, typer.Option("--customers", help="A file of customer ids, one a line.")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every customer (those without consent are left out).")
    ] = False,
    output: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    grant: Annotated[
        str | None, typer.Option("--grant", help="An approved export grant (large shares).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Share customers' data with a partner under an agreement, desensitised and logged."""
    with reporting(as_json):
        ids = None
        if customers is not None:
            ids = [
                line.strip() for line in customers.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
        with open_home(home) as inst:
            result = inst.capability(Sharing).share(
                context(inst),
                agreement,
                fields=_csv(fields),
                customers=ids,
                all_customers=all_,
                output=output,
                grant_id=grant,
            )
        out.write_bytes(result.content)
        out.with_name(out.name + ".manifest.json").write_text(
            json.dumps(
                {"manifest": result.manifest, "signature": result.signature}, ensure_ascii=False, indent=2
            )
        )
    data = result.as_dict()

    def human() -> None:
        stdout.print(
            f"{result.transfer_id}: {result.persons} persons -> {out}; left out {result.left_out or 0}"
        )
        for warning in result.warnings:
            stdout.print(f"warning: {warning}")

    emit(data, as_json, human)


def disclose(
    rules: Annotated[
        Path, typer.Option("--rules", help="JSON: each field disclosed and its rule (no pseudonyms).")
    ],
    medium: Annotated[str, typer.Option("--medium", help="Where it is published.")],
    out: OutOpt,
    purpose: Annotated[str, typer.Option("--purpose", "-p")] = "public_disclosure",
    customers: Annotated[
        Path | None, typer.Option("--customers", help="A file of customer ids, one a line.")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every customer (those without separate consent are left out).")
    ] = False,
    output: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    grant: Annotated[
        str | None, typer.Option("--grant", help="An approved export grant (large disclosures).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Disclose customers' data publicly: separate consent and a PIPIA, logged."""
    with reporting(as_json):
        ids = None
        if customers is not None:
            ids = [
                line.strip() for line in customers.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
        spec = _json_file(rules, "rules")
        if not isinstance(spec, dict):
            raise ValidationError("a JSON object of field -> rule", "rules")
        with open_home(home) as inst:
            result = inst.capability(Sharing).disclose(
                context(inst),
                purpose=purpose,
                fields=spec,
                medium=medium,
                customers=ids,
                all_customers=all_,
                output=output,
                grant_id=grant,
            )
        out.write_bytes(result.content)
        out.with_name(out.name + ".manifest.json").write_text(
            json.dumps(
                {"manifest": result.manifest, "signature": result.signature}, ensure_ascii=False, indent=2
            )
        )
    emit(
        result.as_dict(),
        as_json,
        lambda: stdout.print(
            f"{result.transfer_id}: {result.persons} persons -> {out}; left out {result.left_out or 0}"
        ),
    )


def extract(
    fields: Annotated[str, typer.Option("--fields", help="a,b,c")],
    quasi: Annotated[str, typer.Option("--quasi", help="The quasi-identifiers among the fields.")],
    out: OutOpt,
    k: Annotated[int, typer.Option("--k")] = 5,
    l: Annotated[int | None, typer.Option("--l", help="l-diversity on --sensitive.")] = None,  # noqa: E741
    sensitive: Annotated[str | None, typer.Option("--sensitive")] = None,
    purpose: Annotated[str, typer.Option("--purpose", "-p")] = "analytics",
    output: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """An anonymised extract: refused (non-zero exit) unless k (and l) are reached."""
    with reporting(as_json):
        with open_home(home) as inst:
            result = inst.capability(Sharing).extract(
                context(inst, purpose),
                fields=_csv(fields),
                quasi=_csv(quasi),
                k=k,
                l=l,
                sensitive=sensitive,
                output=output,
            )
        out.write_bytes(result.content)
    data = {
        "rows": result.rows,
        "k": result.k,
        "l": result.l,
        "suppressed": result.suppressed,
        "transfer_id": result.transfer_id,
        "left_out": result.left_out,
    }
    emit(data, as_json, lambda: stdout.print(f"{result.rows} rows, k={result.k}, l={result.l} -> {out}"))


@transfers_app.command("list")
def transfers_list(
    partner: Annotated[str | None, typer.Option("--partner")] = None,
    customer: Annotated[str | None, typer.Option("--customer")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The transfer log, newest first, by partner or customer."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Sharing).transfers(context(inst), partner_id=partner, customer_id=customer)

    def human() -> None:
        for t in found:
            stdout.print(
                f"{t['id']}  {t['at']}  {t['kind']}  {t['partner_id'] or '-'}  "
                f"{t['persons']} persons  {t['purpose']}",
                soft_wrap=True,
                highlight=False,
            )

    emit({"transfers": found}, as_json, human)


def register(app: typer.Typer) -> None:
    """Add the sharing commands to the main CLI."""
    app.add_typer(partners_app, name="partners")
    app.add_typer(agreements_app, name="agreements")
    app.add_typer(assessments_app, name="assessments")
    app.add_typer(transfers_app, name="transfers")
    app.command("share")(share)
    app.command("extract")(extract)
    app.command("disclose")(disclose)
