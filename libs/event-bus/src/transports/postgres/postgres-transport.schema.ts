/**
 * The bus database's tables, as numbered migrations that `PostgresTransport.connect()` applies
 * in order (under an advisory lock, so instances starting together apply each once) and records
 * in `event_bus_schema`. Never edit a released migration: add the next one.
 *
 * - `event_bus_partition`: one row per partition of a topic; `next_offset` is the offset the next
 *   record gets. An append takes it under the row's lock, held to its commit, so a later writer
 *   gets its offsets only after the earlier one committed or rolled back: the committed offsets of
 *   a partition are gapless, and a reader that saw offset n never misses a smaller one later.
 * - `event_bus_log`: the records, append-only per partition, deleted by age.
 * - `event_bus_group_partition`: per consumer group and partition, the committed offset and the
 *   lease: which member holds it, until when, and a generation that fences a member that lost it.
 * - `event_bus_member`: the members of each group, with their last heartbeat.
 */
export const POSTGRES_TRANSPORT_MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE event_bus_partition (
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (topic, partition)
      );
      CREATE TABLE event_bus_log (
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        key bytea,
        value bytea NOT NULL,
        headers jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (topic, partition, "offset")
      );
      CREATE INDEX event_bus_log_created_at_idx ON event_bus_log (created_at);
      CREATE TABLE event_bus_group_partition (
        group_id text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        committed_offset bigint,
        owner text,
        generation bigint NOT NULL DEFAULT 0,
        expires_at timestamptz NOT NULL DEFAULT '-infinity',
        PRIMARY KEY (group_id, topic, partition)
      );
      CREATE TABLE event_bus_member (
        group_id text NOT NULL,
        member_id text NOT NULL,
        heartbeat_at timestamptz NOT NULL,
        PRIMARY KEY (group_id, member_id)
      );`,
  },
];

/** The newest schema version this code needs. */
export const POSTGRES_TRANSPORT_SCHEMA_VERSION =
  POSTGRES_TRANSPORT_MIGRATIONS[POSTGRES_TRANSPORT_MIGRATIONS.length - 1].version;

/** Key of the advisory lock that migrations (and retention) are applied under. */
export const SCHEMA_LOCK = 0x6576_6275; // "evbu"
