"""Import of candidates and past applications from CSV/XLSX files.

- `files`: reading a file (limits, encoding, separator, XLSX) into rows;
- `records`: the target fields, the column mapping, and each row validated into a Record;
- `jobs`: upload, mapping, dry-run preview and the chunked, resumable run;
- `writers`: the idempotent fill-blanks upserts a chunk is written with.

The names callers use are re-exported here.
"""

from __future__ import annotations

from candidates.importing.files import ImportFileError, ParsedFile, Row, parse_bytes
from candidates.importing.jobs import (
    CHUNK_SIZE,
    DryRunSuperseded,
    Preview,
    error_report_rows,
    import_job_create,
    import_job_fail,
    import_job_run,
    import_job_start,
    import_jobs_resume_stale,
    import_mapping_set,
    import_preview,
    job_parse,
    job_resumable,
)
from candidates.importing.records import (
    APPLICATION_TARGETS,
    CANDIDATE_TARGETS,
    Record,
    Target,
    iter_records,
    mapping_guess,
    mapping_validate,
    targets_for,
)

__all__ = [
    "APPLICATION_TARGETS",
    "CANDIDATE_TARGETS",
    "CHUNK_SIZE",
    "DryRunSuperseded",
    "ImportFileError",
    "ParsedFile",
    "Preview",
    "Record",
    "Row",
    "Target",
    "error_report_rows",
    "import_job_create",
    "import_job_fail",
    "import_job_run",
    "import_job_start",
    "import_jobs_resume_stale",
    "import_mapping_set",
    "import_preview",
    "iter_records",
    "job_parse",
    "job_resumable",
    "mapping_guess",
    "mapping_validate",
    "parse_bytes",
    "targets_for",
]
