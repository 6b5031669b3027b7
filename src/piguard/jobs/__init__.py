"""The one job runner for scheduled work, with leases in the database.

See :mod:`piguard.jobs.runner`. Jobs (the outbox's deliveries, the birthday job, and next the
retention and deadline clocks) register here once; any number of processes tick the same
runner over one database and each due job runs on exactly one of them.
"""

from piguard.jobs.runner import Job, JobRun, JobRunner

__all__ = ["Job", "JobRun", "JobRunner"]
