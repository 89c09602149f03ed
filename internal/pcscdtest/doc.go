// Package pcscdtest starts a private pcscd with vsmartcard's vpcd driver
// for one test, so that the real PC/SC path (cardreader/pcsc → pcscd →
// vpcd → a virtual card from cardreader/vpcd) runs end to end.
//
// A system pcscd may already be running: pcscd 1.9.9 ignores
// PCSCLITE_CSOCK_NAME on the daemon side (its socket /run/pcscd/pcscd.comm
// is compiled in) and refuses to start next to another one. So the private
// daemon runs in its own mount namespace (unshare -m, plus a user
// namespace when not root) where a fresh folder is bind-mounted over
// /run/pcscd; the folder is visible from the test at its own path, so the
// test dials <folder>/pcscd.comm. Its vpcd slots listen on two free TCP
// ports written into a private reader.conf.d (pcscd -c), never 35963/35964.
// Measured on Debian 12 (pcscd 1.9.9): as root, and as an unprivileged user
// through the user namespace, with a system pcscd serving the stock ports.
// Without root, /run/pcscd must already exist (the mount point cannot be
// made from inside a user namespace); a system pcscd or root makes it.
//
// Tests skip when pcscd, the vpcd driver or unshare is missing, unless the
// environment variable CI is set: then they fail, so CI cannot pass by
// skipping. It is test support only; nothing in the product imports it.
package pcscdtest
