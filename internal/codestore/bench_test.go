package codestore

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkPutInspect5MB measures what CreateFunction does with a fresh
// 5 MB (incompressible) package: Inspect, then Put of new content.
func BenchmarkPutInspect5MB(b *testing.B) {
	data := make([]byte, 5<<20)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(data)
	// The comment sits at the very end: changing it makes new content and
	// leaves a valid zip.
	z := buildZip(b, "00000000", file("blob.bin", string(data)), exe("bootstrap", "#!/bin/sh\n"))
	s := openStore(b)
	b.SetBytes(int64(len(z)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(z[len(z)-8:], fmt.Sprintf("%08d", i))
		info, err := s.Limits().Inspect(z)
		if err != nil {
			b.Fatal(err)
		}
		r, err := s.Put(z)
		if err != nil || r != info.Sha256 {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkPutDuplicate5MB measures Put of bytes already stored.
func BenchmarkPutDuplicate5MB(b *testing.B) {
	data := make([]byte, 5<<20)
	rand.NewChaCha8([32]byte{2}).Read(data)
	z := buildZip(b, "", file("blob.bin", string(data)))
	s := openStore(b)
	put(b, s, z)
	b.SetBytes(int64(len(z)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Put(z); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnpacked1000Files measures a cold extraction of a package of
// 1,000 small files in 20 directories.
func BenchmarkUnpacked1000Files(b *testing.B) {
	var ents []zent
	for i := range 1000 {
		ents = append(ents, file(fmt.Sprintf("pkg%02d/mod%04d.py", i%20, i), fmt.Sprintf("# module %d\n%0500d\n", i, i)))
	}
	z := mustZip(b, ents...)
	s := openStore(b, WithGrace(0))
	r := put(b, s, z)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if removed, err := s.Remove(r); !removed {
			b.Fatal("not removed", err)
		}
		put(b, s, z)
		b.StartTimer()
		if _, err := s.Unpacked(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnpackedWarm measures Unpacked of a package already extracted:
// the cold-start path of every environment after the first.
func BenchmarkUnpackedWarm(b *testing.B) {
	s := openStore(b)
	r := put(b, s, mustZip(b, exe("bootstrap", "x")))
	if _, err := s.Unpacked(r); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Unpacked(r); err != nil {
			b.Fatal(err)
		}
	}
}
