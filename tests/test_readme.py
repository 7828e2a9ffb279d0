"""The README tells the truth: its tables are generated from configs/, its command list is complete."""

from __future__ import annotations

from archbench.cli import top_parser
from archbench.readme_tables import README, with_tables


def test_readme_tables_match_the_configs():
    text = README.read_text()
    assert with_tables(text) == text, "README's tables drift from configs/: run `make readme`"


def test_readme_command_list_names_every_subcommand():
    text = README.read_text()
    commands = top_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    for name, parser in commands.items():
        assert f"archbench {name}" in text, name
        if parser._subparsers is not None:  # noqa: SLF001
            for inner in parser._subparsers._group_actions[0].choices:  # noqa: SLF001
                assert inner in text.split(f"archbench {name} ", 1)[1].split("\n", 1)[0], f"{name} {inner}"
