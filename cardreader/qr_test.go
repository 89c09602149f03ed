package cardreader_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/personalid"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseQR(t *testing.T) {
	const addr = "12 Hàng Bài, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội"
	cases := []struct {
		name string
		in   string
		want cardreader.QR
		err  string
	}{
		{"7 fields with old number", "001085000001|012345678|Nguyễn Văn An|12031985|Nam|" + addr + "|10042021",
			cardreader.QR{PersonalID: "001085000001", OldID: "012345678", FullName: "Nguyễn Văn An", BirthDate: date(1985, 3, 12),
				Gender: attributes.Male, Address: addr, IssueDate: date(2021, 4, 10)}, ""},
		{"7 fields, old number empty", "079195000001||Trần Thị Bình|01021995|Nữ|Quận 1, TP Hồ Chí Minh|15062022",
			cardreader.QR{PersonalID: "079195000001", FullName: "Trần Thị Bình", BirthDate: date(1995, 2, 1),
				Gender: attributes.Female, Address: "Quận 1, TP Hồ Chí Minh", IssueDate: date(2022, 6, 15)}, ""},
		{"6 fields without old number", "079195000001|Trần Thị Bình|01021995|Nữ|Quận 1, TP Hồ Chí Minh|15062022",
			cardreader.QR{PersonalID: "079195000001", FullName: "Trần Thị Bình", BirthDate: date(1995, 2, 1),
				Gender: attributes.Female, Address: "Quận 1, TP Hồ Chí Minh", IssueDate: date(2022, 6, 15)}, ""},
		{"surrounding whitespace", "  079195000001|Trần Thị Bình|01021995|Nữ|Q1|15062022\n",
			cardreader.QR{PersonalID: "079195000001", FullName: "Trần Thị Bình", BirthDate: date(1995, 2, 1),
				Gender: attributes.Female, Address: "Q1", IssueDate: date(2022, 6, 15)}, ""},
		{"5 fields", "079195000001|Trần Thị Bình|01021995|Nữ|Q1", cardreader.QR{}, "6 or 7 fields"},
		{"8 fields", "079195000001|1|2|Trần Thị Bình|01021995|Nữ|Q1|15062022", cardreader.QR{}, "6 or 7 fields"},
		{"a URL", "https://example.com/?a=b", cardreader.QR{}, "6 or 7 fields"},
		{"empty name", "079195000001||01021995|Nữ|Q1|15062022", cardreader.QR{}, "empty field"},
		{"old number of 8 digits", "001085000001|01234567|Nguyễn Văn An|12031985|Nam|Q|10042021", cardreader.QR{}, "9 digits"},
		{"gender in English", "079195000001|Trần Thị Bình|01021995|Female|Q1|15062022", cardreader.QR{}, "Nam or Nữ"},
		{"ISO date", "079195000001|Trần Thị Bình|1995-02-01|Nữ|Q1|15062022", cardreader.QR{}, "ddMMyyyy"},
		{"31 February", "079195000001|Trần Thị Bình|31021995|Nữ|Q1|15062022", cardreader.QR{}, "ddMMyyyy"},
		{"issued before birth", "079195000001|Trần Thị Bình|01021995|Nữ|Q1|15061990", cardreader.QR{}, "before date of birth"},
		{"gender disagrees with the ID number", "079195000001|Trần Văn Bình|01021995|Nam|Q1|15062022", cardreader.QR{}, "gender"},
		{"year disagrees with the ID number", "079195000001|Trần Thị Bình|01021996|Nữ|Q1|15062022", cardreader.QR{}, "year"},
		{"unknown province", "999195000001|Trần Thị Bình|01021995|Nữ|Q1|15062022", cardreader.QR{}, "province"},
		{"not UTF-8", "079195000001|Tr\xffn|01021995|Nữ|Q1|15062022", cardreader.QR{}, "UTF-8"},
		{"too long", strings.Repeat("a|", 2000), cardreader.QR{}, "too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cardreader.ParseQR(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.True(t, errors.Is(err, cardreader.ErrQR))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseQR: whatever a scanner hands over, ParseQR never panics, and what
// it accepts is a coherent identity: a valid ID number agreeing with the date
// of birth and gender, and an issue date not before birth.
func FuzzParseQR(f *testing.F) {
	f.Add("001085000001|012345678|Nguyễn Văn An|12031985|Nam|12 Hàng Bài, Hà Nội|10042021")
	f.Add("079195000001|Trần Thị Bình|01021995|Nữ|Quận 1|15062022")
	f.Add("079195000001||Trần Thị Bình|01021995|Nữ|Quận 1|15062022")
	f.Add("||||||")
	f.Add("079195000001|x|29022000|Nữ|y|29022000")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := cardreader.ParseQR(s)
		if err != nil {
			require.ErrorIs(t, err, cardreader.ErrQR)
			return
		}
		require.NoError(t, personalid.Validate(q.PersonalID, q.BirthDate, q.Gender))
		require.False(t, q.IssueDate.Before(q.BirthDate))
		require.NotEmpty(t, q.FullName)
		require.NotEmpty(t, q.Address)
	})
}
