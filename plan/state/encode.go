package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// encoder produces the canonical bytes of a file ([Marshal]'s output) for a [Store] that
// writes the same file again and again: it keeps each resource's canonical form and
// re-canonicalises only the resources whose plain encoding changed since the last call, so
// a write of a state with thousands of runs costs one json.Marshal per resource instead of
// encoding, decoding and encoding the whole document.
type encoder struct {
	cache map[string]encoded
	// size is the length of the last content, the next one's likely size.
	size int
}

// encoded is the SHA-256 of one resource's plain encoding and its canonical form, indented
// to sit under "resources". The digest stands for the plain encoding, which the cache
// would otherwise keep for every resource, a copy of the file the apply does not need.
type encoded struct {
	sum   [sha256.Size]byte
	canon []byte
}

// resourcesHole is where the skeleton (the file without resources) holds the resources.
var resourcesHole = []byte("\n  \"resources\": {},\n")

// content returns the canonical bytes of f with the serial zeroed, equal to contentBytes(f).
func (e *encoder) content(f *File) ([]byte, error) {
	g := *f
	g.Serial = 0
	g.Resources = nil
	skeleton, err := Marshal(&g)
	if err != nil {
		return nil, err
	}
	at := bytes.Index(skeleton, resourcesHole)
	if at < 0 || len(f.Resources) == 0 {
		return contentBytes(f)
	}
	next := make(map[string]encoded, len(f.Resources))
	var buf bytes.Buffer
	buf.Grow(max(e.size, len(skeleton)+len(f.Resources)*1024) + 64) // a little room for withSerial
	buf.Write(skeleton[:at])
	buf.WriteString("\n  \"resources\": {")
	for i, addr := range slices.Sorted(maps.Keys(f.Resources)) {
		raw, err := json.Marshal(f.Resources[addr])
		if err != nil {
			return nil, fmt.Errorf("marshal state: %w", err)
		}
		sum := sha256.Sum256(raw)
		enc, ok := e.cache[addr]
		if !ok || enc.sum != sum {
			canon, err := canonical(raw)
			if err != nil {
				return nil, err
			}
			canon = bytes.ReplaceAll(bytes.TrimSuffix(canon, []byte("\n")), []byte("\n"), []byte("\n    "))
			enc = encoded{sum: sum, canon: canon}
		}
		next[addr] = enc
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		key, err := jsonString(addr)
		if err != nil {
			return nil, err
		}
		buf.Write(key)
		buf.WriteString(": ")
		buf.Write(enc.canon)
	}
	buf.WriteString("\n  },\n")
	buf.Write(skeleton[at+len(resourcesHole):])
	e.cache, e.size = next, buf.Len()
	return buf.Bytes(), nil
}

// jsonString encodes s as canonical does a key.
func jsonString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
