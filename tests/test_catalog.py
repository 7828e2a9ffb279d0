"""The dataset catalogue: every entry's facts as its YAML states them, loaded offline; `archbench datasets`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archbench.build import build_datamodule
from archbench.catalog import FAMILIES, TASKS, data_config, entries, expand_datasets, select
from archbench.cli import main
from archbench.data.sources import SOURCES, source_module
from archbench.errors import ArchbenchError
from archbench.spec import RunSpec, load_study

ENTRIES = entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_every_entry_loads_offline_with_the_facts_its_yaml_states(entry, no_network):
    data = build_datamodule(RunSpec(arch="mlp", data=entry.name))
    stated = {key: getattr(entry, key) for key in data.observed_facts()}
    assert data.observed_facts() == stated
    assert data.task == ("regression" if entry.task == "forecasting" else entry.task)
    if entry.family == "table":
        assert data.seq_len == 0
    if entry.task == "forecasting":
        assert entry.length is None and entry.family == "sequence"


def test_data_config_leaves_the_facts_out_of_what_the_datamodule_parses():
    config = data_config("gunpoint")
    assert "catalog" not in config and config["class_path"] == "archbench.data.UCRDataModule"


def test_datasets_json_lists_the_catalogue_with_its_keys(capsys):
    assert main(["datasets", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {e["name"] for e in listed} == {e.name for e in ENTRIES}
    for item in listed:
        assert {"name", "task", "family", "rows", "source"} <= set(item)
        assert item["task"] in TASKS and item["family"] in FAMILIES and item["rows"] > 0


def test_datasets_name_prints_one_entry_with_its_citation(capsys):
    assert main(["datasets", "gunpoint"]) == 0
    out = capsys.readouterr().out
    assert "citation: Dau et al. 2019" in out and "rows: 200" in out


def test_an_unknown_dataset_names_the_nearest_and_how_to_list_them(capsys):
    assert main(["datasets", "gunpint"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "gunpoint" in err and "archbench datasets" in err
    assert main(["train", "--arch", "mlp", "--data", "wnie"]) == 2
    assert "did you mean wine" in capsys.readouterr().err


def test_datasets_answers_without_importing_torch():
    probe = "\n".join(
        [
            "import sys",
            "from archbench.cli import main",
            "main(['datasets', '--json'])",
            "assert 'torch' not in sys.modules",
        ]
    )
    subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True)


def test_a_study_selects_datasets_by_family_and_task():
    tables = select(family="table")
    assert tables and all(e.family == "table" and e.real for e in ENTRIES if e.name in tables)
    assert expand_datasets({"family": "sequence", "task": "forecasting"}) == select("sequence", "forecasting")
    assert load_study("tables")["datasets"] == tables
    assert load_study("sequences")["datasets"] == select(family="sequence")
    with pytest.raises(ArchbenchError, match="allowed: family, real, task"):
        expand_datasets({"kind": "table"})
    with pytest.raises(ArchbenchError, match="unknown family 'tabel'"):
        expand_datasets({"family": "tabel"})


def test_the_catalogue_holds_20_real_tables_of_both_tasks_with_categories_and_large_ones():
    tables = [e for e in ENTRIES if e.family == "table" and e.real]
    assert len(tables) >= 20
    assert sum(e.task == "classification" for e in tables) >= 8 and sum(e.task == "regression" for e in tables) >= 8
    assert sum((e.categorical or 0) > 0 for e in tables) >= 5
    assert sum(e.rows >= 20_000 for e in tables) >= 3


def test_a_table_names_the_extra_its_source_package_needs():
    for entry in ENTRIES:
        if entry.family == "table" and entry.source in SOURCES:
            assert entry.extra == source_module(entry.source).EXTRA, entry.name
