"""The demo installation: an organization, a workspace and an owner (owner.py), and sensors with realistic
recent data (catalog.py says what the sensors are, signals.py what they measure, seed.py writes it)."""

from sensorgate.demo.owner import DEMO_EMAIL, DEMO_ORG, DemoInfo, seed_demo

__all__ = ["DEMO_EMAIL", "DEMO_ORG", "DemoInfo", "seed_demo"]
