-- DuckDB, over the views `rg-replay sql DATASET` creates: the rows of clickhouse-table.sql, one per event
-- (Process, File System and Network Activity). Run with --json and post to ClickHouse as JSONEachRow.
WITH base AS (
  SELECT * FROM process_activity
  UNION ALL BY NAME SELECT * FROM file_system_activity
  UNION ALL BY NAME SELECT * FROM network_activity
)
SELECT
  epoch_ns("time") AS time_ns,
  strftime("time", '%Y-%m-%d %H:%M:%S') AS event_time,
  host,
  device.boot_uid AS boot_id,
  class_uid,
  activity_id,
  type_uid,
  status_id,
  unmapped.event_type AS event_type,
  unmapped.pid AS pid,
  unmapped.tid AS tid,
  unmapped.ppid AS ppid,
  unmapped.uid AS uid,
  actor.process.pid AS actor_pid,
  actor.process.uid AS actor_guid,
  actor.process.file.path AS actor_exe,
  actor.process.cmd_line AS actor_cmd_line,
  actor.process.parent_process.pid AS actor_parent_pid,
  actor.process.parent_process.uid AS actor_parent_guid,
  process.pid AS process_pid,
  process.uid AS process_guid,
  process.file.path AS process_exe,
  file.path AS file_path,
  unmapped.open_flags AS open_flags,
  unmapped.result AS result,
  dst_endpoint.ip AS dst_ip,
  dst_endpoint.port AS dst_port,
  unmapped.ts_ns AS ts_ns,
  unmapped.cgroup_id AS cgroup_id,
  unmapped.capture_sha256 AS capture_sha256,
  unmapped.frame_seq AS frame_seq,
  unmapped.record_index AS record_index
FROM base
