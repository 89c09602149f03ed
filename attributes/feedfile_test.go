package attributes_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
)

func readAll(t *testing.T, format attributes.FeedFormat, in string) ([]attributes.FeedBatch, error) {
	var got []attributes.FeedBatch
	err := attributes.ReadFeedFile(strings.NewReader(in), format, attributes.DrivingLicence, func(b attributes.FeedBatch) error {
		b.Entries = append([]attributes.FeedEntry(nil), b.Entries...)
		got = append(got, b)
		return nil
	})
	return got, err
}

func TestReadFeedFileGroupsLinesIntoBatches(t *testing.T) {
	t.Parallel()
	jsonl := `{"seq":1,"op":"upsert","number":"A1","holder_id":"001090123456","expires_on":"2030-01-01","fields":{"classes":"B2"}}
{"seq":1,"op":"upsert","number":"A2","holder_id":"001090123456"}

{"seq":2,"op":"withdraw","number":"A1"}
`
	csvIn := "seq,op,number,holder_id,issued_on,expires_on,issuer,classes\n" +
		"1,upsert,A1,001090123456,,2030-01-01,,B2\n" +
		"1,upsert,A2,001090123456,,,,\n" +
		"2,withdraw,A1,,,,,\n"
	for format, in := range map[attributes.FeedFormat]string{attributes.FeedJSONLines: jsonl, attributes.FeedCSV: csvIn} {
		got, err := readAll(t, format, in)
		require.NoError(t, err, format)
		require.Len(t, got, 2, format)
		require.Equal(t, int64(1), got[0].Seq)
		require.Len(t, got[0].Entries, 2)
		require.Equal(t, "B2", got[0].Entries[0].Fields["classes"])
		require.Equal(t, "2030-01-01", got[0].Entries[0].ExpiresOn.Format("2006-01-02"))
		require.Equal(t, attributes.OpWithdraw, got[1].Entries[0].Op)
		require.Equal(t, 4, got[1].Entries[0].Line, "file line numbers")
	}
}

// A bad line refuses its batch, with the file's line numbers, and stops the
// reading: earlier batches were handed over, later ones are not.
func TestReadFeedFileBadLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format attributes.FeedFormat
		in     string
		lines  []int
	}{
		{"bad JSON", attributes.FeedJSONLines, `{"seq":1,"op":"upsert","number":"A1","holder_id":"001090123456"}
{"seq":2,"op":"upsert","number":"A3","holder_id":"001090123456","issued_on":"01/02/2020"}
{"seq":2,"op":"upsert","number":"A2",
{"seq":3,"op":"upsert","number":"A4","holder_id":"001090123456"}`, []int{2, 3}},
		// A line that does not decode belongs to the batch being read.
		{"unknown field", attributes.FeedJSONLines, `{"seq":1,"op":"upsert","number":"A1","holder_id":"001090123456"}
{"seq":2,"op":"upsert","number":"A2","portrait":"x"}`, []int{2}},
		{"bad CSV", attributes.FeedCSV, "seq,op,number,holder_id,issued_on,expires_on,issuer\n1,upsert,A1,001090123456,,,\n2,upsert,A2\nx,upsert,A3,001090123456,,,\n", []int{3, 4}},
	}
	for _, tc := range tests {
		got, err := readAll(t, tc.format, tc.in)
		require.Len(t, got, 1, tc.name)
		var bad *attributes.FeedInvalidError
		require.True(t, errors.As(err, &bad), "%s: %v", tc.name, err)
		var lines []int
		for _, l := range bad.Lines {
			lines = append(lines, l.Line)
		}
		require.Equal(t, tc.lines, lines, tc.name)
	}
	_, err := readAll(t, attributes.FeedCSV, "number,op\n")
	require.ErrorContains(t, err, "header")
}

func TestDecodeFeedBatch(t *testing.T) {
	t.Parallel()
	b, err := attributes.DecodeFeedBatch(strings.NewReader(`{"seq":7,"entries":[{"op":"suspend","number":"A1"},{"op":"upsert","number":"A2","holder_id":"001090123456","issued_on":"2020-02-01"}]}`), attributes.HealthInsurance)
	require.NoError(t, err)
	require.Equal(t, int64(7), b.Seq)
	require.Equal(t, attributes.HealthInsurance, b.Kind)
	require.Len(t, b.Entries, 2)
	require.Equal(t, 2, b.Entries[1].Line)

	_, err = attributes.DecodeFeedBatch(strings.NewReader(`{"seq":7,"entries":[{"op":"suspend","number":"A1"},{"op":"upsert","number":"A2","expires_on":"tomorrow"},{"seq":3}]}`), attributes.HealthInsurance)
	var bad *attributes.FeedInvalidError
	require.ErrorAs(t, err, &bad)
	require.Len(t, bad.Lines, 2)
	require.Equal(t, 2, bad.Lines[0].Line)
	require.Equal(t, 3, bad.Lines[1].Line)

	for _, in := range []string{``, `[]`, `{"seq":1,"entries":[]} {}`, `{"seq":1,"kind":"x"}`} {
		_, err := attributes.DecodeFeedBatch(strings.NewReader(in), attributes.HealthInsurance)
		require.Error(t, err, in)
	}
}
