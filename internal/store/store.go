// Package store defines lambkin's embedded database: named buckets of
// ordered key/value pairs with serializable transactions. The service layer
// keeps its records in it; drivers (boltstore is the embedded default) make
// every committed Update durable before it returns.
package store

import "errors"

// Store is a transactional, ordered key/value database.
type Store interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction and commits it durably
	// before returning. Drivers may run concurrent updates in one commit,
	// so fn can run more than once and must have no effects outside tx.
	// When fn returns an error nothing it wrote is kept.
	Update(fn func(Tx) error) error
	Close() error
}

// Tx is one transaction. Byte slices returned by Get and Scan are valid only
// until the transaction ends; copy what must outlive it.
type Tx interface {
	// Get returns the value at key, or nil when there is none.
	Get(bucket string, key []byte) []byte
	Put(bucket string, key, value []byte) error
	// Delete removes key; removing an absent key is not an error.
	Delete(bucket string, key []byte) error
	// Scan calls fn for each key that starts with prefix, in ascending key
	// order, beginning after the key `after` when it is not nil. It stops
	// when fn returns false.
	Scan(bucket string, prefix, after []byte, fn func(k, v []byte) bool) error
}

// ErrReadOnly is returned by writes inside View.
var ErrReadOnly = errors.New("store: write in a read-only transaction")
