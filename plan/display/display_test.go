package display

import (
	"math"
	"testing"
)

func TestShortID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"0123456789ab", "0123456789ab"},
		{"0123456789abcdef", "0123456789ab"},
	}
	for _, tt := range tests {
		if got := ShortID(tt.in); got != tt.want {
			t.Errorf("ShortID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBytes(t *testing.T) {
	tests := []struct {
		in          int64
		want, wantI string
	}{
		{0, "0 B", "0 B"},
		{999, "999 B", "999 B"},
		{1000, "1.0 kB", "1000 B"},
		{1023, "1.0 kB", "1023 B"},
		{1024, "1.0 kB", "1.0 KiB"},
		{33075, "33.1 kB", "32.3 KiB"},
		{12_300_000, "12.3 MB", "11.7 MiB"},
		{5 << 30, "5.4 GB", "5.0 GiB"},
		{math.MaxInt64, "9.2 EB", "8.0 EiB"},
	}
	for _, tt := range tests {
		if got := Bytes(tt.in); got != tt.want {
			t.Errorf("Bytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if got := IBytes(tt.in); got != tt.wantI {
			t.Errorf("IBytes(%d) = %q, want %q", tt.in, got, tt.wantI)
		}
	}
}
