package okra

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

// tricky strings: everything encoding/json escapes or replaces.
var tricky = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rcr\bbs\fff",
	"\x00\x01\x1f control", "naïve Ọ̀ṣun ₦", "line\u2028para\u2029sep", "bad \xff utf8 \xc3", "emoji 🙂",
}

// fill sets every field of v (a pointer to struct) from r: strings from
// tricky, bools, string slices (nil, empty or some), pointers (nil or set)
// and Minor amounts, so a field the appender forgets shows as a diff.
func fill(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if r.IntN(3) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem())
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(r, v.Field(i))
		}
	case reflect.String:
		v.SetString(tricky[r.IntN(len(tricky))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int64:
		v.SetInt(r.Int64N(2_000_000_000) - 1_000_000_000)
	case reflect.Map:
		if r.IntN(4) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		m := reflect.MakeMap(v.Type())
		for range r.IntN(4) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(r, k)
			fill(r, e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Slice:
		switch n := r.IntN(4); n {
		case 0:
			v.Set(reflect.Zero(v.Type()))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range n - 1 {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	}
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	values := []Appender{Auth{}, Customer{}, Record{}, RecordDetail{}, ProductFlags{}, Account{}, Balance{}, BankRef{}, BankRefWithStatus{}, CustomerRef{}, AccountRef{}}
	r := rand.New(rand.NewPCG(1, 2))
	for _, zero := range values {
		typ := reflect.TypeOf(zero)
		t.Run(typ.Name(), func(t *testing.T) {
			for i := range 300 {
				p := reflect.New(typ)
				if i > 0 { // the first round is the zero value
					fill(r, p.Elem())
				}
				v := p.Elem().Interface().(Appender)
				want, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if got := v.AppendJSON(nil); string(got) != string(want) {
					t.Fatalf("%#v\nAppendJSON: %s\njson.Marshal: %s", v, got, want)
				}
			}
		})
	}
}

func TestAppendJSONAppends(t *testing.T) {
	got := CustomerRef{ID: "c1", Name: "Ada"}.AppendJSON([]byte("x"))
	if string(got) != `x{"_id":"c1","name":"Ada"}` {
		t.Fatalf("got %s", got)
	}
	// Minor amounts go as numbers in major units.
	b := Balance{Available: domain.Minor(-1005), Ledger: domain.Minor(250000)}.AppendJSON(nil)
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if back["available_balance"] != -10.05 || back["ledger_balance"] != 2500.0 {
		t.Fatalf("amounts: %s", b)
	}
}

// TestAppendStringEveryByte: each byte alone and amid text is written as
// json.Marshal writes it.
func TestAppendStringEveryByte(t *testing.T) {
	for b := 0; b < 256; b++ {
		for _, s := range []string{string([]byte{byte(b)}), "a" + string([]byte{byte(b)}) + "z"} {
			want, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendString(nil, s); string(got) != string(want) {
				t.Fatalf("appendString(%q) = %s, json.Marshal says %s", s, got, want)
			}
		}
	}
}

// TestAppendStringWordAtATime: each byte at each position of a word (and
// of the word after it), amid plain text, is written as json.Marshal
// writes it, so the eight-byte test misses no byte that needs escaping.
func TestAppendStringWordAtATime(t *testing.T) {
	const plain = "abcdefghijklmnopq"
	for b := 0; b < 256; b++ {
		for n := 8; n <= len(plain); n++ {
			for pos := range n {
				s := []byte(plain[:n])
				s[pos] = byte(b)
				want, err := json.Marshal(string(s))
				if err != nil {
					t.Fatal(err)
				}
				if got := appendString(nil, string(s)); string(got) != string(want) {
					t.Fatalf("appendString(%q) = %s, json.Marshal says %s", s, got, want)
				}
			}
		}
	}
	for _, s := range tricky {
		long := s + plain + s + plain[:5] + s
		want, _ := json.Marshal(long)
		if got := appendString(nil, long); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, json.Marshal says %s", long, got, want)
		}
	}
}

// TestAppendRowWithMemo: a page written row by row with one Memo is the
// rows as json.Marshal writes them, whether neighbouring rows share their
// bank, differ in one field of it, or come back to an earlier one.
func TestAppendRowWithMemo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	base := BankRefWithStatus{BankRef: BankRef{ID: "b1", Name: "First Bank", Slug: "first-bank", Icon: "/i#first-bank", Logo: "/i#first-bank"}, Status: "operational"}
	banks := []BankRefWithStatus{base, base, base}
	banks[1].Status = "degraded"
	banks[2].Name = "First <Bank>"
	for i := range memoBanks + 2 { // more than a Memo holds
		b := base
		b.ID = fmt.Sprintf("b%d", i+2)
		banks = append(banks, b)
	}
	for _, zero := range []RowAppender{Auth{}, Account{}, Record{}, Customer{}, Balance{}} {
		typ := reflect.TypeOf(zero)
		t.Run(typ.Name(), func(t *testing.T) {
			var m Memo
			var got, want []byte
			for i := range 200 {
				p := reflect.New(typ)
				fill(r, p.Elem())
				if f := p.Elem().FieldByName("Bank"); f.IsValid() && f.Type() == reflect.TypeOf(base) {
					f.Set(reflect.ValueOf(banks[(i/3+r.IntN(2))%len(banks)]))
					if i >= 100 { // then any bank, any order
						f.Set(reflect.ValueOf(banks[r.IntN(len(banks))]))
					}
				}
				v := p.Elem().Interface().(RowAppender)
				one, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, one...)
				got = v.AppendRow(got, &m)
				if string(got) != string(want) {
					t.Fatalf("row %d: %#v\nAppendRow: %s\njson.Marshal: %s", i, v, got[len(got)-len(one):], one)
				}
			}
		})
	}
}
