"""The city seed's branches, projects and a year of records (issue 16 item 9), at a tiny scale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from marketplace.db import get_engine
from marketplace.models import Branch, Contribution, Offer, Organisation, Project, User, utcnow
from marketplace.services import project_reports


@pytest.mark.slow
def test_city_seed_gives_branches_projects_and_records(app, db):
    from marketplace.city import Scale, seed_city

    counts = seed_city(get_engine(app), scale=Scale.of(0.02), seed=7)
    members = counts["members"]
    assert counts["records"] == members * 3
    with db() as s:
        in_branch = s.exec(
            select(func.count()).select_from(User).where(User.branch_id.is_not(None))  # type: ignore[union-attr]
        ).one()
        assert in_branch == members
        party = {o.id for o in s.exec(select(Organisation).where(Organisation.type == "party_org"))}
        assert {b.org_id for b in s.exec(select(Branch))} <= party
        assert s.exec(select(Offer).where(Offer.project_id.is_(None))).first() is None  # type: ignore[union-attr]
        assert s.exec(select(func.count()).select_from(Project)).one() >= counts["organisations"]
        oldest = s.exec(select(func.min(Contribution.ended_at))).one()
        assert oldest is not None
        # The largest branch's report: its figures equal a count of its records.
        sizes = s.exec(
            select(Contribution.branch_id, func.count()).group_by(Contribution.branch_id)
        ).all()
        bid, n = max(sizes, key=lambda r: r[1])
        d_from, d_to = project_reports.default_period()
        report = project_reports.branch_report(s, s.get(Branch, bid), d_from, d_to)
        in_period = s.exec(
            select(func.count())
            .select_from(Contribution)
            .where(
                Contribution.branch_id == bid,
                Contribution.ended_at >= utcnow() - timedelta(days=364),
            )
        ).one()
        assert report.records <= n and abs(report.records - in_period) <= n * 0.02 + 1
