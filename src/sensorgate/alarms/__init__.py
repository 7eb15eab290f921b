"""Alarm rules and the alarms they raise."""
