package database

import (
	"net/url"
	"regexp"
	"strings"
)

// redacted replaces a password in Redact's output.
const redacted = "xxxxx"

// dsnPassword matches password=... in a keyword/value connection string,
// quoted (password='a b', with backslash escapes) or not.
var dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.|'')*'|\S+)`)

// Redact returns databaseURL with any password replaced by "xxxxx", for logs
// and messages. It handles postgres:// URLs (password in the user info or in
// a password= query parameter) and keyword/value strings
// ("host=... password=..."), and falls back to cutting the user info out of
// anything that looks like a URL but does not parse.
func Redact(databaseURL string) string {
	if !strings.Contains(databaseURL, "://") {
		return dsnPassword.ReplaceAllString(databaseURL, "${1}"+redacted)
	}
	u, err := url.Parse(databaseURL)
	// An unescaped '#' or '/' in a password can still parse, as a host:port
	// followed by a fragment or path that holds the rest of the password:
	// an '@' outside the user info means the parse cannot be trusted.
	if err != nil || (u.User == nil && strings.Contains(databaseURL, "@")) {
		return redactUnparsed(databaseURL)
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	// Edit the raw query by hand: re-encoding it would escape host=/path
	// sockets and reorder parameters, making the display harder to compare.
	if u.RawQuery != "" {
		params := strings.Split(u.RawQuery, "&")
		for i, p := range params {
			key, _, _ := strings.Cut(p, "=")
			if k, err := url.QueryUnescape(key); err == nil && strings.EqualFold(k, "password") {
				params[i] = key + "=" + redacted
			}
		}
		u.RawQuery = strings.Join(params, "&")
	}
	return u.String()
}

// redactUnparsed cuts the password out of scheme://user:password@rest when
// url.Parse rejects the string (a password with a stray '%', say). The user
// info ends at the last '@' before the path, since passwords may contain '@'.
func redactUnparsed(s string) string {
	schemeEnd := strings.Index(s, "://") + len("://")
	rest := s[schemeEnd:]
	authorityEnd := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		// A '/' may be part of the password: only trust it after the last '@'.
		if at := strings.LastIndex(rest, "@"); at > i {
			if j := strings.IndexAny(rest[at:], "/?#"); j >= 0 {
				authorityEnd = at + j
			}
		} else {
			authorityEnd = i
		}
	}
	authority := rest[:authorityEnd]
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return dsnPassword.ReplaceAllString(s, "${1}"+redacted)
	}
	userInfo := authority[:at]
	if name, _, hasPassword := strings.Cut(userInfo, ":"); hasPassword {
		userInfo = name + ":" + redacted
	}
	return s[:schemeEnd] + userInfo + authority[at:] + dsnPassword.ReplaceAllString(rest[authorityEnd:], "${1}"+redacted)
}
