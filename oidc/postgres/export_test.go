package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// TxOf returns the transaction BeginTX or BeginLazyTX put in ctx (tests).
func TxOf(ctx context.Context) pgx.Tx {
	tx, _ := ctx.Value(txKey{}).(pgx.Tx)
	return tx
}
