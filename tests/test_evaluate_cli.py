"""``replydraft eval`` end to end through the real OpenAI client path, against a stub OpenAI-compatible
server on 127.0.0.1 (fast; the local-model run is the e2e test in test_report_browser.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from replydraft.cli import main

ROOT = Path(__file__).resolve().parent.parent


class _Stub(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []  # noqa: RUF012 - shared on purpose: the test reads it

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        content = json.dumps(
            {
                "reply": "Hi [PATIENT_NAME_1], thank you for your message. We will follow up soon.",
                "citations": [],
                "urgency": "routine",
            }
        )
        payload = json.dumps(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "stub"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def stub_url() -> Iterator[str]:
    _Stub.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_cli_eval_writes_everything_and_resumes(
    stub_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = [
        "eval", str(ROOT / "examples" / "eval_messages.jsonl"), "--chart", str(ROOT / "examples" / "charts"),
        "--out", str(out), "--base-url", stub_url, "--model", "stub-model", "--api-key", "test",
    ]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["n"] == 8
    assert summary["status"].get("escalated", 0) >= 1  # eval-04 is an emergency: no model call
    assert "drafting" in captured.err  # the progress bar is on stderr
    for name in ("results.jsonl", "results.csv", "summary.csv", "report.html"):
        assert (out / name).is_file(), name
    ids = [json.loads(x)["id"] for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(ids) == [f"eval-{i:02d}" for i in range(1, 9)]
    # nothing the model received carries the patients' phone numbers or dates of birth
    sent = json.dumps(_Stub.requests)
    assert _Stub.requests and "555-611-5414" not in sent and "02/28/1974" not in sent

    # a rerun drafts nothing again (failed ones aside) and leaves one line per id
    failed = sum(1 for x in (out / "results.jsonl").read_text().splitlines() if '"status": "failed"' in x)
    before = len(_Stub.requests)
    assert main(argv) == 0
    capsys.readouterr()
    assert len(_Stub.requests) - before <= failed * 3  # only failed ids are retried (with re-asks)
    ids = [json.loads(x)["id"] for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(ids) == [f"eval-{i:02d}" for i in range(1, 9)]
