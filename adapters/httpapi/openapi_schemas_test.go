package httpapi

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/okra"
)

// TestSchemasMatchGoTypes marshals a fully populated value of each main
// response type and holds its JSON keys to the component schema that
// documents it: a key the schema lacks (a renamed or added field) or a
// required property the value lacks fails here, without a server.
func TestSchemasMatchGoTypes(t *testing.T) {
	all := schemas()
	for _, tc := range []struct {
		schema string
		value  any
	}{
		{"Auth", okra.Auth{}},
		{"Account", okra.Account{}},
		{"Balance", okra.Balance{}},
		{"Customer", okra.Customer{}},
		{"Record", okra.Record{}},
		{"Identity", okra.Identity{}},
		{"Step", auth.Step{}},
		{"SuccessPayload", okra.Payload{}},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			v := reflect.New(reflect.TypeOf(tc.value)).Elem()
			fill(v)
			raw, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatalf("marshal %T: %v", tc.value, err)
			}
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("unmarshal %T: %v", tc.value, err)
			}
			if _, ok := doc.(map[string]any); !ok {
				t.Fatalf("%T marshals to %s, not an object", tc.value, raw)
			}
			checkKeys(t, all, tc.schema, ref(tc.schema), doc)
		})
	}
}

// fill sets every exported field reachable from v to a non-zero value, so
// omitempty fields appear in the JSON too. Interface fields stay nil.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	}
}

// checkKeys holds doc's object keys, at every depth, to the properties
// and required lists of node. Nodes without properties (free-form objects
// such as meta) are not looked into.
func checkKeys(t *testing.T, all map[string]any, path string, node map[string]any, doc any) {
	t.Helper()
	node = resolve(all, node)
	if doc == nil {
		return
	}
	if alts, ok := node["oneOf"].([]any); ok {
		// The populated value is never null: it is the first object form.
		for _, a := range alts {
			if an := resolve(all, a.(map[string]any)); an["type"] != "null" {
				checkKeys(t, all, path, an, doc)
				return
			}
		}
		return
	}
	switch d := doc.(type) {
	case []any:
		if items, ok := node["items"].(map[string]any); ok {
			for _, e := range d {
				checkKeys(t, all, path+"[]", items, e)
			}
		}
	case map[string]any:
		props, ok := node["properties"].(map[string]any)
		if !ok {
			return
		}
		for k, v := range d {
			p, ok := props[k].(map[string]any)
			if !ok {
				t.Errorf("%s: the Go type writes %q, which the schema does not name", path, k)
				continue
			}
			checkKeys(t, all, path+"."+k, p, v)
		}
		required, _ := node["required"].([]any)
		for _, r := range required {
			if _, ok := d[r.(string)]; !ok {
				t.Errorf("%s: the schema requires %q, which the Go type does not write", path, r)
			}
		}
	}
}

// resolve follows a $ref and merges an allOf into one node.
func resolve(all map[string]any, node map[string]any) map[string]any {
	if r, ok := node["$ref"].(string); ok {
		name := r[len("#/components/schemas/"):]
		return resolve(all, all[name].(map[string]any))
	}
	parts, ok := node["allOf"].([]any)
	if !ok {
		return node
	}
	props, required := map[string]any{}, []any{}
	for _, p := range parts {
		pn := resolve(all, p.(map[string]any))
		if pp, ok := pn["properties"].(map[string]any); ok {
			for k, v := range pp {
				if _, seen := props[k]; !seen {
					props[k] = v
				}
			}
		}
		if rr, ok := pn["required"].([]any); ok {
			for _, r := range rr {
				if !slices.Contains(required, r) {
					required = append(required, r)
				}
			}
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}
