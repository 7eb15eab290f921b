"""Measurements: ingest, queries, rollups and unit conversion."""
