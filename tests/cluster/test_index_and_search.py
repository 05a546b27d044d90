"""A full `indexer load` and `rebuild` on the three-node cluster; then every geodesic check passes on it."""

import pytest

# The search correctness checks of tests/search, collected here too: against the directory that
# the CLI loaded and rebuilt on the cluster (see directory_settings in conftest.py).
from tests.search.test_correctness import *  # noqa: F403

pytestmark = pytest.mark.cluster


def test_load_then_rebuild_swap_the_alias_to_a_complete_green_index(cli_directory, es, records):
    run = cli_directory
    assert run.load.returncode == 0, run.load.stderr
    assert run.rebuild.returncode == 0, run.rebuild.stderr
    clinics = len(records)
    [loaded], [rebuilt] = run.loaded_index, run.rebuilt_index
    assert rebuilt != loaded and not es.indices.exists(index=loaded)
    settings = es.indices.get_settings(index=rebuilt)[rebuilt]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("3", "1")
    green = es.options(request_timeout=90).cluster.health(
        index=rebuilt, wait_for_status="green", timeout="60s"
    )
    assert green["status"] == "green"
    copies = es.cat.shards(index=rebuilt, format="json")
    assert len(copies) == 6 and len({c["node"] for c in copies}) == 3
    assert es.count(index=run.settings.index)["count"] == clinics
    # A reader during the rebuild always found one complete index behind the alias.
    assert run.during_rebuild.seen and not run.during_rebuild.errors
    assert {count for _, count in run.during_rebuild.seen} == {clinics}
    assert {names for names, _ in run.during_rebuild.seen} <= {(loaded,), (rebuilt,)}
