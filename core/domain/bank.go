package domain

import (
	"slices"
	"time"
)

// LoginMethod is how a customer logs in at a bank (a record keeps the one
// its link used).
type LoginMethod string

// Login methods a bank may offer.
const (
	MethodInternetBanking LoginMethod = "internet_banking"
	MethodMobileBanking   LoginMethod = "mobile_banking"
	MethodUSSD            LoginMethod = "ussd"
	MethodReturning       LoginMethod = "returning"
)

// Bank status, computed from recent traffic.
const (
	BankOperational = "operational"
	BankDegraded    = "degraded"
	BankDown        = "down"
)

// Bank is an institution served by a connector.
type Bank struct {
	ID      ID
	Slug    string
	Name    string
	Country string
	// Code is the 3-digit CBN code the bank's NUBANs' check digit is
	// computed with; empty when its connector does not say.
	Code      string
	Connector string // the connector that serves it
	Methods   []LoginMethod
	MFAKinds  []string // otp, security_question, ussd
	Products  []string // auth, balance, ...
	Status    string
	// Production is true when the operator enabled the bank for production.
	Production bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Supports reports whether the bank offers every product asked for.
func (b Bank) Supports(products []string) bool {
	for _, p := range products {
		if !slices.Contains(b.Products, p) {
			return false
		}
	}
	return true
}

// HasMethod reports whether the bank offers the login method.
func (b Bank) HasMethod(m LoginMethod) bool { return slices.Contains(b.Methods, m) }

// RegisteredConnector is an external connector binary the operator
// registered, with the checksum it must match at every start.
type RegisteredConnector struct {
	Name      string
	Path      string
	SHA256    string // hex
	Enabled   bool   // enabled for production
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ServesEnv reports whether the bank is offered in env: production banks are
// the ones the operator enabled for production, every other bank is the
// sandbox's. Data, keys and banks never cross environments.
func (b Bank) ServesEnv(env Env) bool { return b.Production == (env == EnvProduction) }
