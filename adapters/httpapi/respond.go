package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// bodyBuffers are reused across responses; one that grew past
// maxPooledBody (a rare, huge answer) is left to the collector.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 1 << 20

var encodeFailure = []byte(`{"status":"error","message":"could not encode the response","type":"API","code":"API"}` + "\n")

// writeJSON answers v as json.Marshal would write it, with a newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, func(buf *bytes.Buffer) error { return encodeInto(buf, v) })
}

// writeBody builds a body with fill in a pooled buffer and sends it, or
// the 500 of encodeFailure when fill fails.
func writeBody(w http.ResponseWriter, status int, fill func(*bytes.Buffer) error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBody {
			bodyBuffers.Put(buf)
		}
	}()
	body := encodeFailure
	if err := fill(buf); err == nil {
		body = buf.Bytes()
	} else {
		// Only our own types are marshalled here; a failure is a bug.
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// A length instead of chunks: the body is whole before it is sent.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// encodeInto appends v's JSON and a newline to buf. Encode writes what
// Marshal would, HTML escaping included.
func encodeInto(buf *bytes.Buffer, v any) error {
	return json.NewEncoder(buf).Encode(v)
}

// ok answers 200 with Okra's success envelope,
// {"status":"success","message":…,"data":…}. The envelope is written by
// hand and a map[string]any data (every list's {pagination, key}) field by
// field in sorted key order, as encoding/json orders map keys, so the
// bytes are the same as marshalling the whole without the map's
// reflection and a second pass over the page.
func ok(w http.ResponseWriter, message string, data any) {
	writeBody(w, http.StatusOK, func(buf *bytes.Buffer) error {
		enc := json.NewEncoder(buf)
		put := func(v any) error {
			if b, fast := appendOkra(buf.AvailableBuffer(), v); fast {
				buf.Write(b)
				return nil
			}
			if err := enc.Encode(v); err != nil {
				return err
			}
			buf.Truncate(buf.Len() - 1) // Encode's newline
			return nil
		}
		buf.WriteString(`{"status":"success","message":`)
		if err := put(message); err != nil {
			return err
		}
		buf.WriteString(`,"data":`)
		m, isMap := data.(map[string]any)
		if !isMap || m == nil {
			if err := put(data); err != nil {
				return err
			}
			buf.WriteString("}\n")
			return nil
		}
		var small [4]string
		keys := small[:0]
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := put(k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := put(m[k]); err != nil {
				return err
			}
		}
		buf.WriteString("}}\n")
		return nil
	})
}

// appendOkra appends v's JSON when v is one of Okra's objects, or a list
// of the hot ones, which write their own JSON (the same bytes as
// encoding/json, without its reflection); fast is false for anything else.
func appendOkra(dst []byte, v any) (out []byte, fast bool) {
	switch v := v.(type) {
	case []okra.Auth:
		return appendAll(dst, v), true
	case []okra.Account:
		return appendAll(dst, v), true
	case []okra.Balance:
		return appendAll(dst, v), true
	case []okra.Customer:
		return appendAll(dst, v), true
	case []okra.Record:
		return appendAll(dst, v), true
	case okra.Appender:
		return v.AppendJSON(dst), true
	case lazyList:
		return v.appendJSON(dst), true
	}
	return dst, false
}

// lazyList is a list that is presented as it is written.
type lazyList interface {
	appendJSON(dst []byte) []byte
}

// presentedList is a page of items that present shapes for the wire one
// at a time while the body is written: a page of 100 is not held twice,
// once as views and once as Okra's objects. It writes what json.Marshal
// writes of the presented slice.
type presentedList[T any, V okra.RowAppender] struct {
	items   []T
	present func(T) V
}

func (l presentedList[T, V]) appendJSON(dst []byte) []byte {
	var m okra.Memo
	dst = append(dst, '[')
	for i, it := range l.items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = l.present(it).AppendRow(dst, &m)
	}
	return append(dst, ']')
}

// MarshalJSON is encoding/json's way to the same bytes.
func (l presentedList[T, V]) MarshalJSON() ([]byte, error) {
	out := make([]V, 0, len(l.items))
	for _, it := range l.items {
		out = append(out, l.present(it))
	}
	return json.Marshal(out)
}

// appendAll appends a JSON array of vs (null for a nil slice, as
// encoding/json writes it).
func appendAll[V okra.Appender](dst []byte, vs []V) []byte {
	if vs == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = v.AppendJSON(dst)
	}
	return append(dst, ']')
}

// decodeBody reads a JSON body into dst. An empty body decodes as {}.
// Unknown fields are ignored (Okra's clients send extras); a known field of
// the wrong type is refused naming the field.
func decodeBody(r *http.Request, dst any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &domain.Error{Kind: kindTooLarge, Message: fmt.Sprintf("the body is over the limit of %d bytes", tooBig.Limit)}
		}
		return &domain.Error{Kind: domain.KindInvalid, Message: "could not read the body", Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := checkJSONContentType(r); err != nil {
		return err
	}
	return decodeJSON(body, dst)
}

func checkJSONContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return &domain.Error{Kind: kindUnsupportedMedia, Message: "Content-Type must be application/json"}
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &domain.Error{Kind: kindUnsupportedMedia, Message: "Content-Type must be application/json, not " + ct}
	}
	return nil
}

// decodeJSON turns decoder errors into sentences that name the problem.
func decodeJSON(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(dst)
	if err == nil {
		if dec.More() {
			return &domain.Error{Kind: domain.KindInvalid, Message: "the body holds more than one JSON value"}
		}
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var de *domain.Error
	switch {
	case errors.As(err, &syntax):
		return &domain.Error{Kind: domain.KindInvalid, Code: "MALFORMED_JSON", Message: fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &domain.Error{Kind: domain.KindInvalid, Code: "MALFORMED_JSON", Message: "malformed JSON: the body ends too early"}
	case errors.As(err, &typ):
		field := jsonPath(reflect.TypeOf(dst), typ.Field)
		if field == "" {
			return &domain.Error{Kind: domain.KindInvalid, Message: fmt.Sprintf("the body must be a JSON object, not %s", typ.Value)}
		}
		return &domain.Error{Kind: domain.KindInvalid, Field: field, Message: fmt.Sprintf("%s: must be %s, not %s", field, jsonTypeName(typ.Type.String()), typ.Value)}
	case errors.As(err, &de):
		return de
	}
	return &domain.Error{Kind: domain.KindInvalid, Code: "MALFORMED_JSON", Message: "malformed JSON: " + err.Error()}
}

// jsonPath drops the Go names of embedded structs from a decoder's field
// path ("pageRequest.page" becomes "page"), so an error names the field as
// the client sent it.
func jsonPath(t reflect.Type, field string) string {
	if field == "" {
		return ""
	}
	var out []string
	for _, seg := range strings.Split(field, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t != nil && t.Kind() == reflect.Struct {
			if sf, found := t.FieldByName(seg); found && sf.Anonymous {
				t = sf.Type
				continue
			}
		}
		out = append(out, seg)
		t = jsonFieldType(t, seg)
	}
	return strings.Join(out, ".")
}

// jsonFieldType is the type of the field of struct t that JSON name decodes
// into, or nil.
func jsonFieldType(t reflect.Type, name string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for _, f := range reflect.VisibleFields(t) {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name || (tag == "" && strings.EqualFold(f.Name, name)) {
			return f.Type
		}
	}
	return nil
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), goType == "httpapi.flexInt":
		return "an integer"
	case strings.HasPrefix(goType, "float"), goType == "domain.Minor":
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// flexInt is an integer field that also accepts a string of digits:
// Okra's documentation sends "page":"1","limit":"10".
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	raw := s
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &raw); err != nil {
			return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeOf(0)}
		}
		raw = strings.TrimSpace(raw)
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v > math.MaxInt32 || v < math.MinInt32 {
		what := "number " + s
		switch {
		case strings.HasPrefix(s, `"`):
			what = "string " + s
		case s == "true" || s == "false":
			what = "bool"
		case strings.HasPrefix(s, "["):
			what = "array"
		case strings.HasPrefix(s, "{"):
			what = "object"
		}
		return &json.UnmarshalTypeError{Value: what, Type: reflect.TypeOf(0)}
	}
	*n = flexInt(v)
	return nil
}
