"""The demo sensors: what kinds there are, and what the n-th demo sensor is called and measures.

Sensor n is always the same sensor (name, serial, metrics, seed), so a later `demo seed` recognises the
sensors an earlier one made by their serials.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensorgate.demo.signals import Profile, seed_of

SEED = 20_260_101
# The dew point sensor reads the temperature and humidity of demo sensor 0, which every demo has.
VIRTUAL_SERIAL = "VIRT-00001"
VIRTUAL_METRIC = "dew_point"
VIRTUAL_EXPRESSION = "dewpoint(t, rh)"


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    type: str
    serial_prefix: str
    assets: tuple[str, ...]  # "{floor}" is filled in per sensor
    tags: tuple[str, ...]
    profiles: tuple[Profile, ...]
    # Numbered kinds are "Office 1", "Office 2"; others are "Server room", then "Server room 2".
    numbered: bool = False
    # None: the building of the sensor's round (building-a, building-b, ...).
    group: str | None = None


def _battery() -> Profile:
    return Profile("battery", 100.0, shape="battery", digits=0)


def _indoor(temperature: float, swing: float, humidity: float, co2: float | None) -> tuple[Profile, ...]:
    """An Aranet4-style room sensor; warmer afternoons mean drier air, people mean CO2."""
    profiles = [
        Profile("temperature", temperature, daily=swing, peak_hour=15, drift=0.6, noise=0.08, spread=0.8),
        Profile("humidity", humidity, daily=swing * 3, peak_hour=4, drift=6, noise=0.4, spread=4, digits=0, high=95),
    ]
    if co2 is not None:
        profiles.append(
            Profile("co2", 430, daily=co2, shape="workday", drift=25, noise=12, spread=20, digits=0, low=400)
        )
    profiles.append(Profile("pressure", 1013, daily=0.6, peak_hour=10, drift=12, noise=0.1, digits=1))
    profiles.append(_battery())
    return tuple(profiles)


KINDS: tuple[Kind, ...] = (
    Kind("Office", "Aranet4", "AR4", ("Floor {floor}",), ("indoor",), _indoor(21.5, 1.2, 38, 650), numbered=True),
    Kind(
        "Server room",
        "Aranet4",
        "AR4",
        ("IT", "Basement"),
        ("indoor", "critical"),
        (
            Profile("temperature", 19.5, daily=0.3, drift=0.3, noise=0.05, spread=0.5),
            Profile("humidity", 32, daily=1, peak_hour=4, drift=3, noise=0.3, digits=0),
            _battery(),
        ),
    ),
    Kind(
        "Cold store",
        "Aranet T/RH",
        "ART",
        ("Cold chain",),
        ("cold-chain",),
        (
            # Doors open during the working day, so the store is warmest in the afternoon.
            Profile("temperature", 3.5, daily=0.5, peak_hour=14, drift=0.4, noise=0.15, spread=0.5),
            Profile("humidity", 84, daily=2, peak_hour=14, drift=4, noise=0.8, digits=0, high=99),
            _battery(),
        ),
    ),
    Kind("Meeting room", "Aranet4", "AR4", ("Floor {floor}",), ("indoor",), _indoor(21, 1.5, 40, 900), numbered=True),
    Kind(
        "Pump station",
        "Ayyeka Wavelet",
        "WVL",
        ("Water supply",),
        ("water", "outdoor"),
        (
            # Water pressure sags with the morning and evening demand; the solar panel charges around noon.
            Profile("pressure", 4200, daily=300, peak_hour=3, drift=80, noise=12, spread=300, digits=0),
            Profile("voltage", 12.8, daily=0.6, peak_hour=13, drift=0.1, noise=0.02, digits=2),
            _battery(),
        ),
        group="utilities",
    ),
    Kind("Warehouse", "Aranet4", "AR4", ("Ground floor",), ("indoor",), _indoor(14, 3.5, 58, 150)),
    Kind(
        "Freezer",
        "Aranet T/RH",
        "ART",
        ("Cold chain",),
        ("cold-chain",),
        (Profile("temperature", -19.5, daily=0.5, peak_hour=11, drift=0.6, noise=0.25, spread=1), _battery()),
    ),
    Kind(
        "Boiler room",
        "Ayyeka Wavelet",
        "WVL",
        ("Heating", "Basement"),
        ("heating",),
        (
            # Heating runs hardest in the early morning.
            Profile("temperature", 32, daily=6, peak_hour=6, drift=2, noise=0.3, spread=2),
            Profile("pressure", 1600, daily=60, peak_hour=6, drift=20, noise=3, digits=0),
            Profile("voltage", 24.1, daily=0.05, drift=0.05, noise=0.03, digits=2),
        ),
        group="utilities",
    ),
    Kind("Lobby", "Aranet4", "AR4", ("Ground floor",), ("indoor",), _indoor(19.5, 2, 42, 300)),
    Kind(
        "Rooftop",
        "Aranet T/RH",
        "ART",
        ("Roof",),
        ("outdoor",),
        (
            Profile("temperature", 9, daily=5, peak_hour=15, drift=4, noise=0.15, spread=1),
            Profile("humidity", 72, daily=15, peak_hour=5, drift=10, noise=1, digits=0, low=15, high=100),
            Profile("pressure", 1012, daily=0.8, peak_hour=10, drift=14, noise=0.1, digits=1),
            _battery(),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class DemoSensor:
    index: int
    name: str
    serial: str
    type: str
    device_group: str
    assets: tuple[str, ...]
    tags: tuple[str, ...]
    profiles: tuple[Profile, ...]
    seed: int


def demo_sensors(count: int) -> list[DemoSensor]:
    """The first `count` demo sensors, cycling through the kinds, one building per round."""
    seen: dict[str, int] = {}
    found = []
    for index in range(count):
        round_, position = divmod(index, len(KINDS))
        kind = KINDS[position]
        number = seen[kind.name] = seen.get(kind.name, 0) + 1
        name = f"{kind.name} {number}" if kind.numbered or number > 1 else kind.name
        floor = round_ % 3 + 1
        found.append(
            DemoSensor(
                index=index,
                name=name,
                serial=f"{kind.serial_prefix}-{index + 1:05d}",
                type=kind.type,
                device_group=kind.group or f"building-{chr(ord('a') + round_ % 26)}",
                assets=tuple(asset.format(floor=floor) for asset in kind.assets),
                tags=("demo", *kind.tags),
                profiles=kind.profiles,
                seed=seed_of(SEED, index),
            )
        )
    return found


def metrics_per_reading(count: int) -> int:
    """How many points the first `count` demo sensors write at one time, the dew point sensor included."""
    return sum(len(KINDS[index % len(KINDS)].profiles) for index in range(count)) + 1
