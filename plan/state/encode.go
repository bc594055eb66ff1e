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

// plain is what a write takes of a state while it holds the store's lock: the canonical
// skeleton and, per resource in address order, its cached canonical form or, when its plain
// encoding changed, that encoding. It costs one json.Marshal per resource, as a deep copy of
// the state would, but keeps only what changed: a write of a state with thousands of runs
// holds no second copy of them while it canonicalises, assembles and writes.
type plain struct {
	// whole is the content itself when it is not spliced (no resources).
	whole []byte
	// skeleton is the file without resources, which it holds at at.
	skeleton []byte
	at       int
	res      []plainResource
	// clone is a copy of the state, taken only when the canonical bytes do not end with
	// the serial (zeroSerialTail), for the write to encode in full.
	clone *File
	// serial is the state's serial.
	serial int64
}

// plainResource is one resource of a plain: enc's canon is set when the cache had it, raw
// (the resource's plain encoding) when it must be canonicalised.
type plainResource struct {
	addr string
	enc  encoded
	raw  []byte
}

// content returns the canonical bytes of f with the serial zeroed, equal to contentBytes(f).
func (e *encoder) content(f *File) ([]byte, error) {
	p, err := e.plain(f)
	if err != nil {
		return nil, err
	}
	return e.assemble(p)
}

// plain takes what assemble needs of f, comparing each resource's plain encoding with the
// cache by its digest.
func (e *encoder) plain(f *File) (*plain, error) {
	g := *f
	g.Serial = 0
	g.Resources = nil
	skeleton, err := Marshal(&g)
	if err != nil {
		return nil, err
	}
	p := &plain{serial: f.Serial}
	if !bytes.HasSuffix(skeleton, zeroSerialTail) {
		p.clone = f.Clone()
	}
	at := bytes.Index(skeleton, resourcesHole)
	if at < 0 || len(f.Resources) == 0 {
		if p.whole, err = contentBytes(f); err != nil {
			return nil, err
		}
		return p, nil
	}
	p.skeleton, p.at = skeleton, at
	p.res = make([]plainResource, 0, len(f.Resources))
	for _, addr := range slices.Sorted(maps.Keys(f.Resources)) {
		raw, err := json.Marshal(f.Resources[addr])
		if err != nil {
			return nil, fmt.Errorf("marshal state: %w", err)
		}
		r := plainResource{addr: addr, enc: encoded{sum: sha256.Sum256(raw)}}
		if enc, ok := e.cache[addr]; ok && enc.sum == r.enc.sum {
			r.enc = enc
		} else {
			r.raw = raw
		}
		p.res = append(p.res, r)
	}
	return p, nil
}

// assemble returns the canonical bytes p stands for, canonicalising the resources that
// changed, and keeps every resource's canonical form for the next call.
func (e *encoder) assemble(p *plain) ([]byte, error) {
	if p.whole != nil {
		return p.whole, nil
	}
	next := make(map[string]encoded, len(p.res))
	var buf bytes.Buffer
	buf.Grow(max(e.size, len(p.skeleton)+len(p.res)*1024) + 64) // a little room for withSerial
	buf.Write(p.skeleton[:p.at])
	buf.WriteString("\n  \"resources\": {")
	for i, r := range p.res {
		if r.raw != nil {
			canon, err := canonical(r.raw)
			if err != nil {
				return nil, err
			}
			r.enc.canon = bytes.ReplaceAll(bytes.TrimSuffix(canon, []byte("\n")), []byte("\n"), []byte("\n    "))
		}
		next[r.addr] = r.enc
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		key, err := jsonString(r.addr)
		if err != nil {
			return nil, err
		}
		buf.Write(key)
		buf.WriteString(": ")
		buf.Write(r.enc.canon)
	}
	buf.WriteString("\n  },\n")
	buf.Write(p.skeleton[p.at+len(resourcesHole):])
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
