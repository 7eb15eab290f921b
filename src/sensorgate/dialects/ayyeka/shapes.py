"""Ayyeka's answers, as its v2.0 OpenAPI document names them: snake_case, every field its generated client
requires present. Times are ISO 8601 UTC; sample values are strings, as Ayyeka sends them."""

from __future__ import annotations

import msgspec


class AyyekaSite(msgspec.Struct, kw_only=True):
    """A workspace."""

    id: int
    account_organization_id: int
    creation_date: str
    display_name: str
    latitude: str
    longitude: str
    status: str


class AyyekaDevice(msgspec.Struct, kw_only=True):
    """A sensor. sensorgate keeps no hardware ids but the serial, so `akid` is the serial and the cellular
    fields are empty."""

    id: int
    akid: str
    display_name: str
    firmware_version: str
    iccid: str
    iccid2: str
    meid: str
    model_number: str
    serial_number: str
    site_display_name: str
    site_id: int


class AyyekaStream(msgspec.Struct, kw_only=True):
    """One series: a sensor's metric."""

    id: int
    creation_date: str
    display_name: str
    site_id: int
    status_id: int
    type_display_name: str
    type_id: int
    units: str
    value_scale: str
    device_id: int  # not Ayyeka's: which device the stream is of


class AyyekaSample(msgspec.Struct, kw_only=True):
    id: int
    sample_date: str
    stream_id: int
    value: str


class AyyekaSampleBatch(msgspec.Struct, kw_only=True):
    has_more: bool
    samples: list[AyyekaSample]


class AyyekaAggregation(msgspec.Struct, kw_only=True):
    min: str
    max: str
    avg: str
    sum: str


class AyyekaAggregatedSample(msgspec.Struct, kw_only=True):
    stream_id: int
    start_date: str
    number_of_samples: int
    agg_values: AyyekaAggregation


class AyyekaAggregationBatch(msgspec.Struct, kw_only=True):
    has_more: bool
    samples: list[AyyekaAggregatedSample]


class AyyekaError(msgspec.Struct, kw_only=True):
    request_id: str
    message: str
