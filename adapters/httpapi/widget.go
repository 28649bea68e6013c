package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// The widget: plain HTML, CSS and JavaScript embedded in the
// binary, no build step and no CDN. The page at / speaks okra-js's
// postMessage protocol; /widget.js is our own loader with the server's
// origin built in; /demo is a host page for the demo company; /link/<code>
// is the hosted (non-iframe) flow of a short link.

//go:embed widget
var widgetFiles embed.FS

// WidgetConfig configures the widget pages.
type WidgetConfig struct {
	// PublicURL is the server's origin as customers reach it
	// (BANKAUTH_PUBLIC_URL). Empty: the address the server listens on.
	PublicURL string
}

// ShortLinks stores widget options under short codes (core/shortlink).
type ShortLinks interface {
	Create(ctx context.Context, scope domain.Scope, options json.RawMessage) (domain.ShortLink, error)
	Resolve(ctx context.Context, code string) (domain.ShortLink, error)
}

// WidgetCompanies is what the widget pages need to know about companies.
type WidgetCompanies interface {
	// Demo is the demo company and its sandbox public key (not found when
	// there is none).
	Demo(ctx context.Context) (domain.Company, string, error)
	// Company loads a company (for its frame-ancestors setting).
	Company(ctx context.Context, id domain.ID) (domain.Company, error)
}

// widgetAsset is one embedded static file.
type widgetAsset struct {
	body        []byte
	contentType string
	etag        string
}

type widgetHandler struct {
	cfg       WidgetConfig
	links     ShortLinks
	companies WidgetCompanies
	assets    map[string]widgetAsset
	index     []byte
	loader    []byte
	demo      *template.Template
	message   *template.Template
}

// publicAssets are the files served under /widget/assets/.
var publicAssets = map[string]string{
	"widget.css": "text/css; charset=utf-8",
	"app.js":     "text/javascript; charset=utf-8",
	"demo.js":    "text/javascript; charset=utf-8",
	"demo.css":   "text/css; charset=utf-8",
	"bank.svg":   "image/svg+xml",
}

func newWidgetHandler(links ShortLinks, companies WidgetCompanies, cfg WidgetConfig) *widgetHandler {
	read := func(name string) []byte {
		b, err := widgetFiles.ReadFile("widget/" + name)
		if err != nil {
			// The files are embedded at build time; a missing one is a bug.
			panic("widget: missing embedded file " + name)
		}
		return b
	}
	h := &widgetHandler{cfg: cfg, links: links, companies: companies, assets: map[string]widgetAsset{},
		index: read("index.html"), loader: read("loader.js")}
	for name, ct := range publicAssets {
		b := read(name)
		sum := sha256.Sum256(b)
		h.assets[name] = widgetAsset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	h.demo = template.Must(template.New("demo").Parse(string(read("demo.html"))))
	h.message = template.Must(template.New("message").Parse(string(read("message.html"))))
	return h
}

// WidgetRoutes serves the widget page, its assets, the loader, the demo
// host page, hosted links and the short-link API.
func WidgetRoutes(links ShortLinks, companies WidgetCompanies, cfg WidgetConfig) Routes {
	h := newWidgetHandler(links, companies, cfg)
	return Routes{
		{Method: http.MethodGet, Path: "/{$}", Access: Public, Tag: "widget", Handler: h.page,
			Summary: "The widget page. okra-js opens it as /?isIframe=true&withOptions=true and sends the options by postMessage."},
		{Method: http.MethodGet, Path: "/widget.js", Access: Public, Tag: "widget", Handler: h.loaderJS,
			Summary: "The widget loader: Okra.buildWithOptions and Okra.buildWithShortUrl, with this server's origin built in."},
		{Method: http.MethodGet, Path: "/widget/assets/{file}", Access: Public, Tag: "widget", Handler: h.asset,
			Summary: "The widget's static files (CSS, JavaScript, icons)."},
		{Method: http.MethodGet, Path: "/demo", Access: Public, Tag: "widget", Handler: h.demoPage,
			Summary: "A host page that opens the widget for the demo company in the sandbox."},
		{Method: http.MethodGet, Path: "/link/{code}", Access: Public, Tag: "widget", Handler: h.hostedLink,
			Summary: "The hosted link page of a short link; on success it redirects to redirect_url with record_id and customer_id."},
		{Method: http.MethodGet, Path: "/widget/v1/links/{code}", Access: Public, Tag: "link", Handler: h.linkOptions,
			Response: schemaIfKnown("ShortLinkOptions"),
			Summary:  "The widget options stored under a short link (what the hosted page opens its session with)."},
		{Method: http.MethodPost, Path: "widget/links/create", Access: SecretKey, Atomic: true, Tag: "widget", Handler: h.createLink,
			Request: schemaIfKnown("ShortLinkCreate"), Response: schemaIfKnown("ShortLink"),
			Summary: "Store widget options under a short code; answers the short_url and the hosted link's url."},
	}
}

// schemaIfKnown references a component schema only once the document has it
// (widgetSchemas merged into schemas()), so no reference dangles.
func schemaIfKnown(name string) string {
	if _, found := schemas()[name]; found {
		return name
	}
	return ""
}

// widgetSchemas are the OpenAPI component schemas of the short-link routes.
func widgetSchemas() map[string]any {
	options := map[string]any{"type": "object", "required": []any{"key"}, "additionalProperties": true,
		"properties": map[string]any{
			"key": str(), "token": str(), "env": map[string]any{"enum": []any{"production", "production-sandbox"}},
			"redirect_url": map[string]any{"type": "string", "format": "uri"},
			"exp":          map[string]any{"type": "string", "description": "Expiry: YYYY-MM-DD (through that day, UTC) or an RFC 3339 time."},
		}}
	return map[string]any{
		"ShortLinkCreate": obj(map[string]any{"options": options}, "options"),
		"ShortLink": obj(map[string]any{
			"short_url": str(), "url": map[string]any{"type": "string", "format": "uri"},
			"expires_at": map[string]any{"type": []any{"string", "null"}, "format": "date-time"},
		}, "short_url", "url"),
		"ShortLinkOptions": obj(map[string]any{
			"short_url": str(), "options": options,
			"expires_at": map[string]any{"type": []any{"string", "null"}, "format": "date-time"},
		}, "short_url", "options"),
	}
}

// origin is the server's origin as the browser reaches it: PublicURL, else
// the address of the socket the request came in on. Never the Host header,
// which the client writes: a forged one must not end up in /widget.js or in
// a link's URL.
func (h *widgetHandler) origin(r *http.Request) string {
	if h.cfg.PublicURL != "" {
		return strings.TrimRight(h.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := "localhost"
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a != nil {
		host = a.String()
	}
	return scheme + "://" + host
}

// frameSource is one source expression of a frame-ancestors list.
var frameSource = regexp.MustCompile(`^('self'|'none'|\*|[A-Za-z][A-Za-z0-9+.\-]*:|([A-Za-z][A-Za-z0-9+.\-]*://)?(\*\.)?[A-Za-z0-9.\-]+(:([0-9]{1,5}|\*))?(/[A-Za-z0-9._~/\-]*)?)$`)

// frameAncestors turns a company's setting into a CSP value: empty means
// anyone may frame the widget; a value that is not a list of source
// expressions is refused outright ('none') rather than half applied.
func frameAncestors(setting string) string {
	setting = strings.TrimSpace(setting)
	if setting == "" {
		return "*"
	}
	fields := strings.Fields(setting)
	for _, f := range fields {
		if !frameSource.MatchString(f) {
			return "'none'"
		}
	}
	return strings.Join(fields, " ")
}

// hostedFrameAncestors is the frame-ancestors of a company's hosted pages:
// its own frame-ancestors setting when it has one, else the origins allowed
// to embed its widget, else anyone.
func hostedFrameAncestors(c domain.Company) string {
	if strings.TrimSpace(c.FrameAncestors) != "" {
		return frameAncestors(c.FrameAncestors)
	}
	if len(c.AllowedOrigins) > 0 {
		return frameAncestors(strings.Join(c.AllowedOrigins, " "))
	}
	return frameAncestors("")
}

// pageHeaders are the security headers of every widget page.
func pageHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	// Link URLs carry a code; never send them on.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("Cache-Control", "no-store")
}

func widgetCSP(ancestors string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
		"frame-ancestors " + ancestors
}

func writeHTML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// page is the widget page itself.
func (h *widgetHandler) page(w http.ResponseWriter, _ *http.Request) {
	pageHeaders(w, widgetCSP("*"))
	writeHTML(w, http.StatusOK, h.index)
}

// hostedLink is the widget page for a short link, framed only where the
// company allows.
func (h *widgetHandler) hostedLink(w http.ResponseWriter, r *http.Request) {
	l, err := h.links.Resolve(r.Context(), r.PathValue("code"))
	if err != nil {
		status, msg := http.StatusNotFound, "This link does not exist. Ask whoever sent it for a new one."
		switch domain.KindOf(err) {
		case domain.KindExpired:
			status, msg = http.StatusGone, "This link has expired. Ask whoever sent it for a new one."
		case domain.KindNotFound:
		default:
			status, msg = http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment."
		}
		h.messagePage(w, status, "Link unavailable", msg)
		return
	}
	// Unknown settings refuse framing rather than allow it.
	ancestors := "'none'"
	if c, err := h.companies.Company(r.Context(), l.CompanyID); err == nil {
		ancestors = hostedFrameAncestors(c)
	}
	pageHeaders(w, widgetCSP(ancestors))
	writeHTML(w, http.StatusOK, h.index)
}

func (h *widgetHandler) messagePage(w http.ResponseWriter, status int, title, msg string) {
	var buf bytes.Buffer
	_ = h.message.Execute(&buf, map[string]string{"Title": title, "Message": msg})
	pageHeaders(w, "default-src 'self'; script-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	writeHTML(w, status, buf.Bytes())
}

// demoPage opens the widget for the demo company.
func (h *widgetHandler) demoPage(w http.ResponseWriter, r *http.Request) {
	c, key, err := h.companies.Demo(r.Context())
	if err != nil {
		msg := "There is no demo company. bankauth creates one when it starts on an empty database."
		if domain.KindOf(err) != domain.KindNotFound {
			msg = "Something went wrong on our side. Try again in a moment."
		}
		h.messagePage(w, http.StatusNotFound, "No demo", msg)
		return
	}
	var buf bytes.Buffer
	if err := h.demo.Execute(&buf, map[string]string{"Key": key, "Token": c.ID, "Name": c.Name}); err != nil {
		writeError(w, r, err)
		return
	}
	origin := h.origin(r)
	pageHeaders(w, "default-src 'self'; script-src 'self' "+origin+"; style-src 'self'; img-src 'self' data:; connect-src 'self'; "+
		"frame-src 'self' "+origin+"; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	writeHTML(w, http.StatusOK, buf.Bytes())
}

// loaderJS is /widget.js with the origin filled in.
func (h *widgetHandler) loaderJS(w http.ResponseWriter, r *http.Request) {
	origin, _ := json.Marshal(h.origin(r)) // escapes <, > and & too
	body := bytes.Replace(h.loader, []byte(`"__BANKAUTH_ORIGIN__"`), origin, 1)
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// asset serves an embedded file with an ETag.
func (h *widgetHandler) asset(w http.ResponseWriter, r *http.Request) {
	a, found := h.assets[path.Base(r.PathValue("file"))]
	if !found || r.PathValue("file") != path.Base(r.PathValue("file")) {
		writeError(w, r, &domain.Error{Kind: domain.KindNotFound, Code: "ROUTE_NOT_FOUND", Message: "no such widget file"})
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", a.etag)
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.body)
}

type shortLinkView struct {
	ShortURL  string          `json:"short_url"`
	URL       string          `json:"url,omitempty"`
	Options   json.RawMessage `json:"options,omitempty"`
	ExpiresAt *string         `json:"expires_at"`
}

func expiry(l domain.ShortLink) *string {
	if l.ExpiresAt == nil {
		return nil
	}
	s := okra.Time(*l.ExpiresAt)
	return &s
}

// linkOptions answers the options stored under a code. They hold what a
// widget embeds anyway (public key, client token, copy), so the code is
// the only capability needed.
func (h *widgetHandler) linkOptions(w http.ResponseWriter, r *http.Request) {
	l, err := h.links.Resolve(r.Context(), r.PathValue("code"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	writeJSON(w, http.StatusOK, shortLinkView{ShortURL: l.Code, Options: publicOptions(l.Options), ExpiresAt: expiry(l)})
}

// publicOptions drops what identifies the customer from stored options:
// anyone holding the code can read them. The session opened with the
// short_url takes those fields from the server's copy instead.
func publicOptions(raw json.RawMessage) json.RawMessage {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		return json.RawMessage(`{}`)
	}
	for _, k := range []string{"customer", "reauth_account", "reauth_bank"} {
		delete(o, k)
	}
	b, err := json.Marshal(o)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}

// createLink is POST widget/links/create {options}.
func (h *widgetHandler) createLink(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Options json.RawMessage `json:"options"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, r, err)
		return
	}
	c, _ := callerFrom(r.Context())
	l, err := h.links.Create(r.Context(), c.Scope(), body.Options)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ok(w, "Link created successfully", shortLinkView{ShortURL: l.Code, URL: h.origin(r) + "/link/" + l.Code, ExpiresAt: expiry(l)})
}
