/**
 * Schema versions. schema.sql (package root) is the full schema of CURRENT_VERSION; a fresh file gets it
 * as it is. An older file is brought up to CURRENT_VERSION by the steps below, each in its own
 * transaction together with its `PRAGMA user_version` bump, so a crash mid-way leaves a file at a
 * whole version. A test migrates a version-1 file and checks it ends with the same tables, columns,
 * indexes and foreign keys as a fresh file.
 *
 * History:
 * - v1: the spine — tenants, queues (with a `language` column), agents, memberships, agent_sessions,
 *   call_records, event_log.
 * - v2: queue tags/schedule (language folded into settings), agent sip_user/wrap-up/skills,
 *   membership_history, pause state in agent_sessions, wait/talk in call_records, call_offers,
 *   ewt_log, holiday_calendars, closures, prompts, accounts, api_tokens, web_sessions, audit.
 * - v3: call_offers.device (the device an offer rang) and an index on leg_uuid (offers are found by their leg).
 * - v4: callbacks (issue 14: callbacks keeping the caller's place, rebuilt at start-up).
 */
import type Database from 'better-sqlite3'

interface Migration {
  /** The version this step produces (from version - 1). */
  version: number
  description: string
  up(db: Database.Database): void
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    description:
      'queue tags and schedules, agent skills, membership history, offers, EWT log, calendars, closures, prompts, accounts, audit',
    up(db) {
      db.exec(`
        ALTER TABLE queues ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE queues ADD COLUMN schedule TEXT;
        ALTER TABLE queues ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
        UPDATE queues SET settings = json_set(CASE WHEN json_valid(settings) THEN settings ELSE '{}' END, '$.language', language),
                          updated_at = created_at;
        ALTER TABLE queues DROP COLUMN language;

        ALTER TABLE agents ADD COLUMN sip_user TEXT NOT NULL DEFAULT '';
        ALTER TABLE agents ADD COLUMN wrap_up_sec INTEGER;
        ALTER TABLE agents ADD COLUMN skills TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE agents ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
        UPDATE agents SET sip_user = extension, updated_at = created_at;
        CREATE UNIQUE INDEX agents_sip_user ON agents (tenant_id, sip_user) WHERE sip_user <> '';

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
        INSERT INTO membership_history (tenant_id, agent_id, queue_id, extension, name, plan, from_at, until_at)
          SELECT a.tenant_id, m.agent_id, m.queue_id, a.extension, a.name, a.plan, m.created_at, NULL
            FROM memberships m JOIN agents a ON a.id = m.agent_id;

        ALTER TABLE agent_sessions ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE agent_sessions ADD COLUMN pause_reason TEXT;
        ALTER TABLE agent_sessions ADD COLUMN paused_at INTEGER;

        ALTER TABLE call_records ADD COLUMN wait_ms INTEGER;
        ALTER TABLE call_records ADD COLUMN talk_ms INTEGER;
        UPDATE call_records SET
          wait_ms = CASE WHEN entered_queue_at IS NOT NULL THEN COALESCE(answered_at, ended_at) - entered_queue_at END,
          talk_ms = CASE WHEN answered_at IS NOT NULL AND ended_at IS NOT NULL THEN ended_at - answered_at END;
        CREATE INDEX call_records_agent ON call_records (agent_id, arrived_at);
      `)
      // The tables v1 did not have at all are taken verbatim from schema.sql's definitions below.
      db.exec(V2_NEW_TABLES)
    },
  },
  {
    version: 3,
    description: 'the device each offer rang (per-agent offer statistics)',
    up(db) {
      db.exec(`
        ALTER TABLE call_offers ADD COLUMN device TEXT;
        CREATE INDEX call_offers_leg ON call_offers (leg_uuid) WHERE leg_uuid IS NOT NULL;
      `)
    },
  },
  {
    version: 4,
    description: "callbacks that keep the caller's place (issue 14)",
    up(db) {
      db.exec(CALLBACKS_TABLE)
    },
  },
]

/** The v4 table, identical to its definition in schema.sql. */
const CALLBACKS_TABLE = `
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
`

/** Tables new in v2, identical to their definitions in schema.sql. */
const V2_NEW_TABLES = `
CREATE TABLE holiday_calendars (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT REFERENCES tenants(id) ON DELETE RESTRICT,
  name        TEXT NOT NULL,
  definition  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX holiday_calendars_name ON holiday_calendars (COALESCE(tenant_id, ''), name);
CREATE TABLE closures (
  id             TEXT PRIMARY KEY,
  tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  scope          TEXT NOT NULL,
  queue_ids      TEXT NOT NULL,
  from_at        INTEGER NOT NULL,
  until_at       INTEGER,
  reason         TEXT NOT NULL,
  created_by     TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  reopened_at    INTEGER,
  reopened_by    TEXT,
  message_prompt TEXT
);
CREATE INDEX closures_active ON closures (tenant_id, reopened_at, until_at);
CREATE TABLE call_offers (
  id          INTEGER PRIMARY KEY,
  call_id     TEXT NOT NULL,
  agent_id    TEXT NOT NULL,
  leg_uuid    TEXT,
  offered_at  INTEGER NOT NULL,
  answered_at INTEGER,
  ended_at    INTEGER,
  result      TEXT,
  cause       TEXT
);
CREATE INDEX call_offers_call ON call_offers (call_id);
CREATE INDEX call_offers_agent ON call_offers (agent_id, offered_at);
CREATE TABLE ewt_log (
  id                INTEGER PRIMARY KEY,
  call_id           TEXT NOT NULL,
  queue_id          TEXT NOT NULL,
  at                INTEGER NOT NULL,
  position          INTEGER NOT NULL,
  announced_seconds INTEGER,
  actual_wait_ms    INTEGER
);
CREATE INDEX ewt_log_call ON ewt_log (call_id);
CREATE INDEX ewt_log_queue_at ON ewt_log (queue_id, at);
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
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  token_hash   TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  last_used_at INTEGER
);
CREATE TABLE web_sessions (
  id_hash     TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  csrf_token  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
CREATE TABLE audit (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  tenant_id  TEXT,
  action     TEXT NOT NULL,
  entity     TEXT NOT NULL,
  entity_id  TEXT,
  detail     TEXT
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_tenant ON audit (tenant_id, at);
`

/** The version the migrations lead to; schema.sql must declare the same. */
export const CURRENT_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 1)
