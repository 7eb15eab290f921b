"""The metric catalogue and unit conversion."""

from __future__ import annotations

import math

import msgspec
import pytest

from sensorgate.sensors import units

CANONICAL = {
    "temperature": "°C",
    "humidity": "%",
    "co2": "ppm",
    "pressure": "hPa",
    "voltage": "V",
    "battery": "%",
    "illuminance": "lx",
    "pm2_5": "µg/m³",
    "pm10": "µg/m³",
    "voc": "ppb",
    "noise": "dB",
    "distance": "m",
    "flow": "m³/h",
    "energy": "kWh",
    "power": "W",
    "current": "A",
    "water_level": "m",
    "weight": "kg",
    "radon": "Bq/m³",
    "frequency": "Hz",
}

ALL_UNITS = [(metric.name, unit) for metric in units.METRICS.values() for unit in metric.units]
SAMPLES = [-1e6, -40.0, -1.5, 0.0, 1e-6, 0.1, 1.0, 21.5, 1013.25, 123456.789, 1e9]


def test_catalogue_has_each_metric_with_its_canonical_unit() -> None:
    assert {name: metric.unit for name, metric in units.METRICS.items()} == CANONICAL
    for metric in units.METRICS.values():
        assert metric.units[0] == metric.unit


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("temperature", {"°C", "°F", "K"}),
        ("pressure", {"hPa", "Pa", "kPa", "psi", "inHg", "mmHg", "bar"}),
        ("distance", {"m", "cm", "mm", "ft", "in"}),
        ("flow", {"m³/h", "L/min", "L/s"}),
        ("energy", {"kWh", "Wh", "MJ"}),
        ("water_level", {"m", "cm", "ft"}),
        ("weight", {"kg", "g", "lb"}),
        ("radon", {"Bq/m³", "pCi/L"}),
    ],
)
def test_metric_converts_to_its_units(metric: str, expected: set[str]) -> None:
    assert set(units.METRICS[metric].units) == expected


@pytest.mark.parametrize(
    ("metric", "unit", "canonical", "expected"),
    [
        ("temperature", "°F", 0.0, 32.0),
        ("temperature", "K", 0.0, 273.15),
        ("temperature", "°F", 100.0, 212.0),
        ("temperature", "°F", -40.0, -40.0),
        ("pressure", "Pa", 1013.25, 101325.0),
        ("pressure", "kPa", 1013.25, 101.325),
        ("pressure", "bar", 1013.25, 1.01325),
        ("voltage", "mV", 3.3, 3300.0),
        ("distance", "ft", 0.3048, 1.0),
        ("distance", "in", 1.0, 1 / 0.0254),
        ("flow", "L/min", 6.0, 100.0),
        ("flow", "L/s", 3.6, 1.0),
        ("energy", "Wh", 1.5, 1500.0),
        ("energy", "MJ", 1.0, 3.6),
        ("power", "kW", 2500.0, 2.5),
        ("current", "mA", 0.02, 20.0),
        ("weight", "lb", 0.45359237, 1.0),
        ("radon", "pCi/L", 148.0, 4.0),
    ],
)
def test_known_values(metric: str, unit: str, canonical: float, expected: float) -> None:
    assert math.isclose(units.converter(metric, unit)(canonical), expected, rel_tol=1e-12, abs_tol=1e-12)


def test_standard_atmosphere_in_mercury() -> None:
    to_inhg = units.converter("pressure", "inHg")
    to_mmhg = units.converter("pressure", "mmHg")
    # 1013.25 / 33.86389 = 29.921252...: the brief's 29.9212 to four places, truncated.
    assert abs(to_inhg(1013.25) - 29.9212) < 1e-4
    assert round(to_inhg(1013.25), 3) == 29.921
    assert abs(to_mmhg(1013.25) - 760.0) < 0.01


def test_one_psi_in_hpa() -> None:
    assert round(units.to_canonical("pressure", "psi")(1.0), 4) == 68.9476


@pytest.mark.parametrize(("metric", "unit"), ALL_UNITS)
def test_round_trip(metric: str, unit: str) -> None:
    there = units.converter(metric, unit)
    back = units.to_canonical(metric, unit)
    for value in SAMPLES:
        assert math.isclose(back(there(value)), value, rel_tol=1e-9, abs_tol=1e-9), (unit, value)
        assert math.isclose(there(back(value)), value, rel_tol=1e-9, abs_tol=1e-9), (unit, value)


def test_named_round_trips() -> None:
    c_to_f, f_to_c = units.converter("temperature", "F"), units.to_canonical("temperature", "F")
    hpa_to_inhg, inhg_to_hpa = units.converter("pressure", "inHg"), units.to_canonical("pressure", "inHg")
    for value in (-273.15, -17.5, 0.5, 36.6, 1000.0):
        assert math.isclose(f_to_c(c_to_f(value)), value, rel_tol=1e-9)
    for value in (300.0, 1013.25, 1084.8):
        assert math.isclose(inhg_to_hpa(hpa_to_inhg(value)), value, rel_tol=1e-9)


def test_canonical_unit_converts_to_itself() -> None:
    for metric in units.METRICS.values():
        assert units.converter(metric.name, metric.unit)(12.25) == 12.25
        assert units.to_canonical(metric.name, metric.unit)(12.25) == 12.25


def test_converter_is_built_once() -> None:
    assert units.converter("temperature", "°F") is units.converter("temperature", "degF")


@pytest.mark.parametrize(
    ("metric", "alias", "symbol"),
    [
        ("temperature", "C", "°C"),
        ("temperature", "degC", "°C"),
        ("temperature", "celsius", "°C"),
        ("temperature", "Celsius", "°C"),
        ("temperature", "F", "°F"),
        ("temperature", "kelvin", "K"),
        ("temperature", " °C ", "°C"),
        ("pm2_5", "ug/m3", "µg/m³"),
        ("pm10", "μg/m³", "µg/m³"),  # Greek mu instead of the micro sign
        ("pressure", "mbar", "hPa"),
        ("pressure", "PSI", "psi"),
        ("flow", "m3/h", "m³/h"),
        ("flow", "l/min", "L/min"),
        ("radon", "Bq/m3", "Bq/m³"),
        ("distance", "feet", "ft"),
        ("humidity", "%RH", "%"),
        ("illuminance", "lux", "lx"),
    ],
)
def test_aliases_resolve_to_the_canonical_symbol(metric: str, alias: str, symbol: str) -> None:
    assert units.normalize_unit(metric, alias) == symbol


def test_symbols_are_case_sensitive() -> None:
    # "MV" would be a megavolt: refusing it beats reading it as a millivolt.
    with pytest.raises(ValueError, match="unknown unit 'MV'"):
        units.normalize_unit("voltage", "MV")


def test_unknown_unit_names_the_allowed_units() -> None:
    with pytest.raises(ValueError, match=r"unknown unit 'R' for metric 'temperature'; allowed units: °C, °F, K"):
        units.converter("temperature", "R")
    with pytest.raises(ValueError, match="allowed units: hPa, Pa, kPa, psi, inHg, mmHg, bar"):
        units.to_canonical("pressure", "atm")


def test_unit_of_another_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown unit"):
        units.converter("temperature", "hPa")


@pytest.mark.parametrize("name", ["temperature", "pm2_5", "x", "vibration", "a" + "b" * 39])
def test_valid_metric_names(name: str) -> None:
    assert units.check_metric_name(name) == name


@pytest.mark.parametrize("name", ["", "Temperature", "2fast", "_x", "a-b", "a b", "a" * 41, "temp\n", "températur"])
def test_invalid_metric_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a valid metric name"):
        units.check_metric_name(name)


def test_custom_metric() -> None:
    assert units.is_known("temperature")
    assert not units.is_known("vibration")
    assert units.canonical_unit("temperature") == "°C"
    assert units.canonical_unit("vibration", "mm/s") == "mm/s"
    assert units.normalize_unit("vibration", " mm/s ") == "mm/s"
    assert units.converter("vibration", "mm/s", declared_unit="mm/s")(3.5) == 3.5
    assert units.to_canonical("vibration", "mm/s", declared_unit="mm/s")(3.5) == 3.5


def test_custom_metric_has_no_conversions() -> None:
    with pytest.raises(ValueError, match="no unit conversions"):
        units.converter("vibration", "mm/s")
    with pytest.raises(ValueError, match="allowed units: mm/s"):
        units.converter("vibration", "in/s", declared_unit="mm/s")
    with pytest.raises(ValueError, match="give its unit"):
        units.canonical_unit("vibration")


@pytest.mark.parametrize("unit", ["", "   ", "x" * 21, "mm\n/s"])
def test_custom_unit_must_be_short_and_printable(unit: str) -> None:
    with pytest.raises(ValueError, match="not a valid unit"):
        units.normalize_unit("vibration", unit)


def test_invalid_metric_name_is_refused_everywhere() -> None:
    for call in (
        lambda: units.canonical_unit("Bad Name", "x"),
        lambda: units.normalize_unit("Bad Name", "x"),
        lambda: units.converter("Bad Name", "x"),
    ):
        with pytest.raises(ValueError, match="not a valid metric name"):
            call()


def test_metrics_wire_form() -> None:
    body = msgspec.json.decode(msgspec.json.encode(units.metrics_out()))
    assert set(body) == {"items"}
    by_name = {item["metric"]: item for item in body["items"]}
    assert set(by_name) == set(CANONICAL)
    assert by_name["temperature"] == {
        "metric": "temperature",
        "unit": "°C",
        "description": units.METRICS["temperature"].description,
        "units": ["°C", "°F", "K"],
    }
    assert by_name["pm2_5"]["unit"] == "µg/m³"
    assert all(item["description"] for item in body["items"])
