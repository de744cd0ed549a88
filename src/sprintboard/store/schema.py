"""The store's schema: an ordered list of migrations, each taking the store from one version to the next.

The schema is a public contract (``docs/schema.md`` documents every table and column; a test keeps the two in step).
A store records every migration applied to it in ``schema_version``; its version is the highest one there.
Opening an older store applies the missing migrations; opening a store newer than this code is refused, because
this code cannot know what a newer schema means.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


_V1 = (
    """
    CREATE TABLE schema_version (
        version     INTEGER PRIMARY KEY,
        description VARCHAR NOT NULL,
        applied_at  TIMESTAMP NOT NULL
    )""",
    """
    CREATE TABLE store_meta (
        key   VARCHAR PRIMARY KEY,
        value VARCHAR
    )""",
    """
    CREATE TABLE runs (
        run_id         VARCHAR PRIMARY KEY,
        project        VARCHAR,
        entity         VARCHAR,
        name           VARCHAR,
        state          VARCHAR NOT NULL,
        created_at     TIMESTAMP,
        runtime_s      DOUBLE,
        exit_code      INTEGER,
        notes          VARCHAR,
        user_name      VARCHAR,
        group_name     VARCHAR,
        job_type       VARCHAR,
        tags           VARCHAR[] NOT NULL,
        sweep_id       VARCHAR,
        host           VARCHAR,
        git_commit     VARCHAR,
        git_remote     VARCHAR,
        program        VARCHAR,
        url            VARCHAR,
        sprint_ref     VARCHAR,
        hypothesis_ref VARCHAR,
        source_path    VARCHAR NOT NULL,
        loaded_at      TIMESTAMP NOT NULL
    )""",
    """
    CREATE TABLE run_config (
        run_id     VARCHAR NOT NULL,
        key        VARCHAR NOT NULL,
        value_json VARCHAR NOT NULL,
        value_num  DOUBLE,
        value_text VARCHAR,
        PRIMARY KEY (run_id, key)
    )""",
    """
    CREATE TABLE run_summary (
        run_id     VARCHAR NOT NULL,
        key        VARCHAR NOT NULL,
        value_json VARCHAR NOT NULL,
        value_num  DOUBLE,
        value_text VARCHAR,
        PRIMARY KEY (run_id, key)
    )""",
    # No key constraint on history: at 100 million points an index would cost more than it protects; the loader
    # replaces a run's step range as a whole instead (see sprintboard.ingest.loader).
    """
    CREATE TABLE history (
        run_id     VARCHAR NOT NULL,
        step       BIGINT NOT NULL,
        timestamp  TIMESTAMP,
        runtime_s  DOUBLE,
        key        VARCHAR NOT NULL,
        value_num  DOUBLE,
        value_text VARCHAR
    )""",
    """
    CREATE TABLE predictions (
        run_id      VARCHAR NOT NULL,
        table_key   VARCHAR NOT NULL,
        step        BIGINT,
        row_index   INTEGER NOT NULL,
        column_name VARCHAR NOT NULL,
        value_num   DOUBLE,
        value_text  VARCHAR
    )""",
    """
    CREATE TABLE sprints (
        sprint_id  VARCHAR PRIMARY KEY,
        name       VARCHAR NOT NULL,
        goal       VARCHAR,
        start_date DATE,
        end_date   DATE,
        team       VARCHAR,
        state      VARCHAR,
        source_path VARCHAR NOT NULL
    )""",
    """
    CREATE TABLE work_items (
        item_id       VARCHAR PRIMARY KEY,
        title         VARCHAR NOT NULL,
        item_type     VARCHAR NOT NULL,
        status        VARCHAR,
        points        DOUBLE,
        timebox_hours DOUBLE,
        sprint_id     VARCHAR,
        assignee      VARCHAR,
        created_at    TIMESTAMP,
        resolved_at   TIMESTAMP,
        labels        VARCHAR[] NOT NULL,
        source_path   VARCHAR NOT NULL
    )""",
    """
    CREATE TABLE item_events (
        item_id    VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL,
        field      VARCHAR NOT NULL,
        from_value VARCHAR,
        to_value   VARCHAR,
        author     VARCHAR,
        source_path VARCHAR NOT NULL
    )""",
    """
    CREATE TABLE hypotheses (
        hypothesis_id   VARCHAR PRIMARY KEY,
        item_id         VARCHAR,
        statement       VARCHAR NOT NULL,
        owner           VARCHAR,
        sprint_id       VARCHAR,
        timebox_hours   DOUBLE,
        criteria        VARCHAR,
        aggregation     VARCHAR NOT NULL,
        baseline_run_id VARCHAR,
        baseline_value  DOUBLE,
        run_ids         VARCHAR[] NOT NULL,
        source_path     VARCHAR NOT NULL
    )""",
    "CREATE SEQUENCE ingest_log_seq START 1",
    """
    CREATE TABLE ingest_log (
        ingest_id    BIGINT PRIMARY KEY DEFAULT nextval('ingest_log_seq'),
        path         VARCHAR NOT NULL,
        format       VARCHAR,
        status       VARCHAR NOT NULL,
        started_at   TIMESTAMP NOT NULL,
        finished_at  TIMESTAMP NOT NULL,
        file_bytes   BIGINT,
        file_sha256  VARCHAR,
        runs         INTEGER NOT NULL DEFAULT 0,
        history_rows BIGINT NOT NULL DEFAULT 0,
        table_rows   BIGINT NOT NULL DEFAULT 0,
        backlog_rows INTEGER NOT NULL DEFAULT 0,
        error        VARCHAR,
        warnings     VARCHAR[] NOT NULL DEFAULT []
    )""",
    # Which sprint a run belongs to: an explicit reference (tag sprint:<name> or config key "sprint", matched
    # against sprint id or name) wins; otherwise the sprint whose dates hold the run's start.
    """
    CREATE VIEW run_sprints AS
    WITH explicit AS (
        SELECT r.run_id, s.sprint_id, 'reference' AS linked_by
        FROM runs r JOIN sprints s ON r.sprint_ref IN (s.sprint_id, s.name)
    ), by_date AS (
        SELECT r.run_id, s.sprint_id, 'start time' AS linked_by
        FROM runs r JOIN sprints s
          ON r.created_at >= s.start_date AND r.created_at < s.end_date + INTERVAL 1 DAY
        WHERE r.run_id NOT IN (SELECT run_id FROM explicit)
    )
    SELECT * FROM explicit
    UNION ALL
    SELECT run_id, arg_min(sprint_id, sprint_id) AS sprint_id, 'start time' AS linked_by
    FROM by_date GROUP BY run_id""",
)

# A person's final decision on a hypothesis, which overrides the computed verdict (both are shown). Decisions are
# not loaded from files, so re-ingesting a backlog never erases them.
_V2 = (
    """
    CREATE TABLE hypothesis_decisions (
        hypothesis_id VARCHAR NOT NULL,
        decided_at    TIMESTAMP NOT NULL,
        decision      VARCHAR NOT NULL,
        note          VARCHAR,
        decided_by    VARCHAR,
        PRIMARY KEY (hypothesis_id, decided_at)
    )""",
)

# What the team calls better for a model metric, and the baseline and target it measures progress against (from
# the backlog file's ``metrics`` list).
_V3 = (
    """
    CREATE TABLE metric_goals (
        key         VARCHAR PRIMARY KEY,
        better      VARCHAR,
        baseline    DOUBLE,
        target      DOUBLE,
        headline    BOOLEAN NOT NULL DEFAULT false,
        source_path VARCHAR NOT NULL
    )""",
)

# How the team's bias checks run (from the backlog file's ``fairness`` mapping, or the action answered on the Bias
# page): one row for the store.
_V4 = (
    """
    CREATE TABLE fairness_policy (
        table_key      VARCHAR,
        label          VARCHAR,
        prediction     VARCHAR,
        score          VARCHAR,
        threshold      DOUBLE,
        attributes     VARCHAR[] NOT NULL DEFAULT [],
        action         VARCHAR,
        reach          VARCHAR,
        band_low       DOUBLE,
        band_high      DOUBLE,
        min_group_size INTEGER,
        source_path    VARCHAR NOT NULL
    )""",
)

# What the team said in its retrospectives: what went well, what to improve, and the actions it agreed on. Notes are
# written from the app (never loaded from files), so re-ingesting a backlog keeps them. Only actions have a state; an
# open action of one sprint shows in later sprints' retros until it is marked done (see analytics.retro_notes).
_V5 = (
    "CREATE SEQUENCE retro_notes_seq START 1",
    """
    CREATE TABLE retro_notes (
        note_id                BIGINT PRIMARY KEY DEFAULT nextval('retro_notes_seq'),
        sprint_id              VARCHAR NOT NULL,
        kind                   VARCHAR NOT NULL CHECK (kind IN ('went_well', 'to_improve', 'action')),
        text                   VARCHAR NOT NULL,
        author                 VARCHAR,
        created_at             TIMESTAMP NOT NULL,
        action_state           VARCHAR CHECK (action_state IN ('open', 'done')),
        carried_from_sprint_id VARCHAR,
        done_at                TIMESTAMP,
        done_by                VARCHAR,
        CHECK ((kind = 'action') = (action_state IS NOT NULL)),
        CHECK (kind = 'action' OR carried_from_sprint_id IS NULL)
    )""",
)

# Which numeric metrics each run logged, kept by the loader with every history write: listing the store's metrics
# (the Model metrics page opens with it) is then a read of a few thousand rows, not a scan of every point.
_V6 = (
    """
    CREATE TABLE metric_keys (
        run_id VARCHAR NOT NULL,
        key    VARCHAR NOT NULL,
        points BIGINT NOT NULL,
        PRIMARY KEY (run_id, key)
    )""",
    """
    INSERT INTO metric_keys
    SELECT run_id, key, count(*) FROM history WHERE value_num IS NOT NULL GROUP BY run_id, key""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _V1),
    Migration(2, "hypothesis decisions", _V2),
    Migration(3, "metric goals", _V3),
    Migration(4, "fairness policy", _V4),
    Migration(5, "retro notes", _V5),
    Migration(6, "metric keys per run", _V6),
)

CURRENT_VERSION = MIGRATIONS[-1].version
