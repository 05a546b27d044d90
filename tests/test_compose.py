"""docker-compose.yml stays valid for those who use Docker (no engine is needed to check it)."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).parents[1] / "docker-compose.yml").read_text())


def test_default_services_and_cluster_profile():
    services = COMPOSE["services"]
    default = {name for name, s in services.items() if "profiles" not in s}
    assert default == {"elasticsearch", "indexer", "app"}
    cluster = {name for name, s in services.items() if "cluster" in s.get("profiles", [])}
    assert {"es01", "es02", "es03", "postgres", "app1", "app2"} <= cluster
    assert services["app1"]["environment"]["ELASTICSEARCH_URL"].count("http://") == 3
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_images_use_the_same_elasticsearch_major_version():
    assert COMPOSE["services"]["es01"]["image"].endswith(":9.5.4")
    assert COMPOSE["services"]["elasticsearch"]["image"].endswith(":9.5.4")
