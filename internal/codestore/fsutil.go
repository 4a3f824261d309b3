package codestore

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// exists reports whether something is at path (without following a final symlink).
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// syncDir makes a directory's entries durable: a rename is not, until its
// directory is synced.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncFS flushes the whole filesystem holding path: one syncfs(2) instead of
// an fsync per extracted file, so a tree renamed into place after a crash is
// never a tree of empty files.
func syncFS(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	err = unix.Syncfs(int(d.Fd()))
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
