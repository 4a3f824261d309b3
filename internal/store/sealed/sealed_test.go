package sealed

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambkin/lambkin/internal/store"
	"github.com/lambkin/lambkin/internal/store/boltstore"
	"github.com/lambkin/lambkin/internal/store/storetest"
)

func key() []byte { return bytes.Repeat([]byte{7}, 32) }

func open(t *testing.T, path string, k []byte, buckets ...string) *Store {
	t.Helper()
	if buckets == nil {
		buckets = []string{"secret"}
	}
	db, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(db, k, buckets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The decorator must keep every store guarantee, for sealed buckets too:
// the suite's buckets are all sealed here.
func TestConformance(t *testing.T) {
	paths := map[store.Store]string{}
	opener := func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "db")
		db, err := boltstore.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := New(db, key(), "b", "c", "none")
		paths[s] = path
		t.Cleanup(func() { s.Close() })
		return s
	}
	reopen := func(t *testing.T, s store.Store) store.Store {
		path := paths[s]
		s.Close()
		return open(t, path, key(), "b", "c", "none")
	}
	storetest.Run(t, opener, reopen)
}

func TestValuesNeverReachTheFileInPlainText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path, key())
	secret := []byte(`{"Variables":{"DB_PASSWORD":"hunter2-very-secret"}}`)
	if err := s.Update(func(tx store.Tx) error { return tx.Put("secret", []byte("k"), secret) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("hunter2-very-secret")) {
		t.Fatal("the database file holds the secret in plain text")
	}
	s = open(t, path, key())
	s.View(func(tx store.Tx) error {
		if got := tx.Get("secret", []byte("k")); !bytes.Equal(got, secret) {
			t.Errorf("read back %q", got)
		}
		return nil
	})
}

func TestWrongKeyDoesNotOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path, key())
	s.Update(func(tx store.Tx) error { return tx.Put("secret", []byte("k"), []byte("v")) })
	s.Close()
	other := bytes.Repeat([]byte{9}, 32)
	s = open(t, path, other)
	err := s.View(func(tx store.Tx) error {
		return tx.Scan("secret", nil, nil, func(k, v []byte) bool { return true })
	})
	if err != ErrCorrupt {
		t.Fatalf("scan with the wrong key: %v", err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil || len(k1) != 32 {
		t.Fatalf("create: %v %d", err, len(k1))
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload gave another key: %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode())
	}
}
