"""What importing a records file would do (new, changed, unchanged, errors), writing nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from portal.records.importer import _existing_cases, _load_images, content_hash
from portal.records.schema import Record
from portal.records.validation import RecordError, _missing_images, validate_file

# Says why a valid record may not be imported by whoever asks (None: it may be).
RecordRule = Callable[[Record], str | None]
AGENCY_PATH = "agency.code"


@dataclass
class DryRun:
    """The outcome an import would have; record ids per class, errors as the CLI prints them."""

    path: Path
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    # The agency codes of the valid records: which agencies the file speaks for.
    agencies: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed)

    @property
    def error_lines(self) -> list[str]:
        return [str(error) for error in self.errors]

    def errors_by_record(self) -> list[tuple[str, list[RecordError]]]:
        """The errors grouped by the record they name, in the order they were found."""
        grouped: dict[str, list[RecordError]] = {}
        for error in self.errors:
            grouped.setdefault(error.record, []).append(error)
        return list(grouped.items())

    def summary(self) -> str:
        return f"{len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"


def dry_run(
    path: Path, images_dir: Path | None = None, *, rule: RecordRule | None = None
) -> DryRun:
    """Validate `path` as `flask records validate` does and classify its valid records.

    A record is new, changed or unchanged exactly as `import_records` decides: by its
    (agency, record id) and the content hash over the record and its image bytes. `rule`
    refuses valid records the caller may not import (another agency's, for a publisher);
    a refused record is an error of that record and its images are not fetched.
    """
    validated = validate_file(path, images_dir)
    result = DryRun(path=path, errors=list(validated.errors))
    base = (images_dir or path.parent).resolve()
    records: list[tuple[str, Record]] = []
    for label, record in validated.records:
        if next(_missing_images(label, record, base), None) is not None:
            continue  # validation reported it (it keeps such records); once is enough
        refusal = rule(record) if rule is not None else None
        if refusal is not None:
            result.errors.append(RecordError(label, AGENCY_PATH, refusal))
        else:
            records.append((label, record))
    existing = _existing_cases(records)
    for label, record in records:
        # One record's images at a time: memory stays flat however many images the file has.
        images, errors = _load_images(label, record, base)
        if errors:
            result.errors.extend(errors)
            continue
        result.agencies.add(record.agency.code)
        found = existing.get((record.agency.code, record.record_id))
        if found is None:
            result.new.append(record.record_id)
        elif found[1] == content_hash(record, images):
            result.unchanged.append(record.record_id)
        else:
            result.changed.append(record.record_id)
    return result
