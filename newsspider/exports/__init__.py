"""Dataset exports: one snapshot of a spider's records, as JSON Lines or Parquet, with a card.

``records.py`` gathers records (run outputs, the PostgreSQL records table) into a snapshot;
``duplicates.py`` marks near-duplicate articles; ``formats.py`` writes the files; ``card.py``
the dataset card; ``command.py`` is ``python -m newsspider export``.
"""
