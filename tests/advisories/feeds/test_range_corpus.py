"""Range texts in bulk: every product_version and product_version_range of the shared CSAF
documents, and our own corpus of the shapes of issue 17, each read or sent to review with a
reason; each test prints how many were read and how many went to review."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from advisories.feeds.csaf import product_index
from advisories.feeds.validation import parse_json
from tests.advisories.feeds.conftest import SHARED_FIXTURES, shared_path
from vendors.matching.reading import Reading, Unparseable, describe_reading, read_range

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "ranges" / "corpus.tsv"


def _corpus() -> list[tuple[str, str]]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [
        (text, expected)
        for text, expected in (line.split("\t") for line in lines if not line.startswith("#"))
    ]


def test_our_corpus_has_every_shape_and_reads_as_written(capsys: pytest.CaptureFixture[str]):
    corpus = _corpus()
    assert len(corpus) >= 300
    counts: Counter[str] = Counter()
    wrong = []
    for text, expected in corpus:
        result = read_range(text)
        if isinstance(result, Unparseable):
            counts["review"] += 1
            if expected != "review" or not result.reason:
                wrong.append((text, expected, f"review: {result.reason}"))
            continue
        counts["read"] += 1
        if describe_reading(result) != expected:
            wrong.append((text, expected, describe_reading(result)))
    with capsys.disabled():
        print(
            f"\nrange corpus ({CORPUS.name}): {len(corpus)} texts, {counts['read']} read,"
            f" {counts['review']} sent to review"
        )
    assert not wrong, "\n".join(f"{t!r}: expected {e!r}, got {g!r}" for t, e, g in wrong)


def _csaf_texts() -> list[tuple[str, str, str]]:
    """``(document, branch category, text)`` for every version text of the shared documents."""
    shared_path("csaf")
    texts = []
    for path in sorted((SHARED_FIXTURES / "csaf").glob("*/*.json")):
        document = parse_json(path.read_bytes(), name=path.name)
        if "product_tree" not in document:
            continue
        for ref in product_index(document["product_tree"]).values():
            if ref.version_range:
                texts.append((path.name, "product_version_range", ref.version_range))
            elif ref.version:
                texts.append((path.name, "product_version", ref.version))
    return list(dict.fromkeys(texts))


def test_every_version_text_of_the_shared_csaf_documents_is_read_or_explained(
    capsys: pytest.CaptureFixture[str],
):
    texts = _csaf_texts()
    assert texts, f"no version texts found under {SHARED_FIXTURES / 'csaf'}"
    counts: Counter[str] = Counter()
    review = []
    for document, category, text in texts:
        result = read_range(text)
        if isinstance(result, Reading):
            assert not result.range.is_empty, (document, text)
            counts["read"] += 1
        else:
            assert result.reason, (document, text)
            counts["review"] += 1
            review.append(f"  {document} {category} {text!r}: {result.reason}")
    with capsys.disabled():
        print(
            f"\nshared CSAF documents: {len(texts)} version texts, {counts['read']} read,"
            f" {counts['review']} sent to review"
        )
        print("\n".join(review))
