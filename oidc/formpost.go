package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
)

// formPostScript submits the form_post response (OAuth 2.0 Form Post
// Response Mode §2) on load. It is the page's only script, allowed by its
// hash so that the gateway's strict Content-Security-Policy stays on.
const formPostScript = "document.forms[0].submit()"

// FormPostCSP is the Content-Security-Policy of a form_post response page:
// nothing but the one script above, and the form may post anywhere (the
// relying party's redirect URI, validated before the page is written).
var FormPostCSP = "default-src 'none'; script-src 'sha256-" + scriptHash(formPostScript) + "'; base-uri 'none'; frame-ancestors 'none'"

func scriptHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// formPostTemplate replaces fosite's default page, whose inline onload
// handler a strict CSP blocks: the script sits in its own element, and a
// browser without scripts gets a button, in Vietnamese and English.
var formPostTemplate = template.Must(template.New("form_post").Parse(`<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Đang quay lại dịch vụ · Returning to the service</title></head>
<body>
<form method="post" action="{{ .RedirURL }}">
{{- range $key, $value := .Parameters }}{{ range $parameter := $value }}
<input type="hidden" name="{{ $key }}" value="{{ $parameter }}">
{{- end }}{{ end }}
<noscript><p>Nhấn nút để quay lại dịch vụ. · Press the button to return to the service.</p><button type="submit">Tiếp tục · Continue</button></noscript>
</form>
<script>` + formPostScript + `</script>
</body>
</html>
`))
