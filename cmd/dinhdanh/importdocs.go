package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
)

// importDocuments applies a registry's feed file: batch after batch, each
// whole or not at all; a replayed batch is skipped and said so; the first
// refused batch stops the import (the earlier ones stay applied).
func importDocuments(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, kind, name string, stdout, stderr io.Writer) error {
	k := attributes.DocumentKind(kind)
	if !attributes.KnownDocumentKind(k) {
		return fmt.Errorf("unknown document kind %q (driving_licence, vehicle_registration, health_insurance, social_insurance)", kind)
	}
	format, err := attributes.FeedFormatOf(name)
	if err != nil {
		return err
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	feeds, err := gateway.NewFeedStore(cfg, pool, nil)
	if err != nil {
		return err
	}
	cr := &countingReader{r: f}
	prog := newProgress(stderr, "import documents", "records", "of the file", size)
	start := time.Now()
	var records, applied, replayed int64
	err = attributes.ReadFeedFile(cr, format, k, func(b attributes.FeedBatch) error {
		res, err := attributes.ApplyFeed(ctx, feeds, b, "import:"+kind)
		if err != nil {
			return fmt.Errorf("batch %d: %w", b.Seq, err)
		}
		records += int64(len(b.Entries))
		if res.Applied {
			applied++
		} else {
			replayed++
		}
		prog(records, cr.n.Load(), time.Since(start), false)
		return nil
	})
	took := time.Since(start)
	prog(records, cr.n.Load(), took, true)
	summary := fmt.Sprintf("%s: %d batches applied, %d already applied (replays, nothing changed), %d records, took %s",
		kind, applied, replayed, records, took.Round(time.Millisecond))
	if err != nil {
		var bad *attributes.FeedInvalidError
		var gap *attributes.FeedGapError
		if errors.As(err, &bad) {
			for _, l := range bad.Lines {
				fmt.Fprintf(stderr, "line %d: %s\n", l.Line, l.Err)
			}
		} else if errors.As(err, &gap) {
			fmt.Fprintf(stderr, "batch %d refused: the registry's next batch is %d\n", gap.Got, gap.Expected)
		}
		fmt.Fprintln(stdout, summary)
		return fmt.Errorf("import stopped: %w", err)
	}
	fmt.Fprintln(stdout, summary)
	return nil
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

const registryUsage = `usage: dinhdanh registry credential|credentials|revoke [flags]
  registry credential [-actor NAME] KIND
      creates the push credential of a document registry (driving_licence,
      vehicle_registration, health_insurance, social_insurance) and prints
      its secret once; the registry sends it as "Authorization: Bearer
      SECRET" to POST /registry/v1/documents/KIND/batches. The registry's
      credential in force before it is revoked.
  registry credentials [-json]
      lists every credential: id, kind, created, last used, revoked (never
      a secret).
  registry revoke [-actor NAME] ID
      revokes a credential; the next push with it is refused.`

// cmdRegistry manages the document registries' push credentials.
func cmdRegistry(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || !slices.Contains([]string{"credential", "credentials", "revoke"}, args[0]) {
		return errors.New(registryUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("registry "+sub, flag.ContinueOnError)
	dataDir := fs.String("data", ".data", "without DATABASE_URL: the `dinhdanh dev` folder whose database to use")
	actor := fs.String("actor", os.Getenv("USER"), "operator name recorded in the audit log (default $USER)")
	asJSON := fs.Bool("json", false, "credentials: print JSON")
	cfg, rest, err := loadConfig(fs, args[1:], config.Needs{})
	if err != nil {
		return err
	}
	if *actor == "" && sub != "credentials" {
		return fmt.Errorf("registry %s: -actor NAME is required", sub)
	}
	var id int64
	switch sub {
	case "credential":
		if len(rest) != 1 || !attributes.KnownDocumentKind(attributes.DocumentKind(rest[0])) {
			return errors.New(registryUsage)
		}
	case "credentials":
		if len(rest) != 0 {
			return errors.New(registryUsage)
		}
	case "revoke":
		if len(rest) == 1 {
			id, err = strconv.ParseInt(rest[0], 10, 64)
		}
		if len(rest) != 1 || err != nil || id <= 0 {
			return errors.New(registryUsage)
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, cleanup, err := openForTool(ctx, &cfg, *dataDir, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := pg.CheckCurrent(ctx, pool, schema.Sources()...); err != nil {
		return err
	}
	feeds, err := gateway.NewFeedStore(cfg, pool, nil)
	if err != nil {
		return err
	}
	switch sub {
	case "credential":
		token := attributes.NewRegistryToken()
		if _, err := feeds.SetCredential(ctx, attributes.DocumentKind(rest[0]), attributes.RegistryTokenHash(gateway.RegistryTokenKey(cfg), token), *actor); err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	case "revoke":
		c, err := feeds.RevokeCredential(ctx, id, *actor)
		switch {
		case errors.Is(err, attributes.ErrNotFound):
			return fmt.Errorf("registry revoke: no credential %d", id)
		case errors.Is(err, attributes.ErrRevoked):
			return fmt.Errorf("registry revoke: credential %d is revoked already", id)
		case err != nil:
			return err
		}
		fmt.Fprintf(stdout, "revoked credential %d of the %s registry\n", c.ID, c.Kind)
		return nil
	}
	list, err := feeds.Credentials(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if list == nil {
			list = []attributes.RegistryCredential{}
		}
		return writeJSON(stdout, list)
	}
	stamp := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tCREATED\tBY\tLAST USED\tREVOKED")
	for _, c := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, c.CreatedAt.Format(time.RFC3339), c.CreatedBy, stamp(c.LastUsedAt), stamp(c.RevokedAt))
	}
	return tw.Flush()
}
