package accounts_test

import (
	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func accountsInbox(db *pgtest.DB) accounts.DevInbox { return accountspg.NewInbox(db.App) }
