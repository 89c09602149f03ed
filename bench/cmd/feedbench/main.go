// Command feedbench measures the document registries' update feeds at
// scale: it generates a population registry (inside PostgreSQL, with
// generate_series) and a driving-licence feed file of -entries entries in
// batches of -batch (upserts of new documents, upserts that reinstate old
// ones, suspensions, withdrawals and expiries, each of documents created by
// an earlier batch), applies the file the way `dinhdanh import documents`
// does (attributes.ReadFeedFile, attributes.ApplyFeed, gateway.NewFeedStore:
// one transaction per batch, audited), then pushes -push-batches batches of
// health insurance through the registries' push endpoint over loopback
// HTTP. It prints entries/s, batches/s, the peak memory and the time taken,
// and checks the documents' end state against the truth the generator
// kept (the count per status and every document's status; exit status 1 on
// any difference).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	crand "crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	attributesweb "github.com/dinhdanh/dinhdanh/attributes/web"
	"github.com/dinhdanh/dinhdanh/bench/internal/benchenv"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
)

func main() {
	var (
		people      = flag.Int("people", 1_000_000, "persons in the population registry")
		entries     = flag.Int("entries", 1_000_000, "entries in the feed file (a multiple of -batch)")
		batch       = flag.Int("batch", 10_000, "entries per batch (at most attributes.MaxFeedEntries)")
		pushBatches = flag.Int("push-batches", 10, "batches pushed through the HTTP endpoint afterwards")
		format      = flag.String("format", "jsonl", "feed file format: jsonl or csv")
		durable     = flag.Bool("durable", false, "PostgreSQL with fsync on (default off, as in tests)")
		seed        = flag.Uint64("seed", 14, "generator seed")
	)
	flag.Parse()
	if *batch <= 0 || *batch > attributes.MaxFeedEntries || *entries%*batch != 0 || *people <= 0 || *people > 99_999_999 {
		log.Fatalf("-batch must be 1..%d, -entries a multiple of it, -people 1..99999999", attributes.MaxFeedEntries)
	}
	if *format != string(attributes.FeedJSONLines) && *format != string(attributes.FeedCSV) {
		log.Fatal("-format must be jsonl or csv")
	}
	ctx := context.Background()
	db, err := benchenv.Start(ctx, "dinhdanh-feedbench-", *durable, 4)
	benchenv.Check(err)
	defer db.Close()

	fmt.Printf("feedbench: %s/%s, %d CPUs, %s; %d persons, %d feed entries in batches of %d (%s), fsync %v\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *people, *entries, *batch, *format, *durable)

	t0 := time.Now()
	benchenv.MustExec(ctx, db.App, `INSERT INTO population (personal_id, full_name, birth_date, gender, nationality, province)
		SELECT '0010' || lpad(x::text, 8, '0'), 'Người Số ' || x, make_date(1950 + x % 50, 1 + x % 12, 1 + x % 28),
			CASE x % 2 WHEN 0 THEN 'male' ELSE 'female' END, 'VN', 'Hà Nội'
		FROM generate_series(1, $1) x`, *people)
	benchenv.MustExec(ctx, db.Owner, `ANALYZE population`)
	fmt.Printf("population generated in %s\n", time.Since(t0).Round(time.Millisecond))

	dir, err := os.MkdirTemp("", "dinhdanh-feedbench-file-")
	benchenv.Check(err)
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "driving_licence."+*format)
	t0 = time.Now()
	licences := newFeed(attributes.DrivingLicence, "", *people, *entries, *seed)
	size := writeFile(name, attributes.FeedFormat(*format), licences, *entries / *batch, *batch)
	fmt.Printf("feed file generated in %s: %d entries, %.1f MiB\n\n", time.Since(t0).Round(time.Millisecond), *entries, float64(size)/(1<<20))

	var secrets config.Secrets
	secrets.AuditKey, secrets.SecretPepper = random(32), random(32)
	cfg := config.Config{Secrets: secrets}
	feeds, err := gateway.NewFeedStore(cfg, db.App, nil)
	benchenv.Check(err)

	// The file, as `dinhdanh import documents driving_licence FILE` applies it.
	runtime.GC()
	resetOK := benchenv.ResetPeak()
	rssBefore := benchenv.StatusKiB("VmRSS")
	tempBefore, err := benchenv.TempBytes(ctx, db.App)
	benchenv.Check(err)
	f, err := os.Open(name)
	benchenv.Check(err)
	var done, batches int64
	start := time.Now()
	err = attributes.ReadFeedFile(bufio.NewReader(f), attributes.FeedFormat(*format), attributes.DrivingLicence, func(b attributes.FeedBatch) error {
		res, err := attributes.ApplyFeed(ctx, feeds, b, "import:driving_licence")
		if err != nil {
			return fmt.Errorf("batch %d: %w", b.Seq, err)
		}
		if !res.Applied {
			return fmt.Errorf("batch %d: not applied", b.Seq)
		}
		done += int64(len(b.Entries))
		if batches++; batches%10 == 0 {
			el := time.Since(start)
			fmt.Printf("  %d/%d entries, %d batches, %.0f entries/s, %s elapsed\n", done, *entries, batches, float64(done)/el.Seconds(), el.Round(time.Second))
		}
		return nil
	})
	took := time.Since(start)
	f.Close()
	benchenv.Check(err)
	peak := benchenv.StatusKiB("VmHWM")
	temp, err := benchenv.TempBytes(ctx, db.App)
	benchenv.Check(err)
	fmt.Printf("\napplied %d entries in %d batches in %s: %.0f entries/s, %.2f batches/s\n",
		done, batches, took.Round(time.Millisecond), float64(done)/took.Seconds(), float64(batches)/took.Seconds())
	peakNote := "since the file was generated"
	if !resetOK {
		peakNote = "since the process started (clear_refs refused)"
	}
	fmt.Printf("memory: this process (Go) VmRSS %d kB before, peak VmHWM %d kB %s; PostgreSQL temp files written %.1f MiB\n",
		rssBefore, peak, peakNote, float64(temp-tempBefore)/(1<<20))

	// The same file once more: every batch is a replay and changes nothing.
	f, err = os.Open(name)
	benchenv.Check(err)
	var replays int64
	start = time.Now()
	benchenv.Check(attributes.ReadFeedFile(bufio.NewReader(f), attributes.FeedFormat(*format), attributes.DrivingLicence, func(b attributes.FeedBatch) error {
		res, err := attributes.ApplyFeed(ctx, feeds, b, "import:driving_licence")
		if err == nil && res.Applied {
			err = fmt.Errorf("replayed batch %d applied again", b.Seq)
		}
		replays++
		return err
	}))
	f.Close()
	fmt.Printf("replayed the whole file in %s: %d batches, nothing applied\n", time.Since(start).Round(time.Millisecond), replays)

	ok := verify(ctx, db.App, licences)
	if *pushBatches > 0 {
		insurance := newFeed(attributes.HealthInsurance, "HS", *people, *pushBatches**batch, *seed+1)
		push(ctx, cfg, feeds, insurance, *pushBatches, *batch)
		ok = verify(ctx, db.App, insurance) && ok
	}
	var audited int64
	benchenv.Check(db.App.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE reason = 'document_feed_batch'`).Scan(&audited))
	want := batches + int64(*pushBatches)
	fmt.Printf("\naudit events of applied batches: %d (expected %d)\n", audited, want)
	if audited != want {
		ok = false
	}
	if !ok {
		fmt.Println("\nthe end state does NOT match the known truth")
		os.Exit(1)
	}
	fmt.Println("\nthe end state matches the known truth exactly")
}

// Statuses a generated document can be in (0: not created yet).
const (
	none uint8 = iota
	valid
	suspended
	withdrawn
	expired
)

var statusName = [...]string{"", attributes.StatusValid, attributes.StatusSuspended, attributes.StatusWithdrawn, attributes.StatusExpired}

// feed generates one registry's entries and keeps each document's status.
// Document i (from 1) is numbered prefix + 12 digits of i and held by
// person (i-1) % people + 1.
type feed struct {
	kind    attributes.DocumentKind
	prefix  string
	people  int
	rng     *rand.Rand
	status  []uint8 // by document index - 1
	touched []int32 // the last batch that named a document
	created int     // documents created by the batches before the current one
	next    int     // documents created so far
}

func newFeed(kind attributes.DocumentKind, prefix string, people, entries int, seed uint64) *feed {
	return &feed{kind: kind, prefix: prefix, people: people, rng: rand.New(rand.NewPCG(seed, 0x6665656462656e63)),
		status: make([]uint8, entries), touched: make([]int32, entries)}
}

func (g *feed) number(i int) string { return fmt.Sprintf("%s%012d", g.prefix, i) }
func (g *feed) holder(i int) string { return fmt.Sprintf("0010%08d", (i-1)%g.people+1) }

// wire is an entry as a registry sends it (attributes' file and push
// format).
type wire struct {
	Seq       int64             `json:"seq,omitempty"`
	Op        attributes.FeedOp `json:"op"`
	Number    string            `json:"number"`
	HolderID  string            `json:"holder_id,omitempty"`
	IssuedOn  string            `json:"issued_on,omitempty"`
	ExpiresOn string            `json:"expires_on,omitempty"`
	Issuer    string            `json:"issuer,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

var classes = []string{"A1", "A2", "B1", "B2", "C", "D", "E"}

// batch generates batch seq (from 1) of n entries: about 55% upserts of
// new documents, 10% upserts that reinstate an earlier one, 12%
// suspensions, 11% withdrawals and 12% expiries of earlier documents (a
// document at most once a batch); the first batch only creates.
func (g *feed) batch(seq int64, n int, emit func(wire)) {
	g.created = g.next
	for range n {
		r := g.rng.IntN(100)
		i := 0
		if g.created > 0 && r >= 55 {
			for range 4 { // a document not named yet in this batch
				if c := 1 + g.rng.IntN(g.created); g.touched[c-1] != int32(seq) {
					i = c
					break
				}
			}
		}
		w := wire{Number: "", Seq: seq}
		var st uint8
		switch {
		case i == 0: // a new document
			g.next++
			i = g.next
			fallthrough
		case r < 65:
			w.Op, st = attributes.OpUpsert, valid
			w.HolderID, w.IssuedOn, w.ExpiresOn = g.holder(i), "2024-03-15", "2034-03-14"
			w.Issuer = "Sở GTVT Hà Nội"
			w.Fields = map[string]string{"class": classes[i%len(classes)]}
		case r < 77:
			w.Op, st = attributes.OpSuspend, suspended
		case r < 88:
			w.Op, st = attributes.OpWithdraw, withdrawn
		default:
			w.Op, st = attributes.OpExpire, expired
			w.ExpiresOn = "2026-12-01"
		}
		if w.Op != attributes.OpUpsert && i%2 == 0 {
			w.HolderID = g.holder(i) // checked against the holder on record
		}
		w.Number = g.number(i)
		g.status[i-1], g.touched[i-1] = st, int32(seq)
		emit(w)
	}
}

// writeFile writes batches × n entries of g to name in format and returns
// the file's size.
func writeFile(name string, format attributes.FeedFormat, g *feed, batches, n int) int64 {
	f, err := os.Create(name)
	benchenv.Check(err)
	bw := bufio.NewWriterSize(f, 1<<20)
	var emit func(wire)
	var cw *csv.Writer
	if format == attributes.FeedCSV {
		cw = csv.NewWriter(bw)
		benchenv.Check(cw.Write(append(slices.Clone(attributes.FeedCSVColumns), "class")))
		emit = func(w wire) {
			benchenv.Check(cw.Write([]string{strconv.FormatInt(w.Seq, 10), string(w.Op), w.Number, w.HolderID, w.IssuedOn, w.ExpiresOn, w.Issuer, w.Fields["class"]}))
		}
	} else {
		enc := json.NewEncoder(bw)
		emit = func(w wire) { benchenv.Check(enc.Encode(w)) }
	}
	for seq := 1; seq <= batches; seq++ {
		g.batch(int64(seq), n, emit)
	}
	if cw != nil {
		cw.Flush()
		benchenv.Check(cw.Error())
	}
	benchenv.Check(bw.Flush())
	st, err := f.Stat()
	benchenv.Check(err)
	benchenv.Check(f.Close())
	return st.Size()
}

// push sends batches × n entries of g to the push endpoint
// (attributes/web.FeedHandler on the same feed store, with a registry
// credential; without the gateway's throttle, whose hourly cap per
// credential a benchmark would reach) over loopback HTTP, one batch at a
// time, and prints each batch's time.
func push(ctx context.Context, cfg config.Config, feeds *attributespg.FeedStore, g *feed, batches, n int) {
	key := gateway.RegistryTokenKey(cfg)
	token := attributes.NewRegistryToken()
	_, err := feeds.SetCredential(ctx, g.kind, attributes.RegistryTokenHash(key, token), "feedbench")
	benchenv.Check(err)
	r := mux.NewRouter()
	(&attributesweb.FeedHandler{Feeds: feeds, Credentials: feeds, Key: key}).Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	url := srv.URL + "/registry/v1/documents/" + string(g.kind) + "/batches"

	fmt.Printf("\npush endpoint: %d batches of %d %s entries, POST %s\n", batches, n, g.kind, "/registry/v1/documents/"+string(g.kind)+"/batches")
	var times []time.Duration
	var bytesSent int64
	for seq := 1; seq <= batches; seq++ {
		var body bytes.Buffer
		body.WriteString(`{"seq":` + strconv.Itoa(seq) + `,"entries":[`)
		first := true
		g.batch(int64(seq), n, func(w wire) {
			w.Seq = 0
			if !first {
				body.WriteByte(',')
			}
			first = false
			b, err := json.Marshal(w)
			benchenv.Check(err)
			body.Write(b)
		})
		body.WriteString("]}")
		bytesSent += int64(body.Len())
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &body)
		benchenv.Check(err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		t := time.Now()
		res, err := http.DefaultClient.Do(req)
		benchenv.Check(err)
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		times = append(times, time.Since(t))
		fmt.Printf("  batch %d: %s\n", seq, times[len(times)-1].Round(time.Millisecond))
		if res.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"applied":true`)) {
			log.Fatalf("push of batch %d: %d %s", seq, res.StatusCode, out)
		}
	}
	var total time.Duration
	for _, d := range times {
		total += d
	}
	slices.Sort(times)
	fmt.Printf("pushed %d entries (%.1f MiB of JSON) in %s: %.0f entries/s, %.2f batches/s; per batch min %s, median %s, max %s\n",
		batches*n, float64(bytesSent)/(1<<20), total.Round(time.Millisecond), float64(batches*n)/total.Seconds(),
		float64(batches)/total.Seconds(), times[0].Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond),
		times[len(times)-1].Round(time.Millisecond))
}

// verify compares g's documents in PostgreSQL with the truth: the count
// per status, and an MD5 over every document's number and status in
// number order.
func verify(ctx context.Context, pool *pgxpool.Pool, g *feed) bool {
	want := map[string]int64{}
	h := md5.New()
	for i, st := range g.status[:g.next] {
		want[statusName[st]]++
		fmt.Fprintf(h, "%s %s\n", g.number(i+1), statusName[st])
	}
	rows, err := pool.Query(ctx, `SELECT status, count(*) FROM documents WHERE kind = $1 GROUP BY status`, string(g.kind))
	benchenv.Check(err)
	got := map[string]int64{}
	for rows.Next() {
		var s string
		var c int64
		benchenv.Check(rows.Scan(&s, &c))
		got[s] = c
	}
	benchenv.Check(rows.Err())
	var digest string
	benchenv.Check(pool.QueryRow(ctx, `SELECT md5(coalesce(string_agg(number || ' ' || status || E'\n', '' ORDER BY number COLLATE "C"), ''))
		FROM documents WHERE kind = $1`, string(g.kind)).Scan(&digest))
	ok := true
	fmt.Printf("\n%s: %-10s %10s %10s\n", g.kind, "status", "expected", "found")
	for _, s := range statusName[1:] {
		mark := ""
		if got[s] != want[s] {
			mark, ok = "  MISMATCH", false
		}
		fmt.Printf("%s: %-10s %10d %10d%s\n", g.kind, s, want[s], got[s], mark)
		delete(got, s)
	}
	for s, c := range got {
		fmt.Printf("%s: %-10s %10d %10d  MISMATCH\n", g.kind, s, 0, c)
		ok = false
	}
	same := digest == hex.EncodeToString(h.Sum(nil))
	fmt.Printf("%s: every document's status as generated: %v\n", g.kind, same)
	return ok && same
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = crand.Read(b)
	return b
}
