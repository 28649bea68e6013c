// Package auth is the heart of bankauth: link sessions, login steps over a
// bank connector, and the records, accounts and auths they produce. The
// read side is core/reads, the wire shapes core/okra.
package auth
