package display

import "fmt"

// shortLen is how many characters of an identity [ShortID] keeps.
const shortLen = 12

// ShortID returns the first 12 characters of an identity or sha256 digest, or id itself
// when it is shorter.
func ShortID(id string) string {
	if len(id) > shortLen {
		return id[:shortLen]
	}
	return id
}

// Bytes formats a size in powers of 1000, as docker does: "999 B", "12.3 MB".
func Bytes(n int64) string {
	return scaled(n, 1000, "kMGTPE", "B")
}

// IBytes formats a size in powers of 1024: "999 B", "32.3 KiB".
func IBytes(n int64) string {
	return scaled(n, 1024, "KMGTPE", "iB")
}

// scaled writes n in the largest power of unit it reaches, with one decimal; prefixes[i]
// names unit^(i+1).
func scaled(n, unit int64, prefixes, suffix string) string {
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := unit, 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %c%s", float64(n)/float64(div), prefixes[exp], suffix)
}
