package openai

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// cacheBucket is the bbolt bucket holding responses.
var cacheBucket = []byte("responses")

// Defaults of CacheOptions.
const (
	DefaultCacheBatch      = 256
	DefaultCacheFlushEvery = 100 * time.Millisecond
	DefaultCacheLockWait   = time.Second
)

// Errors of OpenCache. Test them with errors.Is.
var (
	// ErrCacheLocked marks a cache file held by another process (or another open in this
	// one) past CacheOptions.LockWait.
	ErrCacheLocked = errors.New("response cache in use by another evalplan")
	// ErrCacheDamaged marks a cache file that is not a readable bbolt database.
	ErrCacheDamaged = errors.New("response cache damaged")
)

// CacheOptions configures a Cache. Zero fields take their defaults.
type CacheOptions struct {
	// BatchSize is how many entries one write transaction commits at most (default 256).
	BatchSize int
	// FlushEvery bounds how long an entry waits for its transaction (default 100ms).
	FlushEvery time.Duration
	// LockWait is how long OpenCache waits for another process to release the file
	// (default 1s).
	LockWait time.Duration
	// Shared opens the file for many processes at once, such as cluster jobs on one shared
	// cache_dir: the file is read under a shared lock, and this Cache's new entries go to
	// an overlay file of its own beside it (PATH.d/*.bbolt), merged into the file when it
	// is closed if no other process reads the file then, else by the next Cache that opens
	// the file alone (a shared Cache's Close, or any Cache not Shared).
	Shared bool
	// OnError, when set, receives failures to read or write the cache. They never fail a
	// request: a read failure is a miss, a write failure loses the entry. A damaged file
	// (ErrCacheDamaged, bbolt panics included) is reported once and turns the cache off.
	OnError func(error)
}

// CacheStats counts a Cache's work since it was opened.
type CacheStats struct {
	Hits, Misses int64
	// Writes counts entries committed to disk; Commits the transactions that held them.
	Writes, Commits int64
	// Errors counts failed reads and writes.
	Errors int64
}

// Cache is an on-disk response cache: one bbolt file mapping a request key to the JSON of
// its successful Response. Reads run concurrently; writes go through one writer goroutine
// that commits them in batches (BatchSize entries or FlushEvery, whichever comes first),
// so thousands of responses a second cost a few fsyncs. Entries not yet committed are
// already served from memory. It is safe for concurrent use.
//
// bbolt locks the file for one process. A second evalplan using the same file does not
// block: OpenCache gives up after LockWait with an error that says so. Sharing a file
// between processes would mean reopening it per transaction, which the batching exists
// to avoid.
type Cache struct {
	// db is the file; wdb is where new entries are written: db, or a Shared Cache's
	// overlay (at overlay).
	db, wdb *bolt.DB
	overlay string
	path    string
	batch   int
	every   time.Duration
	onError func(error)

	// pending holds entries sent to the writer and not yet committed: string(key) → value.
	pending sync.Map
	writes  chan cacheEntry
	done    chan struct{}
	// mu guards closed against sends on a closed writes channel.
	mu     sync.RWMutex
	closed bool

	hits, misses, written, commits, errs atomic.Int64
	// broken is set once a read or write found the file damaged: later lookups miss and
	// later writes are dropped, without touching the file again.
	broken atomic.Bool
}

type cacheEntry struct {
	key, value []byte
}

// cachedResponse is the stored form of a Response.
type cachedResponse struct {
	Text         string `json:"text"`
	FinishReason string `json:"finish_reason"`
	Usage        Usage  `json:"usage"`
	// Answered marks an entry written since replies without an answer (ErrNoAnswer) became
	// errors. Older entries with empty text may be such replies, stored as "" and scored 0:
	// get treats them as misses, so a cache filled while a server misbehaved heals itself.
	Answered bool `json:"answered"`
	// Body is the whole reply to a raw request (Request.Body).
	Body json.RawMessage `json:"body,omitempty"`
}

// OpenCache opens or creates the cache file at path, for example
// <cache_dir>/responses.bbolt, and starts its writer. Close it to flush pending writes.
func OpenCache(path string, o CacheOptions) (*Cache, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultCacheBatch
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = DefaultCacheFlushEvery
	}
	if o.LockWait <= 0 {
		o.LockWait = DefaultCacheLockWait
	}
	var (
		db, wdb *bolt.DB
		overlay string
		err     error
	)
	if o.Shared {
		db, wdb, overlay, err = openShared(path, o.LockWait)
	} else {
		db, err = openBolt(path, o.LockWait)
		if err == nil {
			wdb = db
			mergeOverlays(db, path, o.OnError)
		}
	}
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open response cache %s: %w; wait for it to finish, or turn the cache off (cache = false, apply -no-cache): %w", path, ErrCacheLocked, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open response cache %s: %w", path, err)
	}
	c := &Cache{
		db:      db,
		wdb:     wdb,
		overlay: overlay,
		path:    path,
		batch:   o.BatchSize,
		every:   o.FlushEvery,
		onError: o.OnError,
		writes:  make(chan cacheEntry, o.BatchSize),
		done:    make(chan struct{}),
	}
	go c.writer()
	return c, nil
}

// openBolt opens the file and checks it, turning bbolt's panics on damaged pages into
// ErrCacheDamaged.
func openBolt(path string, lockWait time.Duration) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, damaged(p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait})
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
		return nil, damaged(err)
	}
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(cacheBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// damaged is the error of a damaged cache file, with what to do about it.
func damaged(cause any) error {
	return fmt.Errorf("%w (%v): move it aside or apply with -no-cache", ErrCacheDamaged, cause)
}

// Close commits pending writes, stops the writer and closes the file. Later lookups miss
// and later writes are dropped.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.writes)
	c.mu.Unlock()
	<-c.done
	var errs []error
	if c.wdb != c.db {
		errs = append(errs, c.wdb.Close())
	}
	errs = append(errs, c.db.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close response cache %s: %w", c.path, err)
	}
	if c.overlay != "" && !c.broken.Load() {
		// Merge now if no other process reads the file; else the next one alone does.
		if db, err := bolt.Open(c.path, 0o600, &bolt.Options{Timeout: mergeLockWait}); err == nil {
			mergeOverlays(db, c.path, c.onError)
			db.Close()
		}
	}
	return nil
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(),
		Writes: c.written.Load(), Commits: c.commits.Load(),
		Errors: c.errs.Load(),
	}
}

// CacheKey is the key of req under namespace: sha256(namespace || 0x00 || BodyKey(req)).
// The namespace is the endpoint's canonical fingerprint, so two endpoints never share
// entries; BodyKey leaves out transport fields such as stream.
func CacheKey(namespace []byte, req *Request) ([]byte, error) {
	body, err := BodyKey(req)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(namespace)
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil), nil
}

// get returns the response stored under key, or false.
func (c *Cache) get(key []byte) (*Response, bool) {
	var data []byte
	if v, ok := c.pending.Load(string(key)); ok {
		data = v.([]byte)
	} else {
		c.mu.RLock()
		defer c.mu.RUnlock()
		if c.closed || c.broken.Load() {
			return nil, false
		}
		err := c.view(key, &data)
		if err != nil {
			c.fail(fmt.Errorf("read response cache %s: %w", c.path, err))
			return nil, false
		}
	}
	if data == nil {
		return nil, false
	}
	var cr cachedResponse
	if err := json.Unmarshal(data, &cr); err != nil {
		c.fail(fmt.Errorf("read response cache %s: entry %x: %w", c.path, key, err))
		return nil, false
	}
	if !cr.Answered && cr.Text == "" {
		return nil, false
	}
	return &Response{Text: cr.Text, FinishReason: cr.FinishReason, Usage: cr.Usage, Body: cr.Body, Cached: true}, true
}

// view reads key into data; a panic of bbolt on a damaged page is an ErrCacheDamaged error.
func (c *Cache) view(key []byte, data *[]byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = damaged(p)
		}
	}()
	for _, db := range []*bolt.DB{c.wdb, c.db} {
		err := db.View(func(tx *bolt.Tx) error {
			if v := tx.Bucket(cacheBucket).Get(key); v != nil {
				*data = append([]byte(nil), v...)
			}
			return nil
		})
		if err != nil || *data != nil || c.wdb == c.db {
			return err
		}
	}
	return nil
}

// put queues resp for the writer under key.
func (c *Cache) put(key []byte, resp *Response) {
	cr := cachedResponse{Text: resp.Text, FinishReason: resp.FinishReason, Usage: resp.Usage, Answered: true}
	if json.Valid(resp.Body) {
		cr.Body = resp.Body
	}
	value, err := json.Marshal(cr)
	if err != nil {
		c.fail(fmt.Errorf("write response cache %s: %w", c.path, err))
		return
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed || c.broken.Load() {
		return
	}
	c.pending.Store(string(key), value)
	c.writes <- cacheEntry{key: key, value: value}
}

// writer commits queued entries in batches until writes is closed.
func (c *Cache) writer() {
	defer close(c.done)
	var batch []cacheEntry
	timer := time.NewTimer(c.every)
	timer.Stop()
	defer timer.Stop()
	flush := func() {
		timer.Stop()
		if len(batch) > 0 {
			c.commit(batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case e, ok := <-c.writes:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) == 1 {
				timer.Reset(c.every)
			}
			if len(batch) >= c.batch {
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// commit writes batch in one transaction and drops its entries from pending.
func (c *Cache) commit(batch []cacheEntry) {
	var err error
	if c.broken.Load() {
		err = ErrCacheDamaged
	} else {
		err = c.update(batch)
	}
	if err != nil {
		c.fail(fmt.Errorf("write response cache %s: %d entries lost: %w", c.path, len(batch), err))
	} else {
		c.written.Add(int64(len(batch)))
		c.commits.Add(1)
	}
	for _, e := range batch {
		c.pending.Delete(string(e.key))
	}
}

// update writes batch in one transaction; a panic of bbolt on a damaged page is an
// ErrCacheDamaged error.
func (c *Cache) update(batch []cacheEntry) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = damaged(p)
		}
	}()
	return c.wdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(cacheBucket)
		for _, e := range batch {
			if err := b.Put(e.key, e.value); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *Cache) fail(err error) {
	c.errs.Add(1)
	if errors.Is(err, ErrCacheDamaged) && c.broken.Swap(true) {
		return // reported once
	}
	if c.onError != nil {
		c.onError(err)
	}
}

// Cached is a Doer that answers a request from Cache when an equal request under the same
// Namespace succeeded before, and stores Next's successful responses otherwise. A hit has
// Response.Cached set and Attempts 0. Errors are never cached, and a 200 without an answer
// is an error (ErrNoAnswer): only a reply that would be scored is stored. Leaving the layer out turns
// the cache off.
type Cached struct {
	Next  Doer
	Cache *Cache
	// Namespace is the endpoint's canonical fingerprint JSON.
	Namespace []byte
	// ReadOnly serves hits but stores nothing.
	ReadOnly bool
}

// Do implements Doer.
func (c *Cached) Do(ctx context.Context, req *Request) (*Response, error) {
	key, err := CacheKey(c.Namespace, req)
	if err != nil {
		// Not a valid request: let Next report it.
		return c.Next.Do(ctx, req)
	}
	if resp, ok := c.Cache.get(key); ok && (req.Body == nil || resp.Body != nil) {
		c.Cache.hits.Add(1)
		return resp, nil
	}
	c.Cache.misses.Add(1)
	resp, err := c.Next.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if !c.ReadOnly {
		c.Cache.put(key, resp)
	}
	return resp, nil
}
