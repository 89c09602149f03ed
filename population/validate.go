package population

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// item is a validated line, ready to write.
type item struct {
	line    int
	person  attributes.Person
	docs    []attributes.Document
	account *accountSeed
}

type accountSeed struct {
	in         accounts.NewAccount // without Password
	password   string
	totp       string // normalised base32
	lockReason string
}

var (
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
	docKinds    = map[string]attributes.DocumentKind{
		string(attributes.DrivingLicence):      attributes.DrivingLicence,
		string(attributes.VehicleRegistration): attributes.VehicleRegistration,
		string(attributes.HealthInsurance):     attributes.HealthInsurance,
		string(attributes.SocialInsurance):     attributes.SocialInsurance,
	}
	docStatuses = map[string]bool{"valid": true, "expired": true, "retired": true, "suspended": true}
)

func parseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not a date (YYYY-MM-DD)", field, s)
	}
	return t, nil
}

func parseGender(s string) (attributes.Gender, error) {
	switch strings.ToLower(s) {
	case "male", "nam":
		return attributes.Male, nil
	case "female", "nữ", "nu":
		return attributes.Female, nil
	}
	return "", fmt.Errorf("gender %q must be male or female (Nam/Nữ)", s)
}

// check turns one record into an item, collecting every problem.
func check(rec Record, today time.Time) (item, []error) {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	p := attributes.Person{
		PersonalID: rec.PersonalID, OldID: rec.OldID, FullName: strings.TrimSpace(rec.FullName),
		Nationality: rec.Nationality,
		Residence: attributes.Address{Street: rec.Residence.Street, Ward: rec.Residence.Ward, District: rec.Residence.District,
			Province: rec.Residence.Province, Country: rec.Residence.Country},
		Phone: rec.Phone, Email: rec.Email, PassportNo: rec.PassportNo,
		GuardianID: rec.GuardianID, GuardianRelation: rec.GuardianRelation,
	}
	if p.FullName == "" {
		add(errors.New("full_name is empty"))
	}
	birth, err := parseDate("birth_date", rec.BirthDate)
	if err != nil {
		add(err)
	} else if birth.After(today) {
		add(fmt.Errorf("birth_date %s is in the future", rec.BirthDate))
	}
	p.BirthDate = birth
	gender, gerr := parseGender(rec.Gender)
	if gerr != nil {
		add(gerr)
	}
	p.Gender = gender
	switch {
	case err == nil && gerr == nil:
		if verr := personalid.Validate(rec.PersonalID, birth, gender); verr != nil {
			add(fmt.Errorf("personal_id %q: %w", rec.PersonalID, verr))
		}
	default:
		if _, perr := personalid.Parse(rec.PersonalID); perr != nil {
			add(fmt.Errorf("personal_id %q: %w", rec.PersonalID, perr))
		}
	}
	if p.Nationality == "" {
		p.Nationality = "VN"
	}
	if !countryCode.MatchString(p.Nationality) {
		add(fmt.Errorf("nationality %q must be an ISO 3166-1 alpha-2 code such as VN", p.Nationality))
	}
	if p.Nationality != "VN" && p.PassportNo == "" {
		add(errors.New("passport_no is required for a foreign national"))
	}
	if p.Residence.Country == "" && p.Residence != (attributes.Address{}) {
		p.Residence.Country = "VN"
	}
	if p.Phone != "" && !accounts.ValidPhone(p.Phone) {
		add(fmt.Errorf("phone %q must be E.164 (+84...)", p.Phone))
	}
	if rec.IssueDate != "" {
		issue, err := parseDate("issue_date", rec.IssueDate)
		switch {
		case err != nil:
			add(err)
		case issue.After(today):
			add(fmt.Errorf("issue_date %s is in the future", rec.IssueDate))
		case !birth.IsZero() && issue.Before(birth):
			add(fmt.Errorf("issue_date %s is before birth_date", rec.IssueDate))
		}
		p.IssueDate = issue
	}
	age := -1
	if !birth.IsZero() {
		age = accounts.Age(birth, today)
	}
	if p.GuardianID != "" {
		if p.GuardianRelation == "" {
			p.GuardianRelation = "child"
		}
		if p.GuardianRelation != "child" && p.GuardianRelation != "ward" {
			add(fmt.Errorf("guardian_relation %q must be child or ward", p.GuardianRelation))
		}
		if p.GuardianID == p.PersonalID {
			add(errors.New("guardian_id is the person's own number"))
		} else if _, err := personalid.Parse(p.GuardianID); err != nil {
			add(fmt.Errorf("guardian_id %q: %w", p.GuardianID, err))
		}
	} else {
		if p.GuardianRelation != "" {
			add(errors.New("guardian_relation without guardian_id"))
		}
		if age >= 0 && age < 14 {
			// Decree 69/2024 art. 11: under 14, registered under a parent's
			// or guardian's account.
			add(errors.New("a child under 14 needs a guardian_id"))
		}
	}

	it := item{person: p}
	for i, d := range rec.Documents {
		doc, derr := checkDocument(d, p.PersonalID, today)
		for _, e := range derr {
			add(fmt.Errorf("documents[%d]: %w", i, e))
		}
		it.docs = append(it.docs, doc)
	}
	if rec.Account != nil {
		seed, aerr := checkAccount(*rec.Account, p, age)
		errs = append(errs, aerr...)
		it.account = seed
	}
	return it, errs
}

func checkDocument(d DocumentRecord, holder string, today time.Time) (attributes.Document, []error) {
	var errs []error
	doc := attributes.Document{Number: strings.TrimSpace(d.Number), HolderID: holder, Issuer: d.Issuer, Status: d.Status, Fields: d.Fields}
	kind, ok := docKinds[d.Kind]
	if !ok {
		errs = append(errs, fmt.Errorf("kind %q must be driving_licence, vehicle_registration, health_insurance or social_insurance", d.Kind))
	}
	doc.Kind = kind
	if doc.Number == "" {
		errs = append(errs, errors.New("number is empty"))
	}
	if doc.Status == "" {
		doc.Status = "valid"
	}
	if !docStatuses[doc.Status] {
		errs = append(errs, fmt.Errorf("status %q must be valid, expired, retired or suspended", doc.Status))
	}
	if d.IssuedOn != "" {
		t, err := parseDate("issued_on", d.IssuedOn)
		if err != nil {
			errs = append(errs, err)
		} else if t.After(today) {
			errs = append(errs, fmt.Errorf("issued_on %s is in the future", d.IssuedOn))
		}
		doc.IssuedOn = t
	}
	if d.ExpiresOn != "" {
		t, err := parseDate("expires_on", d.ExpiresOn)
		if err != nil {
			errs = append(errs, err)
		} else {
			if !doc.IssuedOn.IsZero() && t.Before(doc.IssuedOn) {
				errs = append(errs, fmt.Errorf("expires_on %s is before issued_on", d.ExpiresOn))
			}
			doc.ExpiresOn = &t
		}
	}
	return doc, errs
}

func checkAccount(a AccountRecord, p attributes.Person, age int) (*accountSeed, []error) {
	var errs []error
	add := func(f string, args ...any) { errs = append(errs, fmt.Errorf("account: "+f, args...)) }
	seed := &accountSeed{in: accounts.NewAccount{PersonalID: p.PersonalID, Level: assurance.Level(a.Level), Email: p.Email},
		password: a.Password, lockReason: a.LockReason}
	if !seed.in.Level.Valid() {
		add("level %d must be 0, 1 or 2", a.Level)
	} else if seed.in.Level > assurance.None {
		ev := accounts.ImportedEvidence(seed.in.Level, "population import")
		seed.in.Evidence = &ev
	}
	seed.in.Status = accounts.Status(a.Status)
	if a.Status == "" {
		seed.in.Status = accounts.Active
	}
	if !seed.in.Status.Valid() {
		add("status %q must be active, pending or locked", a.Status)
	}
	if seed.in.Status == accounts.Locked && a.LockReason == "" {
		seed.lockReason = "imported_locked"
	}
	if seed.in.Status != accounts.Locked && a.LockReason != "" {
		add("lock_reason given for an account that is not locked")
	}
	seed.in.Phone = a.Phone
	if seed.in.Phone == "" {
		seed.in.Phone = p.Phone
	}
	if seed.in.Phone != "" && !accounts.ValidPhone(seed.in.Phone) {
		add("phone %q must be E.164 (+84...)", seed.in.Phone)
	}
	if a.Password != "" {
		if err := accounts.CheckPasswordRules(a.Password); err != nil {
			errs = append(errs, fmt.Errorf("account: password: %w", err))
		}
	}
	if a.TOTPSecret != "" {
		s, err := accounts.NormalizeTOTPSecret(a.TOTPSecret)
		if err != nil {
			errs = append(errs, fmt.Errorf("account: totp_secret: %w", err))
		}
		seed.totp = s
	}
	if age >= 0 && age < 14 {
		add("no account under 14: the child is registered under the guardian's account")
	}
	return seed, errs
}

// checkAll validates every line and the rules across lines: unique personal
// id numbers, documents and account phones, and guardians present in the
// file (those that are not are returned for a database check).
func checkAll(lines []line, today time.Time) (items []item, outside map[string][]int, bad []LineError) {
	firstPID := map[string]int{}
	firstDoc := map[string]int{}
	firstPhone := map[string]int{}
	outside = map[string][]int{}
	for _, l := range lines {
		it, errs := check(l.rec, today)
		it.line = l.n
		if prev, dup := firstPID[it.person.PersonalID]; dup && it.person.PersonalID != "" {
			errs = append(errs, fmt.Errorf("personal_id %s already on line %d", it.person.PersonalID, prev))
		} else {
			firstPID[it.person.PersonalID] = l.n
		}
		for _, d := range it.docs {
			k := string(d.Kind) + "/" + d.Number
			if prev, dup := firstDoc[k]; dup {
				errs = append(errs, fmt.Errorf("document %s %s already on line %d", d.Kind, d.Number, prev))
			} else {
				firstDoc[k] = l.n
			}
		}
		if it.account != nil && it.account.in.Phone != "" {
			if prev, dup := firstPhone[it.account.in.Phone]; dup {
				errs = append(errs, fmt.Errorf("account: phone %s already used on line %d (one phone per account)", it.account.in.Phone, prev))
			} else {
				firstPhone[it.account.in.Phone] = l.n
			}
		}
		if len(errs) > 0 {
			bad = append(bad, LineError{l.n, errors.Join(errs...)})
		}
		items = append(items, it)
	}
	for _, it := range items {
		if g := it.person.GuardianID; g != "" {
			if _, ok := firstPID[g]; !ok {
				outside[g] = append(outside[g], it.line)
			}
		}
	}
	return items, outside, bad
}
