package cardreader

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// QR is what the QR code on a chip ID card says: pipe-separated text,
//
//	ID number | old 9-digit ID number | full name | date of birth ddMMyyyy |
//	gender (Nam/Nữ) | permanent address | issue date ddMMyyyy
//
// where some cards leave the old number out altogether (6 fields).
type QR struct {
	PersonalID string
	OldID      string // "" when the card has none
	FullName   string
	BirthDate  time.Time // UTC midnight
	Gender     attributes.Gender
	Address    string
	IssueDate  time.Time // UTC midnight
}

// Errors of ParseQR; each wraps ErrQR so callers can tell a bad scan from a
// system error.
var (
	ErrQR          = errors.New("cardreader: not a chip ID card QR code")
	errFieldCount  = fmt.Errorf("%w: expected 6 or 7 fields separated by |", ErrQR)
	errTooLong     = fmt.Errorf("%w: too long", ErrQR)
	errNotUTF8     = fmt.Errorf("%w: not UTF-8 text", ErrQR)
	errEmptyField  = fmt.Errorf("%w: empty field", ErrQR)
	errOldID       = fmt.Errorf("%w: the old ID number must have 9 digits", ErrQR)
	errGender      = fmt.Errorf("%w: gender must be Nam or Nữ", ErrQR)
	errDate        = fmt.Errorf("%w: dates must be ddMMyyyy", ErrQR)
	errIssueBefore = fmt.Errorf("%w: issue date before date of birth", ErrQR)
)

// maxQR bounds the text: a card's QR holds a few hundred bytes.
const maxQR = 2048

// ParseQR parses and checks the text of a chip ID card's QR code: field
// count (6 or 7), each field's form, and that the personal identification
// number agrees with the date of birth and gender (MISSION "Fixed names").
func ParseQR(s string) (QR, error) {
	if len(s) > maxQR {
		return QR{}, errTooLong
	}
	if !utf8.ValidString(s) {
		return QR{}, errNotUTF8
	}
	f := strings.Split(strings.TrimSpace(s), "|")
	var q QR
	switch len(f) {
	case 7:
		q.OldID = strings.TrimSpace(f[1])
		f = append(f[:1], f[2:]...)
	case 6:
	default:
		return QR{}, errFieldCount
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
		if f[i] == "" {
			return QR{}, fmt.Errorf("%w (field %d)", errEmptyField, i+1)
		}
	}
	if q.OldID != "" && (len(q.OldID) != 9 || strings.Trim(q.OldID, "0123456789") != "") {
		return QR{}, errOldID
	}
	q.PersonalID, q.FullName, q.Address = f[0], f[1], f[4]
	var err error
	if q.BirthDate, err = parseDate(f[2]); err != nil {
		return QR{}, err
	}
	switch f[3] {
	case "Nam":
		q.Gender = attributes.Male
	case "Nữ":
		q.Gender = attributes.Female
	default:
		return QR{}, errGender
	}
	if q.IssueDate, err = parseDate(f[5]); err != nil {
		return QR{}, err
	}
	if q.IssueDate.Before(q.BirthDate) {
		return QR{}, errIssueBefore
	}
	if err := personalid.Validate(q.PersonalID, q.BirthDate, q.Gender); err != nil {
		return QR{}, fmt.Errorf("%w: %w", ErrQR, err)
	}
	return q, nil
}

func parseDate(s string) (time.Time, error) {
	if len(s) != 8 || strings.Trim(s, "0123456789") != "" {
		return time.Time{}, errDate
	}
	t, err := time.Parse("02012006", s)
	if err != nil {
		return time.Time{}, errDate
	}
	return t.UTC(), nil
}
