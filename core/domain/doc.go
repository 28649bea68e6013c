// Package domain holds bankauth's entities and value objects: companies and
// their keys, banks, customers, records, accounts, auths, balances, link
// sessions, money and ids, and the typed errors every layer speaks.
//
// It imports only the standard library.
package domain
