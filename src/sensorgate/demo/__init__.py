"""The demo installation: an organization, a workspace and an owner (owner.py), and sensors with realistic
recent data (catalog.py says what the sensors are, signals.py what they measure, seed.py writes it, sizes.py
says how much).

Nothing is imported here: the CLI reads sizes.py without loading the app, and importing a submodule runs this.
"""
