package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderEventID   = "Bankauth-Event-Id"
	HeaderSignature = "Bankauth-Signature"
	UserAgent       = "bankauth-webhooks"
)

// Errors Verify returns.
var (
	ErrMalformedSignature = errors.New("webhook: malformed Bankauth-Signature header")
	ErrStaleSignature     = errors.New("webhook: signature timestamp outside the tolerance")
	ErrBadSignature       = errors.New("webhook: no signature matches")
)

// mac is hex(HMAC-SHA256(secret, "<t>.<body>")).
func mac(secret string, t int64, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(t, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Sign builds the Bankauth-Signature header for body sent at t: the
// timestamp and one v1= per secret, in order.
func Sign(secrets []string, t time.Time, body []byte) string {
	unix := t.Unix()
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(unix, 10))
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(mac(s, unix, body))
	}
	return b.String()
}

// Verify checks a Bankauth-Signature header against the raw body with the
// receiver's secret: the timestamp must be within tolerance of now and one
// of the v1= values must be hex(HMAC-SHA256(secret, "<t>.<body>")).
// A tolerance of zero or less skips the timestamp check.
func Verify(secret string, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var (
		ts    int64
		haveT bool
		sigs  []string
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformedSignature
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || haveT {
				return ErrMalformedSignature
			}
			ts, haveT = n, true
		case "v1":
			sigs = append(sigs, v)
		}
		// Other schemes are ignored so new ones can be added.
	}
	if !haveT || len(sigs) == 0 {
		return ErrMalformedSignature
	}
	if tolerance > 0 {
		age := now.Sub(time.Unix(ts, 0))
		if age > tolerance || age < -tolerance {
			return ErrStaleSignature
		}
	}
	want := []byte(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrBadSignature
}
