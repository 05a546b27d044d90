import json

from indexer.feeds import FeedError, FeedItem, read_feed


def test_ndjson_reports_unparseable_lines_and_keeps_the_rest(tmp_path):
    path = tmp_path / "feed.ndjson"
    path.write_text('{"id": "a"}\n\n{"id": \n[1]\n{"id": "b"}\n')
    items = list(read_feed(path))
    assert [i.record["id"] for i in items if isinstance(i, FeedItem)] == ["a", "b"]
    errors = [i for i in items if isinstance(i, FeedError)]
    assert [e.where for e in errors] == [f"{path}:3", f"{path}:4"]
    assert "not valid JSON" in errors[0].reason


def test_json_accepts_a_list_or_a_clinics_object(tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"clinics": [{"id": "a"}, "oops"]}))
    items = list(read_feed(path))
    assert items[0].record == {"id": "a"} and items[0].where.endswith("#record1")
    assert isinstance(items[1], FeedError)


def test_csv_builds_nested_records(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text(
        "id,name,address.city,address.state,treatments,hours,price_range.min\n"
        'a,Glow,Charlotte,NC,microneedling; rf-microneedling,"{""timezone"": ""UTC""}",150\n'
        'b,Bad,Raleigh,NC,,"{not json",\n'
    )
    good, bad = list(read_feed(path))
    assert good.record == {
        "id": "a",
        "name": "Glow",
        "address": {"city": "Charlotte", "state": "NC"},
        "treatments": ["microneedling", "rf-microneedling"],
        "hours": {"timezone": "UTC"},
        "price_range": {"min": "150"},
    }
    assert isinstance(bad, FeedError) and bad.field == "hours" and bad.where == f"{path}:3"


def test_unknown_extension_is_an_error(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text("<x/>")
    [item] = read_feed(path)
    assert isinstance(item, FeedError) and "unsupported" in item.reason
