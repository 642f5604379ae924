"""Demo data on an empty database: the first load creates, the next one changes nothing; the
`demo-data` command and its --if-empty."""

from __future__ import annotations

from engage.demo import load_demo_data
from tests.core.test_demo import row_counts


def test_second_load_changes_nothing_and_duplicates_nothing():
    first = load_demo_data()
    after_first = row_counts()
    second = load_demo_data()
    assert row_counts() == after_first
    assert " 0 created" not in first.split(";")[0]
    assert second.startswith("demo data: ")
    for part in second.removeprefix("demo data: ").split("; "):
        assert part.endswith(" 0 created, 0 updated"), part


def test_demo_data_command_and_if_empty(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("demo data: cities 9 created")
    counts = row_counts()

    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "skipped" in again.output
    assert row_counts() == counts
