-- rand-guard events in ClickHouse (works on 18.16, which has no DateTime64): the ns time as Int64
-- beside a second-resolution DateTime for partitioning; u64 fields as UInt64. Loaded from the OCSF
-- Parquet dataset by clickhouse-rows.sql (see docs/fleet.md).
CREATE TABLE IF NOT EXISTS rg_events (
  time_ns Int64,
  event_time DateTime,
  host String,
  boot_id String,
  class_uid UInt16,
  activity_id UInt8,
  type_uid UInt32,
  status_id UInt8,
  event_type String,
  pid UInt32,
  tid UInt32,
  ppid UInt32,
  uid UInt32,
  actor_pid UInt32,
  actor_guid Nullable(String),
  actor_exe Nullable(String),
  actor_cmd_line Nullable(String),
  actor_parent_pid Nullable(UInt32),
  actor_parent_guid Nullable(String),
  process_pid Nullable(UInt32),
  process_guid Nullable(String),
  process_exe Nullable(String),
  file_path Nullable(String),
  open_flags Nullable(UInt32),
  result Nullable(Int32),
  dst_ip Nullable(String),
  dst_port Nullable(UInt16),
  ts_ns UInt64,
  cgroup_id UInt64,
  capture_sha256 String,
  frame_seq UInt64,
  record_index UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (host, class_uid, time_ns, frame_seq, record_index)
