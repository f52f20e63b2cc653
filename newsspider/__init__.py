"""newsspider: news sites crawled into clean, validated JSON Lines."""

SCHEMA_VERSION = "1.2.0"
