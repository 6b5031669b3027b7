"""State every node shares, kept in the database (issue 12, item 1).

Several ``piguard serve`` processes, on one machine or many, run over one database; nothing a
rule depends on may live in one process's memory. This package holds the pieces that used to:

- :mod:`piguard.nodestate.tables`: console sessions, rate-limit buckets, monitoring-rule windows
  and alert cooldowns (migration ``data_0025``);
- :mod:`piguard.nodestate.limits`: token buckets charged with one atomic upsert per request;
- :mod:`piguard.nodestate.rules`: the storage under the monitoring rules' windows and cooldowns.

The console's session store (:mod:`piguard.web.session`) writes :data:`tables.console_sessions`.
"""
