// Package archtest holds tests of the import graph: rules that keep data
// where it belongs (biometric data never reachable from claim, consent or
// page code) and the layer rules (TestLayers): domain packages speak no
// HTTP, SQL driver or configuration and never call the web layer or the top
// floor; web packages never call each other; only gateway/, cmd/, bench/
// and testsupport/ import gateway/; internal/ stays ground floor. Known
// exceptions are listed, with their files and a reason, next to each rule.
// It has no code of its own.
package archtest
