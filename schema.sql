-- koplus SQLite schema — the full schema of the CURRENT version.
--
-- A fresh database file gets this file as it is (in one transaction). An older file is brought up to
-- this version by src/store/migrations.ts, one transaction per step; a test checks that a migrated
-- file ends with exactly the tables, columns, indexes and foreign keys of a fresh one.
-- Conventions: ids are short TEXT ('q_…', 'a_…'); instants are INTEGER epoch milliseconds (UTC);
-- *_json / settings / tags / devices / skills columns hold JSON text.
-- Log tables (call_records, call_offers, event_log, ewt_log, membership_history, audit) have no
-- foreign keys on purpose: history outlives the queues and agents it mentions.
--
-- The connection sets journal_mode=WAL, synchronous, foreign_keys=ON and busy_timeout (src/store/db.ts);
-- those are per connection and are not part of this file.

PRAGMA user_version = 4;

-- Tenants: each maps to a FreeSWITCH domain (channel variable koplus_tenant).
CREATE TABLE tenants (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  domain      TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);
-- The default tenant, created on first start.
INSERT INTO tenants (id, name, domain, created_at)
  VALUES ('default', 'Default', 'default', CAST(unixepoch('subsec') * 1000 AS INTEGER));

-- Queues. settings holds only the keys set explicitly; they are merged over DEFAULT_QUEUE_SETTINGS on read.
CREATE TABLE queues (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  number      TEXT NOT NULL,
  name        TEXT NOT NULL,
  settings    TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL,
  tags        TEXT NOT NULL DEFAULT '[]',
  schedule    TEXT,                        -- JSON Schedule (src/core/schedule/types.ts); NULL = always open
  updated_at  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (tenant_id, number)
);

-- Holiday calendars, shared between the queues of a tenant (tenant_id NULL: shared by every tenant).
CREATE TABLE holiday_calendars (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT REFERENCES tenants(id) ON DELETE RESTRICT,
  name        TEXT NOT NULL,
  definition  TEXT NOT NULL,               -- JSON: HolidayCalendar without id/name
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX holiday_calendars_name ON holiday_calendars (COALESCE(tenant_id, ''), name);

-- Temporary closures (S2). scope records how the queues were chosen; queue_ids the resolved list.
CREATE TABLE closures (
  id             TEXT PRIMARY KEY,
  tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  scope          TEXT NOT NULL,            -- JSON {"kind":"queues"|"tag"|"tenant", ...}
  queue_ids      TEXT NOT NULL,            -- JSON array of queue ids
  from_at        INTEGER NOT NULL,
  until_at       INTEGER,                  -- NULL: until reopened
  reason         TEXT NOT NULL,
  created_by     TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  reopened_at    INTEGER,
  reopened_by    TEXT,
  message_prompt TEXT
);
CREATE INDEX closures_active ON closures (tenant_id, reopened_at, until_at);

-- Agents (users of a tenant).
CREATE TABLE agents (
  id            TEXT PRIMARY KEY,
  tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  extension     TEXT NOT NULL,
  name          TEXT NOT NULL,
  plan          TEXT NOT NULL CHECK (plan IN ('basic', 'pro', 'business', 'enterprise')),
  devices       TEXT NOT NULL DEFAULT '[]', -- JSON Device[]
  active_device INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  sip_user      TEXT NOT NULL DEFAULT '',
  wrap_up_sec   INTEGER,                    -- NULL: the queue's
  skills        TEXT NOT NULL DEFAULT '{}', -- JSON name -> level
  updated_at    INTEGER NOT NULL DEFAULT 0,
  UNIQUE (tenant_id, extension)
);
CREATE UNIQUE INDEX agents_sip_user ON agents (tenant_id, sip_user) WHERE sip_user <> '';

-- Queue membership (D2): who may log in to which queue.
CREATE TABLE memberships (
  agent_id    TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  queue_id    TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (agent_id, queue_id)
);
CREATE INDEX memberships_queue ON memberships (queue_id);

-- Membership intervals [from_at, until_at) for the licence report (T1–T3). until_at NULL: still a member.
-- Agent details are copied so the report still names an agent who was removed since.
CREATE TABLE membership_history (
  id          INTEGER PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  agent_id    TEXT NOT NULL,
  queue_id    TEXT NOT NULL,
  extension   TEXT NOT NULL,
  name        TEXT NOT NULL,
  plan        TEXT NOT NULL,
  from_at     INTEGER NOT NULL,
  until_at    INTEGER
);
CREATE INDEX membership_history_agent ON membership_history (agent_id, from_at);
CREATE INDEX membership_history_period ON membership_history (from_at, until_at);

-- Who is logged in to which queue since when; restored after a restart.
CREATE TABLE agent_sessions (
  agent_id     TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  queue_id     TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  since        INTEGER NOT NULL,
  paused       INTEGER NOT NULL DEFAULT 0,
  pause_reason TEXT,
  paused_at    INTEGER,
  PRIMARY KEY (agent_id, queue_id)
);

-- One row per queue call.
CREATE TABLE call_records (
  call_id          TEXT PRIMARY KEY,
  tenant_id        TEXT NOT NULL,
  queue_id         TEXT NOT NULL,
  caller_number    TEXT NOT NULL DEFAULT '',
  caller_name      TEXT NOT NULL DEFAULT '',
  arrived_at       INTEGER NOT NULL,
  entered_queue_at INTEGER,
  answered_at      INTEGER,
  ended_at         INTEGER,
  outcome          TEXT,                     -- NULL while the call is in progress
  agent_id         TEXT,
  wait_ms          INTEGER,
  talk_ms          INTEGER
);
CREATE INDEX call_records_queue_arrived ON call_records (queue_id, arrived_at);
CREATE INDEX call_records_arrived ON call_records (arrived_at);
CREATE INDEX call_records_agent ON call_records (agent_id, arrived_at);

-- One row per offer (agent leg) of a call.
CREATE TABLE call_offers (
  id          INTEGER PRIMARY KEY,
  call_id     TEXT NOT NULL,
  agent_id    TEXT NOT NULL,
  leg_uuid    TEXT,
  offered_at  INTEGER NOT NULL,
  answered_at INTEGER,
  ended_at    INTEGER,
  result      TEXT,                          -- NULL while ringing; see OFFER_RESULTS
  cause       TEXT,
  device      TEXT                           -- the device rung: '<type>:<target>', e.g. 'softphone:1001'
);
CREATE INDEX call_offers_call ON call_offers (call_id);
CREATE INDEX call_offers_agent ON call_offers (agent_id, offered_at);
CREATE INDEX call_offers_leg ON call_offers (leg_uuid) WHERE leg_uuid IS NOT NULL;

-- Append-only event log, in the spirit of Asterisk's queue_log.
CREATE TABLE event_log (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  call_id  TEXT,
  queue_id TEXT,
  agent_id TEXT,
  event    TEXT NOT NULL,
  data     TEXT                              -- JSON or NULL
);
CREATE INDEX event_log_at ON event_log (at);
CREATE INDEX event_log_call ON event_log (call_id) WHERE call_id IS NOT NULL;

-- Every announced wait estimate, and the wait that followed (Q5 accuracy).
CREATE TABLE ewt_log (
  id                INTEGER PRIMARY KEY,
  call_id           TEXT NOT NULL,
  queue_id          TEXT NOT NULL,
  at                INTEGER NOT NULL,
  position          INTEGER NOT NULL,
  announced_seconds INTEGER,                 -- NULL: nothing announced (no basis for an estimate)
  actual_wait_ms    INTEGER                  -- from `at` until answered; NULL while unknown / never answered
);
CREATE INDEX ewt_log_call ON ewt_log (call_id);
CREATE INDEX ewt_log_queue_at ON ewt_log (queue_id, at);

-- Prompts replaced by operators, per tenant, optional queue, language and name.
CREATE TABLE prompts (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  queue_id    TEXT REFERENCES queues(id) ON DELETE CASCADE,
  language    TEXT NOT NULL,
  name        TEXT NOT NULL,
  path        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX prompts_key ON prompts (tenant_id, COALESCE(queue_id, ''), language, name);

-- Web/API accounts.
CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('operator', 'tenant-admin', 'agent')),
  tenant_id     TEXT REFERENCES tenants(id) ON DELETE CASCADE,
  agent_id      TEXT REFERENCES agents(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- API tokens: only a SHA-256 of the token is stored.
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  token_hash   TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  last_used_at INTEGER
);

-- Web sessions: the cookie value is stored as a SHA-256 only.
CREATE TABLE web_sessions (
  id_hash     TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  csrf_token  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- Who changed what, when.
CREATE TABLE audit (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  tenant_id  TEXT,
  action     TEXT NOT NULL,
  entity     TEXT NOT NULL,
  entity_id  TEXT,
  detail     TEXT                            -- JSON or NULL
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_tenant ON audit (tenant_id, at);

-- Callbacks (issue 14): the caller hung up keeping the place; a pending one (waiting/dialing) is rebuilt as a
-- virtual caller at start-up, in seq order. No foreign keys: history outlives queues (docs/callback.md).
CREATE TABLE callbacks (
  call_id         TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  queue_id        TEXT NOT NULL,
  number          TEXT NOT NULL,
  caller_number   TEXT NOT NULL,
  requested_at    INTEGER NOT NULL,
  joined_at       INTEGER NOT NULL,
  seq             REAL NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('waiting', 'dialing', 'completed', 'failed', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  held_since      INTEGER,
  reason          TEXT,
  agent_id        TEXT,
  connected_at    INTEGER,
  ended_at        INTEGER
);
CREATE INDEX callbacks_pending ON callbacks (state, queue_id);
CREATE INDEX callbacks_requested ON callbacks (requested_at);
