"""Aranet's numeric ids for our metrics and units, and which metrics are telemetry.

Aranet names metrics and units by number ("1" is temperature, "101" is °F). Where Aranet has the metric or unit,
we use its own number, so a client that hard-codes them keeps working; the rest get numbers of ours from 1001 up,
which never change once given: add new ones at the end, never renumber. A metric outside our catalogue (a
custom name) gets a number derived from its name, from 2,000,000 up, and its unit likewise from 3,000,000 up.

Aranet splits a device's readings into measurements (kind `g`, for gauge) and telemetry (kind `t`): the device's
own state. Ours are `battery` and `rssi` (a custom metric, signal strength in dBm); every other metric is a
measurement.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

TELEMETRY = frozenset({"battery", "rssi"})

# metric name -> its number; Aranet's own where Aranet has the metric.
METRIC_IDS: dict[str, int] = {
    "temperature": 1,
    "humidity": 2,
    "co2": 3,
    "pressure": 4,
    "rssi": 61,
    "battery": 62,
    "voltage": 1001,
    "illuminance": 1002,
    "pm2_5": 1003,
    "pm10": 1004,
    "voc": 1005,
    "noise": 1006,
    "distance": 1007,
    "flow": 1008,
    "energy": 1009,
    "power": 1010,
    "current": 1011,
    "water_level": 1012,
    "weight": 1013,
    "radon": 1014,
    "frequency": 1015,
}

# (metric, unit symbol) -> its number. Aranet numbers a unit per metric: "%" is 2 for humidity, 132 for battery.
UNIT_IDS: dict[tuple[str, str], int] = {
    ("temperature", "°C"): 1,
    ("temperature", "°F"): 101,
    ("temperature", "K"): 102,
    ("humidity", "%"): 2,
    ("co2", "ppm"): 3,
    ("pressure", "Pa"): 4,
    ("pressure", "mmHg"): 103,
    ("pressure", "hPa"): 104,
    ("pressure", "bar"): 105,
    ("pressure", "psi"): 106,
    ("pressure", "inHg"): 114,
    ("rssi", "dBm"): 11,
    ("battery", "%"): 132,
    ("pressure", "kPa"): 1001,
    ("voltage", "V"): 1002,
    ("voltage", "mV"): 1003,
    ("illuminance", "lx"): 1004,
    ("pm2_5", "µg/m³"): 1005,
    ("pm10", "µg/m³"): 1006,
    ("voc", "ppb"): 1007,
    ("noise", "dB"): 1008,
    ("distance", "m"): 1009,
    ("distance", "cm"): 1010,
    ("distance", "mm"): 1011,
    ("distance", "ft"): 1012,
    ("distance", "in"): 1013,
    ("flow", "m³/h"): 1014,
    ("flow", "L/min"): 1015,
    ("flow", "L/s"): 1016,
    ("energy", "kWh"): 1017,
    ("energy", "Wh"): 1018,
    ("energy", "MJ"): 1019,
    ("power", "W"): 1020,
    ("power", "kW"): 1021,
    ("current", "A"): 1022,
    ("current", "mA"): 1023,
    ("water_level", "m"): 1024,
    ("water_level", "cm"): 1025,
    ("water_level", "ft"): 1026,
    ("weight", "kg"): 1027,
    ("weight", "g"): 1028,
    ("weight", "lb"): 1029,
    ("radon", "Bq/m³"): 1030,
    ("radon", "pCi/L"): 1031,
    ("frequency", "Hz"): 1032,
}

_METRIC_NAMES = {number: name for name, number in METRIC_IDS.items()}
_UNITS = {number: pair for pair, number in UNIT_IDS.items()}

# Aranet's display names where they differ from our descriptions.
METRIC_TITLES: dict[str, str] = {
    "temperature": "Temperature",
    "humidity": "Humidity",
    "co2": "CO₂",
    "pressure": "Atmospheric Pressure",
    "rssi": "RSSI",
    "battery": "Battery",
}


def kind(metric: str) -> str:
    return "t" if metric in TELEMETRY else "g"


def metric_id(metric: str) -> str:
    number = METRIC_IDS.get(metric)
    return str(number if number is not None else 2_000_000 + zlib.crc32(metric.encode()) % 1_000_000)


def unit_id(metric: str, unit: str) -> str:
    number = UNIT_IDS.get((metric, unit))
    if number is None:
        number = 3_000_000 + zlib.crc32(f"{metric}\0{unit}".encode()) % 1_000_000
    return str(number)


def known_metric(number: str) -> str | None:
    """The catalogue metric with this number; custom metrics are found by comparing metric_id()."""
    return _METRIC_NAMES.get(int(number)) if number.isdigit() and len(number) < 10 else None


def known_unit(number: str) -> tuple[str, str] | None:
    return _UNITS.get(int(number)) if number.isdigit() and len(number) < 10 else None


@dataclass(frozen=True, slots=True)
class Precision:
    """Decimal places Aranet shows a unit with; a display hint only, values are never rounded."""

    places: dict[str, int]

    def of(self, unit: str) -> int:
        return self.places.get(unit, 2)


PRECISION = Precision({"ppm": 0, "dBm": 0, "%": 1, "°C": 1, "°F": 1, "K": 1, "hPa": 1, "Pa": 0, "lx": 0})
