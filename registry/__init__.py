"""The system of record: every table of the store, and the clinic record's domain.

SQLAlchemy models and their one Alembic history, the record's schema and vocabularies, the
values derived from it, the listing-edit service, reviews, the index outbox's store side,
settings and the geocoder. Both the indexer and the web app build on this package; it
imports neither of them.
"""
