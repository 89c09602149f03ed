package oidc_test

import (
	"reflect"
	"testing"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// Clone must copy every slice (and refuse kinds it cannot check): a field
// added to Client without a line in Clone fails here, before a cached
// client's slice is shared between requests.
func TestCloneSharesNothing(t *testing.T) {
	var c oidc.Client
	fill(t, reflect.ValueOf(&c).Elem(), "Client")
	d := c.Clone()
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("Clone changed the client:\n%+v\n%+v", c, d)
	}
	shared(t, reflect.ValueOf(c), reflect.ValueOf(d), "Client")
}

// fill sets every slice in v to one element, recursing into structs.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		if v.Type().PkgPath() == "time" {
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(t, v.Field(i), path+"."+f.Name)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		if s.Index(0).Kind() == reflect.String {
			s.Index(0).SetString("x")
		} else if s.Index(0).Kind() == reflect.Uint8 {
			s.Index(0).SetUint('x')
		}
		v.Set(s)
	case reflect.Map, reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan:
		t.Errorf("%s: a %s field in oidc.Client: teach Clone (and this test) to copy it", path, v.Kind())
	}
}

// shared fails for every slice of a that d still points into.
func shared(t *testing.T, a, d reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Struct:
		if a.Type().PkgPath() == "time" {
			return
		}
		for i := range a.NumField() {
			if f := a.Type().Field(i); f.IsExported() {
				shared(t, a.Field(i), d.Field(i), path+"."+f.Name)
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == d.Pointer() {
			t.Errorf("%s: Clone shares the slice; add it to Clone", path)
		}
	}
}
