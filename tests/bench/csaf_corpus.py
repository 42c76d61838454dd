"""Many CSAF documents shaped like real ones, for the bulk import benchmark.

Each document is one of the CISA samples (``../shared/fixtures/csaf/cisa-samples``) under a
new tracking id, with its vendors and products renamed to ones of a catalogue (so that the
advisories match inventories) and the numbers in its version and range names moved by the
same offset (which keeps each range's bounds in order). What stays is the samples' shape:
their size, branches, relationships, vulnerabilities, scores and remediations.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_NUMBER = re.compile(r"\d+")
_VERSION_CATEGORIES = ("product_version", "product_version_range")


def csaf_corpus(
    templates: Sequence[Path],
    catalogue: Sequence[tuple[str, Sequence[str]]],
    *,
    count: int,
    seed: int = 17,
) -> list[tuple[str, bytes]]:
    """``count`` documents as ``(name, content)``, made from ``templates``.

    ``catalogue`` lists vendors with their products, ``(vendor name, [product names])``; each
    vendor of a template is renamed to one of them, and its products to that vendor's.
    """
    rng = random.Random(seed)
    samples = [json.loads(path.read_text()) for path in templates]
    corpus = []
    for number in range(count):
        document = copy.deepcopy(samples[number % len(samples)])
        tracking = document["document"]["tracking"]
        tracking["id"] = f"VW-BENCH-{number:05d}"
        offset = rng.randrange(0, 8)
        for branch in document.get("product_tree", {}).get("branches", []):
            _rename(branch, rng, catalogue, offset, products=())
        corpus.append((f"{tracking['id'].lower()}.json", json.dumps(document).encode()))
    return corpus


def _rename(
    branch: dict[str, Any],
    rng: random.Random,
    catalogue: Sequence[tuple[str, Sequence[str]]],
    offset: int,
    *,
    products: Sequence[str],
) -> None:
    category = branch["category"]
    if category == "vendor":
        vendor, products = catalogue[rng.randrange(len(catalogue))]
        branch["name"] = vendor
    elif category in ("product_name", "product_family") and products:
        branch["name"] = products[rng.randrange(len(products))]
    elif category in _VERSION_CATEGORIES:
        branch["name"] = _NUMBER.sub(lambda match: str(int(match.group()) + offset), branch["name"])
    for child in branch.get("branches", []):
        _rename(child, rng, catalogue, offset, products=products)
