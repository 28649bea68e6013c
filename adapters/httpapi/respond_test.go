package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// TestOKWritesWhatMarshalWrites holds the hand-written envelope to the
// bytes encoding/json gives for the same envelope, map data included.
func TestOKWritesWhatMarshalWrites(t *testing.T) {
	type item struct {
		ID    string       `json:"id"`
		Note  string       `json:"note"`
		Money domain.Minor `json:"money"`
	}
	cases := map[string]any{
		"nil":       nil,
		"nil map":   map[string]any(nil),
		"empty map": map[string]any{},
		"list": map[string]any{"pagination": domain.NewPageInfo(domain.Page{Number: 2, Limit: 3}, 7),
			"auths": []item{{ID: "a", Note: "<b>&\u2028", Money: 150050}, {ID: "b"}}},
		"null pagination": map[string]any{"pagination": nil, "record": item{ID: "r"}},
		"keys to sort":    map[string]any{"zeta": 1, "Alpha": "x", "alpha": []string{}, "a<b": true},
		"struct":          item{ID: "s", Note: "plain"},
		"other map":       map[string]string{"b": "2", "a": "1"},
		// Okra's objects take the appending path.
		"okra auths":    map[string]any{"pagination": nil, "auths": []okra.Auth{{ID: "a<1>", Accounts: []string{"x"}}, {ValidationNote: "n&"}}},
		"okra nil list": map[string]any{"records": []okra.Record(nil)},
		"okra lists": map[string]any{"accounts": []okra.Account{{Name: "\u2028"}}, "balance": []okra.Balance{{Available: 12345}},
			"customers": []okra.Customer{{Name: "Ọ̀ṣun"}}, "records": []okra.Record{{Products: []string{"auth"}}}},
		"okra object": map[string]any{"pagination": nil, "bank": okra.CustomerRef{ID: "c", Name: "\x00"}},
		// A list presented as it is written, and encoding/json's way to it.
		"presented list": map[string]any{"pagination": nil, "auths": presentedList[string, okra.Auth]{items: []string{"a<1>", "b&"},
			present: func(id string) okra.Auth { return okra.Auth{ID: id, Accounts: []string{id}} }}},
		"presented empty list": map[string]any{"accounts": presentedList[string, okra.Account]{
			present: func(id string) okra.Account { return okra.Account{ID: id} }}},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(struct {
				Status  string `json:"status"`
				Message string `json:"message"`
				Data    any    `json:"data"`
			}{"success", "Done <ok> & \"quoted\"", data})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			ok(rec, "Done <ok> & \"quoted\"", data)
			if got := rec.Body.String(); got != string(want)+"\n" {
				t.Fatalf("ok wrote\n%s\nwant\n%s", got, want)
			}
			if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(rec.Body.Len()) {
				t.Fatalf("Content-Length %q for a body of %d bytes", got, rec.Body.Len())
			}
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
		})
	}
}

// TestOKFailsWhole: a value that cannot be encoded gives the one encode
// failure body, not a half-written envelope.
func TestOKFailsWhole(t *testing.T) {
	rec := httptest.NewRecorder()
	ok(rec, "m", map[string]any{"a": 1, "b": func() {}})
	if rec.Code != 500 || rec.Body.String() != string(encodeFailure) {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}
