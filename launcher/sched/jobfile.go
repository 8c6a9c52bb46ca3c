package sched

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxJobFileSize bounds a job description file.
const MaxJobFileSize = 1 << 20

// jobKey is one key of a job description: its kind of value and how it
// sets a Script.
type jobKey struct {
	name string
	// set applies a scalar's text (the field is set only when it parses).
	set func(s *Script, v string) error
	// list applies a sequence of scalars; env applies a mapping of scalars.
	list func(s *Script, v []string) error
	env  bool
}

// jobKeys are the keys of a job description, named as spmdsubmit's long
// flags are.
var jobKeys = []jobKey{
	{name: "name", set: func(s *Script, v string) error { s.Name = v; return nil }},
	{name: "nodes", set: func(s *Script, v string) (err error) { s.Nodes, err = parseCount(v); return err }},
	{name: "ppn", set: func(s *Script, v string) (err error) { s.RanksPerNode, err = parseCount(v); return err }},
	{name: "walltime", set: func(s *Script, v string) (err error) { s.Walltime, err = ParseWalltime(v); return err }},
	{name: "queue", set: func(s *Script, v string) error { s.Queue = v; return nil }},
	{name: "account", set: func(s *Script, v string) error { s.Account = v; return nil }},
	{name: "qos", set: func(s *Script, v string) error { s.QoS = v; return nil }},
	{name: "mem", set: func(s *Script, v string) (err error) { s.Memory, err = ParseMemory(v); return err }},
	{name: "mem-per-cpu", set: func(s *Script, v string) (err error) { s.MemoryPerCPU, err = ParseMemory(v); return err }},
	{name: "array", set: func(s *Script, v string) (err error) { s.Array, err = ParseArray(v); return err }},
	{name: "mail-user", set: func(s *Script, v string) error { s.MailUser = v; return nil }},
	{name: "mail-type", set: func(s *Script, v string) (err error) { s.MailType, err = ParseMailType(v); return err }},
	{name: "stdout", set: func(s *Script, v string) error { s.Stdout = v; return nil }},
	{name: "stderr", set: func(s *Script, v string) error { s.Stderr = v; return nil }},
	{name: "setup", list: func(s *Script, v []string) error { s.Setup = v; return nil }},
	{name: "env", env: true},
	{name: "env-file"}, // returned to the caller, which reads the file
	{name: "x", list: func(s *Script, v []string) error { s.Env = v; return nil }},
	{name: "spmdrun", set: func(s *Script, v string) error { s.Spmdrun = v; return nil }},
	{name: "program", set: func(s *Script, v string) error { s.Program = v; return nil }},
	{name: "args", list: func(s *Script, v []string) error { s.Args = v; return nil }},
}

// JobKeys lists the keys a job description may hold.
func JobKeys() []string {
	names := make([]string, len(jobKeys))
	for i, k := range jobKeys {
		names[i] = k.name
	}
	return names
}

// ParseJob reads a job description, a YAML mapping whose keys are
// spmdsubmit's long flag names
// (JobKeys), into s: only the fields of the keys present change, so s may
// hold defaults beforehand and flags may be applied after. Values are
// scalars, parsed as the flags parse them
// (walltime by ParseWalltime, mem by ParseMemory, array by ParseArray);
// setup, x and args are sequences of scalars; env is a mapping of variable
// names to values, exported as Export entries in key order. The value of
// env-file is returned, not read: the caller resolves and reads it
// (ParseEnvFile). An unknown or repeated key, a value of the wrong kind, an
// alias, a file over MaxJobFileSize or a value that does not parse is an
// error naming the file (name) and the line, wrapping ErrSyntax.
//
// An example:
//
//	name: heat
//	nodes: 4
//	ppn: 32
//	walltime: 2-00:00:00
//	account: proj42
//	mem: 64G
//	array: 1-10%2
//	setup: [module load go]
//	env: {OMP_NUM_THREADS: "1"}
//	program: ./heat
//	args: [-n, "4096"]
func ParseJob(name string, data []byte, s *Script) (envFile string, err error) {
	if len(data) > MaxJobFileSize {
		return "", fmt.Errorf("%s: larger than %d bytes: %w", name, MaxJobFileSize, ErrSyntax)
	}
	doc := &yaml.Node{}
	if err := yaml.Unmarshal(data, doc); err != nil {
		return "", fmt.Errorf("%s: %s: %w", name, strings.TrimPrefix(err.Error(), "yaml: "), ErrSyntax)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return "", fmt.Errorf("%s: empty job description: %w", name, ErrSyntax)
	}
	top := doc.Content[0]
	lineErr := func(n *yaml.Node, format string, a ...any) error {
		err := fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), ErrSyntax)
		return &LineError{File: name, Line: n.Line, Err: err}
	}
	if top.Kind != yaml.MappingNode {
		return "", lineErr(top, "want a mapping of keys (name, nodes, ppn, ...) to values")
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		kn, vn := top.Content[i], top.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			return "", lineErr(kn, "a key must be a plain name")
		}
		key := kn.Value
		if first, dup := seen[key]; dup {
			return "", lineErr(kn, "key %q given again (first on line %d)", key, first)
		}
		seen[key] = kn.Line
		k := slices.IndexFunc(jobKeys, func(k jobKey) bool { return k.name == key })
		if k < 0 {
			return "", lineErr(kn, "unknown key %q (known: %s)", key, strings.Join(JobKeys(), ", "))
		}
		jk := jobKeys[k]
		switch {
		case jk.env:
			entries, err := yamlEnv(vn, lineErr)
			if err != nil {
				return "", err
			}
			s.Export = entries
		case jk.list != nil:
			words, err := yamlList(key, vn, lineErr)
			if err != nil {
				return "", err
			}
			if err := jk.list(s, words); err != nil {
				return "", lineErr(vn, "%s: %v", key, err)
			}
		default:
			v, err := yamlScalar(key, vn, lineErr)
			if err != nil {
				return "", err
			}
			if jk.set == nil { // env-file
				envFile = v
				continue
			}
			if err := jk.set(s, v); err != nil {
				return "", lineErr(vn, "%s: %v", key, stripSyntax(err))
			}
		}
	}
	return envFile, nil
}

// stripSyntax drops the ErrSyntax suffix from err's text, which the line
// error adds again.
func stripSyntax(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+ErrSyntax.Error())
}

type lineErrFunc func(n *yaml.Node, format string, a ...any) error

// yamlScalar is the text of a scalar value.
func yamlScalar(key string, n *yaml.Node, lineErr lineErrFunc) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", lineErr(n, "%s: want a single value", key)
	}
	return n.Value, nil
}

// yamlList is the texts of a sequence of scalars.
func yamlList(key string, n *yaml.Node, lineErr lineErrFunc) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, lineErr(n, "%s: want a list ([a, b] or lines starting with -)", key)
	}
	out := []string{}
	for _, c := range n.Content {
		v, err := yamlScalar(key, c, lineErr)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// yamlEnv is a mapping of variable names to scalar values, as KEY=VALUE.
func yamlEnv(n *yaml.Node, lineErr lineErrFunc) ([]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, lineErr(n, "env: want a mapping of variable names to values")
	}
	var out []string
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			return nil, lineErr(kn, "env: a variable name must be a plain name")
		}
		if why := checkEnvName(kn.Value); why != "" {
			return nil, lineErr(kn, "env: %q: %s", kn.Value, why)
		}
		if seen[kn.Value] {
			return nil, lineErr(kn, "env: %s given again", kn.Value)
		}
		seen[kn.Value] = true
		v, err := yamlScalar("env: "+kn.Value, vn, lineErr)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(v, "\n\r\x00") {
			return nil, lineErr(vn, "env: %s: the value holds a line break or NUL", kn.Value)
		}
		out = append(out, kn.Value+"="+v)
	}
	return out, nil
}
