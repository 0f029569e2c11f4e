package registry

import "testing"

func TestCountryCodeList(t *testing.T) {
	// 249 officially assigned ISO 3166-1 alpha-2 codes, plus XK.
	if got, want := len(countryCodes), 250; got != want {
		t.Fatalf("len(countryCodes) = %d, want %d", got, want)
	}
}
