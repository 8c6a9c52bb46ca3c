package sched

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// A job description may also be written in TOML (a file whose name ends in
// .toml), with the same keys and kinds of value as the YAML one:
//
//	name = "heat"
//	nodes = 4
//	walltime = "2-00:00:00"
//	setup = ["module load go"]
//	program = "./heat"
//	args = ["-n", "4096"]
//
//	[env]
//	OMP_NUM_THREADS = "1"
//
// It is read into the same tree the YAML reader builds, so both follow one
// set of rules. TOML's reader gives no line for a key, so each key's line
// is found in the text: the first line that assigns it in its table.

// tomlDocument parses a TOML job description into a YAML document node.
func tomlDocument(name string, data []byte) (*yaml.Node, error) {
	var m map[string]any
	md, err := toml.Decode(string(data), &m)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &LineError{File: name, Line: pe.Position.Line, Err: fmt.Errorf("%s: %w", pe.Message, ErrSyntax)}
		}
		return nil, fmt.Errorf("%s: %v: %w", name, err, ErrSyntax)
	}
	lines := tomlKeyLines(string(data))
	top := &yaml.Node{Kind: yaml.MappingNode, Line: 1}
	// The top-level keys in the order written; a dotted key (env.A = ...)
	// names its table only through its first part.
	var keys []toml.Key
	seen := map[string]bool{}
	for _, k := range md.Keys() {
		if !seen[k[0]] {
			seen[k[0]] = true
			keys = append(keys, k[:1])
		}
	}
	for _, k := range keys {
		line := lines[k[0]]
		v, err := tomlValue(m[k[0]], line, func(sub string) int {
			if l, ok := lines[k[0]+"."+sub]; ok {
				return l
			}
			return line
		}, tomlSubKeys(md, k[0]))
		if err != nil {
			err = fmt.Errorf("%s: %w: %w", k[0], err, ErrSyntax)
			if line == 0 {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return nil, &LineError{File: name, Line: line, Err: err}
		}
		top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k[0], Line: line}, v)
	}
	if len(top.Content) == 0 {
		return &yaml.Node{}, nil
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}, nil
}

// tomlSubKeys lists the keys of table key, in the order written.
func tomlSubKeys(md toml.MetaData, key string) []string {
	var out []string
	for _, k := range md.Keys() {
		if len(k) == 2 && k[0] == key {
			out = append(out, k[1])
		}
	}
	return out
}

// tomlValue is v as a YAML node: scalars as their text, arrays as
// sequences, tables as mappings in the order written (order; a key's line
// from lineOf).
func tomlValue(v any, line int, lineOf func(string) int, order []string) (*yaml.Node, error) {
	scalar := func(s string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: line}
	}
	switch v := v.(type) {
	case string:
		return scalar(v), nil
	case int64:
		return scalar(strconv.FormatInt(v, 10)), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, errors.New("want a number or a string")
		}
		return scalar(strconv.FormatFloat(v, 'g', -1, 64)), nil
	case bool:
		return scalar(strconv.FormatBool(v)), nil
	case time.Time:
		// A bare 01:30:00 is a TOML local time: read it as the text.
		if v.Year() == 0 && v.YearDay() == 1 {
			return scalar(v.Format("15:04:05")), nil
		}
		return nil, errors.New("a date is no value here; quote the text")
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Line: line}
		for _, e := range v {
			c, err := tomlValue(e, line, lineOf, nil)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case []map[string]any:
		return &yaml.Node{Kind: yaml.SequenceNode, Line: line, Content: []*yaml.Node{{Kind: yaml.MappingNode, Line: line}}}, nil
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Line: line}
		for _, k := range order {
			e, ok := v[k]
			if !ok {
				continue
			}
			kl := lineOf(k)
			c, err := tomlValue(e, kl, lineOf, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k, Line: kl}, c)
		}
		return n, nil
	}
	return nil, fmt.Errorf("unexpected value %T", v)
}

var (
	tomlTableLine = regexp.MustCompile(`^\s*\[\[?\s*("?)([A-Za-z0-9_-]+)("?)\s*\]`)
	tomlKeyLine   = regexp.MustCompile(`^\s*("?)([A-Za-z0-9_-]+)("?)\s*([.=])`)
)

// tomlKeyLines finds the line of each top-level key and of each key of a
// top-level table ("table.key"), by its first assignment: key = ... or
// key.sub = ... at the top, key = ... under [table], and [table] itself.
// Lines inside multi-line strings can be mistaken for keys; the line is
// for the user's eyes only.
func tomlKeyLines(src string) map[string]int {
	lines := map[string]int{}
	note := func(k string, n int) {
		if _, ok := lines[k]; !ok {
			lines[k] = n
		}
	}
	table := ""
	for i, l := range strings.Split(src, "\n") {
		n := i + 1
		if m := tomlTableLine.FindStringSubmatch(l); m != nil {
			table = m[2]
			note(table, n)
			continue
		}
		m := tomlKeyLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if table != "" {
			note(table+"."+m[2], n)
			continue
		}
		note(m[2], n)
		if m[4] == "." {
			if sub := tomlKeyLine.FindStringSubmatch(l[len(m[0]):]); sub != nil {
				note(m[2]+"."+sub[2], n)
			}
		}
	}
	return lines
}
