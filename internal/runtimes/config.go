package runtimes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
)

// ConfigFileName is the config file's name inside the data directory, used
// when Options.ConfigFile is empty.
const ConfigFileName = "runtimes.config.json"

// config is the parsed config file: explicit interpreters per runtime
// identifier (see the package documentation for the format).
type config struct {
	path     string
	runtimes map[string][]string
}

// paths is one path or a list of paths.
type paths []string

func (p *paths) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*p = paths{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a path or a list of paths")
	}
	*p = many
	return nil
}

// loadConfig reads the config file. A missing file is an empty config when
// it is the default one, and an error when the caller named it.
func loadConfig(path string, explicit bool) (config, error) {
	cfg := config{path: path, runtimes: map[string][]string{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("runtimes config: %w", err)
	}
	var raw struct {
		Runtimes map[string]paths `json:"runtimes"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a typo should not silently do nothing
	if err := dec.Decode(&raw); err != nil {
		return cfg, fmt.Errorf("runtimes config %s: %w", path, err)
	}
	ids := make([]string, 0, len(raw.Runtimes))
	for id := range raw.Runtimes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, ok := lookupRuntime(id); !ok {
			return cfg, fmt.Errorf("runtimes config %s: unknown runtime identifier %q", path, id)
		}
		if len(raw.Runtimes[id]) == 0 {
			return cfg, fmt.Errorf("runtimes config %s: %s: no interpreter path", path, id)
		}
		for _, p := range raw.Runtimes[id] {
			if p == "" {
				return cfg, fmt.Errorf("runtimes config %s: %s: empty interpreter path", path, id)
			}
		}
		cfg.runtimes[id] = raw.Runtimes[id]
	}
	return cfg, nil
}
