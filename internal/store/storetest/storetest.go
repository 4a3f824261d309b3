// Package storetest is the conformance suite every store driver must pass.
package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lambkin/lambkin/internal/store"
)

// Run runs the suite. open returns a fresh, empty store; reopen closes s and
// opens the same database again (to check durability).
func Run(t *testing.T, open func(t *testing.T) store.Store, reopen func(t *testing.T, s store.Store) store.Store) {
	t.Run("GetPutDelete", func(t *testing.T) { testGetPutDelete(t, open(t)) })
	t.Run("ScanOrderPrefixAfter", func(t *testing.T) { testScan(t, open(t)) })
	t.Run("FailedUpdateKeepsNothing", func(t *testing.T) { testFailedUpdate(t, open(t)) })
	t.Run("ViewIsReadOnly", func(t *testing.T) { testViewReadOnly(t, open(t)) })
	t.Run("ConcurrentUpdatesAllCommit", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("CommittedSurvivesReopen", func(t *testing.T) {
		s := open(t)
		mustUpdate(t, s, func(tx store.Tx) error { return tx.Put("b", []byte("k"), []byte("v")) })
		s = reopen(t, s)
		if got := get(t, s, "b", "k"); got != "v" {
			t.Fatalf("after reopen got %q", got)
		}
	})
}

func mustUpdate(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s store.Store, bucket, key string) string {
	t.Helper()
	var out string
	if err := s.View(func(tx store.Tx) error {
		out = string(tx.Get(bucket, []byte(key)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func testGetPutDelete(t *testing.T, s store.Store) {
	if got := get(t, s, "none", "k"); got != "" {
		t.Fatalf("missing bucket gave %q", got)
	}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Put("b", []byte("k"), []byte("v1")) })
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Put("b", []byte("k"), []byte("v2")) })
	if got := get(t, s, "b", "k"); got != "v2" {
		t.Fatalf("got %q, want v2", got)
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.Delete("b", []byte("k")); err != nil {
			return err
		}
		return tx.Delete("b", []byte("absent"))
	})
	if got := get(t, s, "b", "k"); got != "" {
		t.Fatalf("deleted key gave %q", got)
	}
}

func testScan(t *testing.T, s store.Store) {
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, k := range []string{"a/3", "a/1", "b/1", "a/2", "a"} {
			if err := tx.Put("b", []byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	scan := func(prefix, after string, limit int) string {
		var keys []string
		var afterKey []byte
		if after != "" {
			afterKey = []byte(after)
		}
		if err := s.View(func(tx store.Tx) error {
			return tx.Scan("b", []byte(prefix), afterKey, func(k, v []byte) bool {
				if string(v) != "v"+string(k) {
					t.Errorf("value for %s is %s", k, v)
				}
				keys = append(keys, string(k))
				return len(keys) < limit
			})
		}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(keys, ",")
	}
	for _, c := range []struct {
		prefix, after string
		limit         int
		want          string
	}{
		{"a/", "", 10, "a/1,a/2,a/3"},
		{"a", "", 10, "a,a/1,a/2,a/3"},
		{"a/", "a/1", 10, "a/2,a/3"},
		{"a/", "a/15", 10, "a/2,a/3"},
		{"a/", "", 2, "a/1,a/2"},
		{"", "", 10, "a,a/1,a/2,a/3,b/1"},
		{"c", "", 10, ""},
	} {
		if got := scan(c.prefix, c.after, c.limit); got != c.want {
			t.Errorf("scan(%q after %q limit %d) = %s, want %s", c.prefix, c.after, c.limit, got, c.want)
		}
	}
}

func testFailedUpdate(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.Update(func(tx store.Tx) error {
		if err := tx.Put("b", []byte("k"), []byte("v")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if got := get(t, s, "b", "k"); got != "" {
		t.Fatalf("failed update left %q", got)
	}
}

func testViewReadOnly(t *testing.T, s store.Store) {
	err := s.View(func(tx store.Tx) error { return tx.Put("b", []byte("k"), []byte("v")) })
	if !errors.Is(err, store.ErrReadOnly) {
		t.Fatalf("got %v, want ErrReadOnly", err)
	}
}

// testConcurrent has many writers, some failing, increment counters; every
// successful update must be applied exactly once and no failed one at all.
func testConcurrent(t *testing.T, s store.Store) {
	const writers, rounds = 32, 20
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				fail := (w+r)%5 == 0
				err := s.Update(func(tx store.Tx) error {
					key := []byte("counter")
					var n int
					fmt.Sscan(string(tx.Get("c", key)), &n)
					if err := tx.Put("c", key, []byte(fmt.Sprint(n+1))); err != nil {
						return err
					}
					if fail {
						return errors.New("planned failure")
					}
					return tx.Put("c", []byte(fmt.Sprintf("w%02d/r%02d", w, r)), []byte("x"))
				})
				if (err != nil) != fail {
					t.Errorf("writer %d round %d: err %v, fail %v", w, r, err, fail)
				}
			}
		}(w)
	}
	wg.Wait()
	want := 0
	for w := 0; w < writers; w++ {
		for r := 0; r < rounds; r++ {
			if (w+r)%5 != 0 {
				want++
			}
		}
	}
	if got := get(t, s, "c", "counter"); got != fmt.Sprint(want) {
		t.Fatalf("counter = %s, want %d", got, want)
	}
}
