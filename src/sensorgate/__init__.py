"""sensorgate: self-hosted sensor-data API."""

__version__ = "0.1.0"
