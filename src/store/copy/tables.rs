//! What `store copy` copies: every durable table of the schema, its columns in one canonical
//! order, and how each column is typed and treated. Both backends are described by this one list,
//! so a row read from SQLite and the same row read from PostgreSQL serialise to the same bytes.
//!
//! May touch: nothing (data only).

/// How a column's values are typed in the canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A 64-bit integer (SQLite INTEGER, PostgreSQL BIGINT).
    Int,
    /// Text.
    Text,
    /// A flag: SQLite stores 0/1, PostgreSQL BOOLEAN; canonically 0/1.
    Bool,
}

/// What happens to a column when rows are copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Treat {
    /// Copied, compared and checksummed on every pair of backends.
    Always,
    /// Exists on PostgreSQL only (the lease history of `deliveries`): copied when both ends are
    /// PostgreSQL, NULL when the source is SQLite, dropped when the target is SQLite; never
    /// checksummed, so a SQLite and a PostgreSQL copy of one installation have equal checksums.
    PgOnly,
    /// Written as NULL and never read: outbox leases belong to the source's processes, which do
    /// not run against the target (a row copied `sending` is recovered and retried there).
    Cleared,
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    /// Column name (the same on both backends).
    pub name: &'static str,
    /// Canonical type.
    pub kind: Kind,
    /// Treatment.
    pub treat: Treat,
}

const fn int(name: &'static str) -> Col {
    Col {
        name,
        kind: Kind::Int,
        treat: Treat::Always,
    }
}
const fn text(name: &'static str) -> Col {
    Col {
        name,
        kind: Kind::Text,
        treat: Treat::Always,
    }
}
const fn flag(name: &'static str) -> Col {
    Col {
        name,
        kind: Kind::Bool,
        treat: Treat::Always,
    }
}
const fn pg_only(c: Col) -> Col {
    Col {
        treat: Treat::PgOnly,
        ..c
    }
}
const fn cleared(c: Col) -> Col {
    Col {
        treat: Treat::Cleared,
        ..c
    }
}

/// One table: its key columns come first in `cols`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    /// Table name (the same on both backends).
    pub name: &'static str,
    /// How many leading columns form the primary key.
    pub key_len: usize,
    /// True when the key is one integer `id` (an identity column on PostgreSQL): read and
    /// compared in pages; other tables are small and read whole.
    pub int_id: bool,
    /// Every column, key first.
    pub cols: &'static [Col],
    /// Columns a row never changes once written (its identity: the dedupe key, the creation
    /// instant, or every column of an append-only table). A target row with the same id but other
    /// values here belongs to another installation, not to an earlier copy of this one.
    pub fixed: &'static [&'static str],
}

impl Table {
    /// The key columns.
    pub fn key(&self) -> &'static [Col] {
        &self.cols[..self.key_len]
    }
}

/// Every table `store copy` moves, parents before children (foreign keys). Not copied: the
/// PostgreSQL-only `leases` (the leader lease) and `replicas` (heartbeats): they describe live
/// processes of the source, which must not look alive on the target; and `schema_version`, which
/// each end keeps for itself.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "plan_versions",
        key_len: 1,
        int_id: true,
        cols: &[
            int("id"),
            int("created_at"),
            text("config_hash"),
            text("summary"),
        ],
        fixed: &["created_at", "config_hash"],
    },
    Table {
        name: "occurrences",
        key_len: 1,
        int_id: true,
        cols: &[
            int("id"),
            text("key"),
            text("task_id"),
            int("rule_index"),
            text("period_label"),
            text("window_start"),
            text("window_end"),
            text("due_date"),
            text("status"),
            text("colour"),
            int("plan_version"),
            int("created_at"),
            int("updated_at"),
        ],
        fixed: &["key", "task_id", "created_at"],
    },
    Table {
        name: "outbox",
        key_len: 1,
        int_id: true,
        cols: &[
            int("id"),
            text("dedupe_key"),
            text("occurrence_key"),
            text("task_id"),
            text("stage"),
            text("kind"),
            text("recipient"),
            text("channel"),
            int("fire_at"),
            text("state"),
            int("attempts"),
            int("next_attempt_at"),
            text("last_error"),
            text("message"),
            flag("late"),
            int("plan_version"),
            int("created_at"),
            int("updated_at"),
            int("sent_at"),
            cleared(text("lease_owner")),
            cleared(int("lease_until")),
        ],
        fixed: &["dedupe_key", "occurrence_key", "created_at"],
    },
    Table {
        name: "deliveries",
        key_len: 1,
        int_id: true,
        cols: &[
            int("id"),
            int("outbox_id"),
            int("attempt"),
            int("at"),
            text("outcome"),
            text("detail"),
            pg_only(text("owner")),
            pg_only(int("lease_until")),
            pg_only(int("db_at")),
        ],
        fixed: &["outbox_id", "attempt", "at", "outcome", "detail"],
    },
    Table {
        name: "progress",
        key_len: 1,
        int_id: true,
        cols: &[
            int("id"),
            text("task_id"),
            text("occurrence_key"),
            text("note"),
            text("by_name"),
            int("at"),
            flag("done"),
            text("source"),
        ],
        fixed: &[
            "task_id",
            "occurrence_key",
            "note",
            "by_name",
            "at",
            "done",
            "source",
        ],
    },
    Table {
        name: "digest_runs",
        key_len: 2,
        int_id: false,
        cols: &[text("digest_id"), text("week")],
        fixed: &[],
    },
    Table {
        name: "meta",
        key_len: 1,
        int_id: false,
        cols: &[text("key"), text("value")],
        fixed: &[],
    },
    Table {
        name: "ticks",
        key_len: 1,
        int_id: false,
        cols: &[text("job"), int("last_due"), int("done_at")],
        fixed: &[],
    },
    Table {
        name: "requests",
        key_len: 1,
        int_id: true,
        cols: &[
            int("id"),
            text("kind"),
            text("task_id"),
            text("occurrence_key"),
            text("unit"),
            text("note"),
            text("new_due"),
            text("state"),
            text("by_name"),
            int("created_at"),
            int("decided_at"),
            text("decided_by"),
            text("decision_note"),
        ],
        fixed: &["kind", "task_id", "occurrence_key", "unit", "created_at"],
    },
    Table {
        name: "due_overrides",
        key_len: 1,
        int_id: false,
        cols: &[
            text("occurrence_key"),
            text("due_date"),
            int("request_id"),
            int("created_at"),
        ],
        fixed: &[],
    },
    Table {
        name: "audit",
        key_len: 1,
        int_id: true,
        cols: &[
            int("id"),
            int("at"),
            text("actor"),
            text("address"),
            text("action"),
            text("subject"),
            text("before"),
            text("after"),
        ],
        fixed: &[
            "at", "actor", "address", "action", "subject", "before", "after",
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_columns_and_int_ids_are_integers() {
        for t in TABLES {
            assert!(t.key_len >= 1 && t.key_len <= t.cols.len(), "{}", t.name);
            assert!(
                t.key().iter().all(|c| c.treat == Treat::Always),
                "{}",
                t.name
            );
            if t.int_id {
                assert_eq!(t.key_len, 1, "{}", t.name);
                assert_eq!(t.cols[0].name, "id");
                assert_eq!(t.cols[0].kind, Kind::Int);
            }
            for f in t.fixed {
                let c = t.cols.iter().find(|c| c.name == *f);
                assert!(
                    c.is_some_and(|c| c.treat == Treat::Always),
                    "{}.{f}",
                    t.name
                );
            }
        }
    }
}
