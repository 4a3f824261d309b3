package codestore

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestInspectHappyPath(t *testing.T) {
	z := mustZip(t,
		exe("bootstrap", "#!/bin/sh\necho hi\n"),
		dir("lib/"),
		file("lib/python/pkg/mod.py", "x = 1\n"),
		file("data.txt", strings.Repeat("a", 1000)),
		link("run", "bootstrap"),
		link("lib/py", "python/pkg"),
	)
	info, err := Inspect(z)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(z)
	if info.Sha256 != Ref(sum) {
		t.Errorf("Sha256 = %x, want %x", info.Sha256, sum)
	}
	if want := base64.StdEncoding.EncodeToString(sum[:]); info.CodeSha256() != want {
		t.Errorf("CodeSha256 = %q, want %q", info.CodeSha256(), want)
	}
	if info.Size != int64(len(z)) {
		t.Errorf("Size = %d, want %d", info.Size, len(z))
	}
	// Files plus symlink targets ("bootstrap", "python/pkg").
	if want := int64(len("#!/bin/sh\necho hi\n") + len("x = 1\n") + 1000 + len("bootstrap") + len("python/pkg")); info.UnzippedSize != want {
		t.Errorf("UnzippedSize = %d, want %d", info.UnzippedSize, want)
	}
	if !info.Executable("bootstrap") {
		t.Error("bootstrap not executable")
	}
	if !info.Executable("run") {
		t.Error("run (symlink to bootstrap) not executable")
	}
	if info.Executable("data.txt") || info.Executable("lib") || info.Executable("missing") {
		t.Error("non-executables reported executable")
	}
	e, ok := info.Lookup("lib/python") // implied by a deeper member
	if !ok || !e.Mode.IsDir() {
		t.Errorf("Lookup(lib/python) = %v, %v; want a directory", e, ok)
	}
	e, ok = info.Lookup("lib/py")
	if !ok || e.Mode&fs.ModeSymlink == 0 || e.Target != "python/pkg" {
		t.Errorf("Lookup(lib/py) = %+v, %v", e, ok)
	}
	if e, ok := info.Lookup("data.txt"); !ok || e.Mode != 0o644 || e.Size != 1000 {
		t.Errorf("Lookup(data.txt) = %+v, %v", e, ok)
	}
}

func TestInspectWindowsZipHasNoExecutable(t *testing.T) {
	// Zips made without unix modes leave bootstrap without an execute bit,
	// as AWS does; provided.* runtimes then fail to start it.
	info, err := Inspect(mustZip(t, rawName("bootstrap", "x")))
	if err != nil {
		t.Fatal(err)
	}
	if info.Executable("bootstrap") {
		t.Error("bootstrap without unix mode reported executable")
	}
}

func TestInspectRejects(t *testing.T) {
	good := mustZip(t, file("a.txt", strings.Repeat("hello ", 500)), file("b.txt", "b"))
	encrypted := func() []byte {
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		fw, err := w.CreateHeader(&zip.FileHeader{Name: "secret", Method: zip.Store, Flags: 0x1})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte("xx"))
		w.Close()
		return buf.Bytes()
	}()
	tests := []struct {
		name      string
		zip       []byte
		entryErr  bool   // an *EntryError, not just ErrNotZip
		reasonHas string // in the error text
	}{
		{"not a zip", []byte("this is not a zip file at all"), false, ""},
		{"empty", nil, false, ""},
		{"truncated", good[:len(good)/2], false, ""},
		{"truncated data, directory intact", truncateData(t, good), false, "past the end"},
		{"parent", mustZip(t, file("../evil", "x")), true, "parent"},
		{"nested parent", mustZip(t, file("a/../../evil", "x")), true, "parent"},
		{"absolute", mustZip(t, file("/etc/passwd", "x")), true, "absolute"},
		{"backslash parent", mustZip(t, file(`..\evil`, "x")), true, "backslash"},
		{"backslash inside", mustZip(t, file(`a\b`, "x")), true, "backslash"},
		{"symlink up", mustZip(t, link("etc", "../../etc")), true, "outside"},
		{"symlink up from subdir", mustZip(t, link("a/b/c", "../../../x")), true, "outside"},
		{"symlink absolute", mustZip(t, link("passwd", "/etc/passwd")), true, "outside"},
		{"symlink chain", mustZip(t, link("a", "."), link("b", "a/..")), true, "outside"},
		{"symlink loop", mustZip(t, link("a", "b"), link("b", "a")), true, "levels"},
		{"file under symlink", mustZip(t, dir("real/"), link("lib", "real"), file("lib/x", "x")), true, "not a directory"},
		{"file then dir", mustZip(t, file("a", "x"), file("a/b", "y")), true, "not a directory"},
		{"dir then file", mustZip(t, file("a/b", "y"), file("a", "x")), true, "both"},
		{"encrypted", encrypted, true, "encrypted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Inspect(tc.zip)
			if !errors.Is(err, ErrNotZip) {
				t.Fatalf("Inspect err = %v, want ErrNotZip", err)
			}
			var ee *EntryError
			if got := errors.As(err, &ee); got != tc.entryErr {
				t.Fatalf("EntryError = %v (%v), want %v", got, err, tc.entryErr)
			}
			if !strings.Contains(err.Error(), tc.reasonHas) {
				t.Errorf("error %q, want it to mention %q", err, tc.reasonHas)
			}
		})
	}
}

// truncateData rewrites a zip so that its first member claims more
// compressed data than the archive holds, while the central directory stays
// readable: what a cut upload with a rebuilt directory looks like.
func truncateData(t *testing.T, z []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	// Claim the first member is far larger than the archive.
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f := zr.File[0]
	h := f.FileHeader
	h.CompressedSize64 = uint64(len(z)) * 4
	raw, err := w.CreateRaw(&h)
	if err != nil {
		t.Fatal(err)
	}
	rr, _ := f.OpenRaw()
	data := make([]byte, f.CompressedSize64)
	rr.Read(data)
	raw.Write(data)
	w.Close()
	return buf.Bytes()
}

func TestInspectSkipsRootEntry(t *testing.T) {
	// "./" is the root directory entry some tools write.
	info, err := Inspect(mustZip(t, dir("./"), file("./a", "x")))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.Lookup("a"); !ok {
		t.Error("./a not found as a")
	}
}

func TestInspectAllowsInsideSymlinks(t *testing.T) {
	z := mustZip(t,
		file("v1/x", "x"),
		link("lib/current", "../v1"),
		link("self", "."),
		link("via", "self/v1/x"),
		link("dangling", "not/there"),
		link("up-and-back", "lib/../v1"),
	)
	if _, err := Inspect(z); err != nil {
		t.Fatal(err)
	}
}

func TestInspectSizeLimits(t *testing.T) {
	z := mustZip(t, file("big", strings.Repeat("z", 5000)), file("small", "s"))
	_, err := Limits{Zipped: int64(len(z)) - 1}.Inspect(z)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Kind != SizeZipped || tl.Limit != int64(len(z))-1 || tl.Actual != int64(len(z)) {
		t.Fatalf("zipped over limit: err = %v", err)
	}
	if _, err := (Limits{Zipped: int64(len(z))}).Inspect(z); err != nil {
		t.Fatalf("zipped at limit: %v", err)
	}
	_, err = Limits{Unzipped: 5000}.Inspect(z)
	if !errors.As(err, &tl) || tl.Kind != SizeUnzipped || tl.Limit != 5000 || tl.Actual != 5001 {
		t.Fatalf("unzipped over limit: err = %v", err)
	}
	if _, err := (Limits{Unzipped: 5001}).Inspect(z); err != nil {
		t.Fatalf("unzipped at limit: %v", err)
	}
}

func TestInspectRejectsDeclaredBombWithDefaults(t *testing.T) {
	// Declares 300 MB, holds a few KB: refused from the directory alone, with
	// the AWS defaults and nothing inflated.
	z := lyingZip(t, "bomb", 300<<20, 4096)
	_, err := Inspect(z)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Kind != SizeUnzipped || tl.Limit != MaxUnzippedSize || tl.Actual != 300<<20 {
		t.Fatalf("err = %v, want unzipped TooLargeError", err)
	}
}

func TestCheckCombinedSize(t *testing.T) {
	code := Info{UnzippedSize: 200 << 20}
	if err := CheckCombinedSize(code, []Info{{UnzippedSize: 50 << 20}}); err != nil {
		t.Fatalf("250 MiB exactly: %v", err)
	}
	err := CheckCombinedSize(code, []Info{{UnzippedSize: 50 << 20}, {UnzippedSize: 1}})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Kind != SizeCombined || tl.Limit != 262144000 || tl.Actual != 262144001 {
		t.Fatalf("err = %v", err)
	}
	if err := (Limits{Unzipped: 10}).CheckCombinedSize(Info{UnzippedSize: 11}, nil); err == nil {
		t.Fatal("custom limit not applied")
	}
}

func TestRefForms(t *testing.T) {
	r := RefOf([]byte("hello"))
	if got, err := ParseRef(r.Hex()); err != nil || got != r {
		t.Errorf("ParseRef(Hex) = %v, %v", got, err)
	}
	if got, err := ParseCodeSha256(r.Base64()); err != nil || got != r {
		t.Errorf("ParseCodeSha256(Base64) = %v, %v", got, err)
	}
	if r.Base64() != "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=" {
		t.Errorf("Base64 = %s", r.Base64())
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 64)} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) accepted", bad)
		}
	}
	if _, err := ParseCodeSha256("aGVsbG8="); err == nil {
		t.Error("ParseCodeSha256 accepted a short digest")
	}
	if !(Ref{}).IsZero() || r.IsZero() {
		t.Error("IsZero wrong")
	}
}
