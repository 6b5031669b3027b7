"""The ``req`` marker (tests/_req.py): IDs are validated at collection and mapped to tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._req import DEFAULT_REQUIREMENTS, check_ids, known_ids, named_ids, requirements_file

CHECKLIST = """# Requirements
- **R-USE-4** PI is masked by default.
- **R-AUD-1** Log every access.
Elsewhere R-XYZ-9 is only mentioned, not defined.
"""


@pytest.fixture
def checklist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "requirements.md"
    path.write_text(CHECKLIST, encoding="utf-8")
    monkeypatch.setenv("PIGUARD_REQUIREMENTS_MD", str(path))
    return path


@pytest.fixture
def inner(pytester: pytest.Pytester, checklist: Path) -> pytest.Pytester:
    pytester.makeconftest('pytest_plugins = ["tests._req"]')
    return pytester


def test_ids_are_those_the_checklist_defines(checklist: Path) -> None:
    assert requirements_file() == checklist
    assert known_ids(checklist) == frozenset({"R-USE-4", "R-AUD-1"})
    assert known_ids(None) is None


def test_unknown_ids_and_bad_shapes_are_reported() -> None:
    known = frozenset({"R-USE-4"})
    assert check_ids(["R-USE-4"], known) == []
    assert check_ids(["R-USE-9"], known) == ["R-USE-9 is not a requirement of the checklist"]
    assert check_ids(["R-USE-9"], None) == []  # no checklist: the shape only
    assert check_ids(["USE-4", 4], None) == [
        "'USE-4' is not a requirement ID (expected the shape R-XXX-N)",
        "4 is not a requirement ID (expected the shape R-XXX-N)",
    ]
    assert check_ids([], known) == ["req marker without a requirement ID"]


def test_names_and_docstring_prefixes_are_read() -> None:
    assert named_ids("test_x_r_use_1_r_use_5", None) == {"R-USE-1", "R-USE-5"}
    assert named_ids("test_R_COL_3_property", "R-STO-3 and R-USE-2: the loader refuses") == {
        "R-COL-3",
        "R-STO-3",
        "R-USE-2",
    }
    assert named_ids("test_rule_prints_r_use", "Prints R-USE-3 somewhere: not a prefix") == set()


@pytest.mark.skipif(not DEFAULT_REQUIREMENTS.is_file(), reason="no shared/requirements.md beside the clone")
def test_the_shared_checklist_defines_the_ids_in_use() -> None:
    ids = known_ids(DEFAULT_REQUIREMENTS)
    assert ids is not None and {"R-USE-4", "R-AUD-1", "R-VAL-1"} <= ids


def test_an_unknown_id_fails_collection(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.req("R-USE-4", "R-XYZ-9")
        def test_a():
            pass
        """
    )
    result = inner.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid requirement markers*", "*test_a: R-XYZ-9 is not a requirement*"])
    result.assert_outcomes()  # nothing ran


def test_a_name_without_its_marker_fails_collection(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        '''
        def test_masked_r_use_4():
            """R-AUD-1: also named here."""
        '''
    )
    result = inner.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*test_masked_r_use_4: names R-AUD-1 but has no @pytest.mark.req('R-AUD-1')",
            "*test_masked_r_use_4: names R-USE-4 but has no @pytest.mark.req('R-USE-4')",
        ]
    )


def test_the_map_lists_tests_and_outcomes_per_requirement(inner: pytest.Pytester, checklist: Path) -> None:
    inner.makepyfile(
        test_one="""
        import pytest

        pytestmark = pytest.mark.req("R-AUD-1")

        @pytest.mark.req("R-USE-4")
        @pytest.mark.parametrize("n", [1, 2])
        def test_masked(n):
            assert n == 1

        @pytest.mark.req("R-USE-4")
        @pytest.mark.xfail(reason="known")
        def test_known_gap():
            raise AssertionError

        @pytest.mark.skip(reason="later")
        def test_skipped():
            pass

        def test_unmarked():
            pass
        """,
        test_two="""
        def test_elsewhere():
            pass
        """,
    )
    result = inner.runpytest()
    result.assert_outcomes(passed=3, failed=1, skipped=1, xfailed=1)
    data = json.loads((inner.path / "test-artifacts" / "requirements-map.json").read_text())
    marked = [
        "test_one.py::test_known_gap",
        "test_one.py::test_masked[1]",
        "test_one.py::test_masked[2]",
        "test_one.py::test_skipped",
        "test_one.py::test_unmarked",
    ]
    assert data["requirements"] == {
        "R-AUD-1": marked,
        "R-USE-4": marked[:3],
    }
    assert data["outcomes"] == {
        "test_one.py::test_known_gap": "xfailed",
        "test_one.py::test_masked[1]": "passed",
        "test_one.py::test_masked[2]": "failed",
        "test_one.py::test_skipped": "skipped",
        "test_one.py::test_unmarked": "passed",
    }
    assert data["untested"] == []
    assert "test_two.py::test_elsewhere" not in data["outcomes"]
    assert data["source"] == str(checklist)


def test_the_map_goes_where_asked(inner: pytest.Pytester) -> None:
    inner.makepyfile("def test_a():\n    pass\n")
    target = inner.path / "out" / "map.json"
    inner.runpytest(f"--req-map={target}").assert_outcomes(passed=1)
    assert json.loads(target.read_text())["requirements"] == {}
    assert not (inner.path / "test-artifacts").exists()


def test_suite_configuration_is_strict(pytestconfig: pytest.Config) -> None:
    """Unknown markers are errors and an xfail that passes fails the run."""
    assert pytestconfig.getini("xfail_strict") is True
    assert pytestconfig.option.strict_markers or pytestconfig.getini("strict_markers")
