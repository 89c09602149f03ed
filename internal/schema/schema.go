// Package schema lists the migrations of every domain in the order the
// migration runner needs them. It is the one place that knows all domains'
// stores, so only cmd and test helpers import it.
package schema

import (
	"embed"
	"io/fs"

	"github.com/dinhdanh/dinhdanh/internal/pg"
)

//go:embed migrations/*.sql
var base embed.FS

func sub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// Sources returns the migrations of every domain.
func Sources() []pg.Source {
	return []pg.Source{
		{Domain: "base", FS: sub(base, "migrations")},
	}
}
