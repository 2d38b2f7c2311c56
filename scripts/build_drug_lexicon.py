"""Regenerate replydraft/data/drugs.tsv from the drug-named-entity-recognition package (MIT).

Why a generated text file instead of a runtime dependency: that package loads a bz2 pickle at import
(3.5 s, and unpickling is code execution) and keeps a pickle cache in the home directory. We only need
its variant -> canonical name table, so we keep that as plain text, with its licence beside it.

Run: .venv/bin/pip install drug-named-entity-recognition==2.0.9
     .venv/bin/python scripts/build_drug_lexicon.py
"""

from __future__ import annotations

import bz2
import importlib.metadata
import importlib.util
import pickle
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "replydraft" / "data" / "drugs.tsv"


def main() -> None:
    """Write the TSV."""
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    assert spec is not None and spec.origin is not None, "install drug-named-entity-recognition first"
    pkl = Path(spec.origin).parent / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(pkl, "rb") as f:
        data = pickle.load(f)  # noqa: S301 - a file from a pinned package, read once at build time
    version = importlib.metadata.version("drug-named-entity-recognition")
    rows: dict[str, set[str]] = {}
    for variant, canonicals in data["drug_variant_to_canonical"].items():
        v = variant.strip().lower()
        # skip wiki-markup debris that some synonym lists carry
        if not v or re.search(r"[<>{}=|&;]", v) or len(v) < 3:
            continue
        for c in canonicals:
            rows.setdefault(c.strip().lower(), set()).add(v)
    lines = [
        f"# drug names: canonical<TAB>variants separated by |. Generated from drug-named-entity-recognition "
        f"{version} (MIT, (c) 2023 Fast Data Science Ltd) by scripts/build_drug_lexicon.py. Do not edit.",
    ]
    for canonical in sorted(rows):
        lines.append(canonical + "\t" + "|".join(sorted(rows[canonical] - {canonical})))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} drugs, {sum(len(v) for v in rows.values())} variants to {OUT}")


if __name__ == "__main__":
    main()
