package pbsemu

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Options are qsub's options, from its command line or from a script's
// directives. Given records which letters were set, so that Merge can let
// the command line win.
type Options struct {
	Given     map[byte]bool
	Name      string     // -N
	Queue     string     // -q
	Account   string     // -A
	Out, Err  string     // -o, -e
	Join      string     // -j: "oe", "eo" or "n"
	Keep      string     // -k: which of o and e stay in the execution host's home
	Shell     string     // -S
	Prefix    string     // -C
	Array     string     // -J (OpenPBS) or -t (Torque), unparsed
	Mail      string     // -m
	MailUsers string     // -M
	Priority  int        // -p
	Rerun     string     // -r
	WorkDir   string     // -d (Torque)
	Vars      []string   // -v, split at commas
	ExportAll bool       // -V
	Block     bool       // -W block=true (OpenPBS)
	NoJobID   bool       // -z
	Resources []Resource // -l, in order, later entries overriding earlier
	// Args are the operands after the options: the script, if any.
	Args []string
}

// Resource is one name=value of a -l list.
type Resource struct{ Name, Value string }

// UsageError is an option qsub refuses. Msg is the whole line qsub prints
// after "qsub: ".
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// optionLetters are each dialect's qsub options that take a value
// (true) or none (false). Options of the real qsub that the emulation does
// not implement are refused by name rather than ignored.
var optionLetters = map[Dialect]map[byte]bool{
	OpenPBS: {'A': true, 'C': true, 'e': true, 'j': true, 'J': true, 'k': true, 'l': true, 'm': true,
		'M': true, 'N': true, 'o': true, 'p': true, 'q': true, 'r': true, 'S': true, 'v': true,
		'W': true, 'V': false, 'z': false},
	Torque: {'A': true, 'C': true, 'd': true, 'e': true, 'j': true, 'k': true, 'l': true, 'm': true,
		'M': true, 'N': true, 'o': true, 'p': true, 'q': true, 'r': true, 'S': true, 't': true,
		'v': true, 'W': true, 'V': false, 'z': false},
}

// notEmulated are real qsub options the emulation refuses by name.
const notEmulated = "aIXGPRuhfcbDFKLTwx"

// ParseOptions parses qsub's arguments the way getopt does: options (with
// their value attached, -lselect=1, or as the next argument) until the
// first operand or "--"; the operands are Args. Each value is checked as
// the dialect's qsub checks it.
func ParseOptions(d Dialect, args []string) (*Options, error) {
	o := &Options{Given: map[byte]bool{}}
	letters := optionLetters[d]
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			takes, ok := letters[c]
			if !ok {
				if strings.IndexByte(notEmulated, c) >= 0 {
					return nil, &UsageError{fmt.Sprintf("option -%c is not emulated by pbsemu", c)}
				}
				return nil, &UsageError{fmt.Sprintf("invalid option -- '%c'", c)}
			}
			if !takes {
				o.Given[c] = true
				if err := o.set(d, c, ""); err != nil {
					return nil, err
				}
				continue
			}
			v := a[j+1:]
			if v == "" {
				if i+1 >= len(args) {
					return nil, &UsageError{fmt.Sprintf("option requires an argument -- '%c'", c)}
				}
				i++
				v = args[i]
			}
			o.Given[c] = true
			if err := o.set(d, c, v); err != nil {
				return nil, err
			}
			break
		}
	}
	o.Args = args[i:]
	return o, nil
}

func illegal(c byte) error { return &UsageError{fmt.Sprintf("illegal -%c value", c)} }

// set records option c with value v, checking v.
func (o *Options) set(d Dialect, c byte, v string) error {
	switch c {
	case 'A':
		o.Account = v
	case 'C':
		o.Prefix = v
	case 'd':
		o.WorkDir = v
	case 'e':
		o.Err = v
	case 'o':
		o.Out = v
	case 'j':
		if v != "oe" && v != "eo" && v != "n" {
			return illegal(c)
		}
		o.Join = v
	case 'k':
		switch v {
		case "n", "o", "e", "oe", "eo":
		default:
			return illegal(c)
		}
		o.Keep = v
	case 'J', 't':
		if _, err := ParseArray(d, v); err != nil {
			return illegal(c)
		}
		o.Array = v
	case 'l':
		rs, err := ParseResourceList(v)
		if err != nil {
			return illegal(c)
		}
		o.Resources = append(o.Resources, rs...)
	case 'm':
		if v != "n" && (v == "" || strings.Trim(v, "abe") != "") {
			return illegal(c)
		}
		o.Mail = v
	case 'M':
		o.MailUsers = v
	case 'N':
		if !validJobName(d, v) {
			return illegal(c)
		}
		o.Name = v
	case 'p':
		p, err := strconv.Atoi(v)
		if err != nil || p < -1024 || p > 1023 {
			return illegal(c)
		}
		o.Priority = p
	case 'q':
		o.Queue = v
	case 'r':
		if v != "y" && v != "n" {
			return illegal(c)
		}
		o.Rerun = v
	case 'S':
		o.Shell = v
	case 'v':
		for _, kv := range strings.Split(v, ",") {
			if k, _, _ := strings.Cut(kv, "="); k == "" {
				return illegal(c)
			}
			o.Vars = append(o.Vars, kv)
		}
	case 'V':
		o.ExportAll = true
	case 'W':
		k, val, ok := strings.Cut(v, "=")
		if !ok || k != "block" || d != OpenPBS || (val != "true" && val != "false") {
			if ok && k != "block" {
				return &UsageError{fmt.Sprintf("-W %s is not emulated by pbsemu (only block=true|false)", k)}
			}
			return illegal(c)
		}
		o.Block = val == "true"
	case 'z':
		o.NoJobID = true
	}
	return nil
}

// validJobName reports whether qsub accepts name for -N: non-empty, at
// most 236 characters (OpenPBS; Torque allows 15 in its oldest releases
// but 236 today), printable, with no blanks and none of / : @.
func validJobName(d Dialect, name string) bool {
	if name == "" || len(name) > 236 {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r > '~' || strings.ContainsRune("/:@", r) {
			return false
		}
	}
	return true
}

// Merge returns the options of a job from its command line (cmd) and its
// script's directives (dir): an option set on the command line wins over
// the same option in a directive ("Setting options from the job script
// will not overwrite options set on the command line"); -l resources are
// merged by name, the command line's value winning, and -v lists are
// joined.
func Merge(cmd, dir *Options) *Options {
	out := *dir
	out.Given = map[byte]bool{}
	for c := range dir.Given {
		out.Given[c] = true
	}
	for c := range cmd.Given {
		out.Given[c] = true
		switch c {
		case 'A':
			out.Account = cmd.Account
		case 'C':
			out.Prefix = cmd.Prefix
		case 'd':
			out.WorkDir = cmd.WorkDir
		case 'e':
			out.Err = cmd.Err
		case 'o':
			out.Out = cmd.Out
		case 'j':
			out.Join = cmd.Join
		case 'k':
			out.Keep = cmd.Keep
		case 'J', 't':
			out.Array = cmd.Array
		case 'm':
			out.Mail = cmd.Mail
		case 'M':
			out.MailUsers = cmd.MailUsers
		case 'N':
			out.Name = cmd.Name
		case 'p':
			out.Priority = cmd.Priority
		case 'q':
			out.Queue = cmd.Queue
		case 'r':
			out.Rerun = cmd.Rerun
		case 'S':
			out.Shell = cmd.Shell
		case 'V':
			out.ExportAll = true
		case 'W':
			out.Block = cmd.Block
		case 'z':
			out.NoJobID = true
		}
	}
	out.Vars = append(slices.Clone(dir.Vars), cmd.Vars...)
	out.Resources = mergeResources(dir.Resources, cmd.Resources)
	out.Args = cmd.Args
	return &out
}

// mergeResources returns base with every resource of over replacing the
// one of the same name (or appended), in first-seen order.
func mergeResources(base, over []Resource) []Resource {
	out := slices.Clone(base)
	for _, r := range over {
		if i := slices.IndexFunc(out, func(x Resource) bool { return x.Name == r.Name }); i >= 0 {
			out[i] = r
		} else {
			out = append(out, r)
		}
	}
	return dedupResources(out)
}

// dedupResources keeps the last value of each name, at its first position.
func dedupResources(rs []Resource) []Resource {
	var out []Resource
	for _, r := range rs {
		if i := slices.IndexFunc(out, func(x Resource) bool { return x.Name == r.Name }); i >= 0 {
			out[i] = r
		} else {
			out = append(out, r)
		}
	}
	return out
}
