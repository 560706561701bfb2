// Command imex-ferretdb runs FerretDB v1.24.2 (SQLite backend) as a MongoDB
// wire-protocol server for imex's development and tests, with two patches: sorted finds on
// declared fields are pushed down to SQLite and served by indexes (list_index.go), and an
// update closes its read before it writes, so that concurrent updates cannot deadlock the
// database's SQLite connection pool (ferretdb-read-then-write.patch).
//
// It embeds github.com/FerretDB/FerretDB/ferretdb rather than building FerretDB's
// own command, whose binary panics at start when built by `go install` (it lacks
// a generated version file). The embedded handler never reports telemetry and
// starts no debug listener.
//
// It exits when its standard input closes, so a parent that dies without
// cleaning up (even by SIGKILL) never leaves it running.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("sqlite-dir", "data", "directory for the SQLite database files (created if missing)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	watchStdin := flag.Bool("exit-on-stdin-close", false, "exit when standard input reaches EOF")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("bad -log-level %q: %v", *logLevel, err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	abs, err := filepath.Abs(*dir)
	if err != nil {
		fail("bad -sqlite-dir: %v", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		fail("cannot create %s: %v", abs, err)
	}

	// Read by imex's FerretDB patch (list_index.go): which finds it pushes down to SQLite.
	if err := os.Setenv("IMEX_FERRETDB_PUSHDOWN", pushdownEnv()); err != nil {
		fail("cannot declare pushdown fields: %v", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		fail("cannot start FerretDB: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	// FerretDB's own `_id` index is never used (id_index.go).
	go addIDIndexes(ctx, abs, 500*time.Millisecond, logger)

	go func() {
		// MongoDBURI blocks until the listener is bound; the launcher waits for this line.
		fmt.Printf("imex-ferretdb ready %s\n", f.MongoDBURI())
	}()

	if err := f.Run(ctx); err != nil {
		fail("FerretDB stopped: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "imex-ferretdb: "+format+"\n", args...)
	os.Exit(1)
}
