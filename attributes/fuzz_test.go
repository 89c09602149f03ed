package attributes_test

import (
	"bytes"
	"testing"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// FuzzDecodeFeedBatch: a pushed batch never panics the decoder, and what it
// accepts validates or is refused with line errors, never half-read.
func FuzzDecodeFeedBatch(f *testing.F) {
	for _, s := range []string{
		`{"seq":1,"entries":[{"op":"upsert","number":"010000000001","holder_id":"001090123456","issued_on":"2020-01-01","expires_on":"2030-01-01","issuer":"Sở GTVT","fields":{"classes":"A1,B2"}}]}`,
		`{"seq":2,"entries":[{"op":"withdraw","number":"010000000001"},{"op":"suspend","number":"2"},{"op":"expire","number":"3","expires_on":"2026-12-01"}]}`,
		`{"seq":-1,"entries":[{"op":"renew"}]}`,
		`{"seq":1,"entries":[{"seq":1}]}`,
		`{"seq":1e99}`,
		`{"seq":1,"entries":[{"op":"upsert","number":"x","fields":{"portrait":"..."}}]}`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := attributes.DecodeFeedBatch(bytes.NewReader(data), attributes.DrivingLicence)
		if err != nil {
			return
		}
		if b.Kind != attributes.DrivingLicence {
			t.Fatalf("kind %q", b.Kind)
		}
		for i, e := range b.Entries {
			if e.Line != i+1 {
				t.Fatalf("entry %d numbered %d", i, e.Line)
			}
		}
		_ = b.Validate()
	})
}

// FuzzReadFeedFile: a feed file never panics the reader, and every batch it
// hands over holds one sequence number and at most MaxFeedEntries entries.
func FuzzReadFeedFile(f *testing.F) {
	f.Add([]byte("{\"seq\":1,\"op\":\"upsert\",\"number\":\"A1\",\"holder_id\":\"001090123456\"}\n{\"seq\":2,\"op\":\"withdraw\",\"number\":\"A1\"}\n"), false)
	f.Add([]byte("seq,op,number,holder_id,issued_on,expires_on,issuer,classes\n1,upsert,A1,001090123456,,2030-01-01,,B2\n2,expire,A1,,,,,\n"), true)
	f.Add([]byte("seq,op\n\"1,"), true)
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		format := attributes.FeedJSONLines
		if csv {
			format = attributes.FeedCSV
		}
		_ = attributes.ReadFeedFile(bytes.NewReader(data), format, attributes.SocialInsurance, func(b attributes.FeedBatch) error {
			if len(b.Entries) == 0 || len(b.Entries) > attributes.MaxFeedEntries || b.Kind != attributes.SocialInsurance {
				t.Fatalf("batch %d with %d entries", b.Seq, len(b.Entries))
			}
			return nil
		})
	})
}
