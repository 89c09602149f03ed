package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
)

func TestGuardianshipCommands(t *testing.T) {
	db := toolEnv(t)
	people := []attributes.Person{
		{PersonalID: "001085000301", FullName: "Nguyễn Văn Giám", BirthDate: time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC), Gender: attributes.Male, Nationality: "VN"},
		{PersonalID: "001215000302", FullName: "Trần Minh Phúc", BirthDate: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), Gender: attributes.Male, Nationality: "VN"},
	}
	require.NoError(t, attributespg.NewStore(db.App).Write(t.Context(), people, nil))

	_, _, err := ddErr(t, "guardianship", "add", "-ward", "001215000302", "-guardian", "001085000301", "-number", "5/QĐ", "-starts", "2026-01-01")
	require.ErrorContains(t, err, "-unit is required")
	_, _, err = ddErr(t, "guardianship", "add", "-ward", "001215000302", "-guardian", "001085000399", "-number", "5/QĐ", "-starts", "2026-01-01", "-unit", "01.001")
	require.ErrorContains(t, err, "unknown personal id number")
	_, _, err = ddErr(t, "guardianship", "add", "-ward", "001215000302", "-guardian", "001085000301", "-number", "5/QĐ", "-starts", "1/1/2026", "-unit", "01.001")
	require.ErrorContains(t, err, "YYYY-MM-DD")

	var rec recordView
	require.NoError(t, json.Unmarshal([]byte(dd(t, "guardianship", "add", "-ward", "001215000302", "-guardian", "001085000301",
		"-number", "5/2026/QĐ-UBND", "-starts", "2026-01-01", "-unit", "01.001 Công an phường Hàng Bài", "-json")), &rec))
	require.Equal(t, "alice", rec.OfficerID)
	require.Equal(t, time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC), rec.Starts.UTC(), "the day in Vietnam time")
	require.Equal(t, 1, countEvents(t, db, "type = 'guardianship.record_entered' AND actor_id = 'alice'"))

	require.Contains(t, dd(t, "guardianship", "list"), "5/2026/QĐ-UBND")
	require.Contains(t, dd(t, "guardianship", "end", rec.ID, "-on", "2027-06-01", "-unit", "01.001"), "ends on 2027-06-01")
	var list []recordView
	require.NoError(t, json.Unmarshal([]byte(dd(t, "guardianship", "list", "-ward", "001215000302", "-json")), &list))
	require.Len(t, list, 1)
	require.NotNil(t, list[0].Ends)
	_, _, err = ddErr(t, "guardianship", "end", "00000000-0000-0000-0000-000000000000", "-on", "2027-06-01", "-unit", "01.001")
	require.ErrorContains(t, err, "no record")
	require.Contains(t, dd(t, "guardianship", "sweep"), "0 end(s) recorded")
}
