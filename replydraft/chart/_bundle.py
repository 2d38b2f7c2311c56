"""FHIRBundleChart: chart contexts read from FHIR R4 Bundle files (Synthea exports, US Core samples)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import Any

from replydraft.errors import ChartDataError, PatientNotFoundError
from replydraft.models import ChartContext

from ._parse import (
    PATIENT_TYPES,
    USED_TYPES,
    Limits,
    RawChart,
    build_context,
    normalize_ref,
    raw_patient_refs,
)

__all__ = ["FHIRBundleChart"]

logger = logging.getLogger(__name__)

BundleSource = str | PathLike[str] | Mapping[str, Any] | Iterable[Mapping[str, Any]]


def _now_utc() -> datetime:
    return datetime.now(timezone.utc)


_CACHE_MAX = 256


class FHIRBundleChart:
    """A :class:`~replydraft.chart.ChartSource` over FHIR R4 Bundles held in memory.

    Bundles are read once at construction (only the resource types a context needs are kept);
    resources are validated with ``fhir.resources.R4B`` one at a time in :meth:`get_context`, so one
    invalid resource is skipped and counted (flag ``chart_invalid_resource``) instead of failing the
    chart.

    Example:
        >>> chart = FHIRBundleChart("examples/charts/")
        >>> ctx = chart.get_context(chart.patient_ids[0])

    Args:
        source: A Bundle file path, a directory of ``*.json`` Bundle files, a Bundle dict, or an
            iterable of Bundle dicts.
        now: Reference time for "upcoming" appointments: a datetime, a zero-argument callable, or
            None for the wall clock. Nothing else is filtered by time (Synthea records end years ago).
        max_observations: Newest laboratory and vital-sign observations kept, per category.
        max_encounters: Newest encounters kept.
        max_appointments: Soonest upcoming appointments kept.

    Raises:
        ChartDataError: A file is missing, unreadable, not JSON or not a Bundle.
    """

    #: Everything is read at construction: get_context does no I/O (safe to run in a worker thread).
    blocking_io = False

    def __init__(
        self,
        source: BundleSource,
        *,
        now: datetime | Callable[[], datetime] | None = None,
        max_observations: int = Limits.max_observations,
        max_encounters: int = Limits.max_encounters,
        max_appointments: int = Limits.max_appointments,
    ) -> None:
        self._now = now
        self._limits = Limits(max_observations, max_encounters, max_appointments)
        self._patients: dict[str, Mapping[str, Any]] = {}
        self._by_patient: dict[str, list[Mapping[str, Any]]] = {}
        self._shared: list[Mapping[str, Any]] = []
        self._aliases: dict[str, str] = {}
        # validated contexts, keyed by patient and the minute of "now" (upcoming appointments depend on
        # it): re-validating a large Synthea record with fhir.resources costs 50-150 ms per call
        self._cache: dict[tuple[str, str], ChartContext] = {}
        self._cache_lock = threading.Lock()
        for bundle in _load(source):
            self._add_bundle(bundle)

    @property
    def patient_ids(self) -> tuple[str, ...]:
        """Ids of the patients in the bundles, in reading order."""
        return tuple(self._patients)

    def get_context(self, patient_id: str) -> ChartContext:
        """Build the chart context of one patient.

        Args:
            patient_id: ``Patient.id`` (or the ``urn:uuid`` of an id-less Patient entry).

        Returns:
            The context (see :mod:`replydraft.chart` for the filters applied).

        Raises:
            PatientNotFoundError: No such patient in the bundles.
            ChartDataError: The Patient resource is invalid.
        """
        patient = self._patients.get(patient_id)
        if patient is None:
            raise PatientNotFoundError("no patient with this id in the bundles", resource_type="Patient")
        now = self._current_now()
        key = (patient_id, now.strftime("%Y-%m-%dT%H:%M%z"))
        with self._cache_lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        raw = RawChart(
            patient=patient,
            resources=[*self._by_patient.get(patient_id, ()), *self._shared],
            aliases=self._aliases,
        )
        context = build_context(raw, now=now, limits=self._limits)
        with self._cache_lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = context
        return context

    def _current_now(self) -> datetime:
        if self._now is None:
            return _now_utc()
        return self._now() if callable(self._now) else self._now

    def _add_bundle(self, bundle: Mapping[str, Any]) -> None:
        entries: list[Mapping[str, Any]] = []
        for entry in bundle.get("entry") or ():
            resource = entry.get("resource") if isinstance(entry, Mapping) else None
            if not isinstance(resource, Mapping) or resource.get("resourceType") not in USED_TYPES:
                continue
            rtype = str(resource["resourceType"])
            full_url = entry.get("fullUrl")
            rid = resource.get("id")
            if not rid and isinstance(full_url, str) and full_url.startswith("urn:uuid:"):
                # id-less transaction entries: the urn:uuid is the only identity they have
                rid = full_url.removeprefix("urn:uuid:")
                resource = {**resource, "id": rid}
            if not rid:
                continue
            if isinstance(full_url, str):
                self._aliases[full_url] = f"{rtype}/{rid}"
            entries.append(resource)
        for resource in entries:
            rtype = resource["resourceType"]
            if rtype == "Patient":
                self._patients[str(resource["id"])] = resource
            elif rtype in PATIENT_TYPES:
                for ref in raw_patient_refs(resource):
                    target = normalize_ref(ref, self._aliases) or ""
                    if target.startswith("Patient/"):
                        self._by_patient.setdefault(target.removeprefix("Patient/"), []).append(resource)
                        break
            else:
                # Medication, Practitioner: shared look-up targets, resolved by reference
                self._shared.append(resource)
        logger.debug("bundle read: %d entries kept", len(entries))


def _load(source: BundleSource) -> list[Mapping[str, Any]]:
    if isinstance(source, Mapping):
        return [_check_bundle(source)]
    if isinstance(source, (str, PathLike)):
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
            # a directory of exports may hold other JSON (provenance, manifests): skip what is not a Bundle
            found = [data for data in (_read(p) for p in files) if _is_bundle(data)]
            logger.debug("directory: %d of %d JSON files are bundles", len(found), len(files))
            return found
        return [_check_bundle(_read(path))]
    return [_check_bundle(b) for b in source]


def _read(path: Path) -> Any:
    try:
        with path.open("rb") as fh:
            return json.load(fh)
    except OSError as exc:
        raise ChartDataError("could not read a bundle file") from exc
    except ValueError as exc:
        raise ChartDataError("a bundle file is not valid JSON") from exc


def _is_bundle(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("resourceType") == "Bundle"


def _check_bundle(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        raise ChartDataError("not a FHIR Bundle", resource_type="Bundle")
    return data
