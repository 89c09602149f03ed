package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
)

func TestImportDocumentsFeed(t *testing.T) {
	db := toolEnv(t)
	ctx := t.Context()
	_, err := db.Owner.Exec(ctx, `INSERT INTO population (personal_id, full_name, birth_date, gender, nationality)
		VALUES ('001090123456', 'Nguyễn Văn An', '1990-05-17', 'male', 'VN')`)
	require.NoError(t, err)
	status := func(number string) string {
		var s string
		require.NoError(t, db.Owner.QueryRow(ctx, `SELECT status FROM documents WHERE kind = 'driving_licence' AND number = $1`, number).Scan(&s))
		return s
	}
	write := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	feed := write("licences.csv", "seq,op,number,holder_id,issued_on,expires_on,issuer,classes\n"+
		"1,upsert,010000000001,001090123456,2020-01-01,2030-01-01,Sở GTVT Hà Nội,A1\n"+
		"1,upsert,010000000002,001090123456,2020-01-01,2030-01-01,Sở GTVT Hà Nội,B2\n"+
		"2,withdraw,010000000001,001090123456,,,,\n")

	out, errOut, err := ddErr(t, "import", "documents", "driving_licence", feed)
	require.NoError(t, err, errOut)
	require.Contains(t, out, "2 batches applied, 0 already applied")
	require.Contains(t, out, "3 records, took ")
	require.Contains(t, errOut, "records/s", "progress as plain log lines when stderr is not a terminal")
	require.Equal(t, "withdrawn", status("010000000001"))
	require.Equal(t, "valid", status("010000000002"))
	require.Equal(t, 2, countEvents(t, db, "reason = 'document_feed_batch'"))

	// Replaying the file changes nothing and says so.
	out, _, err = ddErr(t, "import", "documents", "driving_licence", feed)
	require.NoError(t, err)
	require.Contains(t, out, "0 batches applied, 2 already applied")
	require.Equal(t, 2, countEvents(t, db, "reason = 'document_feed_batch'"))

	// A gap is refused with the expected number.
	_, errOut, err = ddErr(t, "import", "documents", "driving_licence",
		write("gap.jsonl", `{"seq":4,"op":"suspend","number":"010000000002"}`+"\n"))
	require.ErrorContains(t, err, "expected 3")
	require.Contains(t, errOut, "the registry's next batch is 3")

	// A bad line refuses its whole batch, named by its file line.
	_, errOut, err = ddErr(t, "import", "documents", "driving_licence", write("bad.jsonl",
		`{"seq":3,"op":"suspend","number":"010000000002"}`+"\n"+`{"seq":3,"op":"upsert","number":"010000000003","holder_id":"079090000001"}`+"\n"))
	require.Error(t, err)
	require.Contains(t, errOut, "line 2: holder_id 079090000001 is not in the population registry")
	require.Equal(t, "valid", status("010000000002"), "the good line of the refused batch was not applied")

	_, _, err = ddErr(t, "import", "documents", "passport", feed)
	require.ErrorContains(t, err, "unknown document kind")
}

func TestRegistryCredential(t *testing.T) {
	db := toolEnv(t)
	out, _, err := ddErr(t, "registry", "credential", "-actor", "ops", "health_insurance")
	require.NoError(t, err)
	token := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(token, "ddreg_"))
	var n int
	require.NoError(t, db.Owner.QueryRow(t.Context(), `SELECT count(*) FROM registry_credentials WHERE kind = 'health_insurance' AND token_hash <> $1::bytea`, []byte(token)).Scan(&n))
	require.Equal(t, 1, n, "stored hashed")
	require.Equal(t, 1, countEvents(t, db, "reason = 'registry_credential_created'"))
	_, _, err = ddErr(t, "registry", "credential", "passport")
	require.ErrorContains(t, err, "usage: dinhdanh registry")

	// A second credential revokes the first; the list shows both, never a
	// secret; revoke works once.
	again, _, err := ddErr(t, "registry", "credential", "-actor", "ops", "health_insurance")
	require.NoError(t, err)
	list := dd(t, "registry", "credentials")
	require.Contains(t, list, "ID")
	require.Contains(t, list, "LAST USED")
	require.NotContains(t, list, token)
	require.NotContains(t, list, strings.TrimSpace(again))
	var creds []attributes.RegistryCredential
	require.NoError(t, json.Unmarshal([]byte(dd(t, "registry", "credentials", "-json")), &creds))
	require.Len(t, creds, 2)
	require.Nil(t, creds[0].RevokedAt)
	require.NotNil(t, creds[1].RevokedAt, "replaced")
	id := strconv.FormatInt(creds[0].ID, 10)
	require.Contains(t, dd(t, "registry", "revoke", "-actor", "ops", id), "revoked credential "+id+" of the health_insurance registry")
	_, _, err = ddErr(t, "registry", "revoke", "-actor", "ops", id)
	require.ErrorContains(t, err, "revoked already")
	_, _, err = ddErr(t, "registry", "revoke", "-actor", "ops", "987654")
	require.ErrorContains(t, err, "no credential 987654")
	require.Equal(t, 2, countEvents(t, db, "reason = 'registry_credential_revoked'"))
}
