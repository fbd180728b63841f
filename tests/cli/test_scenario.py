"""`orderloom scenario run`: scenario files run on a throw-away database with a simulated clock; each
failed expectation printed as FILE:LINE:COL, a summary, and the exit status (0 all passed, 1 a failure,
2 a malformed file)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from cli.main import main

DESK = """\
scenario: desk-unpaid
clock: '2026-05-01T10:00:00+08:00'
setup:
  users:
    ann: {roles: [clerk], departments: [desk]}
steps:
  - create: desk-order
    as: ann
    channel: phone
    data: {customer: 王芳, total: 120}
  - advance: 29m
  - worker: once
  - expect: {state: pending_payment}
  - advance: 1m
  - worker: once
  - expect:
      state: cancelled
      audit: [{trigger: cancel, reason: unpaid_timeout}]
"""


def scenario_run(root: Path, *args: str) -> Result:
    env = {"ORDERLOOM_DEFINITIONS": str(root)}
    return CliRunner().invoke(main, ["scenario", "run", *args], env=env, catch_exceptions=False)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / "scenarios" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scenario_that_holds_passes_with_exit_status_0(root: Path) -> None:
    path = write(root, "unpaid.yaml", DESK)
    result = scenario_run(root, str(path))
    assert result.exit_code == 0, result.output
    assert "PASS desk-unpaid: 7 steps, 3 expectations" in result.output
    assert result.output.rstrip().endswith("scenarios: 1 passed, 0 failed, 0 malformed")


def test_each_failed_expectation_is_printed_at_its_place_and_the_status_is_1(root: Path) -> None:
    path = write(root, "unpaid.yaml", DESK.replace("state: cancelled", "state: paid"))
    result = scenario_run(root, str(path))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert (
        "scenarios/unpaid.yaml:17:14: error: expected state paid, got cancelled [at $.steps[6].expect.state]"
        in lines
    )
    assert "FAIL desk-unpaid: 1 failure(s), 3 expectations" in lines
    assert lines[-1] == "scenarios: 0 passed, 1 failed, 0 malformed"


def test_the_report_is_in_chinese_with_lang_zh(root: Path) -> None:
    path = write(root, "unpaid.yaml", DESK.replace("state: cancelled", "state: paid"))
    result = scenario_run(root, str(path), "--lang", "zh")
    assert result.exit_code == 1
    assert "scenarios/unpaid.yaml:17:14: 错误: 期望 状态 为 paid，实际为 cancelled" in result.output
    assert "场景：0 个通过，1 个失败，0 个文件有误" in result.output


def test_a_malformed_file_is_not_run_and_the_status_is_2(root: Path) -> None:
    good = write(root, "a-good.yaml", DESK)
    bad = write(root, "b-bad.yaml", DESK.replace("advance: 29m", "advance: 29 minutes"))
    result = scenario_run(root, str(root / "scenarios"))
    assert result.exit_code == 2, result.output
    assert "scenarios/b-bad.yaml:11:14: error: '29 minutes' is not a duration" in result.output
    assert "PASS desk-unpaid" in result.output  # the good file still ran
    assert result.output.rstrip().endswith("scenarios: 1 passed, 0 failed, 1 malformed")
    assert good.exists() and bad.exists()


def test_a_name_the_definitions_lack_is_a_malformed_file(root: Path) -> None:
    path = write(root, "typo.yaml", DESK.replace("create: desk-order", "create: desk-ordr"))
    result = scenario_run(root, str(path))
    assert result.exit_code == 2
    assert "scenarios/typo.yaml:7:13: error: unknown workflow 'desk-ordr'; did you mean 'desk-order'?" in (
        result.output
    )


def test_a_folder_without_scenario_files_is_a_usage_error(root: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = scenario_run(root, str(empty))
    assert result.exit_code == 2
    assert "no scenario files found" in result.output


def test_each_file_runs_on_a_database_of_its_own(root: Path) -> None:
    # the same users twice: were the database shared, the second file could not store its users again
    first = write(root, "one.yaml", DESK)
    second = write(root, "two.yaml", DESK)
    result = scenario_run(root, str(first), str(second))
    assert result.exit_code == 0, result.output
    assert result.output.count("PASS desk-unpaid") == 2
