// Command gen reads the Lambda service model that botocore ships and writes
// the generated half of package model: the operation table, the shape table
// with bindings and constraints, and Go types for the structures.
// Documentation strings are left out.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

type serviceModel struct {
	Operations map[string]struct {
		HTTP struct {
			Method       string `json:"method"`
			RequestURI   string `json:"requestUri"`
			ResponseCode int    `json:"responseCode"`
		} `json:"http"`
		Input      *struct{ Shape string } `json:"input"`
		Output     *struct{ Shape string } `json:"output"`
		Deprecated bool                    `json:"deprecated"`
	} `json:"operations"`
	Shapes map[string]*shape `json:"shapes"`
}

type shape struct {
	Type      string                  `json:"type"`
	Min       *float64                `json:"min"`
	Max       *float64                `json:"max"`
	Pattern   *string                 `json:"pattern"`
	Enum      []string                `json:"enum"`
	Sensitive bool                    `json:"sensitive"`
	Required  []string                `json:"required"`
	Members   orderedMembers          `json:"members"`
	Member    *struct{ Shape string } `json:"member"`
	Key       *struct{ Shape string } `json:"key"`
	Value     *struct{ Shape string } `json:"value"`
	Payload   string                  `json:"payload"`
	Exception bool                    `json:"exception"`
	Error     *struct {
		HTTPStatusCode int `json:"httpStatusCode"`
	} `json:"error"`
	Event       bool `json:"event"`
	EventStream bool `json:"eventstream"`
}

type member struct {
	Name         string
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
}

// orderedMembers keeps the model's member order, which is also the order in
// which validation errors are reported.
type orderedMembers []member

func (m *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var mem member
		if err := dec.Decode(&mem); err != nil {
			return err
		}
		mem.Name = tok.(string)
		*m = append(*m, mem)
	}
	_, err := dec.Token()
	return err
}

func main() {
	modelPath := flag.String("model", "", "path to botocore's lambda service-2.json[.gz] (default: found through python3)")
	out := flag.String("out", ".", "output directory")
	flag.Parse()

	path := *modelPath
	if path == "" {
		path = findBotocoreModel()
	}
	m, err := readModel(path)
	if err != nil {
		log.Fatal(err)
	}
	applyOverrides(m)
	checkPatterns(m)

	write(filepath.Join(*out, "operations_gen.go"), genOperations(m))
	write(filepath.Join(*out, "shapes_gen.go"), genShapes(m))
	write(filepath.Join(*out, "types_gen.go"), genTypes(m))
}

func findBotocoreModel() string {
	out, err := exec.Command("python3", "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		log.Fatalf("locating botocore with python3: %v (pass -model)", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "data", "lambda", "2015-03-31")
	for _, name := range []string{"service-2.json", "service-2.json.gz"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name)
		}
	}
	log.Fatalf("no service-2.json under %s", dir)
	return ""
}

func readModel(path string) (*serviceModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = gz
	}
	var m serviceModel
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

func applyOverrides(m *serviceModel) {
	for _, o := range overrides {
		s, ok := m.Shapes[o.shape]
		if !ok {
			log.Fatalf("override for unknown shape %s", o.shape)
		}
		if o.pattern != nil {
			s.Pattern = o.pattern
		}
		if o.max != nil {
			s.Max = o.max
		}
		if o.noEnum {
			s.Enum = nil
		}
	}
}

// lookaround matches the Java look-around groups some model patterns use;
// package model evaluates them itself because RE2 has none.
var lookaround = regexp.MustCompile(`\(\?<?!`)

func checkPatterns(m *serviceModel) {
	for name, s := range m.Shapes {
		if s.Pattern == nil || lookaround.MatchString(*s.Pattern) {
			continue
		}
		if _, err := regexp.Compile(*s.Pattern); err != nil {
			log.Fatalf("shape %s: pattern does not compile: %v", name, err)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func write(path string, src []byte) {
	formatted, err := format.Source(src)
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	if err := os.WriteFile(path, formatted, 0o644); err != nil {
		log.Fatal(err)
	}
}

const header = "// Code generated by internal/api/model/gen from botocore's Lambda service model. DO NOT EDIT.\n\npackage model\n\n"
