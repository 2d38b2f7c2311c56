"""Clinical knowledge used by relevance selection, kept as data: labs, message topics, drug classes.

Add a drug class or a lab here; :mod:`replydraft.chart.relevance` holds no clinical constants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Lab key -> (LOINC codes, name patterns matched at the start of the lower-cased test name).
LABS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "potassium": (frozenset({"2823-3", "6298-4"}), ("potassium",)),
    "sodium": (frozenset({"2951-2", "2947-0"}), ("sodium",)),
    "creatinine": (frozenset({"2160-0", "38483-4"}), ("creatinine",)),
    "egfr": (
        frozenset({"33914-3", "48642-3", "48643-1", "62238-1", "77147-7", "98979-8", "69405-9"}),
        ("egfr", "glomerular filtration"),
    ),
    "bun": (frozenset({"6299-2", "3094-0"}), ("urea nitrogen", "bun")),
    "a1c": (frozenset({"4548-4", "17856-6", "4549-2"}), ("hemoglobin a1c", "a1c", "hba1c")),
    "glucose": (frozenset({"2345-7", "2339-0"}), ("glucose",)),
    "ldl": (frozenset({"18262-6", "13457-7", "2089-1"}), ("low density lipoprotein", "ldl")),
    "hdl": (frozenset({"2085-9"}), ("high density lipoprotein", "hdl")),
    "cholesterol": (frozenset({"2093-3"}), ("cholesterol",)),
    "triglycerides": (frozenset({"2571-8"}), ("triglyceride",)),
    "alt": (frozenset({"1742-6", "1743-4"}), ("alanine aminotransferase", "alt ")),
    "ast": (frozenset({"1920-8"}), ("aspartate aminotransferase", "ast ")),
    "inr": (frozenset({"6301-6", "34714-6", "46418-0"}), ("inr",)),
    "tsh": (frozenset({"3016-3", "11580-8"}), ("tsh", "thyrotropin")),
    "hemoglobin": (frozenset({"718-7"}), ("hemoglobin [", "hemoglobin in", "hgb")),
    "platelets": (frozenset({"777-3"}), ("platelets",)),
    "wbc": (frozenset({"6690-2"}), ("leukocytes", "wbc")),
    "lithium": (frozenset({"14334-7"}), ("lithium",)),
    "digoxin": (frozenset({"10535-3"}), ("digoxin",)),
    "psa": (frozenset({"2857-1"}), ("prostate specific antigen", "psa")),
    "vitamin d": (frozenset({"1989-3", "62292-8"}), ("25-hydroxyvitamin d", "vitamin d")),
    "calcium": (frozenset({"17861-6", "49765-1"}), ("calcium",)),
    "microalbumin": (frozenset({"14959-1"}), ("microalbumin",)),
    "blood pressure": (frozenset({"85354-9", "55284-4", "8480-6", "8462-4"}), ("blood pressure",)),
    "weight": (frozenset({"29463-7"}), ("body weight",)),
    "bmi": (frozenset({"39156-5"}), ("body mass index", "bmi")),
}

#: Words in a message -> the labs they ask about.
TOPICS: dict[str, tuple[str, ...]] = {
    "potassium": ("potassium",),
    "sodium": ("sodium",),
    "kidney": ("creatinine", "egfr", "bun"),
    "renal": ("creatinine", "egfr", "bun"),
    "creatinine": ("creatinine",),
    "gfr": ("egfr",),
    "egfr": ("egfr",),
    "a1c": ("a1c",),
    "hba1c": ("a1c",),
    "sugar": ("a1c", "glucose"),
    "glucose": ("glucose", "a1c"),
    "diabetes": ("a1c", "glucose"),
    "cholesterol": ("cholesterol", "ldl", "hdl", "triglycerides"),
    "lipid": ("cholesterol", "ldl", "hdl", "triglycerides"),
    "lipids": ("cholesterol", "ldl", "hdl", "triglycerides"),
    "ldl": ("ldl",),
    "hdl": ("hdl",),
    "triglycerides": ("triglycerides",),
    "liver": ("alt", "ast"),
    "alt": ("alt",),
    "ast": ("ast",),
    "inr": ("inr",),
    "thyroid": ("tsh",),
    "tsh": ("tsh",),
    "cbc": ("hemoglobin", "wbc", "platelets"),
    "blood count": ("hemoglobin", "wbc", "platelets"),
    "hemoglobin": ("hemoglobin",),
    "anemia": ("hemoglobin",),
    "platelets": ("platelets",),
    "psa": ("psa",),
    "prostate": ("psa",),
    "vitamin d": ("vitamin d",),
    "calcium": ("calcium",),
    "urine": ("microalbumin",),
    "blood pressure": ("blood pressure",),
    "bp": ("blood pressure",),
    "weight": ("weight", "bmi"),
    "bmi": ("bmi",),
}

_LIPIDS = ("cholesterol", "ldl", "hdl", "triglycerides", "alt")
_KIDNEY = ("potassium", "creatinine", "egfr")


@dataclass(frozen=True)
class DrugClass:
    """A drug class and the labs that monitor it."""

    name: str
    members: frozenset[str]
    suffixes: tuple[str, ...]
    labs: tuple[str, ...]
    contains: tuple[str, ...] = ()

    def covers(self, names: Iterable[str]) -> bool:
        """Whether any of the (lower-case) drug names belongs to the class."""
        return any(
            n in self.members
            or (self.suffixes and n.endswith(self.suffixes))
            or any(c in n for c in self.contains)
            for n in names
        )


#: Monitoring labs per drug class (names are lexicon canonicals and chart spellings, lower-case).
DRUG_CLASSES: tuple[DrugClass, ...] = (
    DrugClass("ACE inhibitor", frozenset(), ("pril",), _KIDNEY),
    DrugClass("ARB", frozenset(), ("sartan",), _KIDNEY),
    DrugClass(
        "diuretic",
        frozenset(
            {
                "hydrochlorothiazide",
                "chlorthalidone",
                "furosemide",
                "bumetanide",
                "torsemide",
                "indapamide",
                "metolazone",
            }
        ),
        (),
        ("potassium", "sodium", "creatinine"),
    ),
    DrugClass(
        "potassium-sparing diuretic",
        frozenset({"spironolactone", "eplerenone", "amiloride", "triamterene"}),
        (),
        _KIDNEY,
    ),
    DrugClass("metformin", frozenset({"metformin"}), (), ("a1c", "egfr", "creatinine")),
    DrugClass("insulin", frozenset(), (), ("a1c", "glucose"), contains=("insulin",)),
    DrugClass("sulfonylurea", frozenset({"glipizide", "glyburide", "glimepiride"}), (), ("a1c", "glucose")),
    DrugClass("SGLT2 inhibitor", frozenset(), ("gliflozin",), ("a1c", "egfr")),
    DrugClass("DPP-4 inhibitor", frozenset(), ("gliptin",), ("a1c",)),
    DrugClass("GLP-1 agonist", frozenset(), ("glutide", "exenatide"), ("a1c",)),
    # "nystatin" ends in -statin but is an antifungal
    DrugClass("statin", frozenset(), ("vastatin", "pitavastatin"), _LIPIDS),
    DrugClass("warfarin", frozenset({"warfarin"}), (), ("inr",)),
    DrugClass(
        "direct oral anticoagulant",
        frozenset({"apixaban", "rivaroxaban", "dabigatran", "edoxaban"}),
        (),
        ("creatinine", "egfr", "hemoglobin"),
    ),
    DrugClass("thyroid hormone", frozenset({"levothyroxine", "thyroxine", "liothyronine"}), (), ("tsh",)),
    DrugClass("lithium", frozenset({"lithium", "lithium carbonate"}), (), ("lithium", "tsh", "creatinine")),
    DrugClass("digoxin", frozenset({"digoxin"}), (), ("digoxin", "potassium", "creatinine")),
    DrugClass("amiodarone", frozenset({"amiodarone"}), (), ("tsh", "alt")),
    DrugClass(
        "antiepileptic (sodium, liver)",
        frozenset({"carbamazepine", "oxcarbazepine", "valproate", "valproic acid"}),
        (),
        ("sodium", "alt", "wbc"),
    ),
)

_STOP_WORDS = frozenset(
    {
        "oral",
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "extended",
        "release",
        "delayed",
        "solution",
        "injection",
        "injectable",
        "suspension",
        "sodium",
        "hydrochloride",
        "chloride",
        "potassium",
        "human",
        "metered",
        "inhaler",
        "actuat",
        "please",
        "refill",
        "refills",
        "thanks",
        "thank",
        "medication",
        "medicine",
        "prescription",
        "pharmacy",
        "needs",
        "about",
        "could",
        "would",
        "again",
        "there",
        "their",
        "which",
        "doctor",
        "should",
        "still",
        "running",
        "blood",
    }
)
_WORD = re.compile(r"[a-z][a-z\-]+")
