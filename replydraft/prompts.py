"""Prompt templates: a sandboxed jinja2 environment over packaged templates, with an optional override folder.

Templates are named ``<task>.<role>.j2`` (``draft.system.j2``, ``refill.user.j2`` ...). Patient text is only
ever passed as a variable, never compiled as a template, so ``{{ config }}`` typed by a patient is rendered
literally. ``StrictUndefined`` makes a missing variable an error. The sha256 of every template used is
recorded on each result.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import PromptError

__all__ = ["PromptLibrary", "RenderedTemplate", "packaged_prompt_dir"]


def packaged_prompt_dir() -> Path:
    """The folder holding the packaged templates.

    In a wheel they live at ``replydraft/prompts``; in a source checkout or editable install, at the
    repository's top-level ``prompts/``.
    """
    inside = Path(str(resources.files("replydraft"))) / "prompts"
    if inside.is_dir():
        return inside
    checkout = Path(__file__).resolve().parent.parent / "prompts"
    if checkout.is_dir():
        return checkout
    raise PromptError("packaged prompt templates not found; reinstall replydraft")


@dataclass(frozen=True)
class RenderedTemplate:
    """A rendered template with the hashes of every template source it used."""

    name: str
    text: str = field(repr=False)
    sha256: str
    hashes: Mapping[str, str]


class PromptLibrary:
    """Loads, hashes and renders prompt templates.

    Args:
        prompt_dir: Folder whose templates override the packaged ones of the same name (others still
            come from the package).

    Example:
        >>> lib = PromptLibrary()
        >>> lib.render("reask.user", reason="invalid JSON", max_chars=1200).name
        'reask.user'
    """

    def __init__(self, prompt_dir: str | Path | None = None) -> None:
        dirs = [packaged_prompt_dir()]
        if prompt_dir is not None:
            override = Path(prompt_dir)
            if not override.is_dir():
                raise PromptError("prompt_dir is not a folder")
            dirs.insert(0, override)
        self.search_path: tuple[Path, ...] = tuple(dirs)
        self._env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(d) for d in dirs], encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text for a model, not HTML
            keep_trailing_newline=False,
            trim_blocks=False,
        )
        self._lock = threading.Lock()
        self._hash_cache: dict[str, Mapping[str, str]] = {}

    def exists(self, name: str) -> bool:
        """Whether a template ``<name>.j2`` exists."""
        try:
            self._env.loader.get_source(self._env, f"{name}.j2")  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            return False
        return True

    def source(self, name: str) -> str:
        """The source text of template ``<name>.j2``."""
        try:
            src, _, _ = self._env.loader.get_source(self._env, f"{name}.j2")  # type: ignore[union-attr]
        except jinja2.TemplateNotFound as exc:
            raise PromptError(f"prompt template {name!r} not found", template=name) from exc
        return src

    def hashes(self, name: str) -> Mapping[str, str]:
        """sha256 of ``name`` and of every template it includes, by template name."""
        with self._lock:
            cached = self._hash_cache.get(name)
        if cached is not None:
            return cached
        out: dict[str, str] = {}
        pending = [f"{name}.j2"]
        while pending:
            filename = pending.pop()
            key = filename.removesuffix(".j2")
            if key in out:
                continue
            src = self.source(key)
            out[key] = hashlib.sha256(src.encode("utf-8")).hexdigest()
            try:
                refs = meta.find_referenced_templates(self._env.parse(src))
            except jinja2.TemplateSyntaxError as exc:
                raise PromptError(f"prompt template {key!r} has a syntax error", template=key) from exc
            pending.extend(r for r in refs if r is not None)
        with self._lock:
            self._hash_cache[name] = out
        return out

    def render(self, name: str, **variables: Any) -> RenderedTemplate:
        """Render template ``<name>.j2`` with the given variables.

        Raises:
            PromptError: the template is missing, invalid, or uses an undefined variable. The message
                names the template, never the variables' values.
        """
        try:
            template = self._env.get_template(f"{name}.j2")
            text = template.render(**variables)
        except jinja2.TemplateNotFound as exc:
            raise PromptError(f"prompt template {name!r} not found", template=name) from exc
        except jinja2.UndefinedError as exc:
            # jinja's message names the missing variable, not a value: safe to keep
            raise PromptError(f"prompt template {name!r}: {exc.message}", template=name) from exc
        except jinja2.TemplateError as exc:
            raise PromptError(f"prompt template {name!r} failed to render", template=name) from exc
        hashes = self.hashes(name)
        return RenderedTemplate(name=name, text=text.strip(), sha256=hashes[name], hashes=hashes)
