// Package balance is the balance feature: stored snapshots of connected
// accounts' balances, cached or live checks before a debit (with exact
// sufficiency in minor units), and asynchronous refreshes run as durable
// jobs whose results are served by the BALANCE callback and webhook.
package balance
