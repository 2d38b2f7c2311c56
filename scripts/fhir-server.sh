#!/usr/bin/env bash
# Install the sekmet-fhir test server (used by the @pytest.mark.fhir integration tests) into its own
# venv, .venv-fhir, when it is missing. It pins fhir.resources 8.x and pulls fastapi/uvicorn, so it must
# not share the project's venv. Idempotent: CI calls it on a fresh machine, developers may call it again.
#
# Usage: scripts/fhir-server.sh            (from anywhere; installs into <repo>/.venv-fhir)
#        PYTHON=python3.11 scripts/fhir-server.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${repo}/.venv-fhir"
python="${PYTHON:-python3}"
version="0.1.1"

if [[ -x "${venv}/bin/sekmet" ]] && "${venv}/bin/python" -c "import importlib.metadata as m; assert m.version('sekmet-fhir') == '${version}'" 2>/dev/null; then
  echo "sekmet-fhir ${version} already installed in ${venv}"
  exit 0
fi

"${python}" -m venv "${venv}"
"${venv}/bin/python" -m pip install --quiet --disable-pip-version-check "sekmet-fhir==${version}"
"${venv}/bin/sekmet" --help >/dev/null
echo "installed sekmet-fhir ${version} into ${venv}"
