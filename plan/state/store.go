package state

import (
	"bytes"
	"fmt"
	"sync"
)

// Store holds the state of one apply in memory and persists it after each change. It is
// safe for concurrent use; every change goes through [Store.Update].
type Store struct {
	path string

	mu sync.Mutex
	f  *File
	// saved is the canonical form, with serial zeroed, of the content last known to be on
	// disk (or given to NewStore); nil when unknown, so the next Update writes.
	saved []byte
}

// NewStore returns a store for the state file at path that starts from a copy of f, which
// is taken to be what the file holds now (f as loaded, or a fresh [New] file not yet
// written). Nothing is written until an [Store.Update] changes the content.
func NewStore(path string, f *File) *Store {
	s := &Store{path: path, f: f.Clone()}
	s.saved, _ = contentBytes(s.f) // on error saved stays nil: the first Update writes
	return s
}

// Snapshot returns a deep copy of the current state.
func (s *Store) Snapshot() *File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Clone()
}

// Update applies fn to the state under the store's mutex, then, if the content changed
// (serial aside), increments the serial and writes the file with [WriteAtomic]. When
// nothing changed it writes nothing and the serial stays. The store owns the serial: a
// change fn makes to it is undone. fn must not keep references into the state after it
// returns. When writing fails the change stays in memory and the
// next Update writes it again.
func (s *Store) Update(fn func(f *File)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	serial := s.f.Serial
	fn(s.f)
	s.f.Serial = serial
	if s.f.Outputs == nil {
		s.f.Outputs = map[string]Output{}
	}
	if s.f.Resources == nil {
		s.f.Resources = map[string]*Resource{}
	}
	content, err := contentBytes(s.f)
	if err != nil {
		return fmt.Errorf("update state %s: %w", s.path, err)
	}
	if s.saved != nil && bytes.Equal(content, s.saved) {
		return nil
	}
	s.f.Serial++
	data, err := withSerial(content, s.f)
	if err == nil {
		err = WriteAtomic(s.path, data)
	}
	if err != nil {
		s.f.Serial--
		return fmt.Errorf("update state %s: %w", s.path, err)
	}
	s.saved = content
	return nil
}

// contentBytes returns the canonical bytes of f with the serial zeroed.
func contentBytes(f *File) ([]byte, error) {
	g := *f
	g.Serial = 0
	return Marshal(&g)
}

// zeroSerialTail ends the canonical bytes of a file with serial 0: "serial" sorts last
// among the top-level keys.
var zeroSerialTail = []byte("\n  \"serial\": 0\n}\n")

// withSerial returns Marshal(f) given content, the canonical bytes of f with the serial
// zeroed, without encoding the whole document again.
func withSerial(content []byte, f *File) ([]byte, error) {
	if !bytes.HasSuffix(content, zeroSerialTail) {
		return Marshal(f)
	}
	head := content[:len(content)-len(zeroSerialTail)]
	tail := fmt.Sprintf("\n  \"serial\": %d\n}\n", f.Serial)
	return append(head[:len(head):len(head)], tail...), nil
}
