"""Separation of duties: nobody holds both sides of an approval (issue 11, item 3; R-USE-2).

Whoever creates an account learns its initial password, TOTP seed or API key, so until proven
otherwise the creator can act as it. Three rules follow, each a function here so that the
grant and account paths call the same check:

- **Two-person rule for privileged accounts** (:func:`creation_status`): an account of a
  *privileged* role (:func:`privileged_roles`: one that may decide grants, administer accounts,
  or see any field in clear through a grant) created by an administrator starts ``pending`` and
  works only once another principal (a second administrator or an approver role) approves the
  change (:func:`check_account_approver`). The bootstrap credential sets the first accounts up
  directly, but once the first administrator exists it can only propose privileged accounts.
- **Lineage** (:func:`lineage`): an account's creator, the creator's creator, … up to the
  bootstrap credential, read from ``access_principals.created_by`` (recorded for every account).
- **No approval inside one lineage** (:func:`check_separation`): an approver may not decide a
  request of an account it created (directly or through accounts it created), of its own
  creator, or of an account created by the same principal (siblings: both credentials were in
  one hand). Requester and approver being the same principal is refused first.

Every refusal names the rule ``separation of duties`` and is recorded by the caller.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, select

from piguard.access.decision import BOOTSTRAP_ROLE, Policy
from piguard.access.tables import principals
from piguard.catalog import Catalog
from piguard.catalog.vocabulary import BUILTIN_ROLES
from piguard.errors import AccessDenied
from piguard.principal import Actor

RULE: Final = "separation of duties"
#: The id the bootstrap credential acts under (:data:`piguard.access.authentication.BOOTSTRAP_ID`).
BOOTSTRAP_ID: Final = "bootstrap"
#: Lineages are short (bootstrap -> administrator -> staff); a cap guards against a cycle.
_MAX_DEPTH: Final = 32


def privileged_roles(catalog: Catalog) -> frozenset[str]:
    """Roles whose accounts need a second person: those that may ``approve`` or ``administer``,
    and those that see any field in clear for one of their purposes (a grant or a minor's data
    then makes that clear access hinge on an approval)."""
    policy = Policy(catalog)
    out = set()
    for name, role in catalog.roles.items():
        if name in BUILTIN_ROLES:
            continue
        if {"approve", "administer"} & role.actions:
            out.add(name)
            continue
        for rt_name, rt in catalog.record_types.items():
            if any(
                policy.decide(name, rt_name, fdef, purpose).level == "clear"
                for fdef in rt.fields.values()
                for purpose in role.purposes & set(fdef.purposes)
            ):
                out.add(name)
                break
    return frozenset(out)


def administrators_exist(conn: Connection, catalog: Catalog) -> bool:
    """Does an active account of a role with ``administer`` exist (the end of the setup window)?"""
    roles = [n for n, r in catalog.roles.items() if "administer" in r.actions and n not in BUILTIN_ROLES]
    if not roles:
        return False
    query = select(principals.c.id).where(principals.c.role.in_(roles), principals.c.status == "active")
    return conn.execute(query.limit(1)).first() is not None


def creation_status(conn: Connection, catalog: Catalog, creator: Actor, role: str) -> str:
    """``active`` or ``pending``: the status a new account of ``role`` made by ``creator`` starts in.

    Privileged roles start pending (two-person rule), except while the bootstrap credential sets
    the installation up and no administrator exists yet.
    """
    if role not in privileged_roles(catalog):
        return "active"
    if creator.role == BOOTSTRAP_ROLE and not administrators_exist(conn, catalog):
        return "active"
    return "pending"


def lineage(conn: Connection, principal_id: str) -> list[str]:
    """``principal_id`` and its chain of creators, nearest first, ending at the bootstrap id (or at
    an id with no account row)."""
    chain = [principal_id]
    current = principal_id
    for _ in range(_MAX_DEPTH):
        if current == BOOTSTRAP_ID:
            break
        row = conn.execute(select(principals.c.created_by).where(principals.c.id == current)).first()
        if row is None or row.created_by in chain:
            break
        current = row.created_by
        chain.append(current)
    return chain


def check_separation(conn: Connection, approver_id: str, requester_id: str) -> None:
    """Refuse an approval where one hand may hold both sides.

    :raises AccessDenied: self-approval; the approver in the requester's lineage or the other way
        round (creator and creature); or both created by the same principal.
    """
    if approver_id == requester_id:
        raise AccessDenied("no self-approval: another principal must approve this", "no self-approval")
    mine = lineage(conn, approver_id)
    theirs = lineage(conn, requester_id)
    if approver_id in theirs:
        raise AccessDenied(
            f"{RULE}: the approver created the requester's account (directly or through accounts it "
            "created) and may know its credentials; ask an approver of another lineage",
            RULE,
        )
    if requester_id in mine:
        raise AccessDenied(
            f"{RULE}: the requester created the approver's account; ask another approver", RULE
        )
    shared = (set(mine[1:]) & set(theirs[1:])) - {BOOTSTRAP_ID}
    same_creator = len(mine) > 1 and len(theirs) > 1 and mine[1] == theirs[1]
    if shared or same_creator:
        raise AccessDenied(
            f"{RULE}: approver and requester were created by the same principal, who may hold both "
            "credentials; ask an approver created by someone else",
            RULE,
        )


def check_account_approver(conn: Connection, catalog: Catalog, approver: Actor, account_id: str) -> None:
    """May ``approver`` activate the pending account ``account_id`` (the second person)?

    The approver is an active administrator or a role that may ``approve`` (the officer), never the
    account itself, its creator, or anyone of the creator's lineage.

    :raises AccessDenied: as above, or the bootstrap credential (it may not be the second person).
    """
    if approver.role == BOOTSTRAP_ROLE:
        raise AccessDenied(f"{RULE}: the bootstrap credential cannot approve account changes", RULE)
    role = catalog.roles.get(approver.role)
    if role is None or not {"administer", "approve"} & role.actions:
        raise AccessDenied(
            f"role '{approver.role}' may not approve account changes (needs administer or approve)",
            f"roles.{approver.role}.actions",
        )
    row = conn.execute(select(principals.c.created_by).where(principals.c.id == account_id)).first()
    creator = row.created_by if row is not None else BOOTSTRAP_ID
    if approver.id == account_id:
        raise AccessDenied(f"{RULE}: an account cannot approve its own creation", RULE)
    if approver.id in lineage(conn, creator) or (
        creator != BOOTSTRAP_ID and creator in lineage(conn, approver.id)
    ):
        raise AccessDenied(
            f"{RULE}: a second person must approve: not the creator of the account, nor an account "
            "the creator made",
            RULE,
        )
