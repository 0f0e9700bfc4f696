"""Region subtrees (services/regions.py): the SQL condition and the Python test say the same, at
every level, on SQLite and PostgreSQL; a code that only shares leading digits is not inside.
Imported coordinates are converted from their datum."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlmodel import Session, col, select

from marketplace.models import Household, Hub, Region, Role
from marketplace.services import geo
from marketplace.services.regions import (
    in_subtree,
    is_within,
    load_reference_data,
    overlaps,
    region_rows,
    subtree,
)

DbUnit = Callable[[], AbstractContextManager[Session]]


def _descendants(root: str) -> set[str]:
    """``root`` and every region below it, by walking the parent links of the reference data
    (not by prefix, so the test does not restate the rule it checks)."""
    parent = {r.code: r.parent_code for r in region_rows()}
    out = set()
    for code in parent:
        node: str | None = code
        while node:
            if node == root:
                out.add(code)
                break
            node = parent.get(node) or None
    return out


@pytest.mark.parametrize(
    "root",
    [
        "330102",  # district 上城区
        "330110",  # district 余杭区: 330111 (富阳区) shares its first five digits
        "330102001",  # street 清波街道
        "330102001051",  # community 清波门社区 (a leaf)
    ],
)
def test_in_subtree_selects_the_region_and_everything_below(db: DbUnit, root: str) -> None:
    expected = _descendants(root)
    with db() as s:
        found = set(s.exec(select(Region.code).where(in_subtree(Region.code, root))).all())
        hubs = set(s.exec(select(Hub.region_code).where(in_subtree(Hub.region_code, root))).all())
        listed = [r.code for r in subtree(s, root)]
    assert found == expected
    assert hubs == expected  # one hub per district, street and community
    assert listed == sorted(expected)
    assert all(is_within(code, root) for code in expected)


def test_codes_sharing_leading_digits_are_outside() -> None:
    assert not is_within("330111", "330110")
    assert not is_within("330111001001", "330110")
    assert not is_within("330102003051", "330102001")
    assert not is_within("330102001052", "330102001051")
    assert not is_within("330102", "330102001")  # an ancestor is not inside its child
    assert is_within("330102001051", "330102001051")


def test_overlaps_in_either_direction() -> None:
    assert overlaps("330102", "330102001051")
    assert overlaps("330102001051", "330102")
    assert not overlaps("330110", "330111002")


def test_neighbouring_district_and_street_are_excluded(db: DbUnit) -> None:
    with db() as s:
        for root, neighbour in (("330110", "330111"), ("330102001", "330102003")):
            codes = set(s.exec(select(Region.code).where(in_subtree(Region.code, root))).all())
            assert codes and not any(c.startswith(neighbour) for c in codes)
            assert any(c.startswith(neighbour) for c in s.exec(select(Region.code)).all())


def test_households_of_a_subtree(
    db: DbUnit, make_user: Callable[..., Any], make_household: Callable[..., Household]
) -> None:
    staff = make_user(Role.HUB_STAFF, hub="330102")
    west = make_user(Role.HUB_STAFF, hub="330106")
    here = make_household(staff)  # 330102001051
    street_neighbour = make_household(staff, community_code="330102003052")
    elsewhere = make_household(west, community_code="330106002051")

    def ids(root: str) -> set[int | None]:
        with db() as s:
            stmt = select(Household.id).where(in_subtree(Household.community_code, root))
            return set(s.exec(stmt).all())

    assert ids("330102") == {here.id, street_neighbour.id}
    assert ids("330102001") == {here.id}
    assert ids("330102001051") == {here.id}
    assert ids("330106") == {elsewhere.id}
    assert ids("330110") == set()
    with db() as s:  # the condition also serves ORDER BY / LIMIT queries unchanged
        first = s.exec(
            select(Household.id)
            .where(in_subtree(Household.community_code, "330102"))
            .order_by(col(Household.id).desc())
            .limit(1)
        ).one()
    assert first == street_neighbour.id


def test_import_coords_converts_the_datum(app, db, tmp_path):
    wgs = (30.2601, 120.1633)
    gcj = geo.wgs84_to_gcj02(*wgs)
    path = tmp_path / "coords.csv"
    path.write_text(f"code,lat,lon\n330102003,{gcj[0]},{gcj[1]}\n", encoding="utf-8")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["regions", "import-coords", str(path)]).exit_code == 2
    result = runner.invoke(args=["regions", "import-coords", str(path), "--datum", "gcj02"])
    assert result.exit_code == 0, result.output
    with db() as s:
        region = s.get(Region, "330102003")
        assert geo.distance_m((region.lat, region.lon), wgs) < 0.05
        assert region.coords_source == "imported"


def test_hub_names_say_the_level_once(db: DbUnit) -> None:
    """上城区助联体, not 上城区区县助联体 (issue 12 item 7)."""
    with db() as s:
        names = {h.region_code: h.name for h in s.exec(select(Hub))}
    assert names["330102"] == "上城区助联体"
    assert names["330102001"].endswith("街道助联站") and "镇街" not in names["330102001"]
    assert all(n.endswith("助联点") for code, n in names.items() if len(code) == 12)
    assert not any(
        w in n for n in names.values() for w in ("区县助联体", "镇街助联站", "村社助联点")
    )


def test_loading_again_renames_the_old_hub_names_only(db: DbUnit) -> None:
    with db() as s:
        district = s.exec(select(Hub).where(Hub.region_code == "330102")).one()
        street = s.exec(select(Hub).where(Hub.region_code == "330102001")).one()
        district.name = "上城区区县助联体"  # as the first releases named it
        street.name = "清波街道助联站（新址）"  # renamed by the administrator: kept
    with db() as s:
        added = load_reference_data(s)
    assert added["hubs_renamed"] == 1 and added["hubs"] == 0
    with db() as s:
        assert s.exec(select(Hub.name).where(Hub.region_code == "330102")).one() == "上城区助联体"
        kept = s.exec(select(Hub.name).where(Hub.region_code == "330102001")).one()
        assert kept == "清波街道助联站（新址）"
