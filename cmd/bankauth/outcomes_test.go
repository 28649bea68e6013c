package main

import (
	"path/filepath"
	"testing"
	"time"
)

// TestLinkOutcomes walks every fake-bank outcome (each fixed by the
// credentials used) through the link API.
func TestLinkOutcomes(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), func(c *config) { c.BankTimeout = 2 * time.Second })
	keys := ts.newCompany("Acme")
	user := func(pass string) map[string]string {
		return map[string]string{"username": "user_good", "password": pass}
	}
	mustStatus := func(t *testing.T, r response, status string) {
		t.Helper()
		if field(r.JSON, "status") != status {
			t.Fatalf("want step %s, got %d %s", status, r.Status, r.Body)
		}
	}
	t.Run("pass_good", func(t *testing.T) {
		c := ts.openSession(keys, nil)
		ids := stepAccounts(t, c.login("sandbox-bank", "internet_banking", user("pass_good")))
		if r := c.choose(ids[0]); field(r.JSON, "success") != true {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("security question", func(t *testing.T) {
		c := ts.openSession(keys, nil)
		r := c.login("sandbox-bank", "mobile_banking", user("pass_question"))
		mustStatus(t, r, "challenge")
		if field(r.JSON, "challenge.type") != "security_question" || field(r.JSON, "challenge.prompt") != "What is your favourite colour?" {
			t.Fatalf("%s", r.Body)
		}
		stepAccounts(t, c.answer("blue"))
	})
	t.Run("otp then question", func(t *testing.T) {
		c := ts.openSession(keys, nil)
		r := c.login("sandbox-bank", "internet_banking", user("pass_otp_question"))
		if field(r.JSON, "challenge.type") != "otp" {
			t.Fatalf("%s", r.Body)
		}
		r = c.answer("123456")
		if field(r.JSON, "challenge.type") != "security_question" || field(r.JSON, "challenge.wrong") == true {
			t.Fatalf("after the OTP: %s", r.Body)
		}
		stepAccounts(t, c.answer("Blue"))
	})
	t.Run("fourth wrong answer refused", func(t *testing.T) {
		c := ts.openSession(keys, nil)
		c.login("sandbox-bank", "internet_banking", user("pass_otp"))
		c.answer("1")
		r := c.answer("2")
		if field(r.JSON, "challenge.attempts_left") != 1.0 {
			t.Fatalf("second wrong answer: %s", r.Body)
		}
		r = c.answer("3")
		mustStatus(t, r, "failed")
		if field(r.JSON, "error.type") != "MFA_FAILED" || field(r.JSON, "error.retryable") != false {
			t.Fatalf("third wrong answer: %s", r.Body)
		}
		r = c.answer("123456")
		if r.Status != 409 || field(r.JSON, "status") != "error" {
			t.Fatalf("fourth answer: want 409, got %d %s", r.Status, r.Body)
		}
	})
	for _, c := range []struct {
		pass, typ string
		retryable bool
		status    int
	}{
		{"error_INVALID_CREDENTIALS", "INVALID_CREDENTIALS", true, 422},
		{"error_ACCOUNT_LOCKED", "ACCOUNT_LOCKED", false, 422},
		{"error_BANK_UNAVAILABLE", "BANK_UNAVAILABLE", true, 503},
		{"something_else", "INVALID_CREDENTIALS", true, 422},
	} {
		t.Run(c.pass, func(t *testing.T) {
			s := ts.openSession(keys, nil)
			r := s.login("sandbox-bank", "internet_banking", user(c.pass))
			mustStatus(t, r, "failed")
			if r.Status != c.status || field(r.JSON, "error.type") != c.typ || field(r.JSON, "error.retryable") != c.retryable {
				t.Fatalf("want %d %s retryable=%v, got %d %s", c.status, c.typ, c.retryable, r.Status, r.Body)
			}
		})
	}
	t.Run("error_TIMEOUT", func(t *testing.T) {
		s := ts.openSession(keys, nil)
		start := time.Now()
		r := s.login("sandbox-bank", "internet_banking", user("error_TIMEOUT"))
		took := time.Since(start)
		mustStatus(t, r, "failed")
		if r.Status != 504 || field(r.JSON, "error.type") != "BANK_TIMEOUT" || field(r.JSON, "error.retryable") != true {
			t.Fatalf("want a retryable 504 BANK_TIMEOUT, got %d %s", r.Status, r.Body)
		}
		if took > 2*time.Second+3*time.Second {
			t.Fatalf("the timeout took %v, past the 2 s deadline", took)
		}
		// Retryable: the same session logs in afterwards.
		stepAccounts(t, s.login("sandbox-bank", "internet_banking", user("pass_good")))
	})
	t.Run("error_CRASH", func(t *testing.T) {
		s := ts.openSession(keys, nil)
		r := s.login("sandbox-bank", "internet_banking", user("error_CRASH"))
		mustStatus(t, r, "failed")
		if r.Status < 502 || r.Status > 503 || field(r.JSON, "error.retryable") != true {
			t.Fatalf("want a retryable 502/503, got %d %s", r.Status, r.Body)
		}
		ids := stepAccounts(t, s.login("sandbox-bank", "internet_banking", user("pass_good")))
		if r := s.choose(ids...); field(r.JSON, "success") != true {
			t.Fatalf("after the crash: %s", r.Body)
		}
	})
	ussd := func(phone string) (*linkClient, response) {
		s := ts.openSession(keys, nil)
		r := s.login("sandbox-bank", "ussd", map[string]string{"phone": phone})
		if field(r.JSON, "challenge.type") != "ussd" || field(r.JSON, "challenge.ussd_code") == "" {
			t.Fatalf("USSD login: %s", r.Body)
		}
		return s, r
	}
	// poll GETs the step until it leaves waiting, within a bound.
	poll := func(t *testing.T, s *linkClient, within time.Duration) response {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			r := s.do("GET", "", nil)
			st := field(r.JSON, "status")
			if st != "pending" && st != "challenge" {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("still waiting after %v: %s", within, r.Body)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Run("ussd confirmed", func(t *testing.T) {
		s, _ := ussd("08000000001")
		r := poll(t, s, 10*time.Second)
		ids := stepAccounts(t, r)
		if len(ids) != 2 {
			t.Fatalf("Ada Obi has two accounts: %s", r.Body)
		}
	})
	t.Run("ussd declined", func(t *testing.T) {
		s, _ := ussd("08000000002")
		r := poll(t, s, 10*time.Second)
		if field(r.JSON, "error.type") != "USSD_DECLINED" {
			t.Fatalf("%s", r.Body)
		}
	})
}

// TestUSSDExpires uses a scenario whose USSD codes expire after 2 s.
func TestUSSDExpires(t *testing.T) {
	scenario := filepath.Join(repoRoot(t), "testdata", "fakebank", "conformance.json")
	ts := startServer(t, sqliteConfig(t), func(c *config) { c.FakebankScenario = scenario })
	s := ts.openSession(ts.newCompany("Acme"), nil)
	r := s.login("sandbox-bank", "ussd", map[string]string{"phone": "08000000003"})
	if field(r.JSON, "challenge.type") != "ussd" {
		t.Fatalf("USSD login: %s", r.Body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		r = s.do("GET", "", nil)
		if st := field(r.JSON, "status"); st != "pending" && st != "challenge" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the USSD code never expired: %s", r.Body)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if field(r.JSON, "status") != "failed" || field(r.JSON, "error.type") != "EXPIRED" {
		t.Fatalf("want a failed step of type EXPIRED, got %d %s", r.Status, r.Body)
	}
}
