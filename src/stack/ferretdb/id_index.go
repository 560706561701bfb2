package main

// FerretDB v1.24.2's SQLite backend indexes each collection's `_id` as
// `_ferretdb_sjson->"_id"`, but its queries, updates and deletes filter on
// `_ferretdb_sjson->'$._id'`. SQLite matches an expression index only when the
// expression is the same, so every lookup by `_id` scans the whole table
// (`EXPLAIN QUERY PLAN` says SCAN). Reads stay fast enough; an update or
// delete by `_id` grows with the collection (17 ms at 1,000 documents, 138 ms
// at 10,000). MongoDB answers those from its `_id` index, so the stand-in
// should too: this adds the index in the form the queries use. FerretDB's
// metadata does not list it, so listIndexes is unchanged, and it goes away
// with its table.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // registered as "sqlite" (FerretDB uses the same driver)
)

const idIndexSuffix = "_imex_id"

type openDB struct {
	db    *sql.DB
	inode uint64
}

// addIDIndexes looks at dir's databases every interval until ctx is done, and
// indexes every collection table that lacks the index yet.
func addIDIndexes(ctx context.Context, dir string, interval time.Duration, logger *slog.Logger) {
	dbs := map[string]*openDB{}
	defer func() {
		for _, o := range dbs {
			_ = o.db.Close()
		}
	}()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		seen := map[string]bool{}
		for _, file := range files {
			seen[file] = true
			o, err := open(dbs, file)
			if err != nil {
				continue // dropped or not yet written: the next round looks again
			}
			if err := indexTables(ctx, o.db); err != nil && ctx.Err() == nil {
				logger.Debug("imex id index", "file", file, "error", err)
			}
			if err := indexListTables(ctx, o.db); err != nil && ctx.Err() == nil {
				logger.Debug("imex list index", "file", file, "error", err)
			}
		}
		for file, o := range dbs {
			if !seen[file] {
				_ = o.db.Close()
				delete(dbs, file)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// open keeps one handle per database file, and opens it again when FerretDB
// has dropped and recreated the file.
func open(dbs map[string]*openDB, file string) (*openDB, error) {
	info, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	var inode uint64
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		inode = st.Ino
	}
	if o := dbs[file]; o != nil {
		if o.inode == inode {
			return o, nil
		}
		_ = o.db.Close()
		delete(dbs, file)
	}
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	o := &openDB{db: db, inode: inode}
	dbs[file] = o
	return o, nil
}

func indexTables(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `
		SELECT t.name FROM sqlite_master t
		WHERE t.type = 'table' AND t.name NOT LIKE '\_ferretdb%' ESCAPE '\'
		AND NOT EXISTS (SELECT 1 FROM sqlite_master i WHERE i.type = 'index' AND i.name = t.name || ?)`,
		idIndexSuffix)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			_ = rows.Close()
			return err
		}
		tables = append(tables, name)
	}
	_ = rows.Close()
	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (_ferretdb_sjson->'$._id')`,
			quote(table+idIndexSuffix), quote(table))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
