package boltstore

import (
	"path/filepath"
	"testing"

	"github.com/lambkin/lambkin/internal/store"
	"github.com/lambkin/lambkin/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	paths := map[store.Store]string{}
	open := func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "db")
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		paths[db] = path
		t.Cleanup(func() { db.Close() })
		return db
	}
	reopen := func(t *testing.T, s store.Store) store.Store {
		path := paths[s]
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	storetest.Run(t, open, reopen)
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(path); err == nil {
		t.Fatal("second open of a locked file succeeded")
	}
}
