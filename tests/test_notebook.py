"""examples/notebook.ipynb stays executable: run it headless with the scripted fake model."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "notebook.ipynb"


@pytest.mark.slow
def test_notebook_runs_headless(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("REPLYDRAFT_NOTEBOOK_FAKE", "1")
    # the kernel is a child process: it must import the checkout and must not migrate Jupyter paths
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's eval output folder lands here
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "examples")}}
    )
    client.execute()

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "rd-draft" in html, "the DraftResult did not render as HTML"
    assert "rd-signed" in html and "<ins>" in html, "the SignedReply diff did not render"
    assert 'data-plot="urgency-confusion"' in html, "the EvalRun did not render its plots"
    # the de-identified display never shows the patient's name or phone
    drafts = html.split("rd-draft", 1)[1].split("rd-signed", 1)[0]
    assert "Beatty" not in drafts and "555-611-5414" not in drafts
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "report.html" in text and "results.jsonl" in text
    assert len(list(tmp_path.glob("replydraft-eval-*/report.html"))) == 1
    # reprs never carry the drafts: the EvalRun's plain-text repr is a one-line summary
    assert "Beatty" not in "\n".join(
        str(o.get("data", {}).get("text/plain", ""))
        for o in outputs
        if "EvalRun(" in str(o.get("data", {}).get("text/plain", ""))
    )
