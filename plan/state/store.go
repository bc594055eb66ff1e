package state

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// FlushDelay bounds how long a change made with [Store.UpdateSoon] stays only in memory.
const FlushDelay = 100 * time.Millisecond

// Store holds the state of one apply in memory and persists it after each change. It is
// safe for concurrent use; every change goes through [Store.Update].
//
// Writes are group commits: an Update returns only once its change is on disk, but changes
// made by concurrent Updates while a write is under way are written together by the next
// one, so a busy apply writes the file far fewer times than it changes it, and never
// acknowledges a change that a crash could lose.
type Store struct {
	path string

	mu   sync.Mutex
	cond *sync.Cond
	f    *File
	// saved is the SHA-256 of the canonical form, with serial zeroed, of the content last
	// known to be on disk (or given to NewStore); nil when unknown, so the next write
	// writes. A digest, not the bytes: keeping them would hold a second copy of the file
	// in memory for the whole apply, growing with every run it records.
	saved *[sha256.Size]byte
	// changes counts the Updates applied in memory; durable is the count known to be on
	// disk, failed the count that the last failed write covered, with err its error.
	changes, durable, failed uint64
	err                      error
	// writing is true while one Update is writing for everyone.
	writing bool
	// writes counts the files written, for tests and benchmarks.
	writes int
	// enc is used by the one Update writing at a time.
	enc encoder
	// soon is true while a write of changes made with UpdateSoon is scheduled.
	soon bool
}

// NewStore returns a store for the state file at path that starts from a copy of f, which
// is taken to be what the file holds now (f as loaded, or a fresh [New] file not yet
// written). Nothing is written until an [Store.Update] changes the content.
func NewStore(path string, f *File) *Store {
	s := &Store{path: path, f: f.Clone()}
	s.cond = sync.NewCond(&s.mu)
	if content, err := contentBytes(s.f); err == nil { // else saved stays nil: the first Update writes
		sum := sha256.Sum256(content)
		s.saved = &sum
	}
	return s
}

// Snapshot returns a deep copy of the current state.
func (s *Store) Snapshot() *File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Clone()
}

// Writes returns how many times the store has written the file.
func (s *Store) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Update applies fn to the state under the store's mutex and returns once the change is on
// disk: if the content changed (serial aside), a write with [WriteAtomic] increments the
// serial. When nothing changed nothing is written and the serial stays. Concurrent Updates
// share writes: one of them writes the state with every change made so far while the others
// wait for it. The store owns the serial: a change fn makes to it is undone. fn must not
// keep references into the state after it returns. When writing fails the change stays in
// memory, every Update the write covered returns the error, and the next write includes
// the change again.
func (s *Store) Update(fn func(f *File)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wait(s.apply(fn))
}

// UpdateSoon applies fn to the state like [Store.Update] but returns without waiting for
// the write: the change is on disk within [FlushDelay] and the time of one write, or sooner
// when another Update writes first, as every write holds every change made so far. Should
// that write fail, the next Update or Flush writes the change again and returns the error. Use it for changes that can be recomputed
// after a crash (a run's end: its samples are in its journal, and a run state records as
// running is resumed from it); [Store.Flush] waits for them.
func (s *Store) UpdateSoon(fn func(f *File)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apply(fn)
	if !s.soon {
		s.soon = true
		time.AfterFunc(FlushDelay, func() { _ = s.Flush() })
	}
}

// Flush returns once every change made so far is on disk, writing them if need be.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.soon = false
	return s.wait(s.changes)
}

// apply applies fn to the state and counts the change.
func (s *Store) apply(fn func(f *File)) uint64 {
	serial := s.f.Serial
	fn(s.f)
	s.f.Serial = serial
	if s.f.Outputs == nil {
		s.f.Outputs = map[string]Output{}
	}
	if s.f.Resources == nil {
		s.f.Resources = map[string]*Resource{}
	}
	s.changes++
	return s.changes
}

// wait returns once the changes up to mine are on disk, writing them unless another Update
// is writing; or with the error of the write that covered them.
func (s *Store) wait(mine uint64) error {
	for {
		switch {
		case s.durable >= mine:
			return nil
		case s.failed >= mine:
			return s.err
		case s.writing:
			s.cond.Wait()
		default:
			s.write()
		}
	}
}

// write writes every change made so far. It is called, and returns, with s.mu held, which
// it releases while encoding and writing so that other Updates can proceed. Under the lock
// it takes the resources' plain encodings (encoder.plain), not a deep copy of the state:
// a copy as large as the state on every write would grow an apply's memory with each run
// it records.
func (s *Store) write() {
	s.writing = true
	upto := s.changes
	p, err := s.enc.plain(s.f)
	saved := s.saved
	s.mu.Unlock()
	var sum *[sha256.Size]byte
	written := false
	if err == nil {
		sum, written, err = s.encodeAndWrite(p, saved)
	}
	s.mu.Lock()
	s.writing = false
	defer s.cond.Broadcast()
	if err != nil {
		s.failed, s.err = upto, fmt.Errorf("update state %s: %w", s.path, err)
		return
	}
	if written {
		s.writes++
		s.f.Serial = p.serial + 1
	}
	s.saved, s.durable = sum, upto
}

// encodeAndWrite writes the state p stands for, with its serial incremented, unless the
// digest of its content equals saved. It reports the digest of the content written (or
// found unchanged) and whether it wrote.
func (s *Store) encodeAndWrite(p *plain, saved *[sha256.Size]byte) (*[sha256.Size]byte, bool, error) {
	content, err := s.enc.assemble(p)
	if err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(content)
	if saved != nil && sum == *saved {
		return &sum, false, nil
	}
	var data []byte
	if p.clone != nil {
		p.clone.Serial = p.serial + 1
		data, err = Marshal(p.clone)
	} else {
		data = withSerial(content, p.serial+1) // content is not used again: it may reuse it
	}
	if err == nil {
		err = WriteAtomic(s.path, data)
	}
	if err != nil {
		return nil, false, err
	}
	return &sum, true, nil
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

// withSerial returns the file's bytes with serial given content, its canonical bytes with
// the serial zeroed (ending with zeroSerialTail), without encoding the whole document again.
// It writes the serial over content's own tail (no copy of a file that may hold thousands
// of runs): content is spent.
func withSerial(content []byte, serial int64) []byte {
	head := content[:len(content)-len(zeroSerialTail)]
	return fmt.Appendf(head, "\n  \"serial\": %d\n}\n", serial)
}
