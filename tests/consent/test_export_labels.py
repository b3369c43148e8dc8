"""Every dataset and column the access export puts in its PDF has words in the person's
language (consent/export_labels.py): a field added to the registry cannot reach a French
person's PDF as an English column name."""

from __future__ import annotations

from django.db import models

from consent.export_labels import FIELD_LABELS, SECTION_TITLES
from tenants.privacy import datasets


def test_every_exported_dataset_and_column_has_words():
    missing = []
    for dataset in datasets():
        if not dataset.person:
            continue
        if dataset.model not in SECTION_TITLES:
            missing.append(dataset.model)
        skip = set(dataset.internal) | {n for n, p in dataset.personal.items() if not p.export}
        for field in dataset.model_class()._meta.concrete_fields:
            if field.name in skip or isinstance(field, models.BinaryField):
                continue
            if field.name not in FIELD_LABELS:
                missing.append(f"{dataset.model}.{field.name}")
    assert missing == []
