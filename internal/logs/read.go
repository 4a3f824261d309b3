package logs

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Event is one log event read back.
type Event struct {
	Time    time.Time
	Stream  string
	Message string
}

// Print writes a log group's events in time order to w, as
// "<time> <stream> <message>" lines. With follow it keeps printing new
// events until ctx ends.
func (d Dir) Print(ctx context.Context, region, group string, w io.Writer, follow bool) error {
	offsets := map[string]int64{}
	for {
		events, err := d.readNew(region, group, offsets)
		if err != nil {
			return err
		}
		for _, e := range events {
			msg := strings.ReplaceAll(e.Message, "\r", "\n")
			if _, err := io.WriteString(w, e.Time.Format("2006-01-02T15:04:05.000Z")+" "+e.Stream+" "+msg+"\n"); err != nil {
				return err
			}
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// readNew reads the complete events appended to every stream of a group
// since the offsets, advancing them, merged in time order.
func (d Dir) readNew(region, group string, offsets map[string]int64) ([]Event, error) {
	root := d.GroupPath(region, group)
	var events []Event
	err := filepath.WalkDir(root, func(path string, entry os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if entry.IsDir() || !strings.HasSuffix(path, ".log") {
			return nil
		}
		stream, _ := filepath.Rel(root, strings.TrimSuffix(path, ".log"))
		read, err := readFrom(path, offsets[path], filepath.ToSlash(stream))
		if err != nil {
			return err
		}
		events = append(events, read.events...)
		offsets[path] = read.offset
		return nil
	})
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time.Before(events[j].Time) })
	return events, err
}

type readResult struct {
	events []Event
	offset int64
}

// readFrom reads whole lines from offset; a partial last line is left for
// the next read.
func readFrom(path string, offset int64, stream string) (readResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return readResult{offset: offset}, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return readResult{offset: offset}, err
	}
	out := readResult{offset: offset}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break // EOF or a partial line
		}
		out.offset += int64(len(line))
		ts, msg, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if !ok {
			continue
		}
		t, err := time.Parse("2006-01-02T15:04:05.000Z", ts)
		if err != nil {
			continue
		}
		out.events = append(out.events, Event{Time: t, Stream: stream, Message: msg})
	}
	return out, nil
}
