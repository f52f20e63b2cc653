"""newsspider: news sites crawled into clean, validated JSON Lines."""

# The crawler's release (setup.py reads it) and the record schema's version.
__version__ = "1.5.0"
SCHEMA_VERSION = "1.5.0"
