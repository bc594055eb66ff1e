package openai

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// mergeLockWait bounds how long a closing Shared Cache waits to merge its overlay.
const mergeLockWait = 2 * time.Second

// overlayDir is the directory of the overlays of the cache file path.
func overlayDir(path string) string { return path + ".d" }

// openShared opens path read-only under a shared lock (creating it first when missing)
// and a new overlay file of this process beside it for writes.
func openShared(path string, lockWait time.Duration) (db, overlayDB *bolt.DB, overlay string, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		created, err := openBolt(path, lockWait)
		if err != nil {
			return nil, nil, "", err
		}
		if err := created.Close(); err != nil {
			return nil, nil, "", err
		}
	}
	if db, err = openReadOnly(path, lockWait); err != nil {
		return nil, nil, "", err
	}
	dir := overlayDir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		db.Close()
		return nil, nil, "", err
	}
	host, _ := os.Hostname()
	overlay = filepath.Join(dir, fmt.Sprintf("%s-%d-%d.bbolt", host, os.Getpid(), time.Now().UnixNano()))
	if overlayDB, err = openBolt(overlay, lockWait); err != nil {
		db.Close()
		return nil, nil, "", err
	}
	return db, overlayDB, overlay, nil
}

// openReadOnly opens path for reading under a shared lock; bbolt's panics on damaged
// pages are ErrCacheDamaged.
func openReadOnly(path string, lockWait time.Duration) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, damaged(p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockWait})
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
		return nil, damaged(err)
	}
	if err != nil {
		return nil, err
	}
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(cacheBucket) == nil {
			return fmt.Errorf("%w: no %s bucket", ErrCacheDamaged, cacheBucket)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// mergeOverlays copies the entries of every overlay of path that no process holds into
// db, which this process holds alone, and removes the overlay. An overlay still held (its
// process runs) is left for later.
func mergeOverlays(db *bolt.DB, path string, onError func(error)) {
	files, _ := filepath.Glob(filepath.Join(overlayDir(path), "*.bbolt"))
	for _, f := range files {
		if err := mergeOverlay(db, f); err != nil && !errors.Is(err, bolterrors.ErrTimeout) && onError != nil {
			onError(fmt.Errorf("merge response cache overlay %s: %w", f, err))
		}
	}
}

// mergeOverlay copies overlay's entries into db and removes it.
func mergeOverlay(db *bolt.DB, overlay string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = damaged(p)
		}
	}()
	ov, err := bolt.Open(overlay, 0o600, &bolt.Options{Timeout: 10 * time.Millisecond})
	if err != nil {
		return err
	}
	err = ov.View(func(otx *bolt.Tx) error {
		src := otx.Bucket(cacheBucket)
		if src == nil {
			return nil
		}
		return db.Update(func(tx *bolt.Tx) error {
			dst := tx.Bucket(cacheBucket)
			return src.ForEach(func(k, v []byte) error { return dst.Put(k, v) })
		})
	})
	if cerr := ov.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Remove(overlay)
}
