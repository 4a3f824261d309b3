// Package sealed is a store decorator that encrypts the values of chosen
// buckets with AES-256-GCM, so that what they hold (function
// configurations and their environment variables) never reaches the
// database file in plain text. Keys stay in the clear: they must sort.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lambkin/lambkin/internal/store"
)

// format tags sealed values, so a future key rotation can tell versions apart.
const format = 1

// Store seals the values of some buckets of an inner store.
type Store struct {
	inner   store.Store
	aead    cipher.AEAD
	buckets map[string]bool
}

// New wraps inner; values of the named buckets are sealed with key (32 bytes).
func New(inner store.Store, key []byte, buckets ...string) (*Store, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealed store: %w", err)
	}
	if len(key) != 32 {
		return nil, errors.New("sealed store: the key must be 32 bytes (AES-256)")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &Store{inner: inner, aead: aead, buckets: map[string]bool{}}
	for _, b := range buckets {
		s.buckets[b] = true
	}
	return s, nil
}

// View implements store.Store.
func (s *Store) View(fn func(store.Tx) error) error {
	return s.inner.View(func(tx store.Tx) error { return fn(txn{s, tx}) })
}

// Update implements store.Store.
func (s *Store) Update(fn func(store.Tx) error) error {
	return s.inner.Update(func(tx store.Tx) error { return fn(txn{s, tx}) })
}

// Close implements store.Store.
func (s *Store) Close() error { return s.inner.Close() }

// ErrCorrupt is returned for a sealed value that does not open: a wrong key
// or a damaged record.
var ErrCorrupt = errors.New("sealed store: value does not decrypt (wrong master key?)")

func (s *Store) seal(bucket string, key, value []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), 1+s.aead.NonceSize()+len(value)+s.aead.Overhead())
	rand.Read(nonce)
	out := append([]byte{format}, nonce...)
	// The key is authenticated too: a sealed value cannot be moved to
	// another record.
	return s.aead.Seal(out, nonce, value, append([]byte(bucket+"\x00"), key...))
}

func (s *Store) open(bucket string, key, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != format {
		return nil, ErrCorrupt
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], append([]byte(bucket+"\x00"), key...))
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

type txn struct {
	s  *Store
	tx store.Tx
}

func (t txn) Get(bucket string, key []byte) []byte {
	v := t.tx.Get(bucket, key)
	if v == nil || !t.s.buckets[bucket] {
		return v
	}
	plain, err := t.s.open(bucket, key, v)
	if err != nil {
		// Get has no error result; a record that does not open reads as
		// an empty one, which fails to decode loudly upstream.
		return []byte{}
	}
	return plain
}

func (t txn) Put(bucket string, key, value []byte) error {
	if t.s.buckets[bucket] {
		value = t.s.seal(bucket, key, value)
	}
	return t.tx.Put(bucket, key, value)
}

func (t txn) Delete(bucket string, key []byte) error { return t.tx.Delete(bucket, key) }

func (t txn) Scan(bucket string, prefix, after []byte, fn func(k, v []byte) bool) error {
	if !t.s.buckets[bucket] {
		return t.tx.Scan(bucket, prefix, after, fn)
	}
	var openErr error
	err := t.tx.Scan(bucket, prefix, after, func(k, v []byte) bool {
		plain, err := t.s.open(bucket, k, v)
		if err != nil {
			openErr = err
			return false
		}
		return fn(k, plain)
	})
	if err != nil {
		return err
	}
	return openErr
}

// LoadOrCreateKey reads a 32-byte key from path, creating it (mode 0600)
// with a random key when it does not exist.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("%s: a master key must be 32 bytes, found %d", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, 32)
	rand.Read(key)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, key, 0o600); err != nil {
		return nil, err
	}
	f, err := os.Open(tmp)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return key, nil
}
