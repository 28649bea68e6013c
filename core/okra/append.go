package okra

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// The objects of this package write their own JSON: a page of a hundred
// populated auths through encoding/json's reflection costs more than the
// queries behind it. Each AppendJSON writes exactly what json.Marshal
// writes for the same value (HTML-escaped strings included), which
// append_test.go holds over tricky values and the golden bodies hold end
// to end. A type that embeds one of them must write its own AppendJSON:
// the embedded one's would be promoted and drop the outer fields.

// Appender is a value that appends its JSON encoding to dst.
type Appender interface {
	AppendJSON(dst []byte) []byte
}

const hexDigits = "0123456789abcdef"

// plainASCII marks the ASCII bytes json.Marshal writes as they are: one
// lookup per byte instead of six comparisons.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// Masks for plainWord, one byte of each repeated across a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainWord reports whether all eight bytes of x are plainASCII, testing
// them at once: names and ids are mostly plain, and a byte at a time was
// a tenth of a list page's CPU. A byte of v is zero exactly when
// (v-ones) &^ v sets its high bit (a borrow can set it in a higher byte
// only after a true zero below it, and then the word is not plain
// anyway). b|2 is '>' only for '<' and '>', b|4 is '&' only for '"' and
// '&'.
func plainWord(x uint64) bool {
	lt, quot, bs := (x|2*ones)^'>'*ones, (x|4*ones)^'&'*ones, x^'\\'*ones
	special := x | (x - 0x20*ones) | // from 0x80 (UTF-8), below 0x20 (control)
		((lt-ones)&^lt | (quot-ones)&^quot | (bs-ones)&^bs)
	return special&highs == 0
}

// load8 reads eight bytes of s from i, the first the lowest.
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// appendString appends s as json.Marshal encodes a string: quoted, with
// control characters, quotes, backslashes, <, > and & escaped, invalid
// UTF-8 replaced by U+FFFD and U+2028/U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plainWord(load8(s, i)) {
			i += 8
			continue
		}
		b := s[i]
		if b < utf8.RuneSelf {
			if plainASCII[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// obj writes one JSON object field by field; the first field opens it.
type obj struct {
	b     []byte
	comma bool
}

func openObj(dst []byte) obj { return obj{b: append(dst, '{')} }

// key writes `,"k":` (no comma before the first) with one capacity
// check: four appends of a few bytes each were a fifth of writing a page.
// Keys are our own constants: nothing to escape.
func (o *obj) key(k string) {
	n, size := len(o.b), len(k)+3
	if o.comma {
		size++
	}
	o.b = slices.Grow(o.b, size)[:n+size]
	b := o.b[n:]
	if o.comma {
		b[0] = ','
		b = b[1:]
	}
	o.comma = true
	b[0] = '"'
	copy(b[1:], k)
	b[len(k)+1], b[len(k)+2] = '"', ':'
}

func (o *obj) str(k, v string) {
	o.key(k)
	o.b = appendString(o.b, v)
}

func (o *obj) strOmitEmpty(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *obj) boolean(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *obj) strs(k string, v []string) {
	o.key(k)
	if v == nil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendString(o.b, s)
	}
	o.b = append(o.b, ']')
}

// Memo remembers the JSON of the bank references a page wrote: a page's
// rows mostly name a few banks, and writing the reference was a quarter of
// writing an auth. The zero value is ready; a Memo belongs to one answer.
type Memo struct {
	banks []memoBank
	next  int // the entry a new bank replaces once banks is full
}

type memoBank struct {
	ref  BankRefWithStatus
	json []byte
}

// memoBanks bounds a Memo: more distinct banks on one page than this are
// written afresh in turn.
const memoBanks = 8

// RowAppender is an object written as a row of a page, with the page's
// Memo; AppendRow writes what AppendJSON writes.
type RowAppender interface {
	Appender
	AppendRow(dst []byte, m *Memo) []byte
}

// bank writes r under "bank", copied from m when m holds the same
// reference (nil m: written afresh).
func (o *obj) bank(r BankRefWithStatus, m *Memo) {
	o.key("bank")
	if m == nil {
		o.b = r.AppendJSON(o.b)
		return
	}
	for i := range m.banks {
		if m.banks[i].ref == r {
			o.b = append(o.b, m.banks[i].json...)
			return
		}
	}
	start := len(o.b)
	o.b = r.AppendJSON(o.b)
	e := memoBank{ref: r, json: append([]byte(nil), o.b[start:]...)}
	if len(m.banks) < memoBanks {
		m.banks = append(m.banks, e)
		return
	}
	m.banks[m.next] = e
	m.next = (m.next + 1) % memoBanks
}

// A nested object is written as o.key(k) then o.b = v.AppendJSON(o.b):
// passing v as an Appender would box it on the heap, twice per row.

func (o *obj) close() []byte { return append(o.b, '}') }

// AppendJSON appends r as json.Marshal would.
func (r BankRef) AppendJSON(dst []byte) []byte {
	o := openObj(dst)
	r.fields(&o)
	return o.close()
}

func (r BankRef) fields(o *obj) {
	o.str("_id", r.ID)
	o.str("name", r.Name)
	o.str("slug", r.Slug)
	o.str("icon", r.Icon)
	o.str("logo", r.Logo)
}

// AppendJSON appends r as json.Marshal would.
func (r BankRefWithStatus) AppendJSON(dst []byte) []byte {
	o := openObj(dst)
	r.BankRef.fields(&o)
	o.str("status", r.Status)
	return o.close()
}

// AppendJSON appends r as json.Marshal would.
func (r CustomerRef) AppendJSON(dst []byte) []byte {
	o := openObj(dst)
	o.str("_id", r.ID)
	o.str("name", r.Name)
	return o.close()
}

// AppendJSON appends r as json.Marshal would.
func (r AccountRef) AppendJSON(dst []byte) []byte {
	o := openObj(dst)
	o.str("_id", r.ID)
	o.str("nuban", r.NUBAN)
	o.str("name", r.Name)
	o.str("type", r.Type)
	o.key("bank")
	o.b = r.Bank.AppendJSON(o.b)
	return o.close()
}

// AppendJSON appends a as json.Marshal would.
func (a Auth) AppendJSON(dst []byte) []byte { return a.AppendRow(dst, nil) }

// AppendRow is AppendJSON with a page's Memo.
func (a Auth) AppendRow(dst []byte, m *Memo) []byte {
	o := openObj(dst)
	o.str("id", a.ID)
	o.str("_id", a.MongoID)
	o.boolean("validated", a.Validated)
	o.strOmitEmpty("validation_note", a.ValidationNote)
	o.bank(a.Bank, m)
	o.key("customer")
	o.b = a.Customer.AppendJSON(o.b)
	o.str("record", a.Record)
	o.str("owner", a.Owner)
	o.str("env", string(a.Env))
	o.strs("accounts", a.Accounts)
	o.str("created_at", a.CreatedAt)
	o.str("last_updated", a.LastUpdated)
	return o.close()
}

// AppendRow is AppendJSON: a customer carries no bank.
func (c Customer) AppendRow(dst []byte, _ *Memo) []byte { return c.AppendJSON(dst) }

// AppendJSON appends c as json.Marshal would.
func (c Customer) AppendJSON(dst []byte) []byte {
	o := openObj(dst)
	o.str("id", c.ID)
	o.str("_id", c.MongoID)
	o.str("name", c.Name)
	o.str("owner", c.Owner)
	o.str("env", string(c.Env))
	o.str("created_at", c.CreatedAt)
	o.str("last_updated", c.LastUpdated)
	return o.close()
}

// AppendJSON appends r as json.Marshal would.
func (r Record) AppendJSON(dst []byte) []byte { return r.AppendRow(dst, nil) }

// AppendRow is AppendJSON with a page's Memo.
func (r Record) AppendRow(dst []byte, m *Memo) []byte {
	o := openObj(dst)
	r.fields(&o, m)
	return o.close()
}

func (r Record) fields(o *obj, m *Memo) {
	o.str("id", r.ID)
	o.str("_id", r.MongoID)
	o.str("status", string(r.Status))
	o.str("method", r.Method)
	o.bank(r.Bank, m)
	o.key("customer")
	o.b = r.Customer.AppendJSON(o.b)
	o.str("owner", r.Owner)
	o.str("env", string(r.Env))
	o.strs("products", r.Products)
	o.strs("accounts", r.Accounts)
	o.key("auth")
	if r.Auth == nil {
		o.b = append(o.b, "null"...)
	} else {
		o.b = appendString(o.b, *r.Auth)
	}
	o.str("created_at", r.CreatedAt)
	o.str("last_updated", r.LastUpdated)
}

// AppendJSON appends d as json.Marshal would. It must be written here: the
// embedded Record's method would otherwise drop usedProduct.
func (d RecordDetail) AppendJSON(dst []byte) []byte {
	o := openObj(dst)
	d.Record.fields(&o, nil)
	o.key("usedProduct")
	o.b = d.UsedProduct.AppendJSON(o.b)
	return o.close()
}

// AppendJSON appends f as json.Marshal writes a map: keys sorted.
func (f ProductFlags) AppendJSON(dst []byte) []byte {
	if f == nil {
		return append(dst, "null"...)
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = strconv.AppendBool(dst, f[k])
	}
	return append(dst, '}')
}

// AppendJSON appends a as json.Marshal would.
func (a Account) AppendJSON(dst []byte) []byte { return a.AppendRow(dst, nil) }

// AppendRow is AppendJSON with a page's Memo.
func (a Account) AppendRow(dst []byte, m *Memo) []byte {
	o := openObj(dst)
	o.str("id", a.ID)
	o.str("_id", a.MongoID)
	o.str("name", a.Name)
	o.str("nuban", a.NUBAN)
	o.str("type", a.Type)
	o.str("currency", a.Currency)
	o.boolean("connected", a.Connected)
	o.key("customer")
	o.b = a.Customer.AppendJSON(o.b)
	o.bank(a.Bank, m)
	o.str("record", a.Record)
	o.str("owner", a.Owner)
	o.str("env", string(a.Env))
	o.str("created_at", a.CreatedAt)
	o.str("last_updated", a.LastUpdated)
	return o.close()
}

// AppendRow is AppendJSON: a balance's bank is its account's plain
// reference.
func (b Balance) AppendRow(dst []byte, _ *Memo) []byte { return b.AppendJSON(dst) }

// AppendJSON appends b as json.Marshal would.
func (b Balance) AppendJSON(dst []byte) []byte {
	o := openObj(dst)
	o.str("id", b.ID)
	o.str("_id", b.MongoID)
	o.key("available_balance")
	o.b = append(o.b, b.Available.Major()...)
	o.key("ledger_balance")
	o.b = append(o.b, b.Ledger.Major()...)
	o.str("currency", b.Currency)
	o.key("account")
	o.b = b.Account.AppendJSON(o.b)
	o.boolean("connected", b.Connected)
	o.key("customer")
	o.b = b.Customer.AppendJSON(o.b)
	o.str("record", b.Record)
	o.str("owner", b.Owner)
	o.str("env", string(b.Env))
	o.str("created_at", b.CreatedAt)
	o.str("last_updated", b.LastUpdated)
	o.str("as_of", b.AsOf)
	o.str("source", b.Source)
	return o.close()
}
