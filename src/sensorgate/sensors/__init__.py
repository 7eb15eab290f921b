"""Sensors: sensors, metrics, device groups, assets and virtual sensors."""
