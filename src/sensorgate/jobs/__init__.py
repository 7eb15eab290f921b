"""Periodic jobs (the purge), run by `sensorgate jobs run` or by the scheduler inside `serve`."""
