"""The metric catalogue and unit conversion.

Values are stored in each metric's canonical unit. A sensor may declare another unit of the same metric,
in which case ingest converts to canonical; a reader may ask for any unit the metric converts to.
Every conversion is linear: value_in_unit = canonical * scale + offset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

import msgspec

Convert = Callable[[float], float]

MAX_UNIT_LENGTH = 20
_METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")

# Exact pounds, kilograms and metres: psi is then exact too, rather than a rounded constant.
_PSI_IN_HPA = Fraction("0.45359237") * Fraction("9.80665") / Fraction("0.0254") ** 2 / 100

# Request spellings of each unit symbol. Symbols are matched exactly, so "MV" can never be read as "mV";
# spelled-out names (letters only, four or more) are also matched ignoring case, where no such mix-up exists.
_ALIASES: dict[str, tuple[str, ...]] = {
    "°C": ("C", "degC", "deg C", "℃", "celsius"),
    "°F": ("F", "degF", "deg F", "℉", "fahrenheit"),
    "K": ("kelvin",),
    "%": ("percent", "pct", "%RH", "% RH"),
    "hPa": ("mbar", "millibar", "hectopascal"),
    "Pa": ("pascal",),
    "kPa": ("kilopascal",),
    "psi": ("PSI",),
    "inHg": ("inhg", "in Hg"),
    "mmHg": ("mmhg", "mm Hg", "torr"),
    "bar": (),
    "lx": ("lux",),
    "µg/m³": ("ug/m3", "ug/m^3", "µg/m3", "μg/m³", "μg/m3"),  # the micro sign and the Greek mu both occur
    "m³/h": ("m3/h", "m^3/h"),
    "L/min": ("l/min", "lpm"),
    "L/s": ("l/s",),
    "ft": ("feet", "foot"),
    "in": ("inch", "inches"),
    "m": ("metre", "meter", "metres", "meters"),
    "lb": ("lbs", "pound", "pounds"),
    "Bq/m³": ("Bq/m3", "Bq/m^3"),
    "pCi/L": ("pCi/l",),
}


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    unit: str  # canonical
    description: str
    units: tuple[str, ...]  # every unit it can be read in, canonical first


@dataclass(frozen=True, slots=True)
class _Unit:
    symbol: str
    scale: Fraction
    offset: Fraction


def _u(symbol: str, *, scale: Fraction | str | int = 1, size: Fraction | str | None = None, offset: str = "0") -> _Unit:
    """One unit of a metric: `scale` of it make one canonical unit, or one of it is `size` canonical units."""
    factor = 1 / Fraction(size) if size is not None else Fraction(scale)
    return _Unit(symbol, factor, Fraction(offset))


_CATALOGUE: tuple[tuple[str, str, str, tuple[_Unit, ...]], ...] = (
    ("temperature", "°C", "Temperature", (_u("°F", scale="1.8", offset="32"), _u("K", offset="273.15"))),
    ("humidity", "%", "Relative humidity, in percent (% RH)", ()),
    ("co2", "ppm", "Carbon dioxide concentration", ()),
    (
        "pressure",
        "hPa",
        "Atmospheric or gauge pressure",
        (
            _u("Pa", scale=100),
            _u("kPa", scale="0.1"),
            _u("psi", size=_PSI_IN_HPA),
            _u("inHg", size="33.86389"),  # conventional inch of mercury (NIST SP 811)
            _u("mmHg", size="1.33322387415"),
            _u("bar", scale="0.001"),
        ),
    ),
    ("voltage", "V", "Electric potential", (_u("mV", scale=1000),)),
    ("battery", "%", "Battery charge remaining", ()),
    ("illuminance", "lx", "Ambient light", ()),
    ("pm2_5", "µg/m³", "Particulate matter up to 2.5 µm", ()),
    ("pm10", "µg/m³", "Particulate matter up to 10 µm", ()),
    ("voc", "ppb", "Volatile organic compounds", ()),
    ("noise", "dB", "Sound level", ()),
    (
        "distance",
        "m",
        "Distance",
        (_u("cm", scale=100), _u("mm", scale=1000), _u("ft", size="0.3048"), _u("in", size="0.0254")),
    ),
    (
        "flow",
        "m³/h",
        "Volumetric flow rate",
        (_u("L/min", scale=Fraction(1000, 60)), _u("L/s", scale=Fraction(1000, 3600))),
    ),
    ("energy", "kWh", "Energy", (_u("Wh", scale=1000), _u("MJ", scale="3.6"))),
    ("power", "W", "Power", (_u("kW", scale="0.001"),)),
    ("current", "A", "Electric current", (_u("mA", scale=1000),)),
    ("water_level", "m", "Water level", (_u("cm", scale=100), _u("ft", size="0.3048"))),
    ("weight", "kg", "Weight", (_u("g", scale=1000), _u("lb", size="0.45359237"))),
    ("radon", "Bq/m³", "Radon concentration", (_u("pCi/L", size="37"),)),
    ("frequency", "Hz", "Frequency", ()),
)


def _same(value: float) -> float:
    return value


def _linear(scale: float, offset: float) -> Convert:
    if offset == 0.0:
        return _same if scale == 1.0 else (lambda value: value * scale)
    return lambda value: value * scale + offset


def _inverse_linear(scale: float, offset: float) -> Convert:
    # Subtract first, then multiply: the exact inverse of _linear, so a round trip loses only a few ulps.
    if offset == 0.0:
        return _same if scale == 1.0 else (lambda value: value * scale)
    return lambda value: (value - offset) * scale


@dataclass(frozen=True, slots=True)
class _Tables:
    metrics: dict[str, Metric]
    to_unit: dict[tuple[str, str], Convert]
    from_unit: dict[tuple[str, str], Convert]
    spellings: dict[str, dict[str, str]]  # metric -> exact spelling -> symbol
    words: dict[str, dict[str, str]]  # metric -> lower-cased spelled-out name -> symbol


def _build() -> _Tables:
    tables = _Tables({}, {}, {}, {}, {})
    for name, canonical, description, others in _CATALOGUE:
        all_units = (_Unit(canonical, Fraction(1), Fraction(0)), *others)
        tables.metrics[name] = Metric(name, canonical, description, tuple(u.symbol for u in all_units))
        spellings = tables.spellings[name] = {}
        words = tables.words[name] = {}
        for unit in all_units:
            tables.to_unit[name, unit.symbol] = _linear(float(unit.scale), float(unit.offset))
            tables.from_unit[name, unit.symbol] = _inverse_linear(float(1 / unit.scale), float(unit.offset))
            spellings[unit.symbol] = unit.symbol
            for alias in _ALIASES.get(unit.symbol, ()):
                spellings[alias] = unit.symbol
                if alias.isalpha() and len(alias) >= 4:
                    words[alias.lower()] = unit.symbol
    return tables


_tables = _build()
_metrics = _tables.metrics

METRICS: Mapping[str, Metric] = MappingProxyType(_metrics)


def check_metric_name(name: str) -> str:
    if not _METRIC_NAME.fullmatch(name):
        raise ValueError(
            f"not a valid metric name: {name[:80]!r}; use a lower-case letter, then up to 39 lower-case letters, "
            "digits and underscores"
        )
    return name


def is_known(metric: str) -> bool:
    return metric in _metrics


def canonical_unit(metric: str, declared: str | None = None) -> str:
    """The unit values of `metric` are stored in; for a custom metric, the unit its sensor declared."""
    known = _metrics.get(metric)
    if known is not None:
        return known.unit
    check_metric_name(metric)
    if declared is None:
        raise ValueError(f"metric {metric!r} is not in the catalogue (GET /v1/metrics): give its unit")
    return _check_custom_unit(declared)


def normalize_unit(metric: str, unit: str) -> str:
    """The canonical symbol of `unit` for `metric`, resolving request aliases such as "degC" or "ug/m3"."""
    known = _metrics.get(metric)
    if known is None:
        check_metric_name(metric)
        return _check_custom_unit(unit)
    text = unit.strip()
    symbol = _tables.spellings[metric].get(text) or _tables.words[metric].get(text.lower())
    if symbol is None:
        raise ValueError(f"unknown unit {unit[:40]!r} for metric {metric!r}; allowed units: {', '.join(known.units)}")
    return symbol


def converter(metric: str, unit: str, *, declared_unit: str | None = None) -> Convert:
    """A function from the canonical unit of `metric` to `unit`. Build it once per request, apply it to every value.

    A custom metric only has its declared unit, so asking for it by name is the one request that succeeds.
    """
    return _lookup(_tables.to_unit, metric, unit, declared_unit)


def to_canonical(metric: str, unit: str, *, declared_unit: str | None = None) -> Convert:
    """A function from `unit` to the canonical unit of `metric`, for ingest."""
    return _lookup(_tables.from_unit, metric, unit, declared_unit)


def _lookup(table: dict[tuple[str, str], Convert], metric: str, unit: str, declared_unit: str | None) -> Convert:
    if metric in _metrics:
        return table[metric, normalize_unit(metric, unit)]
    wanted = normalize_unit(metric, unit)
    if declared_unit is None:
        raise ValueError(f"metric {metric!r} is a custom metric with no unit conversions")
    if wanted != declared_unit.strip():
        raise ValueError(f"unknown unit {unit[:40]!r} for custom metric {metric!r}; allowed units: {declared_unit}")
    return _same


def _check_custom_unit(unit: str) -> str:
    text = unit.strip()
    if not text or len(text) > MAX_UNIT_LENGTH or not text.isprintable():
        raise ValueError(f"not a valid unit: {unit[:40]!r}; use 1 to {MAX_UNIT_LENGTH} printable characters")
    return text


class CatalogMetric(msgspec.Struct, rename="camel"):
    """A metric of the catalogue, with its canonical unit and the units it converts to."""

    metric: str
    unit: str
    description: str
    units: list[str]


class MetricsOut(msgspec.Struct, rename="camel"):
    items: list[CatalogMetric]


def metrics_out() -> MetricsOut:
    """The body of GET /v1/metrics."""
    return MetricsOut(
        items=[
            CatalogMetric(metric=m.name, unit=m.unit, description=m.description, units=list(m.units))
            for m in _metrics.values()
        ]
    )
