"""Start a real sekmet-fhir server on 127.0.0.1 for the @pytest.mark.fhir tests and benchmarks/chart.py.

sekmet-fhir lives in its own venv, ``.venv-fhir`` (``scripts/fhir-server.sh`` installs it): it pins
fhir.resources 8.x and pulls fastapi/uvicorn. Each start uses a fresh data_dir (reloading a bundle
duplicates data), the simulator off (it reacts to new Appointments/MedicationRequests), inbound
validation ``warn`` (strict rolls back a whole transaction on one bad element) and loopback only.

``workers=1`` (the default, used by the tests) is what ``sekmet serve`` runs: one process whose store
shares one SQLite connection behind one lock, so it answers requests one at a time. ``workers=N``
runs the same app under ``uvicorn --workers N`` (what a production deployment of a FastAPI app
does): each worker process opens its own connection to the same WAL-mode database, so reads run in
parallel. Load data once, then only read: each worker keeps its own in-memory write counter and
token replay cache, so concurrent writes through different workers are not what sekmet was built for.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
SEKMET = REPO / ".venv-fhir" / "bin" / "sekmet"
UVICORN = REPO / ".venv-fhir" / "bin" / "uvicorn"
STATIC_TOKEN = "replydraft-test-static-token"


def sekmet_available() -> bool:
    """Whether the sekmet binary is installed (``scripts/fhir-server.sh``)."""
    return SEKMET.is_file()


def require_sekmet() -> None:
    """Skip the calling test without sekmet; under CI, fail instead (CI must run the FHIR tests)."""
    import pytest  # only the tests need it; the benchmark imports this module too

    if not sekmet_available():
        reason = "sekmet-fhir is not installed in .venv-fhir (run scripts/fhir-server.sh)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the FHIR integration tests: {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SekmetServer:
    """A sekmet-fhir process with SMART backend auth and a static bearer token enabled."""

    def __init__(
        self, workdir: Path, *, smart_clients: list[dict[str, Any]] | None = None, workers: int = 1
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.workers = workers
        self.port = _free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/fhir"
        settings = {
            "base_url": self.base_url,
            "host": "127.0.0.1",
            "port": self.port,
            "data_dir": str(workdir / "data"),
            "own_private_key_path": str(workdir / "keys" / "sekmet_private.pem"),
            "simulator": {"enabled": False},
            "validation": {"inbound": "warn"},
            "log_inbound": False,
            "server_auth": {
                "types": ["bearer", "smart"],
                "tokens": [STATIC_TOKEN],
                "smart_clients": smart_clients or [],
                "token_lifetime": 300,
            },
        }
        self.config = workdir / "settings.yaml"
        self.config.write_text(json.dumps(settings, indent=2), encoding="utf-8")  # JSON is YAML
        self._logpath = workdir / "server.log"
        self._log = self._logpath.open("wb")
        if workers == 1:
            command = [str(SEKMET), "serve", "--config", str(self.config)]
        else:
            # the same app factory `sekmet serve` runs, under uvicorn's process manager
            command = [
                str(UVICORN),
                "sekmet.main:app_factory",
                "--factory",
                "--workers",
                str(workers),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
            ]
        self.process = subprocess.Popen(  # the binary paths are fixed, arguments are ours
            command,
            cwd=workdir,
            env={**os.environ, "SEKMET_CONFIG": str(self.config)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sekmet exited early; see {self.workdir / 'server.log'}")
            try:
                r = httpx.get(f"{self.base_url}/metadata", headers=self.headers, timeout=1.0)
                # one answering worker is not all of them: each logs its own startup line
                if r.status_code == 200 and self._started_workers() >= self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("sekmet did not become ready in time")

    def _started_workers(self) -> int:
        self._log.flush()
        return self._logpath.read_bytes().count(b"Application startup complete")

    @property
    def headers(self) -> dict[str, str]:
        """Headers with the static bearer token."""
        return {"Authorization": f"Bearer {STATIC_TOKEN}", "Accept": "application/fhir+json"}

    def load(self, bundle: dict[str, Any]) -> dict[str, str]:
        """POST a transaction Bundle; return ``old Type/id -> new Type/id`` from the response."""
        r = httpx.post(
            self.base_url,
            json=bundle,
            headers={**self.headers, "Content-Type": "application/fhir+json"},
            timeout=60.0,
        )
        r.raise_for_status()
        mapping: dict[str, str] = {}
        for sent, got in zip(bundle["entry"], r.json()["entry"], strict=True):
            resource = sent["resource"]
            rid = resource.get("id") or sent.get("fullUrl", "").removeprefix("urn:uuid:")
            location = got["response"]["location"].split("/_history")[0]
            rtype, new_id = location.rsplit("/", 2)[-2:]
            mapping[f"{resource['resourceType']}/{rid}"] = f"{rtype}/{new_id}"
        return mapping

    def stop(self) -> None:
        """Terminate the server (by its own process handle)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()
