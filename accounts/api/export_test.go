package api

import "net/http/httptest"

// ProblemFor builds the answer of code for a client asking for lang.
func ProblemFor(code, lang string) Problem {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", lang)
	if code == "locked_out" {
		return problem(r, code, 15)
	}
	return problem(r, code)
}
