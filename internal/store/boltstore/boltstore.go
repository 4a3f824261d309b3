// Package boltstore is the embedded store driver, on bbolt: one file, one
// writer at a time, every commit synced to disk. Concurrent Update calls are
// group-committed: whatever is queued while a commit runs goes into the next
// one, so a lone writer never waits and many writers share one fsync.
package boltstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/lambkin/lambkin/internal/store"
)

// maxBatch bounds how many updates share one commit.
const maxBatch = 256

// DB is a store.Store on a bbolt file.
type DB struct {
	db      *bolt.DB
	updates chan *update
	stopped chan struct{}
	close   sync.Once
	err     error
}

type update struct {
	fn   func(store.Tx) error
	done chan error
}

// Open opens (creating if needed) the database file at path. A second
// process opening the same file fails after a short wait instead of
// blocking: bbolt holds an exclusive lock.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by another lambkin process", path)
	}
	if err != nil {
		return nil, err
	}
	d := &DB{db: db, updates: make(chan *update, maxBatch), stopped: make(chan struct{})}
	go d.commitLoop()
	return d, nil
}

// View implements store.Store.
func (d *DB) View(fn func(store.Tx) error) error {
	return d.db.View(func(tx *bolt.Tx) error { return fn(txn{tx}) })
}

// Update implements store.Store.
func (d *DB) Update(fn func(store.Tx) error) error {
	u := &update{fn: fn, done: make(chan error, 1)}
	d.updates <- u
	return <-u.done
}

// Close waits for queued updates to commit and closes the file. Calling it
// again returns the first call's result.
func (d *DB) Close() error {
	d.close.Do(func() {
		close(d.updates)
		<-d.stopped
		d.err = d.db.Close()
	})
	return d.err
}

func (d *DB) commitLoop() {
	defer close(d.stopped)
	for u := range d.updates {
		batch := []*update{u}
	drain:
		for len(batch) < maxBatch {
			select {
			case next, ok := <-d.updates:
				if !ok {
					break drain
				}
				batch = append(batch, next)
			default:
				break drain
			}
		}
		d.commit(batch)
	}
}

// commit runs a batch in one transaction. An update that fails is answered
// with its error and the rest of the batch is run again without it, so a
// failing update never keeps or loses anyone else's writes.
func (d *DB) commit(batch []*update) {
	for len(batch) > 0 {
		failed := -1
		var failErr error
		err := d.db.Update(func(tx *bolt.Tx) error {
			for i, u := range batch {
				if err := u.fn(txn{tx}); err != nil {
					failed, failErr = i, err
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, u := range batch {
				u.done <- err
			}
			return
		}
		batch[failed].done <- failErr
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}

type txn struct{ tx *bolt.Tx }

func (t txn) Get(bucket string, key []byte) []byte {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return b.Get(key)
}

func (t txn) Put(bucket string, key, value []byte) error {
	if !t.tx.Writable() {
		return store.ErrReadOnly
	}
	b, err := t.tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

func (t txn) Delete(bucket string, key []byte) error {
	if !t.tx.Writable() {
		return store.ErrReadOnly
	}
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return b.Delete(key)
}

func (t txn) Scan(bucket string, prefix, after []byte, fn func(k, v []byte) bool) error {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	c := b.Cursor()
	var k, v []byte
	if after != nil {
		k, v = c.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if !fn(k, v) {
			break
		}
	}
	return nil
}
