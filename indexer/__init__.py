"""The ingest pipeline and the index: feeds are read, validated, geocoded and stored through the
registry, then written to Elasticsearch behind an alias.

The web app uses one thing from here: `indexer.sync.index_pending`, the outbox drain.
"""
