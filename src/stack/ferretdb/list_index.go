package main

// FerretDB v1.24.2 pushes no filter but {_id: <string>} and no sort down to SQLite: listing
// IEs read, decoded and sorted every IE of the database in Go (2.5 s a page at 20,000 IEs).
// imex builds FerretDB with a small patch (ferretdb-pushdown.patch, applied at build time by
// src/stack/mongo-server.ts): a find whose sort uses only fields declared here gets its sort
// and its equality conditions on those fields as SQL, `_ferretdb_sjson->>'$.<field>'`, and
// is read only as far as skip and limit need. The indexes below are on exactly those
// expressions, so a page of a list is an index range: O(offset + limit), not O(collection).
//
// A declared field must hold one scalar type in every document (or be missing): SQLite then
// orders and compares its values as MongoDB does. The indexes mirror the MongoDB ones in
// src/store/store.ts (ensureIndexes), each with `_id` last (the lists' tie-break).

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

type pushdownCollection struct {
	// fields that may be sorted on and filtered by equality in SQL.
	fields []string
	// indexes by name suffix: their fields, in order.
	indexes map[string][]string
}

var pushdownCollections = map[string]pushdownCollection{
	"incomplete_executions": {
		fields: []string{"_id", "orgId", "scenarioId", "executionId", "status", "resolved", "deleted", "created", "size", "attempts"},
		indexes: map[string][]string{
			"_imex_org_scenario_created": {"orgId", "scenarioId", "deleted", "created", "_id"},
			"_imex_org_status_created":   {"orgId", "status", "deleted", "created", "_id"},
			"_imex_org_created":          {"orgId", "deleted", "created", "_id"},
			// A run's IEs (`GET /dlqs?executionId=`, a run's detail): few, but found without a scan.
			"_imex_org_execution_created": {"orgId", "executionId", "deleted", "created", "_id"},
			// Whether a sequential scenario has an open IE, asked per run (hasOpen).
			"_imex_org_scenario_resolved_created": {"orgId", "scenarioId", "resolved", "deleted", "created", "_id"},
		},
	},
	// Webhook payloads (src/store/webhook-queue.ts): a scenario's next waiting payloads, in order,
	// and its head, read per accepted payload and per run started.
	"webhook_queue": {
		fields: []string{"_id", "scenarioId", "seq", "consumed"},
		indexes: map[string][]string{
			"_imex_scenario_seq":          {"scenarioId", "seq"},
			"_imex_scenario_consumed_seq": {"scenarioId", "consumed", "seq"},
		},
	},
}

// pushdownEnv is the declaration the patched FerretDB reads (IMEX_FERRETDB_PUSHDOWN).
func pushdownEnv() string {
	names := make([]string, 0, len(pushdownCollections))
	for name := range pushdownCollections {
		names = append(names, name)
	}
	sort.Strings(names)
	entries := make([]string, 0, len(names))
	for _, name := range names {
		entries = append(entries, name+"="+strings.Join(pushdownCollections[name].fields, ","))
	}
	return strings.Join(entries, ";")
}

// indexListTables creates the list indexes of every declared collection of the database that lacks them.
func indexListTables(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT name, table_name FROM _ferretdb_collections`)
	if err != nil {
		return nil // no collection yet
	}
	tables := map[string]string{}
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			_ = rows.Close()
			return err
		}
		if _, ok := pushdownCollections[name]; ok {
			tables[table] = name
		}
	}
	_ = rows.Close()
	for table, name := range tables {
		for suffix, fields := range pushdownCollections[name].indexes {
			exprs := make([]string, len(fields))
			for i, f := range fields {
				exprs[i] = fmt.Sprintf(`_ferretdb_sjson->>'$.%s'`, f)
			}
			q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (%s)`,
				quote(table+suffix), quote(table), strings.Join(exprs, ", "))
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
	}
	return nil
}
