"""llama.cpp's OpenAI-compatible server, in-process (xllamacpp), bound to 127.0.0.1."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, LocalModelError
from ._registry import DEFAULT_DEMO_MODEL, MODELS
from ._store import model_sha256_for, resolve_model, verify_model

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..openai_client import AsyncOpenAIClient, OpenAIClient

logger = logging.getLogger("replydraft.local")

_READY_TIMEOUT_S = 60.0
LOCAL_TIMEOUT_S = 600.0
"""Default per-request timeout of clients made by :meth:`LocalModelServer.client` (CPU generation is slow)."""


def is_demo_model_name(model: str) -> bool:
    """Whether ``model`` (as an endpoint reports it) is one of the bundled demo models.

    Drafts from these models must carry a "demo model, not for clinical use" flag. The local server
    serves registry models under their registry name, so this matches those names (and their GGUF file
    names, for servers started on a cached file by path).

    Args:
        model: A model name as reported in a chat-completion response.

    Returns:
        True for a registry model.
    """
    if not isinstance(model, str):
        return False
    name = model.strip()
    return name in MODELS or any(name in (s.filename, Path(s.filename).stem) for s in MODELS.values())


def _default_threads() -> int | None:
    """Generation threads when the caller gives none: llama.cpp's own default (the physical cores).

    Measured on an idle 2-core machine with Qwen2.5-1.5B: 2 threads 39 s per draft, 1 thread 68 s. On a
    box busy with other work, pass ``threads=1`` (see ``LocalModelServer(threads=)``).
    """
    return None


def _import_xllamacpp() -> Any:
    try:
        import xllamacpp
    except ImportError as exc:
        raise ConfigurationError(
            "the local model server needs the optional extra: pip install 'replydraft[local]' (xllamacpp)"
        ) from exc
    return xllamacpp


class LocalModelServer:
    """llama.cpp's OpenAI-compatible server running in this process, on ``127.0.0.1`` only.

    The model file is resolved (registry name in the cache, or a ``.gguf`` path), sha256-verified, and
    loaded; the server listens on a free loopback port with a random per-instance API key, so other local
    processes and browser pages cannot use it. Nothing is downloaded: fetch registry models first with
    :func:`replydraft.local.fetch_model` (``replydraft model fetch NAME``).

    Example::

        with LocalModelServer("smollm2") as server:
            llm = server.client()                 # an OpenAIClient pointed at server.base_url
            reply = llm.complete(request)

    Args:
        model: Registry name (``"qwen2.5-1.5b"``, ``"smollm2"``) or a path to a GGUF file.
        ctx_size: Context window per parallel slot, in tokens.
        threads: CPU threads for generation. None: llama.cpp's default (the physical core count), the
            fastest choice on an otherwise idle machine (Qwen2.5-1.5B on 2 idle cores: 39 s per draft
            with 2 threads, 68 s with 1). On a machine busy with other work pass ``threads=1``:
            llama.cpp's threads wait on each other at every layer, and measured on a 2-core box under
            load, 2 threads decoded SmolLM2 at ~1-2 tokens/s and 1 thread at ~15.
        port: TCP port on 127.0.0.1 (None: a free port chosen by the OS).
        parallel: Requests decoded concurrently (continuous batching); each gets ``ctx_size`` tokens.
        sha256: Expected digest for a model given by path. Registry models (and cached registry files
            given by path) are always checked against their pin; any other file is hashed and its digest
            exposed as :attr:`model_sha256`, so the audit trail names the exact weights.
        cache_dir: Model cache directory (default :func:`replydraft.local.model_cache_dir`).
        verbose: Let llama.cpp log to stderr. Off by default: at higher verbosity llama.cpp can print
            prompts, which hold de-identified patient text.

    Attributes:
        is_demo: True when the loaded model is a registry demo model (drafts must carry the demo flag).
    """

    def __init__(
        self,
        model: str | os.PathLike[str] = DEFAULT_DEMO_MODEL,
        *,
        ctx_size: int = 4096,
        threads: int | None = None,
        port: int | None = None,
        parallel: int = 1,
        sha256: str | None = None,
        cache_dir: Path | None = None,
        verbose: bool = False,
    ) -> None:
        if ctx_size < 256:
            raise ConfigurationError("ctx_size must be at least 256 tokens")
        if parallel < 1:
            raise ConfigurationError("parallel must be at least 1")
        if threads is not None and threads < 1:
            raise ConfigurationError("threads must be a positive integer or None")
        if port is not None and not 0 <= port <= 65535:
            raise ConfigurationError("port must be between 0 and 65535")
        self._model = model
        self._ctx_size = ctx_size
        self._threads = threads
        self._port = port
        self._parallel = parallel
        self._sha256 = sha256
        self._cache_dir = cache_dir
        self._verbose = verbose
        self._lock = threading.Lock()
        self._server: Any = None
        self._base_url: str | None = None
        self._api_key = secrets.token_urlsafe(24)
        self.model_path: Path | None = None
        """The resolved model file (set by :meth:`start`)."""
        self.model_sha256: str | None = None
        """The verified sha256 of the loaded file (set by :meth:`start`)."""
        self.is_demo: bool = isinstance(model, str) and model in MODELS
        self.model_name: str = self._served_name()
        """The name the server serves the model under (use it as ``model`` in requests)."""
        self.load_seconds: float | None = None
        """Wall time of the last :meth:`start` (verification + load), for the demo's timing line."""

    def _served_name(self) -> str:
        if isinstance(self._model, str) and self._model in MODELS:
            return self._model
        return Path(self._model).stem

    def __repr__(self) -> str:
        state = self._base_url or "stopped"
        return f"LocalModelServer(model={self.model_name!r}, {state})"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``.

        Raises:
            LocalModelError: the server is not running.
        """
        if self._base_url is None:
            raise LocalModelError("the local model server is not running; call start() or use `with`")
        return self._base_url

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self._server is not None

    def _verify(self) -> Path:
        path = resolve_model(self._model, cache_dir=self._cache_dir)
        registry_name, pinned = model_sha256_for(path)
        expected = self._sha256 or pinned
        if expected is not None:
            verify_model(path, expected, cache_dir=self._cache_dir)
            digest = expected.lower()
        else:
            from ._store import file_digest

            digest = file_digest(path, cache_dir=self._cache_dir)
            logger.warning("loading a model without a pinned sha256 (digest %s...)", digest[:16])
        if registry_name is not None and digest == MODELS[registry_name].sha256:
            self.is_demo = True
            self.model_name = registry_name
        self.model_path = path
        self.model_sha256 = digest
        return path

    def start(self) -> Self:
        """Verify the model, load it and start listening; returns when the server answers ``/health``.

        Idempotent.

        Returns:
            This server.

        Raises:
            ModelNotFoundError: the model has not been fetched / the path does not exist.
            ModelIntegrityError: the file's sha256 differs from the pin (it is not loaded).
            ConfigurationError: xllamacpp (``replydraft[local]``) is not installed.
            LocalModelError: llama.cpp failed to load the model or the server did not become ready.
        """
        with self._lock:
            if self._server is not None:
                return self
            started = time.perf_counter()
            path = self._verify()
            xlc = _import_xllamacpp()
            params = xlc.CommonParams()
            params.model.path = str(path)
            params.hostnames = ["127.0.0.1"]  # loopback only, whatever the library default becomes
            params.port = self._port or 0
            params.n_parallel = self._parallel
            params.n_ctx = self._ctx_size * self._parallel
            params.model_alias = {self.model_name}
            params.api_keys = [self._api_key]
            params.ui = False
            params.endpoint_metrics = False
            params.endpoint_slots = False
            if not self._verbose:
                params.verbosity = 0
            threads = self._threads if self._threads is not None else _default_threads()
            if threads is not None:
                params.cpuparams.n_threads = threads
                params.cpuparams_batch.n_threads = threads
            try:
                server = xlc.Server(params)
            except Exception as exc:
                # llama.cpp reports load failures as RuntimeError/ValueError with file paths only.
                raise LocalModelError(f"llama.cpp could not load {path.name} ({type(exc).__name__})") from exc
            address = str(server.listening_address).rstrip("/")
            if not address.startswith("http://127.0.0.1:"):
                del server
                raise LocalModelError("the local model server did not bind to 127.0.0.1")
            self._server = server
            self._base_url = f"{address}/v1"
            try:
                self._wait_ready(address)
            except BaseException:
                self._server = None
                self._base_url = None
                del server
                raise
            self.load_seconds = time.perf_counter() - started
            logger.info("local model server ready on %s in %.1f s", address, self.load_seconds)
            return self

    def _wait_ready(self, address: str) -> None:
        import httpx

        deadline = time.monotonic() + _READY_TIMEOUT_S
        delay = 0.05
        with httpx.Client(timeout=5.0) as http:
            while True:
                try:
                    if http.get(f"{address}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise LocalModelError(
                        f"the local model server did not become ready within {_READY_TIMEOUT_S:.0f} s"
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def stop(self) -> None:
        """Stop the server and free the model (idempotent).

        xllamacpp stops its HTTP loop and joins its threads when the Server object is released.
        """
        with self._lock:
            server, self._server = self._server, None
            self._base_url = None
            del server

    def _client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        # A local CPU model is slow, not flaky: a timed-out generation retried would only time out
        # again, and requests beyond ``parallel`` wait in llama.cpp's queue, which counts against the
        # timeout. Hence a long timeout and no transport retries unless the caller says otherwise.
        return {"timeout": LOCAL_TIMEOUT_S, "max_retries": 0, **options}

    def client(self, **options: Any) -> OpenAIClient:
        """An :class:`~replydraft.OpenAIClient` pointed at this server.

        Args:
            **options: Extra :class:`~replydraft.OpenAIClient` options (``timeout``, default 600 s;
                ``max_retries``, default 0; ``structured``; ``http_client``).

        Returns:
            The client (close it when done; stopping the server does not).
        """
        from ..openai_client import OpenAIClient

        return OpenAIClient(
            self.model_name, base_url=self.base_url, api_key=self._api_key, **self._client_options(options)
        )

    def async_client(self, **options: Any) -> AsyncOpenAIClient:
        """An :class:`~replydraft.AsyncOpenAIClient` pointed at this server.

        Args:
            **options: Extra :class:`~replydraft.AsyncOpenAIClient` options (same defaults as
                :meth:`client`). With more concurrent requests than ``parallel``, the extra ones queue
                in the server and their wait counts against ``timeout``.

        Returns:
            The client (``await client.aclose()`` when done).
        """
        from ..openai_client import AsyncOpenAIClient

        return AsyncOpenAIClient(
            self.model_name, base_url=self.base_url, api_key=self._api_key, **self._client_options(options)
        )

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
