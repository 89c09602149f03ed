package gateway

import (
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/witness"
	"github.com/dinhdanh/dinhdanh/config"
)

// AuditWitness builds the sinks the audit writer publishes checkpoints to, as
// configured under audit.witness (nil when none is): a file, an HTTP
// endpoint, or both. Pass it as audit.Options.Witness.
func AuditWitness(cfg config.AuditWitness) audit.Witness {
	var ws []audit.Witness
	if cfg.File != "" {
		ws = append(ws, witness.NewFile(cfg.File))
	}
	if cfg.URL != "" {
		ws = append(ws, witness.NewHTTP(cfg.URL, &http.Client{Timeout: 10 * time.Second}))
	}
	return witness.All(ws...)
}
