// Package auth is the heart of bankauth: link sessions, login steps over a
// bank connector, and the records, accounts and auths they produce, with
// the read side the Okra API serves.
package auth
