"""Choosing a hub by its region (services/region_picker.py): a pick level by level that drops
what does not fit, the lists of each level, the path of a code, and the name search."""

from __future__ import annotations

from marketplace.services import region_picker
from marketplace.services.region_picker import Pick
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY


def test_a_consistent_pick_keeps_every_level(db):
    with db() as s:
        chosen = region_picker.pick(s, "330102", "330102001", COMMUNITY)
        assert chosen == Pick("330102", "330102001", COMMUNITY) and chosen.code == COMMUNITY
        assert region_picker.pick_of(s, COMMUNITY) == chosen
        assert region_picker.pick_of(s, "330102001") == Pick("330102", "330102001")
        assert region_picker.pick_of(s, "330102").code == "330102"


def test_levels_outside_the_higher_ones_are_dropped(db):
    with db() as s:
        # A street and community of another district under 上城区: only the district stays.
        assert region_picker.pick(s, "330102", "330106002", OTHER_DISTRICT_COMMUNITY) == Pick(
            "330102"
        )
        # A community of another street of the same district.
        assert region_picker.pick(s, "330102", "330102003", COMMUNITY) == Pick(
            "330102", "330102003"
        )
        # No community without its street, nothing without a district, unknown codes dropped.
        assert region_picker.pick(s, "330102", "", COMMUNITY) == Pick("330102")
        assert region_picker.pick(s, "", "330102001", COMMUNITY) == Pick()
        assert region_picker.pick(s, "999999", "999999001") == Pick()
        assert region_picker.pick(s, "330100") == Pick()  # the city is no district
        assert region_picker.pick(s, "330102", "330102999") == Pick("330102")
        assert Pick().code == ""


def test_levels_list_the_chosen_districts_streets_and_the_streets_communities(db):
    with db() as s:
        nothing = region_picker.levels(s, Pick())
        assert len(nothing.districts) == 13 and nothing.streets == nothing.communities == []
        assert "330100" not in {r.code for r in nothing.districts}
        chosen = region_picker.levels(s, region_picker.pick_of(s, COMMUNITY))
        assert {r.code for r in chosen.streets} >= {"330102001", "330102003", "330102004"}
        assert all(len(r.code) == 9 and r.code.startswith("330102") for r in chosen.streets)
        assert COMMUNITY in {r.code for r in chosen.communities}
        assert all(r.code.startswith("330102001") for r in chosen.communities)
        assert len(chosen.communities) == len({r.code for r in chosen.communities})


def test_path_and_search(db):
    with db() as s:
        assert region_picker.path(s, COMMUNITY) == "上城区 › 清波街道 › 清波门社区"
        assert region_picker.path(s, "330102001") == "上城区 › 清波街道"
        found = region_picker.search(s, " 清波 ")
        assert found[:2] == [
            ("330102001", "上城区 › 清波街道"),
            (COMMUNITY, "上城区 › 清波街道 › 清波门社区"),
        ]
        assert all("清波" in p for _, p in found)
        lengths = [len(code) for code, _ in found]
        assert lengths == sorted(lengths)  # districts first, then streets, then communities
        assert region_picker.search(s, "上城")[0] == ("330102", "上城区")
        assert "330100" not in {c for c, _ in region_picker.search(s, "杭州")}  # not the city
        assert len(region_picker.search(s, "社区", limit=5)) == 5
        assert region_picker.search(s, "  ") == []


def test_the_tree_has_every_district_street_and_community_once(db):
    with db() as s:
        tree = region_picker.tree(s)
        assert len(tree) == 13 and tree[0].code == "330102" and tree[0].name == "上城区"
        qingbo = next(st for st in tree[0].streets if st.code == "330102001")
        assert qingbo.name == "清波街道"
        assert COMMUNITY in [c.code for c in qingbo.communities]
        # Every street is under its district, every community under its street.
        codes = [
            c.code
            for d in tree
            for st in d.streets
            if st.code.startswith(d.code)
            for c in st.communities
            if c.code.startswith(st.code)
        ]
        assert len(codes) == len(set(codes)) == 3320
        data = region_picker.tree_data(s)
        assert data[0][0:2] == ["330102", "上城区"]
        assert data[0][2][0][0:2] == ["330102001", "清波街道"]
        assert [COMMUNITY, "清波门社区"] in data[0][2][0][2]


def test_chosen_codes_get_their_paths_and_unknown_ones_are_dropped(db):
    with db() as s:
        assert region_picker.chosen(s, [COMMUNITY, "330102", "330199", "330102"]) == [
            ("330102", "上城区"),
            (COMMUNITY, "上城区 › 清波街道 › 清波门社区"),
        ]
