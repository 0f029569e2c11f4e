package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"oversight/internal/catalog"
	"oversight/internal/registry"
)

// The Atom feed (RFC 4287) of published changes: the same events as the
// `changes` query, for feed readers. IDs are URNs made from the event ID, so
// they need no domain name; links are absolute, built from Config.PublicURL.

// feedSize is how many of the latest changes the feed carries.
const feedSize = 50

// feedTimeout bounds one feed request, its SQL included.
const feedTimeout = 10 * time.Second

// feedEntryQuery is the GraphQL query each feed entry links to (as a GET
// request, variables id and at): the entry as it is now, and the version the
// change published, with its field-level diff. A reader who follows the link
// sees what changed without knowing GraphQL; a client can reuse the query.
const feedEntryQuery = `query ChangedEntry($id: ID!, $at: DateTime!) { node(id: $id) { __typename id ` +
	`... on Entry { version status retractionReason versionAt(at: $at) { version createdAt summary changes { field before after } snapshot } } } }`

// The feed's document, in the Atom namespace.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   atomText    `xml:"title"`
	Sub     *atomText   `xml:"subtitle,omitempty"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Updated    string         `xml:"updated"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    *atomText      `xml:"content,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Text string `xml:",chardata"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomCategory struct {
	Scheme string `xml:"scheme,attr,omitempty"`
	Term   string `xml:"term,attr"`
	Label  string `xml:"label,attr,omitempty"`
}

// entryLabels name entry types for people, in titles.
var entryLabels = map[registry.EntryType]string{
	registry.TypeState:            "State",
	registry.TypeAgency:           "Agency",
	registry.TypeVendor:           "Vendor",
	registry.TypeProduct:          "Product",
	registry.TypeTechnology:       "Technology",
	registry.TypeDeployment:       "Deployment",
	registry.TypeAbuse:            "Abuse",
	registry.TypeCommunity:        "Religious community",
	registry.TypeDesignationList:  "Designation list",
	registry.TypeDesignation:      "Designation",
	registry.TypeControlListEntry: "Control list entry",
	registry.TypeSource:           "Source",
	registry.TypeVendorResponse:   "Vendor response",
}

// correctionKinds are the kinds of the public corrections log.
var correctionKinds = []registry.ChangeKind{registry.ChangeCorrected, registry.ChangeRetracted}

// NewFeed returns the Atom feed of the latest published changes, to be
// served at GET /changes.atom, without any middleware (internal/server
// mounts it behind its chain); fail answers a request it could not serve.
// `?kinds=CORRECTED,RETRACTED` (comma separated, or repeated) narrows it;
// those two kinds are the corrections log. Anonymous: every change is
// public. It answers 400 to an unknown kind, and 304 to a conditional
// request (If-None-Match, If-Modified-Since) for the feed the client
// already has.
//
// The feed is the same for everyone who asks with the same URL: its links
// come from the configured public URL, never from the request's Host or
// X-Forwarded-* headers. Shared caches keep it for a minute, keyed by the
// URL, and a link built from one client's headers would be served to every
// reader (and Vary would not save it: many CDNs ignore Vary).
func NewFeed(cfg Config, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	base := cfg.publicURL()
	cat := cfg.readCatalog()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kinds, err := feedKinds(r.URL.Query()["kinds"])
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), feedTimeout)
		defer cancel()
		events, err := cat.ChangeFeed(ctx, catalog.ChangeFilter{Kinds: kinds}, feedSize)
		if err != nil {
			fail(w, r, fmt.Errorf("change feed: %w", err))
			return
		}
		body, err := renderFeed(base, kinds, events)
		if err != nil {
			fail(w, r, fmt.Errorf("render change feed: %w", err))
			return
		}
		// The ETag is the body's hash rather than the latest event's ID: an
		// event committed late with an earlier time, or a rename of an entry
		// that a title names, changes the body without changing the latest
		// event. Last-Modified is the latest event's time.
		sum := sha256.Sum256(body)
		h := w.Header()
		h.Set("Content-Type", "application/atom+xml; charset=utf-8")
		h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
		h.Set("Cache-Control", "public, max-age=60")
		var modified time.Time
		if len(events) > 0 {
			modified = events[0].At
		}
		// ServeContent answers If-None-Match (which takes precedence),
		// If-Modified-Since, HEAD and ranges as RFC 9110 says.
		http.ServeContent(w, r, "changes.atom", modified, bytes.NewReader(body))
	})
}

// feedKinds parses the kinds parameter into distinct kinds in the API's
// order; none means every kind.
func feedKinds(params []string) ([]registry.ChangeKind, error) {
	seen := map[registry.ChangeKind]bool{}
	for _, p := range params {
		for _, k := range strings.Split(p, ",") {
			k = strings.ToUpper(strings.TrimSpace(k))
			if k == "" {
				continue
			}
			if !registry.ValidEnum("ChangeKind", k) {
				return nil, fmt.Errorf("kinds: %q is not a change kind; use %s", k, strings.Join(registry.EnumValues("ChangeKind"), ", "))
			}
			seen[registry.ChangeKind(k)] = true
		}
	}
	var kinds []registry.ChangeKind
	for _, k := range registry.EnumValues("ChangeKind") {
		if seen[registry.ChangeKind(k)] {
			kinds = append(kinds, registry.ChangeKind(k))
		}
	}
	if len(kinds) == len(registry.EnumValues("ChangeKind")) {
		return nil, nil // every kind: the same feed as no filter
	}
	return kinds, nil
}

func renderFeed(base url.URL, kinds []registry.ChangeKind, events []*catalog.FeedEvent) ([]byte, error) {
	self := base.JoinPath("changes.atom")
	feed := atomFeed{
		ID:      "urn:oversight:changes",
		Title:   atomText{Type: "text", Text: "Oversight: changes"},
		Sub:     &atomText{Type: "text", Text: "Entries created, updated, corrected and retracted in the Oversight registry of surveillance technology used against freedom of religion or belief, newest first."},
		Updated: atomTime(time.Unix(0, 0)), // no change yet: a fixed time keeps the feed, and its ETag, stable
		Author:  atomPerson{Name: "Oversight"},
	}
	switch {
	case slices.Equal(kinds, correctionKinds):
		feed.ID = "urn:oversight:corrections"
		feed.Title.Text = "Oversight: corrections"
		feed.Sub.Text = "The public corrections log of the Oversight registry: entries corrected or retracted, newest first."
		self.RawQuery = "kinds=" + strings.Join(strs(kinds), ",")
	case len(kinds) > 0:
		names := strings.Join(strs(kinds), ",")
		feed.ID = "urn:oversight:changes:" + names
		feed.Title.Text = "Oversight: changes (" + strings.ToLower(strings.Join(strs(kinds), ", ")) + ")"
		self.RawQuery = "kinds=" + names
	}
	feed.Links = []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self.String()}}
	if len(events) > 0 {
		feed.Updated = atomTime(events[0].At)
	}
	api := *base.JoinPath("graphql")
	for _, ev := range events {
		e, err := feedEntry(api, ev)
		if err != nil {
			return nil, err
		}
		feed.Entries = append(feed.Entries, e)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(feed); err != nil {
		return nil, fmt.Errorf("encode feed: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// feedEntry is one change as an Atom entry. Its alternate link is a GET of
// the GraphQL API (feedEntryQuery): there is no web page per entry, and the
// API's answer is the entry itself with the version this change published.
func feedEntry(api url.URL, ev *catalog.FeedEvent) (atomEntry, error) {
	gid := entryID(ev.EntryType, ev.EntryID)
	vars, err := json.Marshal(map[string]string{"id": gid, "at": ev.At.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return atomEntry{}, err
	}
	api.RawQuery = url.Values{"query": {feedEntryQuery}, "variables": {string(vars)}}.Encode()
	label := entryLabels[ev.EntryType]
	if label == "" {
		label = string(ev.EntryType)
	}
	title := strings.Join(slices.DeleteFunc([]string{label, ev.Label, strings.ToLower(string(ev.Kind)),
		"(version " + strconv.Itoa(ev.Version) + ")"}, func(s string) bool { return s == "" }), " ")
	e := atomEntry{
		ID:      "urn:oversight:change:" + strconv.FormatInt(ev.ID, 10),
		Title:   atomText{Type: "text", Text: title},
		Updated: atomTime(ev.At),
		Links:   []atomLink{{Rel: "alternate", Type: "application/json", Href: api.String()}},
		Categories: []atomCategory{
			{Scheme: "urn:oversight:change-kind", Term: string(ev.Kind), Label: strings.ToLower(string(ev.Kind))},
			{Scheme: "urn:oversight:entry-type", Term: string(ev.EntryType), Label: label},
		},
		Content: &atomText{Type: "text", Text: fmt.Sprintf("Oversight ID %s: the GraphQL API at %s returns the entry for node(id: %q).",
			gid, apiPath(api), gid)},
	}
	if ev.Summary != nil && strings.TrimSpace(*ev.Summary) != "" {
		e.Summary = &atomText{Type: "text", Text: *ev.Summary}
	}
	return e, nil
}

func apiPath(api url.URL) string {
	api.RawQuery = ""
	return api.String()
}

// atomTime writes a moment as RFC 3339, in UTC, to the second.
func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
